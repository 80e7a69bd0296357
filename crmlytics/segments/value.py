"""Customer value and the 80/20 view: Pareto curve, top-share summary, gold/silver/bronze tiers.

Customers with a purchase (``orders > 0`` in the facts' window) are ranked by value, highest
first, compared in whole cents; ties are broken by ``customer_id`` (ascending) so the ranking,
the curve and the tiers are identical on every engine (``docs/patterns.md``). Customers without
a purchase have no tier (null ``value_tier``) and are not on the curve.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.errors import ConfigError, DataError
from crmlytics.ranking import cents, tally

if TYPE_CHECKING:
    from crmlytics.asof import AsOf
    from crmlytics.workspace import Workspace

Measure = Literal["auto", "revenue", "profit", "net_revenue"]

TIERS = ("gold", "silver", "bronze")
_EPS = 1e-12


def resolve_measure(facts_expr: ir.Table, measure: str = "auto") -> str:
    """The facts column that measures value: ``net_revenue`` or ``profit``.

    ``auto`` picks ``profit`` when every buyer has a known profit (cost recorded on their
    lines) and ``net_revenue`` otherwise; ``profit`` is refused when no buyer has a cost.

    This is a check that **runs one query** (for eager callers such as :func:`pareto` that
    return a frame anyway). Expression builders use :func:`with_measure`, which makes the same
    choice inside the expression.
    """
    if measure in ("revenue", "net_revenue"):
        return "net_revenue"
    _check_measure(measure)
    buyers = facts_expr.filter(facts_expr.orders > 0)
    counts = buyers.aggregate(buyers=buyers.count(), with_profit=buyers.profit.count()).to_pandas()
    n, known = int(counts["buyers"].iloc[0]), int(counts["with_profit"].iloc[0])
    if measure == "profit":
        if known == 0:
            raise DataError("measure='profit' but no transaction line has a cost")
        return "profit"
    return "profit" if n > 0 and known == n else "net_revenue"


def _check_measure(measure: str) -> None:
    if measure not in ("auto", "revenue", "net_revenue", "profit"):
        raise ConfigError(f"measure must be auto, revenue or profit, not {measure!r}")


def with_measure(facts_expr: ir.Table, measure: str = "auto") -> ir.Table:
    """``facts_expr`` plus ``value_measure`` (the column chosen as in :func:`resolve_measure`)
    and ``measure_value`` (that column's value, currency), chosen inside the expression.

    Builds an expression and runs no query: for ``auto`` the choice is a one-row aggregate over
    the buyers cross-joined onto the facts. Where :func:`resolve_measure` would refuse
    (``profit`` and no buyer has a cost) ``value_measure`` and ``measure_value`` are null,
    so nothing is ranked on a value that is not there.
    """
    _check_measure(measure)
    if measure in ("revenue", "net_revenue"):
        return facts_expr.mutate(
            value_measure=ibis.literal("net_revenue"), measure_value=facts_expr.net_revenue
        )
    buyers = facts_expr.filter(facts_expr.orders > 0)
    choice = buyers.aggregate(_measure_buyers=buyers.count(), _measure_known=buyers.profit.count())
    t = facts_expr.cross_join(choice)
    if measure == "profit":
        use_profit = t._measure_known > 0
        fallback = ibis.null("string")
    else:
        use_profit = (t._measure_buyers > 0) & (t._measure_known == t._measure_buyers)
        fallback = ibis.literal("net_revenue")
    name = use_profit.ifelse(ibis.literal("profit"), fallback)
    value = ibis.cases(
        (name == "profit", t.profit),
        (name == "net_revenue", t.net_revenue),
        else_=ibis.null("float64"),
    )
    return t.mutate(value_measure=name, measure_value=value.cast("float64")).drop(
        "_measure_buyers", "_measure_known"
    )


def ranked_value(facts_expr: ir.Table, column: str) -> ir.Table:
    """Buyers ranked by ``column`` (highest first, ties by customer_id) with cumulative shares.

    Values are compared in whole cents (:func:`crmlytics.ranking.cents`), so values equal up to
    floating-point noise are tied, and a tie is broken by ``customer_id`` (ascending) on every
    engine. Built on :func:`crmlytics.ranking.tally` plus a row number inside each tie: no
    window orders all buyers at once, and the result is exact on DuckDB and Spark alike.

    Columns: ``customer_id, value`` (as computed, currency), ``rank`` (1 = most valuable),
    ``customers`` (number of buyers), ``customer_share`` (rank / customers),
    ``cumulative_value`` (sum of the values, in whole cents, of the buyers ranked up to this
    one, currency), ``value_share`` (cumulative value / total value), ``share_at_or_below``
    (share of the buyers whose value, in whole cents, is at most this one's: the four degrees'
    contribution).
    """
    buyers = facts_expr.filter(facts_expr.orders > 0)
    value = buyers[column].fill_null(0.0).cast("float64")
    t = buyers.select(customer_id=buyers.customer_id, value=value)
    t = t.mutate(_cents=cents(t.value))
    t = t.mutate(_key=-t._cents)  # most valuable first
    levels = tally(t, "_key", sums=["_cents"])
    totals = t.aggregate(customers=t.count().cast("int64"), _total_cents=t._cents.sum())
    levels = levels.cross_join(totals).rename(_level="_key", _level_cents="_cents")
    tie = ibis.window(group_by=t._key, order_by=t.customer_id)
    t = t.mutate(_in_tie=ibis.row_number().over(tie))  # 0-based place among equal values
    t = t.join(levels, t._key == levels._level)
    rank = (t.n_before + t._in_tie + 1).cast("int64")
    cumulative_cents = t._cents_before + (t._in_tie + 1) * t._cents
    return t.select(
        "customer_id",
        "value",
        rank=rank,
        customers=t.customers,
        customer_share=rank / t.customers,
        cumulative_value=cumulative_cents / 100.0,
        value_share=cumulative_cents / t._total_cents.cast("float64").nullif(0.0),
        share_at_or_below=(t.customers - t.n_before).cast("float64") / t.customers,
    )


def tier_of(
    rank: ir.IntegerValue, customers: ir.IntegerValue, gold: float, silver: float
) -> ir.StringValue:
    """gold for ``rank <= max(1, floor(gold * n))``, silver up to ``floor((gold + silver) *
    n)``, else bronze (``rank`` 1 = most valuable of ``n`` buyers)."""
    n = customers.cast("float64")
    gold_count = ibis.greatest((n * gold + _EPS).floor(), 1)
    silver_count = ibis.greatest((n * (gold + silver) + _EPS).floor(), gold_count)
    return ibis.cases(
        (rank <= gold_count, "gold"), (rank <= silver_count, "silver"), else_="bronze"
    )


def value_tiers_as_of(ws: Workspace, point: AsOf, config: object | None = None) -> ir.Table:
    """Every customer's value tier as of ``point`` with the ``segments.value`` settings: the
    customer facts over ``value.window_days`` (all history when unset), ranked by
    ``value.measure``, cut at ``value.gold`` / ``value.silver`` (:func:`value_tiers`). The one
    definition of a "valuable" (gold, silver) customer used by the segments, the complaint
    revisit rule and the care lists.

    Returns ``customer_id, value_measure, value, value_rank, value_tier`` (null tier: no
    purchase in the window). Builds an expression; runs no query.
    """
    from crmlytics.facts import customer_facts
    from crmlytics.segments.config import segments_config

    v = segments_config(config).value
    facts = customer_facts(ws, point, window_days=v.window_days)
    return value_tiers(facts, gold=v.gold, silver=v.silver, measure=v.measure)


def value_tiers(
    facts_expr: ir.Table,
    *,
    gold: float = 0.2,
    silver: float = 0.3,
    measure: Measure = "auto",
) -> ir.Table:
    """Gold / silver / bronze tier (主力 / 一般 / 零散 客户) of every customer.

    Buyers ranked by value (the measure chosen as in :func:`resolve_measure`, inside the
    expression: :func:`with_measure`), ties by customer_id: the first ``floor(gold * n)`` of
    the ``n`` buyers (20% by default; at least one) are gold, up to ``floor((gold + silver) *
    n)`` (the next 30%) silver, the rest bronze. Customers without a purchase in the window get
    a null tier, and so does everyone when ``measure="profit"`` and no buyer has a cost.
    Builds an expression; runs no query.

    Returns ``customer_id, value_measure, value, value_rank, value_tier``.
    """
    return ranked_tiers(facts_expr, gold=gold, silver=silver, measure=measure).drop(
        "share_at_or_below"
    )


def ranked_tiers(
    facts_expr: ir.Table,
    *,
    gold: float = 0.2,
    silver: float = 0.3,
    measure: Measure = "auto",
) -> ir.Table:
    """:func:`value_tiers` plus ``share_at_or_below`` (:func:`ranked_value`; null for a
    customer without a tier), so the four degrees' contribution reads the same ranking instead
    of ranking the buyers a second time. Builds an expression; runs no query."""
    if not 0 < gold < 1 or not 0 <= silver < 1 or gold + silver > 1:
        raise ConfigError(f"tier cut-offs gold={gold}, silver={silver} must be shares summing <= 1")
    valued = with_measure(facts_expr, measure)
    rankable = valued.filter(valued.value_measure.notnull())
    ranked = ranked_value(rankable, "measure_value")
    ranked = ranked.select(
        ranked_id=ranked.customer_id,
        value=ranked.value,
        value_rank=ranked["rank"],
        value_tier=tier_of(ranked["rank"], ranked.customers, gold, silver),
        share_at_or_below=ranked.share_at_or_below,
    )
    ids = valued.select("customer_id", "value_measure")
    joined = ids.left_join(ranked, ids.customer_id == ranked.ranked_id)
    return joined.select(
        customer_id=joined.customer_id,
        value_measure=joined.value_measure,
        value=joined.value,
        value_rank=joined.value_rank,
        value_tier=joined.value_tier,
        share_at_or_below=joined.share_at_or_below,
    )


def pareto(facts_expr: ir.Table, measure: Measure = "auto") -> pd.DataFrame:
    """The Pareto (80/20) curve: cumulative share of buyers against cumulative share of value.

    One row per buyer, most valuable first: ``rank, customer_id, value, customer_share,
    value_share`` (both shares in 0..1; value in currency units of ``measure``, which is
    resolved as in :func:`resolve_measure` and stored in ``frame.attrs["measure"]``).
    """
    column = resolve_measure(facts_expr, measure)
    curve = ranked_value(facts_expr, column).order_by("rank").to_pandas()
    curve = curve[["rank", "customer_id", "value", "customer_share", "value_share"]]
    curve.attrs["measure"] = column
    return curve


def pareto_summary(
    facts_expr: ir.Table | pd.DataFrame,
    measure: Measure = "auto",
    *,
    top: float = 0.2,
    target: float = 0.8,
) -> dict[str, float | int | str]:
    """Headline figures of the 80/20 view.

    Parameters
    ----------
    facts_expr
        Customer facts, or a curve already computed by :func:`pareto`.
    top
        Share of buyers whose value share is reported (``top_value_share``): the first
        ``floor(top * buyers)`` buyers of the ranking (at least one).
    target
        Value share for ``customer_share_for_target``: the smallest share of buyers, taken
        from the top, whose cumulative value reaches ``target`` of the total.

    Returns
    -------
    dict
        ``measure, buyers, total_value, top, top_value_share, target,
        customer_share_for_target`` and a one-line ``sentence``.
    """
    curve = facts_expr if isinstance(facts_expr, pd.DataFrame) else pareto(facts_expr, measure)
    if curve.empty:
        raise DataError("no customer has a purchase: the 80/20 view needs at least one buyer")
    n = len(curve)
    total = float(curve["value"].sum())
    if total <= 0:
        raise DataError(f"total value is {total:.2f}: the 80/20 view needs a positive total")
    k = max(1, math.floor(top * n + _EPS))
    top_share = float(curve["value_share"].iloc[k - 1])
    reached = curve.index[curve["value_share"] >= target - _EPS]
    share_for_target = float(curve["customer_share"].iloc[reached[0]]) if len(reached) else 1.0
    name = curve.attrs.get("measure", "net_revenue")
    return {
        "measure": name,
        "buyers": n,
        "total_value": total,
        "top": top,
        "top_value_share": top_share,
        "target": target,
        "customer_share_for_target": share_for_target,
        "sentence": (
            f"the top {top:.0%} of customers bring {top_share:.1%} of {name}; "
            f"{share_for_target:.1%} of customers bring {target:.0%} of {name}"
        ),
    }
