"""Stale opportunities: open deals nobody has acted on for more than ``stale_days``.

The rule from the source material is "at least one action per opportunity per month": a deal is
stale when, as of the as-of date, more than ``stale_days`` (default 30, ``funnel.stale_days``)
whole days have passed since its last *activity*, the latest of its last visible stage event
(creation counts) and the last visible interaction with its customer.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.funnel.config import FunnelPreset, funnel_config, opportunity_preset
from crmlytics.funnel.stages import deals
from crmlytics.workspace import Workspace

STALE_COLUMNS: tuple[str, ...] = (
    "opportunity_id",
    "customer_id",
    "owner",
    "stage",
    "expected_value",
    "created_at",
    "age_days",
    "last_move_at",
    "last_interaction_at",
    "days_since_activity",
)


def stale_deals(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    stale_days: int | None = None,
    config: object | None = None,
) -> ir.Table:
    """Open opportunities with no stage change and no customer interaction for more than
    ``stale_days`` days as of ``as_of`` (Ibis table, :data:`STALE_COLUMNS`).

    ``age_days`` and ``days_since_activity`` are whole days from the day of creation / of the
    last activity to the as-of date. Only events and interactions at or before ``as_of`` count.
    """
    chosen = opportunity_preset(preset, config, "stale deals")
    if chosen.source != "opportunities":
        raise ConfigError(
            "stale deals are opportunities: choose a preset with source opportunities"
        )
    days = stale_days if stale_days is not None else funnel_config(config).stale_days
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(f"stale_days must be a whole number of days of 1 or more, not {days!r}")
    point = resolve_as_of(as_of)
    table = deals(ws, chosen, point, config)
    table = table.filter(table.outcome == "open")
    inter = ws.table("interactions")
    inter = inter.filter(point.visible(inter.ts))
    last = inter.group_by(_cid=inter.customer_id).aggregate(last_interaction_at=inter.ts.max())
    j = table.left_join(last, table.customer_id == last._cid)
    activity = ibis.ifelse(
        j.last_interaction_at.notnull() & (j.last_interaction_at > j.last_move_at),
        j.last_interaction_at,
        j.last_move_at,
    )
    today = ibis.literal(point.date)
    out = j.select(
        "opportunity_id",
        "customer_id",
        "owner",
        "stage",
        "expected_value",
        "created_at",
        age_days=today.delta(j.created_at.date(), unit="day").cast("int64"),
        last_move_at=j.last_move_at,
        last_interaction_at=j.last_interaction_at,
        days_since_activity=today.delta(activity.date(), unit="day").cast("int64"),
    )
    return out.filter(out.days_since_activity > days)
