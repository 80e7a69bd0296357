"""Association rules computed relationally: counts by self-joins, no one-hot matrix.

For ``N`` baskets and a rule ``A -> C`` (A one item, or two items for triples):

- ``support`` = n(A and C) / N
- ``confidence`` = n(A and C) / n(A)
- ``lift`` = confidence / (n(C) / N)
- ``leverage`` = support - (n(A) / N) * (n(C) / N)
- ``conviction`` = (1 - n(C) / N) / (1 - confidence); null when confidence is 1 (infinite)

Items below ``min_support`` are dropped before the pairs are formed (a pair's support is at
most each item's), so the self-join only sees frequent items.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.crosssell.config import CrossSellConfig
from crmlytics.errors import ConfigError
from crmlytics.workspace import Workspace

RULE_COLUMNS: tuple[str, ...] = (
    "antecedent",
    "consequent",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "antecedent_support",
    "consequent_support",
    "baskets",
)
"""Columns of :func:`association_rules`; ``baskets`` is n(A and C)."""

#: Separator of the items of a two-item antecedent.
JOIN = " + "


def _check(min_support: float, min_confidence: float, min_lift: float, max_items: int) -> None:
    for name, value in (("min_support", min_support), ("min_confidence", min_confidence)):
        if not 0 <= value <= 1:
            raise ConfigError(f"{name} must be between 0 and 1, got {value}")
    if min_lift < 0:
        raise ConfigError(f"min_lift must be at least 0, got {min_lift}")
    if max_items not in (2, 3):
        raise ConfigError(f"max_items must be 2 (pairs) or 3 (pairs and triples), got {max_items}")


def item_counts(baskets: ir.Table) -> ir.Table:
    """``item``, ``baskets`` (how many baskets hold it) of (basket_id, item) pairs."""
    return baskets.group_by("item").aggregate(baskets=baskets.basket_id.nunique())


def pair_counts(baskets: ir.Table, min_count: int = 1) -> ir.Table:
    """``item_a`` < ``item_b``, ``baskets``: baskets holding both, at least ``min_count``."""
    left = baskets.select(basket_id=baskets.basket_id, item_a=baskets.item)
    right = baskets.select(basket_b=baskets.basket_id, item_b=baskets.item)
    # equality join, then the order filter: engines hash-join on the basket
    joined = left.join(right, left.basket_id == right.basket_b)
    joined = joined.filter(joined.item_a < joined.item_b)
    counts = joined.group_by(["item_a", "item_b"]).aggregate(baskets=joined.basket_id.count())
    return counts.filter(counts.baskets >= min_count)


def _triple_counts(baskets: ir.Table, pairs: ir.Table, min_count: int) -> ir.Table:
    """``item_a`` < ``item_b`` < ``item_c``, ``baskets``, from frequent pairs (a, b)."""
    left = baskets.select(basket_id=baskets.basket_id, item_a=baskets.item)
    mid = baskets.select(basket_b=baskets.basket_id, item_b=baskets.item)
    right = baskets.select(basket_c=baskets.basket_id, item_c=baskets.item)
    frequent = pairs.select(fa=pairs.item_a, fb=pairs.item_b)
    ab = left.join(mid, (left.basket_id == mid.basket_b) & (left.item_a < mid.item_b))
    ab = ab.join(frequent, (ab.item_a == frequent.fa) & (ab.item_b == frequent.fb))
    abc = ab.join(right, (ab.basket_id == right.basket_c) & (ab.item_b < right.item_c))
    abc = abc.select("basket_id", "item_a", "item_b", "item_c")
    counts = abc.group_by(["item_a", "item_b", "item_c"]).aggregate(baskets=abc.basket_id.count())
    return counts.filter(counts.baskets >= min_count)


def _measures(n: ir.Value, n_a: ir.Value, n_c: ir.Value, n_ac: ir.Value) -> dict[str, ir.Value]:
    total = n.cast("float64")
    support = n_ac.cast("float64") / total
    confidence = n_ac.cast("float64") / n_a.cast("float64")
    base = n_c.cast("float64") / total
    return dict(
        support=support,
        confidence=confidence,
        lift=confidence / base,
        leverage=support - (n_a.cast("float64") / total) * base,
        conviction=ibis.ifelse(confidence < 1.0, (1.0 - base) / (1.0 - confidence), ibis.null()),
        antecedent_support=n_a.cast("float64") / total,
        consequent_support=base,
        baskets=n_ac.cast("int64"),
    )


def _pick(direction: ir.IntegerValue, *values: ir.Value) -> ir.Value:
    """``values[direction]``: the value of one of the rule directions of an itemset row."""
    out = values[-1]
    for i in range(len(values) - 2, -1, -1):
        out = ibis.ifelse(direction == i, values[i], out)
    return out


def _directions(table: ir.Table, n: int) -> ir.Table:
    """Each row of ``table`` ``n`` times, numbered in ``direction`` 0 .. n-1 (one scan of
    ``table`` instead of a union of ``n`` copies of it)."""
    marked = table.mutate(direction=ibis.literal(list(range(n)), type="array<int64>"))
    return marked.unnest("direction")


def association_rules(
    baskets: ir.Table,
    *,
    min_support: float = 0.001,
    min_confidence: float = 0.0,
    min_lift: float = 0.0,
    max_items: int = 2,
    distinct: bool = False,
) -> ir.Table:
    """Rules ``antecedent -> consequent`` over (``basket_id``, ``item``) pairs.

    Parameters
    ----------
    baskets
        (basket, item) pairs, e.g. :func:`crmlytics.crosssell.baskets.basket_items` (its
        as-of already applied); duplicates are dropped.
    min_support, min_confidence, min_lift
        Keep rules with support, confidence and lift at least these (shares; lift a ratio).
    max_items
        2: rules between two items (both directions); 3: also rules with a two-item
        antecedent (``"A + B"``, items in sort order) and one consequent.
    distinct
        True when no (basket, item) pair occurs twice in ``baskets`` (as in
        :func:`~crmlytics.crosssell.baskets.basket_items`): saves the pass that drops duplicates.

    Returns
    -------
    ibis Table with :data:`RULE_COLUMNS` plus ``antecedent_items`` (1 or 2), one row per rule,
    unordered.

    Notes
    -----
    Every heavy part is computed once: the distinct (basket, item) pairs, the item counts
    with the number of baskets (one row, joined in), and the pair counts over the frequent
    items only, with items replaced by small integer codes (their rank in sort order, so that
    ``code_a < code_b`` is ``item_a < item_b``) for the self-join and its aggregation. Both
    directions of a pair (three of a triple) come from one scan of the counts.
    """
    _check(min_support, min_confidence, min_lift, max_items)
    pairs_in = baskets.select("basket_id", "item")
    if not distinct:
        pairs_in = pairs_in.distinct()
    counts = pairs_in.group_by("item").aggregate(n_item=pairs_in.basket_id.count())
    totals = pairs_in.aggregate(n_total=pairs_in.basket_id.nunique())
    # an itemset with support >= min_support holds in at least this many baskets
    totals = totals.mutate(
        floor=ibis.greatest((totals.n_total.cast("float64") * min_support).ceil().cast("int64"), 1)
    )
    counted = counts.cross_join(totals)
    frequent = counted.filter(counted.n_item >= counted.floor)
    frequent = frequent.mutate(code=ibis.row_number().over(order_by=frequent.item))
    codes = frequent.select(f_item=frequent.item, f_code=frequent.code)
    kept = pairs_in.join(codes, pairs_in.item == codes.f_item)
    kept = kept.select(basket_id=kept.basket_id, item=kept.f_code)
    pairs = pair_counts(kept)
    info = frequent.select("code", "item", "n_item", "n_total", "floor")
    a = info.rename(code_a="code", name_a="item", n_a="n_item")
    b = info.select(code_b=info.code, name_b=info.item, n_b=info.n_item)
    both = pairs.join(a, pairs.item_a == a.code_a).join(b, pairs.item_b == b.code_b)
    both = both.filter(both.baskets >= both.floor)
    two = _directions(both, 2)
    d = two.direction
    parts = [
        two.select(
            antecedent=_pick(d, two.name_a, two.name_b),
            consequent=_pick(d, two.name_b, two.name_a),
            antecedent_items=ibis.literal(1, "int64"),
            **_measures(
                two.n_total, _pick(d, two.n_a, two.n_b), _pick(d, two.n_b, two.n_a), two.baskets
            ),
        )
    ]
    if max_items == 3:
        frequent_pairs = both.select("item_a", "item_b", "baskets")
        triples = _triple_counts(kept, frequent_pairs, 1)
        c = info.select(code_c=info.code, name_c=info.item, n_c=info.n_item)
        t = triples.join(a, triples.item_a == a.code_a).join(b, triples.item_b == b.code_b)
        t = t.join(c, t.item_c == c.code_c)
        t = t.filter(t.baskets >= t.floor)
        three = _directions(t, 3)
        d = three.direction
        x = _pick(d, three.item_a, three.item_a, three.item_b)
        y = _pick(d, three.item_b, three.item_c, three.item_c)
        three = three.mutate(x=x, y=y)
        pa = frequent_pairs.select(
            p1=frequent_pairs.item_a, p2=frequent_pairs.item_b, n_xy=frequent_pairs.baskets
        )
        joined = three.join(pa, (three.x == pa.p1) & (three.y == pa.p2))
        d = joined.direction
        parts.append(
            joined.select(
                antecedent=_pick(d, joined.name_a, joined.name_a, joined.name_b).concat(
                    JOIN, _pick(d, joined.name_b, joined.name_c, joined.name_c)
                ),
                consequent=_pick(d, joined.name_c, joined.name_b, joined.name_a),
                antecedent_items=ibis.literal(2, "int64"),
                **_measures(
                    joined.n_total,
                    joined.n_xy,
                    _pick(d, joined.n_c, joined.n_b, joined.n_a),
                    joined.baskets,
                ),
            )
        )
    rules = ibis.union(*parts)
    return rules.filter((rules.confidence >= min_confidence) & (rules.lift >= min_lift)).select(
        *RULE_COLUMNS, "antecedent_items"
    )


def top_rules(rules: ir.Table, n: int = 20) -> ir.Table:
    """The ``n`` rules with the highest lift (ties: confidence, then names)."""
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}")
    return rules.order_by(
        [ibis.desc("lift"), ibis.desc("confidence"), "antecedent", "consequent"]
    ).limit(n)


def rules(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    settings: CrossSellConfig | None = None,
    *,
    max_items: int = 2,
) -> ir.Table:
    """Association rules as of ``as_of`` with ``settings`` (level, scope, thresholds), highest
    lift first (ties: confidence, names): what ``crmlytics crosssell rules`` prints."""
    from crmlytics.crosssell.baskets import basket_items

    settings = settings or CrossSellConfig()
    found = association_rules(
        basket_items(ws, as_of, level=settings.level, scope=settings.scope),
        distinct=True,
        min_support=settings.min_support,
        min_confidence=settings.min_confidence,
        min_lift=settings.min_lift,
        max_items=max_items,
    )
    return found.order_by([ibis.desc("lift"), ibis.desc("confidence"), "antecedent", "consequent"])
