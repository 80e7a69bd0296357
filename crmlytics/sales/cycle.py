"""Purchase cycle (购买周期): the typical gap between repeat purchases of the same category or
product by the same customer.

For each customer and category (or product), the distinct days on which the customer bought it
(sale lines of purchases, i.e. of orders whose net is positive, visible as of the as-of date);
a gap is the whole days between two consecutive such days. Per category: how many customers
bought it, how many bought it on two days or more, and the gaps' median and quartiles (nearest
rank: the value at rank ``ceil(p * n)``, exact on every engine) and mean.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf, check_window_days
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.percentiles import nearest_rank
from crmlytics.sales.lines import order_nets, sales_lines, to_timestamp
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None
LEVELS: tuple[str, ...] = ("category", "product_id")

#: Columns of :func:`purchase_cycle` after the level column.
CYCLE_COLUMNS: tuple[str, ...] = (
    "buyers",
    "repeat_buyers",
    "repeat_purchases",
    "median_gap_days",
    "p25_gap_days",
    "p75_gap_days",
    "mean_gap_days",
)


def purchase_gaps(
    ws: Workspace, as_of: AsOfLike = None, level: str = "category", window_days: int | None = None
) -> ir.Table:
    """One row per customer, ``level`` value and purchase day of it: ``customer_id``, ``level``,
    ``day``, ``gap_days`` (whole days since the customer's previous day with it; null on the
    first)."""
    if level not in LEVELS:
        raise ConfigError(f"cycle level must be one of {', '.join(LEVELS)}, not {level!r}")
    check_window_days(window_days)
    point = resolve_as_of(as_of)
    lines = sales_lines(ws, point, [level])
    if window_days is not None:
        lines = lines.filter(lines.order_ts >= to_timestamp(point.window_start(window_days).date()))
    nets = order_nets(lines)
    bought = nets.filter(nets.order_net > 0).select("customer_id", "order_id")
    sold = lines.filter(~lines.returned)
    sold = sold.semi_join(bought, ["customer_id", "order_id"])
    days = sold.select("customer_id", level, day=sold.order_ts.date()).distinct()
    window = ibis.window(group_by=["customer_id", level], order_by="day")
    previous = days.day.lag().over(window)
    return days.mutate(gap_days=days.day.delta(previous, unit="day").cast("int64"))


def purchase_cycle(
    ws: Workspace, as_of: AsOfLike = None, level: str = "category", window_days: int | None = None
) -> ir.Table:
    """Typical gap between repeat purchases per category or product (module docstring).

    Parameters
    ----------
    ws : the warehouse.
    as_of : purchases at or before this point count.
    level : ``category`` (line category, else the product's) or ``product_id``.
    window_days : only purchases in the last N days up to the as-of date (default: all).

    Returns
    -------
    Ibis table: ``level``, :data:`CYCLE_COLUMNS`; gap columns in whole days, null for a
    category nobody bought twice.
    """
    gaps = purchase_gaps(ws, as_of, level, window_days)
    ranked, metrics = nearest_rank(
        gaps,
        [level],
        "gap_days",
        {"median_gap_days": 0.5, "p25_gap_days": 0.25, "p75_gap_days": 0.75},
        duckdb=ws.is_duckdb,
    )
    metrics = {name: m.cast(gaps.gap_days.type()) for name, m in metrics.items()}
    per_customer = gaps.group_by(["customer_id", level]).aggregate(days=gaps.count())
    buyers = per_customer.group_by(level).aggregate(
        buyers=per_customer.count(),
        repeat_buyers=(per_customer.days >= 2).cast("int64").sum(),
    )
    stats = ranked.group_by(level).aggregate(
        repeat_purchases=ranked.gap_days.count(),
        mean_gap_days=ranked.gap_days.mean(),
        **metrics,
    )
    stats = stats.rename(_key=level)
    joined = buyers.join(stats, buyers[level] == stats._key)
    return joined.select(
        level,
        buyers=joined.buyers.cast("int64"),
        repeat_buyers=joined.repeat_buyers.cast("int64"),
        repeat_purchases=joined.repeat_purchases.cast("int64"),
        median_gap_days=joined.median_gap_days.cast("float64"),
        p25_gap_days=joined.p25_gap_days.cast("float64"),
        p75_gap_days=joined.p75_gap_days.cast("float64"),
        mean_gap_days=joined.mean_gap_days,
    )
