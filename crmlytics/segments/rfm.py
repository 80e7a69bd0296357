"""RFM: recency, frequency and monetary scores by quantile, the RFM cell and named segments.

Scoring rule (exact and the same on DuckDB and Spark): among the ``n`` customers with a
purchase, a customer with ``k`` others whose value is strictly worse gets score
``1 + floor(bins * k / n)``. With distinct values that splits buyers into ``bins`` equal-count
groups (quintiles for ``bins=5``); **tied values get the same score**, the one of the
lowest-ranked member of the tie, so no customer id or row order ever decides a score.
"Worse" means an older last purchase for R, fewer purchases for F and less money for M, so 5 is
always best. Non-buyers get null scores. Money is compared in whole cents and recency in whole
days, so ties are ties on every engine; the counts come from :func:`crmlytics.ranking.tally`,
which never orders all customers in one window (``docs/patterns.md``).

This is the scorer of the R ``rfm`` package, and it has the same surprise: **a score level can be
empty**. When 43% of buyers bought once, they all share F = 1; the next value has ``k >= 0.43 n``
worse customers and scores ``1 + floor(5 x 0.43) = 3``, so nobody has F = 2. :func:`rfm_report`
and the nightly scoring warn (:class:`RfmEmptyLevelWarning`) when a level is empty. What a
purchase is, and every output column, is defined in ``docs/glossary.md``.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Sequence
from itertools import product

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf, check_window_days
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError, CrmlyticsWarning
from crmlytics.facts import customer_facts
from crmlytics.ranking import cents, tally
from crmlytics.segments.config import DEFAULT_RFM_MAP, RfmConfig, RfmRule, segments_config
from crmlytics.segments.labels import Locale, label
from crmlytics.workspace import Workspace

#: RFM segment of customers with no purchase at all.
PROSPECT = "prospect"
#: RFM segment of customers who bought before the scoring window but not inside it.
LAPSED_SEGMENT = "lost"
#: Each score column and the value it ranks.
SCORED_VALUES: dict[str, str] = {
    "r_score": "days_since_last_purchase",
    "f_score": "rfm_frequency",
    "m_score": "rfm_monetary",
}


class RfmEmptyLevelWarning(CrmlyticsWarning):
    """A score level (e.g. F = 2) has no customer because tied values share the lowest score of
    their tie (the R ``rfm`` package's scorer); the scores are right, the level is just empty."""


def with_quantile_scores(t: ir.Table, bins: int, **keys: ir.IntegerValue) -> ir.Table:
    """``t`` plus one score column ``1..bins`` per keyword: ``name=key`` scores the integer
    ``key`` among the rows where it is not null (null elsewhere), larger key = better.

    ``1 + floor(bins * k / n)`` with ``k`` the number of scored rows with a strictly smaller
    key and ``n`` the number of scored rows: ties share a score (see the module docstring).
    Keys are integers so ties are exact on every engine: pass days or counts as they are,
    money through :func:`crmlytics.ranking.cents`, and negate a key where smaller is better.
    Computed from :func:`crmlytics.ranking.tally` (no window over all rows; exact on every
    engine).
    """
    if bins < 2:
        raise ConfigError(f"bins must be at least 2, not {bins}")
    base = t.mutate(**{f"_key_{name}": key for name, key in keys.items()})
    out = base
    for name in keys:  # each score from its own tally of base: no chain of joins
        levels = tally(base.select(_key=base[f"_key_{name}"]), "_key")
        members = base.aggregate(_members=base[f"_key_{name}"].count())
        levels = levels.cross_join(members)
        score = ((levels.n_before * bins) / levels._members).floor().cast("int64") + 1
        levels = levels.select(**{f"_level_{name}": levels._key, name: score})
        out = out.left_join(levels, out[f"_key_{name}"] == levels[f"_level_{name}"])
    return out.drop(*(f"_{kind}_{name}" for name in keys for kind in ("key", "level")))


def check_segment_map(rules: Sequence[RfmRule], bins: int) -> None:
    """Raise ``ValueError`` unless every (R, F, M) cell of ``bins`` scores matches some rule."""
    if not rules:
        raise ConfigError("the RFM segment map is empty")
    missing = [
        f"{r}{f}{m}"
        for r, f, m in product(range(1, bins + 1), repeat=3)
        if not any(_matches(rule, r, f, m) for rule in rules)
    ]
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise ConfigError(f"the RFM segment map leaves {len(missing)} cells unnamed: {shown}")


def _matches(rule: RfmRule, r: int, f: int, m: int) -> bool:
    return all(lo <= s <= hi for s, (lo, hi) in ((r, rule.r), (f, rule.f), (m, rule.m)))


def segment_of(
    r: ir.IntegerValue, f: ir.IntegerValue, m: ir.IntegerValue, rules: Sequence[RfmRule]
) -> ir.StringValue:
    """Segment key of the first rule whose ranges hold (r, f, m); null when a score is null."""
    branches = [
        (
            r.between(*rule.r) & f.between(*rule.f) & m.between(*rule.m),
            ibis.literal(rule.segment),
        )
        for rule in rules
    ]
    return ibis.cases(*branches, else_=ibis.null("string"))


def rfm(
    facts_expr: ir.Table,
    bins: int = 5,
    *,
    segment_map: Sequence[RfmRule] = DEFAULT_RFM_MAP,
    frequency_measure: str = "orders",
    monetary_measure: str = "net_revenue",
) -> ir.Table:
    """RFM scores, cell and segment of every customer in a customer-facts expression.

    Parameters
    ----------
    facts_expr
        :func:`crmlytics.facts.customer_facts` (any as-of date and window).
    bins
        Score levels; 5 gives quintiles. Ties share a score (see the module docstring).
    segment_map
        Ordered rules naming (R, F, M) score ranges; first match wins; must cover every cell.
    frequency_measure, monetary_measure
        The F value (``orders`` or ``purchase_days`` in the window) and the M value
        (``net_revenue`` or ``avg_order_value``, currency units).

    Returns
    -------
    ibis.Table
        ``customer_id, days_since_last_purchase`` (as-of date minus last purchase day),
        ``rfm_frequency`` (the F value), ``rfm_monetary`` (the M value, currency),
        ``r_score, f_score, m_score`` (1..bins, null for customers with no purchase in the
        facts' window), ``rfm_cell`` (e.g. ``"545"``) and ``rfm_segment`` (``"prospect"`` for
        customers without a purchase). Every column is defined in ``docs/glossary.md``.
    """
    check_segment_map(segment_map, bins)
    for name, allowed, given in (
        ("frequency_measure", ("orders", "purchase_days"), frequency_measure),
        ("monetary_measure", ("net_revenue", "avg_order_value"), monetary_measure),
    ):
        if given not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {given!r}")
    t = facts_expr
    buyer = t.orders > 0
    recency = buyer.ifelse(t.days_since_last_purchase, ibis.null("int64"))
    frequency = buyer.ifelse(t[frequency_measure], ibis.null("int64"))
    monetary = buyer.ifelse(t[monetary_measure], ibis.null("float64"))
    scored = t.select(
        customer_id=t.customer_id,
        days_since_last_purchase=recency,
        rfm_frequency=frequency,
        rfm_monetary=monetary,
    )
    scored = with_quantile_scores(
        scored,
        bins,
        r_score=-scored.days_since_last_purchase.cast("int64"),  # more recent is better
        f_score=scored.rfm_frequency.cast("int64"),
        m_score=cents(scored.rfm_monetary),  # money compared in whole cents
    )
    cell = (
        scored.r_score.cast("string")
        + scored.f_score.cast("string")
        + scored.m_score.cast("string")
    )
    segment = segment_of(scored.r_score, scored.f_score, scored.m_score, segment_map)
    return scored.mutate(rfm_cell=cell, rfm_segment=segment.fill_null(PROSPECT))


def empty_levels(scored: pd.DataFrame, bins: int) -> dict[str, list[int]]:
    """Score levels ``1..bins`` that no customer has, per score column of an :func:`rfm`
    frame (only columns with at least one score; levels with customers are left out)."""
    empty: dict[str, list[int]] = {}
    for column in SCORED_VALUES:
        present = set(scored[column].dropna().astype(int))
        missing = [level for level in range(1, bins + 1) if level not in present]
        if present and missing:
            empty[column] = missing
    return empty


def warn_empty_levels(scored: pd.DataFrame, bins: int) -> dict[str, list[int]]:
    """Warn (:class:`RfmEmptyLevelWarning`) once per score column with an empty level, naming
    the largest tie of its value (or, without ties, that there are fewer customers than levels:
    with distinct values every level is used once ``n >= bins``); return :func:`empty_levels`."""
    empty = empty_levels(scored, bins)
    for column, levels in empty.items():
        value = SCORED_VALUES[column]
        members = scored.loc[scored[column].notna(), [value, column]]
        counts = members[value].value_counts()
        tied, size = counts.index[0], int(counts.iloc[0])
        if isinstance(tied, float) and tied.is_integer() and column != "m_score":
            tied = int(tied)  # a nullable count read back as float: show 1, not 1.0
        score = int(members.loc[members[value] == tied, column].iloc[0])
        shown = ", ".join(str(level) for level in levels)
        if size > 1:
            why = (
                f"{size / len(members):.0%} of the {len(members)} scored customers share "
                f"{value} = {tied} (all scored {score}); tied values share the lowest score of "
                "their tie, as in the R rfm package"
            )
        else:
            why = f"only {len(members)} scored customers for {bins} levels"
        warnings.warn(
            RfmEmptyLevelWarning(f"{column} level {shown} has no customer: {why}"), stacklevel=2
        )
    return empty


def rfm_from_config(facts_expr: ir.Table, config: RfmConfig | None = None) -> ir.Table:
    """:func:`rfm` with the settings of an :class:`~crmlytics.segments.config.RfmConfig`."""
    config = config or RfmConfig()
    return rfm(
        facts_expr,
        config.bins,
        segment_map=config.segment_map,
        frequency_measure=config.frequency_measure,
        monetary_measure=config.monetary_measure,
    )


def rfm_as_of(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: RfmConfig | None = None,
    *,
    window_days: int | None = None,
    history: ir.Table | None = None,
    window_facts: ir.Table | None = None,
) -> ir.Table:
    """:func:`rfm` of the customers known as of ``as_of`` (Ibis table).

    Transactions at or before ``as_of`` (a date means the end of that day) inside the last
    ``window_days`` (default ``config.window_days``; None = all history) are scored.
    ``days_since_last_purchase`` counts from the last purchase of all history; customers who
    bought only before the window get null scores and segment ``lost``; those who never bought
    ``prospect``.
    ``history`` may pass in the all-history facts as of the same date, already computed, and
    ``window_facts`` the facts over the last ``days`` as of that date
    (``customer_facts(ws, as_of, window_days=days)``), so a caller that needs them too builds
    them once; ignored when the RFM window is all history.
    """
    settings = config or RfmConfig()
    days = window_days if window_days is not None else settings.window_days
    check_window_days(days)
    point = resolve_as_of(as_of)
    if history is None:
        history = customer_facts(ws, point)
    if days is None:
        return rfm_from_config(history, settings)
    if window_facts is None:
        window_facts = customer_facts(ws, point, window_days=days)
    scored = rfm_from_config(window_facts, settings)
    scored = scored.drop("days_since_last_purchase").rename(scored_id="customer_id")
    t = history.select("customer_id", "orders", "days_since_last_purchase")
    t = t.left_join(scored, t.customer_id == scored.scored_id)
    lapsed = (t.orders > 0) & t.r_score.isnull()
    return t.select(
        customer_id=t.customer_id,
        days_since_last_purchase=(t.orders > 0).ifelse(
            t.days_since_last_purchase, ibis.null("int64")
        ),
        rfm_frequency=t.rfm_frequency,
        rfm_monetary=t.rfm_monetary,
        r_score=t.r_score,
        f_score=t.f_score,
        m_score=t.m_score,
        rfm_cell=t.rfm_cell,
        rfm_segment=lapsed.ifelse(LAPSED_SEGMENT, t.rfm_segment.fill_null(PROSPECT)),
    )


def rfm_report(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    *,
    window_days: int | None = None,
    config: object | None = None,
) -> pd.DataFrame:
    """RFM of every customer as of a date (the ``crmlytics rfm`` command), sorted by customer.

    :func:`rfm_as_of` with ``config.segments.rfm`` settings (``window_days``, if given, in
    place of theirs), materialised, plus ``rfm_label`` (English) and ``rfm_label_zh``
    (Chinese). Scores are nullable integers. Warns (:class:`RfmEmptyLevelWarning`) when a
    score level has no customer (see the module doc). The customer facts the scores read
    are computed once (:func:`crmlytics.segments.core.shared_facts`).
    """
    from crmlytics.segments.core import shared_facts

    chosen = segments_config(config)
    if window_days is not None:
        check_window_days(window_days)
        rfm_settings = chosen.rfm.model_copy(update={"window_days": window_days})
        chosen = chosen.model_copy(update={"rfm": rfm_settings})
    settings, point = chosen.rfm, resolve_as_of(as_of)
    with shared_facts(ws, point, chosen) as facts:
        expr = rfm_as_of(ws, point, settings, **facts)
        frame = expr.order_by("customer_id").to_pandas()
    for column in ("days_since_last_purchase", "rfm_frequency", "r_score", "f_score", "m_score"):
        frame[column] = frame[column].astype("Int64")
    keys = frame["rfm_segment"].unique()
    for column, locale in (("rfm_label", "en"), ("rfm_label_zh", "zh")):
        frame[column] = frame["rfm_segment"].map({key: _label(key, locale) for key in keys})
    warn_empty_levels(frame, settings.bins)
    return frame


def _label(key: str, locale: Locale) -> str:
    try:
        return label(key, locale, segmentation="rfm_segment")
    except KeyError:  # a key introduced by a custom segment map
        return key
