"""Sales composition (产品销售分布, 销售构成分析): each category's or product's share of net
revenue in a window, and the mix shift against a base window.

A line counts in a window when its own timestamp is in it (a return reduces the window it
happens in). The current window defaults to the ``window_days`` days ending on the as-of date,
the base window to the same number of days just before it.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf, check_window_days
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.sales.lines import sales_lines, to_timestamp
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None
LEVELS: tuple[str, ...] = ("category", "product_id")

#: Columns of :func:`sales_mix` after the level column.
MIX_COLUMNS: tuple[str, ...] = (
    "orders",
    "customers",
    "gross_revenue",
    "returns",
    "net_revenue",
    "net_revenue_share",
    "base_net_revenue",
    "base_net_revenue_share",
    "share_change",
    "net_revenue_change",
)


def mix_windows(
    point: AsOf,
    window_days: int,
    start: _dt.date | None = None,
    end: _dt.date | None = None,
    base_start: _dt.date | None = None,
    base_end: _dt.date | None = None,
) -> tuple[tuple[_dt.date, _dt.date], tuple[_dt.date, _dt.date]]:
    """The current and base windows (first and last day, inclusive) of a mix shift.

    Defaults: current ends on the as-of date and spans ``window_days`` days (or starts on
    ``start``); base is as long as current and ends the day before it starts. A window that ends
    after the as-of date or starts after it ends is a ConfigError.
    """
    check_window_days(window_days, "window_days")
    end = end or point.date
    start = start or end - _dt.timedelta(days=window_days - 1)
    length = (end - start).days + 1
    base_end = base_end or start - _dt.timedelta(days=1)
    base_start = base_start or base_end - _dt.timedelta(days=length - 1)
    for name, (a, b) in (("window", (start, end)), ("base window", (base_start, base_end))):
        if a > b:
            raise ConfigError(f"the {name} starts ({a}) after it ends ({b})")
        if b > point.date:
            raise ConfigError(f"the {name} ends on {b}, after the as-of date {point.date}")
    return (start, end), (base_start, base_end)


def sales_mix(
    ws: Workspace,
    as_of: AsOfLike = None,
    level: str = "category",
    window_days: int = 90,
    start: _dt.date | None = None,
    end: _dt.date | None = None,
    base_start: _dt.date | None = None,
    base_end: _dt.date | None = None,
) -> ir.Table:
    """Net revenue per category (or product) in the current window, its share, and the shift
    against the base window (windows: :func:`mix_windows`).

    Returns
    -------
    Ibis table: ``level`` (a category, or a product id; ``(none)`` for lines without one),
    :data:`MIX_COLUMNS`. ``orders`` / ``customers``: orders with a sale line of the group in the
    current window and their customers; ``net_revenue_share``: the group's share of the
    window's net revenue (null when that is zero); ``share_change`` = share − base share (0.05 is
    five points); ``net_revenue_change`` = (net − base net) / base net. A group sold in only one
    window has zeros in the other.
    """
    if level not in LEVELS:
        raise ConfigError(f"mix level must be one of {', '.join(LEVELS)}, not {level!r}")
    point = resolve_as_of(as_of)
    (a, b), (c, d) = mix_windows(point, window_days, start, end, base_start, base_end)
    lines = sales_lines(ws, point, [level])
    # one pass over the lines of both windows
    lo, hi = to_timestamp(min(a, c)), to_timestamp(max(b, d) + _dt.timedelta(days=1))
    lines = lines.filter((lines.order_ts >= lo) & (lines.order_ts < hi))
    day = lines.order_ts.date()
    lines = lines.mutate(
        _current=(day >= ibis.date(a)) & (day <= ibis.date(b)),
        _base=(day >= ibis.date(c)) & (day <= ibis.date(d)),
    )
    now, base, sold = lines._current, lines._base, ~lines.returned
    table = lines.group_by(level).aggregate(
        orders=lines.order_id.nunique(where=now & sold),
        customers=lines.customer_id.nunique(where=now & sold),
        gross_revenue=lines.amount.sum(where=now & sold).fill_null(0.0).round(2),
        returns=lines.amount.abs().sum(where=now & lines.returned).fill_null(0.0).round(2),
        base_net_revenue=lines.amount.sum(where=base).fill_null(0.0).round(2),
    )
    table = table.mutate(
        orders=table.orders.fill_null(0).cast("int64"),
        customers=table.customers.fill_null(0).cast("int64"),
    )
    table = table.mutate(net_revenue=(table.gross_revenue - table.returns).round(2))
    everything = ibis.window()
    share = table.net_revenue / table.net_revenue.sum().over(everything).nullif(0.0)
    base_share = table.base_net_revenue / table.base_net_revenue.sum().over(everything).nullif(0.0)
    table = table.mutate(net_revenue_share=share, base_net_revenue_share=base_share)
    table = table.mutate(
        share_change=table.net_revenue_share - table.base_net_revenue_share,
        net_revenue_change=(table.net_revenue - table.base_net_revenue)
        / table.base_net_revenue.nullif(0.0),
    )
    return table.select(level, *MIX_COLUMNS)
