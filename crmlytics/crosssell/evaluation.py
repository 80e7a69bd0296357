"""Evaluation of next best products: hold out each customer's last order.

For every customer with at least two orders as of the as-of, the last order (latest first sale
line; ties by order id) is held out. Rules, holdings and popularity are learnt from the other
orders; a method recommends ``k`` items per customer among those they do not own, and is judged
on the *new* items of the held-out order (customers whose held-out order brings nothing new
are left out: nothing can be recalled for them).

- hit rate at k: share of customers with at least one held-out item among the k;
- recall at k: mean of (held-out items among the k) / (held-out items);
- MAP at k: mean over customers of the average precision at k (sum of precision at each hit
  rank, divided by min(held-out items, k)).

Methods compared side by side: ``rules`` and ``similarity`` (:class:`CrossSell`),
``popularity`` (most-bought items overall) and ``segment_popularity`` (most-bought items among
customers of the same segment).
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.crosssell.baskets import baskets_of, bought_lines, holdings
from crmlytics.crosssell.config import Level, Scope
from crmlytics.crosssell.model import CrossSell, customer_holdings
from crmlytics.crosssell.rules import association_rules
from crmlytics.errors import ConfigError, EmptyResultError
from crmlytics.workspace import Workspace

METHODS: tuple[str, ...] = ("rules", "similarity", "popularity", "segment_popularity")
EVALUATION_COLUMNS: tuple[str, ...] = (
    "method",
    "k",
    "customers_evaluated",
    "hit_rate",
    "recall",
    "map",
    "method_rank",
)


def holdout_split(lines: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Split :func:`~crmlytics.crosssell.baskets.bought_lines` into (train, held out).

    The held-out part is each customer's last order, for customers with two orders or more;
    the training part is every other line. Windows are partitioned by customer.
    """
    per_order = lines.group_by(["customer_id", "order_id"]).aggregate(order_ts=lines.order_ts.min())
    w = ibis.window(
        group_by=per_order.customer_id,
        order_by=[ibis.desc(per_order.order_ts), ibis.desc(per_order.order_id)],
    )
    ranked = per_order.mutate(
        recent=ibis.row_number().over(w),
        n_orders=per_order.order_id.count().over(ibis.window(group_by=per_order.customer_id)),
    )
    last = ranked.filter((ranked.recent == 0) & (ranked.n_orders >= 2)).select(
        h_customer=ranked.customer_id, h_order=ranked.order_id
    )
    marked = lines.left_join(
        last, (lines.customer_id == last.h_customer) & (lines.order_id == last.h_order)
    )
    held = marked.h_order.notnull()
    columns = lines.columns
    return (
        marked.filter(~held).select(*columns),
        marked.filter(held).select(*columns),
    )


def _metrics(recs: dict[object, list[str]], actual: dict[object, set[str]], k: int) -> dict:
    hits, recalls, aps = [], [], []
    for customer, truth in actual.items():
        top = recs.get(customer, [])[:k]
        found, precision_sum = 0, 0.0
        for i, item in enumerate(top, start=1):
            if item in truth:
                found += 1
                precision_sum += found / i
        hits.append(found > 0)
        recalls.append(found / len(truth))
        aps.append(precision_sum / min(len(truth), k))
    return dict(
        customers_evaluated=len(actual),
        hit_rate=float(np.mean(hits)),
        recall=float(np.mean(recalls)),
        map=float(np.mean(aps)),
    )


def segment_of(customers: pd.Index | list, segments: pd.Series | None) -> pd.Series:
    """The popularity segment of each of ``customers``: ``all`` without ``segments``, else the
    customer's segment as text, ``(none)`` for a customer with none (missing or null)."""
    ids = pd.Index(customers)
    if segments is None:
        return pd.Series("all", index=ids, dtype="object")
    known = pd.Series(segments).reindex(ids).astype("object")
    return known.where(known.notna(), "(none)").astype(str)


def _popular(owned: pd.DataFrame, held: pd.DataFrame, k: int, by: pd.Series | None) -> dict:
    """Top-k most-owned items not owned, overall (``by`` None) or within each segment
    (:func:`segment_of`: customers without one share the segment ``(none)``)."""
    mine = held.groupby("customer_id")["items"].first() if len(held) else pd.Series()
    seg = segment_of(sorted(set(owned["customer_id"]) | set(mine.index)), by)
    own = owned.assign(segment=owned["customer_id"].map(seg))
    counts = (
        own.groupby(["segment", "item"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["segment", "n", "item"], ascending=[True, False, True])
    )
    ranked = {s: list(g["item"]) for s, g in counts.groupby("segment", sort=False)}
    overall = list(
        own.groupby("item")
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", "item"], ascending=[False, True])["item"]
    )
    recs = {}
    for customer, items in mine.items():
        segment = seg[customer]
        have = set(items)
        pool = ranked.get(segment, []) + overall  # segment first, then overall
        out: list[str] = []
        for item in pool:
            if item not in have and item not in out:
                out.append(item)
                if len(out) == k:
                    break
        recs[customer] = out
    return recs


def evaluate(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    *,
    k: int = 5,
    level: Level = "product",
    scope: Scope = "basket",
    min_support: float = 0.001,
    min_confidence: float = 0.0,
    min_lift: float = 1.0,
    segments: pd.Series | None = None,
    methods: tuple[str, ...] = METHODS,
) -> pd.DataFrame:
    """Hit rate, recall and MAP at ``k`` of each method on held-out last orders.

    Parameters
    ----------
    segments
        Segment of each customer (indexed by customer_id) for ``segment_popularity``; default
        the ``region`` of ``customers`` (a segment that does not look at the held-out orders).

    Returns
    -------
    One row per method with :data:`EVALUATION_COLUMNS`, ``method_rank`` 1 the best by MAP (then
    recall, then hit rate).
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown method(s) {unknown}; use {', '.join(METHODS)}")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    lines = bought_lines(ws, as_of, level)
    train, test = holdout_split(lines)
    owned = holdings(train).to_pandas()
    test_items = holdings(test).to_pandas()
    held = customer_holdings(owned)
    new = test_items.merge(owned.assign(_own=True), on=["customer_id", "item"], how="left")
    new = new[new["_own"].isna()]
    actual = {c: set(g["item"]) for c, g in new.groupby("customer_id")}
    actual = {c: v for c, v in actual.items() if c in held.index}
    if not actual:
        raise EmptyResultError(
            f"nothing to evaluate as of {as_of}: no customer has a second order bringing an "
            "item they had not bought before"
        )
    X = held.loc[sorted(actual)]
    if segments is None and "segment_popularity" in methods:
        customers = ws.table("customers").select("customer_id", "region").to_pandas()
        segments = customers.set_index("customer_id")["region"]
    rows = []
    need_rules = any(m in methods for m in ("rules", "similarity"))
    if need_rules:
        rules = association_rules(
            baskets_of(train, scope),
            min_support=min_support,
            min_confidence=min_confidence,
            min_lift=min_lift,
        ).to_pandas()
        base = owned.groupby("item")["customer_id"].nunique() / owned["customer_id"].nunique()
        if scope == "basket":
            orders = train.select("order_id", "item").distinct().to_pandas()
            base = orders.groupby("item").size() / orders["order_id"].nunique()
    for method in methods:
        if method in ("rules", "similarity"):
            model = CrossSell(top_k=k, method=method).fit(rules, base_rate=base)
            long = model.recommendations(X)
            recs = {c: list(g["item"]) for c, g in long.groupby("customer_id", sort=False)}
        else:
            by = segments if method == "segment_popularity" else None
            recs = _popular(owned, X.reset_index(), k, by)
        rows.append(dict(method=method, k=k, **_metrics(recs, actual, k)))
    out = pd.DataFrame(rows)
    out = out.sort_values(["map", "recall", "hit_rate"], ascending=False, kind="stable")
    out["method_rank"] = np.arange(1, len(out) + 1)
    return out[list(EVALUATION_COLUMNS)].reset_index(drop=True)
