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
    keys = ["period", *dims]
    # money per period (and group): a cheap grouping on a few keys, from its own scan
    cash = sales_lines(ws, point, dims, orders=False)
    cash = cash.mutate(period=period_start(cash.order_ts, period))
    money = cash.group_by(keys).aggregate(
        gross_revenue=cash.amount.sum(where=~cash.returned),
        returns=cash.amount.abs().sum(where=cash.returned),
    )
    lines = sales_lines(ws, point, dims)
    # the one grouping of the lines by order (and group, with a line dimension): each order's
    # net and day; everything else is read from this much smaller table
    per_order = dict(
        net=lines.amount.sum(),
        first_sale=lines.order_ts.min(where=lines.kind == "sale"),
        first_line=lines.order_ts.min(),
    )
    if dims:
        per_order["sale_lines"] = lines.count(where=~lines.returned)
    parts = lines.group_by(["customer_id", "order_id", *dims]).aggregate(**per_order)
    nets = parts
    if dims:
        nets = parts.group_by(["customer_id", "order_id"]).aggregate(
            first_sale=parts.first_sale.min(),
            first_line=parts.first_line.min(),
            net=parts.net.sum(),
        )
    # the period of the order's day (its first sale line): truncating the timestamp gives the
    # same period start as truncating its day
    order_ts = ibis.coalesce(nets.first_sale, nets.first_line)
    purchases = nets.filter(nets.net.round(NET_DECIMALS) > 0).select(
        "customer_id", "order_id", period=period_start(order_ts, period)
    )
    counts = _purchase_counts(purchases, parts, period, dims)
    spine = period_spine(money, period, point.date, start)
    if dims:
        spine = spine.cross_join(money.select(*dims).distinct())
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


def _purchase_counts(
    purchases: ir.Table, parts: ir.Table, period: str, dims: list[str]
) -> ir.Table:
    """``orders``, ``customers`` and ``new_customers`` per period (and group) from the
    purchases (``customer_id, order_id, period``); ``parts`` (per order and group, with
    ``sale_lines``) place each order in the groups it has a sale line in.

    Customers are counted as rows of (customer, period) rather than as distinct ids; a customer
    is new in the period of their first purchase (of any group)."""
    keys = ["period", *dims]
    if not dims:
        bought = purchases.group_by(["customer_id", "period"]).aggregate(_orders=purchases.count())
        counts = bought.group_by("period").aggregate(
            orders=bought._orders.sum(), customers=bought.count()
        )
        firsts = bought.group_by("customer_id").aggregate(_first=bought.period.min())
        fresh = firsts.group_by("_first").aggregate(new_customers=firsts.count())
        return counts.left_join(fresh, counts.period == fresh._first).drop("_first")
    firsts = purchases.group_by("customer_id").aggregate(_first=purchases.period.min())
    pairs = parts.filter(parts.sale_lines > 0).select("customer_id", "order_id", *dims)
    grouped = purchases.join(pairs, ["customer_id", "order_id"])
    bought = grouped.group_by(["customer_id", *keys]).aggregate(_orders=grouped.count())
    bought = bought.join(firsts, "customer_id")
    return bought.group_by(keys).aggregate(
        orders=bought._orders.sum(),
        customers=bought.count(),
        new_customers=bought.count(where=bought._first == bought.period),
    )
