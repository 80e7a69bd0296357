"""Sales over time (销售时间分析): revenue, orders, customers per period, with change.

One row per period from the first period with a visible line (or ``start``) to the period of the
as-of date, and per value of the ``by`` dimensions: a period without sales is a row of zeros, not
a missing row (the periods are generated in the query, not filled in Python).

Definitions (``docs/glossary.md``, "Sales outputs"):

- ``gross_revenue``: sale lines stamped in the period; ``returns``: return lines stamped in the
  period, as a positive amount (returned revenue: a return counts when it happens);
  ``net_revenue`` = gross − returns; money is rounded to cents.
- ``orders``: purchases (orders with a positive net, returns up to the as-of point included)
  whose day (first sale line) is in the period; ``customers``: distinct customers with such a
  purchase; ``avg_order_value`` = net_revenue / orders (null without orders).
- ``new_customers``: customers of the period whose first purchase ever (all history visible as
  of the as-of date) is in the period; ``returning_customers`` (回头客): customers of the period
  whose first purchase was in an earlier period, i.e. who had bought before the period began;
  ``returning_share`` = returning / customers.
- ``<m>_pop_change``: (this period − previous period) / previous period; ``<m>_yoy_change``:
  against the same period a year earlier (12 months, 4 quarters, 52 weeks, 364 days); null when
  that period is before the first row or its value is zero.

With a line dimension (``category``, ``product_id``, ``channel``) an order counts in every group
it has a sale line in, so group orders can add up to more than all orders.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.facts import NET_DECIMALS
from crmlytics.sales.lines import (
    YEAR_LAG,
    check_dims,
    check_period,
    period_start,
    sales_lines,
    step,
    to_timestamp,
)
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None

#: Columns of :func:`sales_trend` after ``period`` and the ``by`` dimensions.
TREND_COLUMNS: tuple[str, ...] = (
    "orders",
    "customers",
    "gross_revenue",
    "returns",
    "net_revenue",
    "avg_order_value",
    "new_customers",
    "returning_customers",
    "returning_share",
    "net_revenue_pop_change",
    "net_revenue_yoy_change",
    "orders_pop_change",
    "orders_yoy_change",
    "customers_pop_change",
    "customers_yoy_change",
)
_CHANGED = ("net_revenue", "orders", "customers")


def period_spine(
    lines: ir.Table, period: str, last: _dt.date, start: _dt.date | None = None
) -> ir.Table:
    """Every ``period`` start from ``start`` (default: the earliest ``period`` of ``lines``, a
    table with a ``period`` column of period starts) to the period holding ``last``, as a
    one-column table ``period`` (date)."""
    unit_step = step(period)
    end = to_timestamp(_dt.datetime.combine(last, _dt.time())).truncate(
        {"day": "D", "week": "W", "month": "M", "quarter": "Q"}[period]
    )
    if start is None:
        bounds = lines.aggregate(_first=lines.period.min())
        first = bounds._first.cast("timestamp")
    else:
        bounds = lines.aggregate(_n=lines.count())
        first = ibis.timestamp(_dt.datetime.combine(start, _dt.time())).truncate(
            {"day": "D", "week": "W", "month": "M", "quarter": "Q"}[period]
        )
    spine = bounds.select(period=ibis.range(first, end + unit_step, unit_step).unnest())
    return spine.select(period=spine.period.cast("timestamp").date())


def sales_trend(
    ws: Workspace,
    as_of: AsOfLike = None,
    period: str = "month",
    by: str | Sequence[str] | None = None,
    start: _dt.date | str | None = None,
) -> ir.Table:
    """Revenue, orders and customers per period with period-over-period and year-over-year
    change, as of ``as_of`` (rules in the module docstring).

    Parameters
    ----------
    ws : the warehouse.
    as_of : lines stamped at or before this point count; the last row is its period.
    period : ``day``, ``week`` (from Monday), ``month`` or ``quarter``.
    by : dimensions (``region``, ``channel``, ``customer_type``, ``category``, ``product_id``):
        one row per period and value; every value gets every period.
    start : first period shown (the period holding this day); default the first period with a
        visible line. Earlier purchases still decide who is new.

    Returns
    -------
    Ibis table: ``period`` (first day, date), ``by``..., :data:`TREND_COLUMNS`.
    """
    check_period(period)
    dims = check_dims(by)
    point = resolve_as_of(as_of)
    if isinstance(start, str):
        start = resolve_as_of(start).date
    lines = sales_lines(ws, point, dims)
    lines = lines.mutate(period=period_start(lines.order_ts, period))
    keys = ["period", *dims]
    # one pass over the lines: each order's lines per period (and group); everything else is
    # read from this much smaller table
    sold = ~lines.returned
    parts = lines.group_by(["customer_id", "order_id", *keys]).aggregate(
        gross=lines.amount.sum(where=sold),
        returned=lines.amount.abs().sum(where=lines.returned),
        net=lines.amount.sum(),
        first_sale=lines.order_ts.min(where=lines.kind == "sale"),
        first_line=lines.order_ts.min(),
        sale_lines=lines.count(where=sold),
    )
    money = parts.group_by(keys).aggregate(
        gross_revenue=parts.gross.sum(), returns=parts.returned.sum()
    )

    nets = parts.group_by(["customer_id", "order_id"]).aggregate(
        order_day=ibis.coalesce(parts.first_sale.min(), parts.first_line.min()).date(),
        order_net=parts.net.sum().round(NET_DECIMALS),
    )
    purchases = nets.filter(nets.order_net > 0)
    firsts = purchases.group_by("customer_id").aggregate(_first_day=purchases.order_day.min())
    purchases = purchases.join(firsts, "customer_id")
    purchases = purchases.mutate(
        period=period_start(purchases.order_day.cast("timestamp"), period),
        _first_period=period_start(purchases._first_day.cast("timestamp"), period),
    )
    if dims:
        groups = parts.filter(parts.sale_lines > 0)
        pairs = groups.select("customer_id", "order_id", *dims).distinct()
        purchases = purchases.join(pairs, ["customer_id", "order_id"])
    new = purchases._first_period == purchases.period
    counts = purchases.group_by(keys).aggregate(
        orders=purchases.count(),
        customers=purchases.customer_id.nunique(),
        new_customers=purchases.customer_id.nunique(where=new),
    )

    spine = period_spine(parts, period, point.date, start)
    if dims:
        spine = spine.cross_join(parts.select(*dims).distinct())
    table = spine.left_join(money, keys).left_join(counts, keys)
    table = table.select(
        *keys,
        orders=table.orders.fill_null(0).cast("int64"),
        customers=table.customers.fill_null(0).cast("int64"),
        gross_revenue=table.gross_revenue.fill_null(0.0).round(2),
        returns=table.returns.fill_null(0.0).round(2),
        new_customers=table.new_customers.fill_null(0).cast("int64"),
    )
    table = table.mutate(net_revenue=(table.gross_revenue - table.returns).round(2))
    window = ibis.window(group_by=dims or None, order_by="period")
    changes = {}
    for name in _CHANGED:
        value = table[name].cast("float64")
        for suffix, back in (("pop", 1), ("yoy", YEAR_LAG[period])):
            before = value.lag(back).over(window)
            changes[f"{name}_{suffix}_change"] = (value - before) / before.nullif(0.0)
    table = table.mutate(
        avg_order_value=table.net_revenue / table.orders.cast("float64").nullif(0.0),
        returning_customers=(table.customers - table.new_customers).cast("int64"),
        returning_share=(table.customers - table.new_customers).cast("float64")
        / table.customers.cast("float64").nullif(0.0),
        **changes,
    )
    return table.select(*keys, *TREND_COLUMNS)
