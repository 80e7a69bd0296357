"""Complaint volume and rates: per 1,000 orders and per 1,000 active customers.

A rate puts volume next to what was sold, so a product that sells more is not blamed for its
volume. Denominators cover the same window as the complaints:

- by ``product_id``: orders with a sale line of that product, customers who ordered it;
- by ``month``: orders placed in that month, customers who ordered in it;
- otherwise (category, severity, channel, or no grouping): all orders and ordering customers.

An order counts when it has a sale line (not a return) visible as of D; a customer is active
with such an order in the window. Complaints count when opened at or before D (and in the window).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.complaints.config import complaints_config
from crmlytics.complaints.durations import check_by, visible_complaints
from crmlytics.errors import ConfigError
from crmlytics.workspace import Workspace

VOLUME_COLUMNS: tuple[str, ...] = (
    "complaints",
    "complainants",
    "orders",
    "active_customers",
    "complaints_per_1000_orders",
    "complaints_per_1000_active_customers",
)


def _sales(ws: Workspace, point: AsOf, start: _dt.datetime | None) -> ir.Table:
    tx = ws.table("transactions")
    keep = point.visible(tx.order_ts) & (tx.kind.fill_null("sale").lower() != "return")
    keep &= tx.amount >= 0
    if start is not None:
        keep &= tx.order_ts >= ibis.timestamp(start)
    tx = tx.filter(keep)
    return tx.select(
        "order_id", "customer_id", "product_id", month=tx.order_ts.truncate("M").date()
    )


def complaint_volume(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: str | Sequence[str] | None = "category",
    window_days: int | None = None,
) -> ir.Table:
    """Complaints per group with rates per 1,000 orders and per 1,000 active customers.

    Parameters
    ----------
    ws : the warehouse.
    as_of : complaints opened and orders placed at or before this point count.
    by : one dimension (category, severity, channel, product_id, month) or none.
    window_days : only the last ``window_days`` days up to the as-of date (default: all).

    Returns
    -------
    Ibis table: ``by``..., :data:`VOLUME_COLUMNS`.
    """
    keys = check_by(by)
    if len(keys) > 1:
        raise ConfigError("complaint volume takes one --by dimension at a time")
    point = resolve_as_of(as_of)
    start = point.window_start(window_days) if window_days is not None else None
    c = visible_complaints(ws, point)
    if start is not None:
        c = c.filter(c.opened_at >= ibis.timestamp(start))
    counts = (c.group_by(keys) if keys else c).aggregate(
        complaints=c.count(), complainants=c.customer_id.nunique()
    )
    sales = _sales(ws, point, start)
    denom_keys = [k for k in keys if k in ("product_id", "month")]
    denom = (sales.group_by(denom_keys) if denom_keys else sales).aggregate(
        orders=sales.order_id.nunique(), active_customers=sales.customer_id.nunique()
    )
    if denom_keys:
        key = denom_keys[0]
        denom = denom.rename({f"_{key}": key})
        joined = counts.left_join(denom, counts[key] == denom[f"_{key}"])
    else:
        joined = counts.cross_join(denom)
    orders = joined.orders.fill_null(0)
    active = joined.active_customers.fill_null(0)

    def per_1000(n: ir.IntegerValue) -> ir.FloatingValue:
        return ibis.ifelse(n > 0, joined.complaints * 1000.0 / n, ibis.null("float64"))

    return joined.select(
        *keys,
        "complaints",
        "complainants",
        orders=orders,
        active_customers=active,
        complaints_per_1000_orders=per_1000(orders),
        complaints_per_1000_active_customers=per_1000(active),
    )


def flag_months(
    monthly: pd.DataFrame, threshold: float, column: str = "complaints"
) -> pd.DataFrame:
    """``monthly`` with ``usual`` (median month), ``spread`` and ``flagged``.

    A month is flagged when ``column`` exceeds the median of all months by more than
    ``threshold`` spreads; the spread is 1.4826 x the median absolute deviation (a robust
    standard deviation), at least the square root of the median (Poisson noise), so one busy
    month cannot hide itself by raising the baseline.
    """
    out = monthly.copy()
    values = out[column].astype(float).to_numpy()
    if len(values) == 0:
        return out.assign(usual=[], spread=[], flagged=[])
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    spread = max(1.4826 * mad, float(np.sqrt(median)), 1e-9)
    out["usual"] = median
    out["spread"] = spread
    out["flagged"] = values > median + threshold * spread
    return out


def monthly_trend(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    window_days: int | None = None,
    config: object | None = None,
) -> pd.DataFrame:
    """Complaints per month with rates (:func:`complaint_volume` by month), months well above
    the usual level flagged (:func:`flag_months`, ``complaints.anomaly_threshold``)."""
    threshold = complaints_config(config).anomaly_threshold
    frame = complaint_volume(ws, as_of, "month", window_days).to_pandas()
    frame = frame.sort_values("month").reset_index(drop=True)
    return flag_months(frame, threshold)
