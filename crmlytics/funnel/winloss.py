"""Win / loss: why deals are lost, to whom, and at which stage.

All counts are of deals closed as of the as-of date (:func:`crmlytics.funnel.stages.deals`).
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.funnel.config import FunnelPreset, opportunity_preset
from crmlytics.funnel.conversion import wilson, with_dimensions
from crmlytics.funnel.stages import deals
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None


def win_loss(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: AsOfLike = None,
    by: str = "competitor",
    config: object | None = None,
    *,
    segments: ir.Table | None = None,
) -> ir.Table:
    """Closed deals per value of ``by`` (default ``competitor``; any funnel dimension): ``won``,
    ``lost``, ``win_rate`` = won / (won + lost) with Wilson 95% ``win_rate_low`` / ``_high``,
    ``won_value`` and ``lost_value`` (expected value, currency). A null ``by`` value (no
    competitor named) is its own row. ``segments``: the segmentation ``by`` names, from
    :func:`crmlytics.funnel.conversion.dimension_segments`."""
    from crmlytics.asof import as_of as resolve_as_of

    point = resolve_as_of(as_of)
    chosen = opportunity_preset(preset, config, "win/loss")
    table = deals(ws, chosen, point, config)
    table = with_dimensions(ws, table, [by], point, config, segments=segments)
    closed = table.filter(table.outcome != "open")
    won = closed.outcome == "won"
    out = closed.group_by(by).aggregate(
        won=won.cast("int64").sum().cast("int64"),
        lost=(~won).cast("int64").sum().cast("int64"),
        won_value=closed.expected_value.sum(where=won),
        lost_value=closed.expected_value.sum(where=~won),
    )
    low, high = wilson(out.won, out.won + out.lost)
    return out.mutate(
        win_rate=out.won.cast("float64") / (out.won + out.lost),
        win_rate_low=low,
        win_rate_high=high,
    ).select(
        by, "won", "lost", "win_rate", "win_rate_low", "win_rate_high", "won_value", "lost_value"
    )


def lost_reasons(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: AsOfLike = None,
    config: object | None = None,
) -> ir.Table:
    """Lost deals per ``lost_reason`` and the ``stage`` they were lost at: ``lost``,
    ``lost_value`` (currency) and ``share`` of all lost deals."""
    table = deals(ws, opportunity_preset(preset, config, "lost reasons"), as_of, config)
    lost = table.filter(table.outcome == "lost")
    out = lost.group_by(["lost_reason", "stage", "stage_index"]).aggregate(
        lost=lost.count(), lost_value=lost.expected_value.sum()
    )
    return out.mutate(share=out.lost.cast("float64") / out.lost.sum().over(ibis.window()))
