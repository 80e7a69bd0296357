"""Customers who complain: repeat complainers, gold-tier complaints first, satisfaction against
resolution time.

Value tiers (gold / silver / bronze, ``segments.value``) are computed as of the same date from
the customer facts; a customer without a purchase has no tier and is listed after the tiers.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.complaints.durations import complaint_steps
from crmlytics.errors import ConfigError
from crmlytics.segments.value import value_tiers_as_of
from crmlytics.workspace import Workspace

#: Default upper bounds (hours) of the resolution-time bands for satisfaction.
RESOLUTION_BANDS_HOURS: tuple[float, ...] = (4.0, 24.0, 72.0, 168.0)


def _tiers(ws: Workspace, point: AsOf, config: object | None) -> ir.Table:
    tiers = value_tiers_as_of(ws, point, config)
    rank = ibis.cases(
        (tiers.value_tier == "gold", 0),
        (tiers.value_tier == "silver", 1),
        (tiers.value_tier == "bronze", 2),
        else_=3,
    )
    return tiers.select(_tid=tiers.customer_id, value_tier=tiers.value_tier, tier_order=rank)


def repeat_complainers(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    min_complaints: int = 2,
    window_days: int | None = None,
    config: object | None = None,
) -> ir.Table:
    """Customers with at least ``min_complaints`` complaints opened at or before ``as_of`` (in
    the last ``window_days`` days, if given), gold tier first, then most complaints.

    Columns: ``customer_id``, ``value_tier``, ``tier_order`` (0 gold … 3 none),
    ``complaints``, ``open_complaints`` (not resolved as of), ``categories`` (distinct),
    ``first_complaint_at``, ``last_complaint_at``, ``mean_satisfaction`` (1-5, followed-up ones).
    """
    if (
        isinstance(min_complaints, bool)
        or not isinstance(min_complaints, int)
        or min_complaints < 1
    ):
        raise ConfigError(f"min_complaints must be a whole number >= 1, not {min_complaints!r}")
    point = resolve_as_of(as_of)
    s = complaint_steps(ws, point, config)
    if window_days is not None:
        s = s.filter(s.opened_at >= ibis.timestamp(point.window_start(window_days)))
    per = s.group_by("customer_id").aggregate(
        complaints=s.count(),
        open_complaints=s.resolved_at.isnull().cast("int64").sum(),
        categories=s.category.nunique(),
        first_complaint_at=s.opened_at.min(),
        last_complaint_at=s.opened_at.max(),
        mean_satisfaction=s.satisfaction.cast("float64").mean(),
    )
    per = per.filter(per.complaints >= min_complaints)
    tiers = _tiers(ws, point, config)
    j = per.left_join(tiers, per.customer_id == tiers._tid)
    return j.select(
        "customer_id",
        value_tier=j.value_tier,
        tier_order=j.tier_order.fill_null(3).cast("int64"),
        complaints=j.complaints,
        open_complaints=j.open_complaints,
        categories=j.categories,
        first_complaint_at=j.first_complaint_at,
        last_complaint_at=j.last_complaint_at,
        mean_satisfaction=j.mean_satisfaction,
    ).order_by(["tier_order", ibis.desc("complaints"), "customer_id"])


def open_complaints_by_tier(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """Complaints not resolved as of ``as_of``, gold-tier customers first, then oldest first:
    ``complaint_id``, ``customer_id``, ``value_tier``, ``tier_order``, ``category``,
    ``severity``, ``state``, ``age_days``, ``sla_met``."""
    point = resolve_as_of(as_of)
    s = complaint_steps(ws, point, config)
    s = s.filter(s.resolved_at.isnull())
    tiers = _tiers(ws, point, config)
    j = s.left_join(tiers, s.customer_id == tiers._tid)
    return j.select(
        "complaint_id",
        "customer_id",
        value_tier=j.value_tier,
        tier_order=j.tier_order.fill_null(3).cast("int64"),
        category=j.category,
        severity=j.severity,
        state=j.state,
        age_days=j.age_days,
        sla_met=j.sla_met,
    ).order_by(["tier_order", ibis.desc("age_days"), "complaint_id"])


def satisfaction_by_resolution(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    bands_hours: Sequence[float] = RESOLUTION_BANDS_HOURS,
    config: object | None = None,
) -> ir.Table:
    """Mean satisfaction (1-5, surveyed at follow-up) per band of resolution time (受理 →
    处理完成, hours), over complaints resolved and followed up as of ``as_of``.

    Columns: ``band_index``, ``resolution_band`` (e.g. ``<4h``, ``4-24h``, ``>=168h``),
    ``complaints``, ``rated`` (with a satisfaction score), ``mean_satisfaction``.
    """
    bounds = [float(b) for b in bands_hours]
    if not bounds or bounds != sorted(set(bounds)) or bounds[0] <= 0:
        raise ConfigError(f"resolution bands {bounds} must be increasing positive hours")
    s = complaint_steps(ws, as_of, config)
    s = s.filter(s.resolution_hours.notnull())
    names = [f"<{bounds[0]:g}h"]
    names += [f"{lo:g}-{hi:g}h" for lo, hi in zip(bounds, bounds[1:], strict=False)]
    names.append(f">={bounds[-1]:g}h")
    h = s.resolution_hours
    s = s.mutate(
        band_index=ibis.cases(*((h < b, i) for i, b in enumerate(bounds)), else_=len(bounds)).cast(
            "int64"
        ),
        resolution_band=ibis.cases(
            *((h < b, names[i]) for i, b in enumerate(bounds)), else_=names[-1]
        ),
    )
    return s.group_by(["band_index", "resolution_band"]).aggregate(
        complaints=s.count(),
        rated=s.satisfaction.count(),
        mean_satisfaction=s.satisfaction.cast("float64").mean(),
    )
