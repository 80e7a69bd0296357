"""What complaints cost: purchasing after a complaint against similar customers who did not
complain, fast against slow resolution, revenue at risk.

**This is an observational comparison, not an experiment.** Complainers are compared with
non-complainers who looked alike before the complaint (coarsened exact matching on recency,
frequency and value); anything else that differs between them is not controlled for.

Definitions (all as of D; only complaints whose whole follow window ends by D take part):

- index event: a customer's first complaint opened in the window; reference day = the day it
  was opened. Controls: buyers with no complaint at or before D, at the 15th of every month in
  which an index complaint was opened.
- before the reference day: ``days_since_last_purchase``, ``orders`` (purchases: orders with
  positive net) and ``net_revenue``; only customers with a purchase before take part.
- after: ``purchased_after`` (a purchase in the ``horizon_days`` days after the reference day)
  and ``revenue_after`` (net of those orders).
- strata: month × recency band × frequency band × value tercile; a complainer is matched when
  its stratum holds a control. Control means are weighted by the complainers per stratum
  (the average effect on complainers).
- fast resolution: resolved (处理完成) within ``complaints.fast_resolution_hours``; slow: later
  or not resolved as of D.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmlytics.asof import AsOf, check_window_days
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.complaints.config import complaints_config
from crmlytics.complaints.durations import complaint_steps
from crmlytics.errors import EmptyResultError
from crmlytics.facts import orders, visible_lines
from crmlytics.workspace import Workspace

OBSERVATIONAL_NOTE = (
    "Observational comparison: complainers against non-complainers matched on recency, "
    "frequency and value before the complaint; not a controlled experiment, so differences "
    "are associations, not proven effects."
)
RECENCY_BANDS_DAYS: tuple[int, ...] = (30, 90, 180, 365)
FREQUENCY_BANDS: tuple[int, ...] = (1, 2, 5)

IMPACT_COLUMNS: tuple[str, ...] = (
    "group",
    "customers",
    "matched",
    "purchase_rate_after",
    "matched_purchase_rate",
    "purchase_rate_difference",
    "revenue_after_per_customer",
    "matched_revenue_per_customer",
    "revenue_difference_per_customer",
    "revenue_at_risk",
)


@dataclass(frozen=True)
class ComplaintImpact:
    """Result of :func:`complaint_impact`: ``summary`` (one row per group, :data:`IMPACT_COLUMNS`),
    ``panel`` (one row per complainer or control and reference day), and ``note``."""

    summary: pd.DataFrame
    panel: pd.DataFrame
    horizon_days: int
    note: str = OBSERVATIONAL_NOTE


def index_complaints(
    ws: Workspace, point: AsOf, horizon_days: int, config: object | None = None
) -> ir.Table:
    """Each customer's first complaint with its whole follow window before ``point``:
    ``customer_id``, ``ref_day``, ``resolution_hours`` (null when not resolved as of)."""
    s = complaint_steps(ws, point, config)
    last_day = point.date - _dt.timedelta(days=horizon_days)
    w = ibis.window(group_by="customer_id", order_by=["opened_at", "complaint_id"])
    s = s.mutate(_n=ibis.row_number().over(w))
    s = s.filter((s._n == 0) & (s.opened_at.date() <= ibis.literal(last_day)))
    return s.select(
        "customer_id",
        ref_day=s.opened_at.date(),
        resolution_hours=s.resolution_hours,
    )


def impact_panel(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    horizon_days: int | None = None,
    config: object | None = None,
) -> ir.Table:
    """Complainers and controls with their before / after purchasing (Ibis table).

    Columns: ``customer_id``, ``complained`` (bool), ``ref_day``, ``resolution_hours``,
    ``days_since_last_purchase``, ``orders``, ``net_revenue`` (before the reference day),
    ``purchased_after`` (bool), ``revenue_after`` (in ``horizon_days`` days after it).
    Customers with no purchase before their reference day are left out.
    """
    days = (
        horizon_days if horizon_days is not None else complaints_config(config).impact_horizon_days
    )
    check_window_days(days, "horizon_days")
    point = resolve_as_of(as_of)
    idx = index_complaints(ws, point, days, config)
    per_order = orders(visible_lines(ws, point))
    per_order = per_order.filter(per_order.order_net > 0).select(
        "customer_id", "order_day", "order_net"
    )
    months = idx.select(month=idx.ref_day.truncate("M")).distinct()
    mid = months.select(ref_day=(months.month + ibis.interval(days=14)).cast("date"))
    last_day = ibis.literal(point.date - _dt.timedelta(days=days))
    mid = mid.filter(mid.ref_day <= last_day)
    ever = ws.table("complaints")
    ever = ever.filter(point.visible(ever.opened_at)).select(_cid=ever.customer_id).distinct()
    buyers = per_order.select("customer_id").distinct()
    buyers = buyers.anti_join(ever, buyers.customer_id == ever._cid)
    controls = buyers.cross_join(mid).select(
        "customer_id",
        complained=ibis.literal(False),
        ref_day="ref_day",
        resolution_hours=ibis.null("float64"),
    )
    cases = idx.select(
        "customer_id",
        complained=ibis.literal(True),
        ref_day="ref_day",
        resolution_hours=idx.resolution_hours.cast("float64"),
    )
    refs = cases.union(controls)
    o = per_order.rename(_ocid="customer_id")
    j = refs.inner_join(o, refs.customer_id == o._ocid)
    before = j.order_day < j.ref_day
    after = (j.order_day > j.ref_day) & (j.order_day <= j.ref_day + ibis.interval(days=days))
    panel = j.group_by(["customer_id", "complained", "ref_day", "resolution_hours"]).aggregate(
        last_before=j.order_day.max(where=before),
        orders=before.cast("int64").sum(),
        net_revenue=j.order_net.sum(where=before).fill_null(0.0),
        orders_after=after.cast("int64").sum(),
        revenue_after=j.order_net.sum(where=after).fill_null(0.0),
    )
    panel = panel.filter(panel.orders > 0)
    return panel.select(
        "customer_id",
        "complained",
        "ref_day",
        "resolution_hours",
        days_since_last_purchase=panel.ref_day.delta(panel.last_before, unit="day").cast("int64"),
        orders=panel.orders,
        net_revenue=panel.net_revenue.round(2),
        purchased_after=panel.orders_after > 0,
        revenue_after=panel.revenue_after.round(2),
    )


def _band(values: pd.Series, bounds: tuple[int, ...]) -> np.ndarray:
    return np.searchsorted(np.asarray(bounds), values.to_numpy(), side="left")


def strata(panel: pd.DataFrame) -> pd.Series:
    """The matching stratum of each panel row: month, recency band (<=30, <=90, <=180, <=365,
    older), frequency band (1, 2, 3-5, 6+ orders) and value tercile (over the whole panel)."""
    month = pd.to_datetime(panel["ref_day"]).dt.to_period("M").astype(str)
    recency = _band(panel["days_since_last_purchase"], RECENCY_BANDS_DAYS)
    frequency = _band(panel["orders"], FREQUENCY_BANDS)
    ranks = panel["net_revenue"].rank(method="first")
    value = pd.qcut(ranks, 3, labels=False) if len(panel) >= 3 else np.zeros(len(panel), int)
    return (
        month
        + "|"
        + pd.Series(recency, index=panel.index).astype(str)
        + pd.Series(frequency, index=panel.index).astype(str)
        + pd.Series(np.asarray(value), index=panel.index).astype(str)
    )


def _compare(group: pd.DataFrame, controls: pd.DataFrame, name: str) -> dict:
    by = controls.groupby("stratum").agg(
        c_rate=("purchased_after", "mean"), c_revenue=("revenue_after", "mean")
    )
    matched = group.join(by, on="stratum", how="inner")
    n, m = len(group), len(matched)
    rate = float(matched["purchased_after"].mean()) if m else np.nan
    c_rate = float(matched["c_rate"].mean()) if m else np.nan
    revenue = float(matched["revenue_after"].mean()) if m else np.nan
    c_revenue = float(matched["c_revenue"].mean()) if m else np.nan
    lost = c_revenue - revenue
    return {
        "group": name,
        "customers": n,
        "matched": m,
        "purchase_rate_after": rate,
        "matched_purchase_rate": c_rate,
        "purchase_rate_difference": rate - c_rate,
        "revenue_after_per_customer": revenue,
        "matched_revenue_per_customer": c_revenue,
        "revenue_difference_per_customer": revenue - c_revenue,
        "revenue_at_risk": round(max(lost, 0.0) * m, 2) if m else np.nan,
    }


def compare_panel(panel: pd.DataFrame, fast_resolution_hours: float) -> pd.DataFrame:
    """Summary rows (:data:`IMPACT_COLUMNS`) of a materialised :func:`impact_panel`:
    ``complainers``, ``fast_resolution`` and ``slow_resolution``, each against its matched
    controls. ``revenue_at_risk``: matched complainers × the revenue per customer they fell
    short of their controls in the follow window (0 when they did not fall short)."""
    panel = panel.assign(stratum=strata(panel))
    cases = panel[panel["complained"]]
    controls = panel[~panel["complained"]]
    fast = cases["resolution_hours"].notna() & (cases["resolution_hours"] <= fast_resolution_hours)
    rows = [
        _compare(cases, controls, "complainers"),
        _compare(cases[fast], controls, "fast_resolution"),
        _compare(cases[~fast], controls, "slow_resolution"),
    ]
    return pd.DataFrame(rows, columns=list(IMPACT_COLUMNS))


def complaint_impact(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    horizon_days: int | None = None,
    config: object | None = None,
) -> ComplaintImpact:
    """Purchasing in ``horizon_days`` (default ``complaints.impact_horizon_days``) after a
    complaint against matched non-complainers; fast against slow resolution; revenue at risk.

    Observational (see :data:`OBSERVATIONAL_NOTE`). Raises
    :class:`~crmlytics.errors.EmptyResultError` when no complaint with a full follow window
    and a purchase before it is visible.
    """
    conf = complaints_config(config)
    days = horizon_days if horizon_days is not None else conf.impact_horizon_days
    panel = impact_panel(ws, as_of, days, config).to_pandas()
    if not panel["complained"].any():
        raise EmptyResultError(
            f"no complaint opened at least {days} days before the as-of date by a customer "
            "with an earlier purchase: nothing to compare"
        )
    panel = panel.sort_values(["complained", "ref_day", "customer_id"]).reset_index(drop=True)
    summary = compare_panel(panel, conf.fast_resolution_hours)
    return ComplaintImpact(summary=summary, panel=panel, horizon_days=days)
