"""Campaign funnel: sent -> opened -> clicked -> converted, with cost per conversion.

Each row of ``campaign_touches`` is one deal of the ``campaign`` preset (its stage history is
the four timestamps, see :mod:`crmlytics.funnel.stages`): a click without a recorded open counts
as opened (skipped stages count as passed), and only timestamps at or before the as-of point are
seen. Rates are of the touches that reached the previous stage.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.funnel.config import FunnelPreset, funnel_config
from crmlytics.funnel.conversion import wilson, with_dimensions
from crmlytics.funnel.stages import deals
from crmlytics.workspace import Workspace

CAMPAIGN_COLUMNS: tuple[str, ...] = (
    "sent",
    "opened",
    "clicked",
    "converted",
    "open_rate",
    "click_rate",
    "conversion_rate",
    "conversion_rate_low",
    "conversion_rate_high",
    "cost",
    "cost_per_conversion",
)


def campaign_funnel(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: Sequence[str] | str = ("campaign_id",),
    preset: str | FunnelPreset = "campaign",
    config: object | None = None,
    *,
    segments: ir.Table | None = None,
) -> ir.Table:
    """Per group of ``by`` (default each campaign; add a segment such as ``rfm_segment`` or a
    customer column): :data:`CAMPAIGN_COLUMNS` as an Ibis table, as of ``as_of``.

    ``open_rate = opened / sent``, ``click_rate = clicked / opened``, ``conversion_rate =
    converted / sent`` with its Wilson 95% interval; ``cost`` is the summed touch cost (currency)
    and ``cost_per_conversion = cost / converted`` (null without conversions or cost).
    ``segments``: the segmentations ``by`` names, from
    :func:`crmlytics.funnel.conversion.dimension_segments`.
    """
    chosen = preset if isinstance(preset, FunnelPreset) else funnel_config(config).preset(preset)
    if chosen.source != "campaign_touches":
        raise ConfigError(f"preset {preset!r} is not a campaign funnel (source campaign_touches)")
    point = resolve_as_of(as_of)
    keys = [by] if isinstance(by, str) else list(by)
    table = deals(ws, chosen, point, config)
    table = with_dimensions(ws, table, keys, point, config, segments=segments)
    ix = table.stage_index
    out = table.group_by(keys).aggregate(
        sent=table.count(),
        opened=(ix >= 1).cast("int64").sum().cast("int64"),
        clicked=(ix >= 2).cast("int64").sum().cast("int64"),
        converted=(ix >= 3).cast("int64").sum().cast("int64"),
        cost=table.cost.sum(),
    )
    low, high = wilson(out.converted, out.sent)

    def rate(num: ir.IntegerValue, den: ir.IntegerValue) -> ir.FloatingValue:
        return ibis.ifelse(den > 0, num.cast("float64") / den, ibis.null("float64"))

    return out.mutate(
        open_rate=rate(out.opened, out.sent),
        click_rate=rate(out.clicked, out.opened),
        conversion_rate=rate(out.converted, out.sent),
        conversion_rate_low=low,
        conversion_rate_high=high,
        cost_per_conversion=ibis.ifelse(
            out.converted > 0, out.cost / out.converted, ibis.null("float64")
        ),
    ).select(*keys, *CAMPAIGN_COLUMNS)
