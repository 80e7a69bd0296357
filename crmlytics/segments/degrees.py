"""The four degrees scorecard (满意度, 忠诚度, 贡献度, 依赖度), each 0-100, and a composite."""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.facts import customer_facts, order_lines, orders
from crmlytics.joins import with_customer_columns
from crmlytics.ranking import cents, tally
from crmlytics.segments.config import DegreesConfig
from crmlytics.segments.value import Measure, with_measure
from crmlytics.workspace import Workspace

DEGREES = ("satisfaction", "loyalty", "contribution", "dependence")
PERIOD_DAYS = 30


def _complaint_facts(ws: Workspace, point: AsOf, window_days: int) -> ir.Table:
    k = ws.table("complaints")
    start = ibis.timestamp(point.window_start(window_days))
    k = k.filter(point.visible(k.opened_at) & (k.opened_at >= start))
    return k.group_by("customer_id").aggregate(
        recent_complaints=k.count(),
        mean_score=k.satisfaction.cast("float64").mean(),
    )


def _active_periods(ws: Workspace, point: AsOf, periods: int) -> ir.Table:
    lines = order_lines(ws, point, window_days=periods * PERIOD_DAYS)
    per_order = orders(lines)
    bought = per_order.filter(per_order.order_net > 0)
    day = ibis.date(point.date)
    period = (day.delta(bought.order_day, unit="day") / PERIOD_DAYS).floor().cast("int64")
    bought = bought.mutate(period=period)
    return bought.group_by("customer_id").aggregate(active_periods=bought.period.nunique())


def _categories_sold(ws: Workspace, point: AsOf) -> ir.Table:
    lines = order_lines(ws, point)
    sold = lines.filter((lines.kind != "return") & (lines.amount >= 0) & lines.category.notnull())
    return sold.aggregate(categories_available=sold.category.nunique())


def four_degrees(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: DegreesConfig | None = None,
    *,
    measure: Measure = "auto",
) -> ir.Table:
    """Four degrees scorecard of every customer as of a date, as an Ibis expression.

    All scores are 0-100 and see only rows at or before ``as_of`` (a date is the end of it).

    - **satisfaction** = clip(base - ``complaint_penalty`` x complaints, 0, 100) over complaints
      opened in the last ``complaint_window_days``; base = 25 x (mean satisfaction score - 1)
      (score 1..5 maps to 0..100) when any of those complaints carries a score, else
      ``neutral_satisfaction`` (50). A customer with no complaint data is exactly neutral.
    - **loyalty** = 50 x min(1, days_since_first_purchase / ``full_tenure_days``)
      + 50 x active / eligible, where the last ``regularity_periods`` 30-day periods before the
      as-of date are checked, ``active`` counts those with a purchase and ``eligible =
      min(periods, days_since_first_purchase // 30 + 1)`` those since the first purchase.
      0 without a purchase.
    - **contribution** = 100 x cume_dist of value (net revenue, or profit: ``measure`` as in
      :func:`crmlytics.segments.value.with_measure`) among buyers, i.e. the share of buyers
      worth no more than this one, compared in whole cents (ties share the higher value). 0
      without a purchase; null for everyone when ``measure="profit"`` and no buyer has a cost.
    - **dependence** (share-of-wallet proxy) = 100 x ``categories_bought`` / categories sold to
      anyone; null when no line carries a category.
    - **composite** = weighted mean of the non-null degrees with ``weights``.

    Builds an expression; runs no query.
    """
    point = resolve_as_of(as_of)
    return degrees_from_facts(ws, point, customer_facts(ws, point), config, measure=measure)


def _value_shares(t: ir.Table) -> ir.Table:
    """``customer_id, share_at_or_below``: share of the ranked buyers (``orders > 0`` and a
    value measure) whose value, in whole cents, is at most this buyer's (exact on every
    engine, no window over all customers: :func:`crmlytics.ranking.tally`)."""
    ranked = t.filter((t.orders > 0) & t.value_measure.notnull())
    ranked = ranked.select("customer_id", _value_cents=cents(ranked.measure_value.fill_null(0.0)))
    levels = tally(ranked, "_value_cents")
    levels = levels.cross_join(ranked.aggregate(_ranked=ranked.count()))
    levels = levels.select(
        _value_level=levels._value_cents,
        share_at_or_below=(levels.n_before + levels.n).cast("float64") / levels._ranked,
    )
    joined = ranked.join(levels, ranked._value_cents == levels._value_level)
    return joined.select("customer_id", "share_at_or_below")


def degrees_from_facts(
    ws: Workspace,
    point: AsOf,
    facts: ir.Table,
    config: DegreesConfig | None = None,
    *,
    measure: Measure = "auto",
    ranking: ir.Table | None = None,
) -> ir.Table:
    """:func:`four_degrees` from all-history customer facts as of ``point``.

    ``ranking`` may pass in the value ranking of the same facts and ``measure``
    (:func:`crmlytics.segments.value.ranked_tiers`: ``customer_id, value_measure,
    share_at_or_below``), e.g. the value tiers' own, so the buyers are ranked once."""
    c = config or DegreesConfig()
    if ranking is None:
        t = with_measure(facts, measure)
        shares = _value_shares(t)
    else:
        t = with_customer_columns(facts, ranking.select("customer_id", "value_measure"))
        shares = ranking.select("customer_id", "share_at_or_below")
    for part in (
        _complaint_facts(ws, point, c.complaint_window_days),
        _active_periods(ws, point, c.regularity_periods),
    ):
        t = with_customer_columns(t, part)
    t = t.cross_join(_categories_sold(ws, point))
    t = with_customer_columns(t, shares)

    bought = t.orders > 0
    base = t.mean_score.notnull().ifelse(25.0 * (t.mean_score - 1.0), c.neutral_satisfaction)
    satisfaction = (base - c.complaint_penalty * t.recent_complaints.fill_null(0)).clip(0.0, 100.0)

    tenure_part = ibis.least(t.days_since_first_purchase.cast("float64") / c.full_tenure_days, 1.0)
    eligible = ibis.least(
        (t.days_since_first_purchase / PERIOD_DAYS).floor() + 1, c.regularity_periods
    )
    regularity = t.active_periods.fill_null(0).cast("float64") / eligible
    loyalty = bought.ifelse(50.0 * tenure_part + 50.0 * regularity, 0.0)

    ranked = bought & t.value_measure.notnull()
    contribution = ibis.cases(
        (ranked, 100.0 * t.share_at_or_below),
        (bought, ibis.null("float64")),
        else_=0.0,
    )

    dependence = (
        100.0
        * t.categories_bought.cast("float64")
        / t.categories_available.nullif(0).cast("float64")
    )
    scored = t.select(
        customer_id=t.customer_id,
        satisfaction=satisfaction.cast("float64"),
        loyalty=loyalty.cast("float64"),
        contribution=contribution.cast("float64"),
        dependence=dependence,
    )
    weights = c.weights.model_dump()
    numerator = sum(
        (scored[d].notnull().ifelse(scored[d] * weights[d], 0.0) for d in DEGREES),
        ibis.literal(0.0),
    )
    denominator = sum(
        (scored[d].notnull().ifelse(weights[d], 0.0) for d in DEGREES), ibis.literal(0.0)
    )
    return scored.mutate(composite=numerator / denominator.nullif(0.0))
