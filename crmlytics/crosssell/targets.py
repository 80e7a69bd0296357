"""Target lists: for one product or category, the customers most likely to buy it next.

Owners of the item (as of the as-of, returns netted) are left out; everyone else in
``customers`` is ranked by the method the evaluation (:func:`~crmlytics.crosssell.evaluate`,
run as of the same date with the same settings) ranks first, see :func:`choose_method`:

- ``rules`` / ``similarity``: :class:`~crmlytics.crosssell.model.CrossSell` (confidence of the
  best rule reaching the item, or its base rate when no rule does; similarity: rule-reached
  customers first, by summed cosine similarity);
- ``popularity`` / ``segment_popularity``: the place the item takes among the items the
  customer does not own, in order of popularity overall or in the customer's segment (what
  those methods recommend), then the share of (segment) customers who bought it.

The list is written exactly like a segment list (:mod:`crmlytics.export.lists`): same
columns, formats, PII hashing and opt-out suppression, plus ``target_item``, ``target_rank``,
``target_score`` and ``target_reason``, ordered by rank.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.crosssell.baskets import baskets_of, bought_lines, holdings
from crmlytics.crosssell.config import CrossSellConfig
from crmlytics.crosssell.evaluation import segment_of
from crmlytics.crosssell.model import CrossSell, customer_holdings, popular_reason
from crmlytics.crosssell.rules import association_rules
from crmlytics.errors import ConfigError, DataError, EmptyResultError
from crmlytics.export.lists import ExportResult
from crmlytics.workspace import Workspace

if TYPE_CHECKING:
    from crmlytics.config import Config

TARGET_COLUMNS: tuple[str, ...] = ("target_item", "target_rank", "target_score", "target_reason")
#: Methods a target list can be ranked by (those of the evaluation).
TARGET_METHODS: tuple[str, ...] = ("rules", "similarity", "popularity", "segment_popularity")


@dataclass(frozen=True)
class MethodChoice:
    """Which method ranks a target list, and why.

    Attributes
    ----------
    method : str
        One of :data:`TARGET_METHODS`.
    reason : str
        How it was chosen (the evaluation's figures, or why the default was used).
    evaluation : DataFrame or None
        The evaluation report the choice follows (None when none could be run or the method
        was given).
    """

    method: str
    reason: str
    evaluation: pd.DataFrame | None = None


@dataclass(frozen=True)
class TargetExportResult(ExportResult):
    """What :func:`export_targets` wrote (see :class:`~crmlytics.export.lists.ExportResult`),
    with the ``method`` that ranked the list and the ``method_reason`` it was chosen for."""

    method: str = "rules"
    method_reason: str = ""


def choose_method(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    settings: CrossSellConfig | None = None,
) -> MethodChoice:
    """The method :func:`~crmlytics.crosssell.evaluate` ranks first as of ``as_of``.

    The evaluation runs with the settings' level, scope, thresholds and ``k = top_k`` (each
    customer's last order before the as-of held out). When nothing can be evaluated (no
    customer has a second order bringing a new item) the choice is ``rules``, and the reason
    says so.
    """
    from crmlytics.crosssell.evaluation import evaluate

    settings = settings or CrossSellConfig()
    point = resolve_as_of(as_of)
    try:
        report = evaluate(
            ws,
            point,
            k=settings.top_k,
            level=settings.level,
            scope=settings.scope,
            min_support=settings.min_support,
            min_confidence=settings.min_confidence,
            min_lift=settings.min_lift,
        )
    except EmptyResultError as exc:
        return MethodChoice("rules", f"rules, the default: {exc}")
    best = report.iloc[0]
    reason = (
        f"{best['method']}, ranked first by the evaluation as of {point} on "
        f"{int(best['customers_evaluated']):,} held-out last orders (MAP@{settings.top_k} "
        f"{best['map']:.3f}, recall {best['recall']:.3f}, hit rate {best['hit_rate']:.3f})"
    )
    return MethodChoice(str(best["method"]), reason, report)


def fit_crosssell(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    settings: CrossSellConfig | None = None,
    *,
    method: str = "rules",
) -> tuple[CrossSell, pd.DataFrame]:
    """A :class:`CrossSell` fitted as of ``as_of`` with ``settings`` and the customers'
    holdings (``customer_id``, ``item``) it was fitted beside."""
    settings = settings or CrossSellConfig()
    point = resolve_as_of(as_of)
    lines = bought_lines(ws, point, settings.level)
    rules = association_rules(
        baskets_of(lines, settings.scope),
        min_support=settings.min_support,
        min_confidence=settings.min_confidence,
        min_lift=settings.min_lift,
    ).to_pandas()
    rules.attrs["as_of"] = str(point)
    baskets = baskets_of(lines, settings.scope).select("basket_id", "item").distinct()
    counts = baskets.group_by("item").aggregate(n=baskets.basket_id.nunique()).to_pandas()
    total = baskets.basket_id.nunique().to_pyarrow().as_py()
    if not total:
        raise DataError(f"no purchases as of {point}: nothing to learn cross-sell from")
    base = counts.set_index("item")["n"] / total
    margins = None
    if settings.margin_weighted:
        margins = _margins(ws, point, settings.level)
    model = CrossSell(top_k=settings.top_k, method=method, margin_weighted=settings.margin_weighted)
    model.fit(rules, base_rate=base, margins=margins)
    return model, holdings(lines).to_pandas()


def recommend(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    settings: CrossSellConfig | None = None,
    *,
    method: str = "rules",
    customers: list[str] | None = None,
    locale: Literal["en", "zh"] = "en",
) -> pd.DataFrame:
    """Next best items of every customer who has bought something as of ``as_of`` (or of
    ``customers``), long: ``customer_id``, ``rank``, ``item``, ``score``, ``source``,
    ``reason`` (see :meth:`CrossSell.recommendations`). Owned items are never recommended."""
    model, owned = fit_crosssell(ws, as_of, settings, method=method)
    held = customer_holdings(owned) if len(owned) else pd.DataFrame({"items": []})
    if customers is not None:
        held = held.reindex(pd.Index(customers, name="customer_id"))
        held["items"] = [v if isinstance(v, list) else [] for v in held["items"]]
    return model.recommendations(held, locale)


def _margins(ws: Workspace, point: AsOf, level: str) -> pd.Series:
    """Margin share ((amount - cost) / amount) of each item's sale lines with a cost."""
    tx = ws.table("transactions")
    tx = tx.filter(point.visible(tx.order_ts) & tx.cost.notnull() & (tx.amount > 0))
    if level == "category":
        products = ws.table("products").select(p_id=ibis._.product_id, p_cat=ibis._.category)
        tx = tx.left_join(products, tx.product_id == products.p_id)
        tx = tx.mutate(item=tx.category.fill_null(tx.p_cat))
    else:
        tx = tx.mutate(item=tx.product_id)
    per = tx.group_by("item").aggregate(margin=(tx.amount - tx.cost.abs()).sum() / tx.amount.sum())
    frame = per.filter(per.item.notnull()).to_pandas()
    return frame.set_index("item")["margin"]


def target_scores(
    model: CrossSell,
    owned: pd.DataFrame,
    customers: pd.Index | list[str],
    item: str,
    locale: Literal["en", "zh"] = "en",
) -> pd.DataFrame:
    """Every customer of ``customers`` who does not own ``item``, ranked by the chance of
    buying it next: ``customer_id``, ``target_item``, ``target_rank`` (1 = most likely),
    ``target_score``, ``target_reason``. Ties by ``customer_id``."""
    if item not in model.base_rate_.index:
        known = ", ".join(model.base_rate_.index[:10])
        raise DataError(f"no purchases of item {item!r} to target from (items: {known}, ...)")
    held = customer_holdings(owned) if len(owned) else pd.DataFrame({"items": []})
    ids = pd.Index(sorted(set(customers) | set(held.index)), name="customer_id")
    X = held.reindex(ids)
    X["items"] = [v if isinstance(v, list) else [] for v in X["items"]]
    X = X[[item not in v for v in X["items"]]]
    scored = model.score(X, locale)
    scored = scored[scored["item"] == item].set_index("customer_id")
    base = float(model.base_rate_[item])
    weight = float(model._weight(pd.Series([item]))[0])
    out = pd.DataFrame(index=X.index)
    out["target_item"] = item
    out["target_score"] = scored["score"].reindex(X.index).fillna(base * weight)
    out["target_reason"] = (
        scored["reason"]
        .reindex(X.index)
        .astype("object")
        .fillna(popular_reason(item, base, locale))
    )
    # similarity scores are not chances: customers a rule reaches come before the rest
    first = X.index.isin(scored.index) if model.method == "similarity" else False
    out["_first"] = first
    out = out.reset_index().sort_values(
        ["_first", "target_score", "customer_id"], ascending=[False, False, True]
    )
    out["target_rank"] = range(1, len(out) + 1)
    return out[["customer_id", *TARGET_COLUMNS]].reset_index(drop=True)


def _popular_reason(item: str, share: float, segment: str | None, locale: str) -> str:
    if segment is None:
        if locale == "zh":
            return f"热门：{share:.0%} 的客户购买过 {item}"
        return f"popular: {share:.0%} of customers bought {item}"
    if locale == "zh":
        return f"在 {segment} 中热门：该群体 {share:.0%} 的客户购买过 {item}"
    return f"popular in {segment}: {share:.0%} of its customers bought {item}"


def popularity_scores(
    owned: pd.DataFrame,
    customers: pd.Index | list[str],
    item: str,
    *,
    segments: pd.Series | None = None,
    locale: Literal["en", "zh"] = "en",
) -> pd.DataFrame:
    """Every customer of ``customers`` (and of ``owned``) who does not own ``item``, ranked as
    the popularity baselines of :func:`~crmlytics.crosssell.evaluate` would offer it.

    Items are ordered by owners (most first, ties by item) within the customer's segment
    (``segments``: segment per customer_id; None: one segment of everyone), then overall;
    a customer's ``target_rank`` follows the place ``item`` takes among the items they do not
    own in that order (1 = first offer), then ``target_score`` (the share of customers of
    their segment who bought ``item``, 0..1), then ``customer_id``.
    """
    if not (owned["item"] == item).any():
        known = ", ".join(sorted(owned["item"].unique())[:10])
        raise DataError(f"no purchases of item {item!r} to target from (items: {known}, ...)")
    ids = pd.Index(sorted(set(customers) | set(owned["customer_id"])), name="customer_id")
    seg_of = segment_of(ids, segments)
    own = owned[["customer_id", "item"]].drop_duplicates()
    own = own.assign(segment=own["customer_id"].map(seg_of))
    overall = own.groupby("item").size().rename("n").reset_index()
    overall = list(overall.sort_values(["n", "item"], ascending=[False, True])["item"])
    before_rows, share = [], {}
    for segment, group in own.groupby("segment"):
        counts = group.groupby("item").size().rename("n").reset_index()
        ranked = list(counts.sort_values(["n", "item"], ascending=[False, True])["item"])
        pool = ranked + [i for i in overall if i not in set(ranked)]
        before_rows += [(segment, i) for i in pool[: pool.index(item)]]
        share[segment] = float((group["item"] == item).sum()) / group["customer_id"].nunique()
    for segment in set(seg_of) - set(share):  # a segment whose customers bought nothing
        before_rows += [(segment, i) for i in overall[: overall.index(item)]]
        share[segment] = 0.0
    before = pd.DataFrame(before_rows, columns=["segment", "item"])
    n_before = before.groupby("segment").size()
    owned_before = own.merge(before, on=["segment", "item"]).groupby("customer_id").size()
    owners = set(own.loc[own["item"] == item, "customer_id"])
    out = pd.DataFrame(index=ids[~ids.isin(list(owners))])
    segment_col = seg_of.reindex(out.index)
    place = segment_col.map(n_before).fillna(0) - owned_before.reindex(out.index).fillna(0) + 1
    out["_place"] = place.astype("int64")
    out["target_item"] = item
    out["target_score"] = segment_col.map(share).astype("float64")
    by_segment = None if segments is None else segment_col
    out["target_reason"] = [
        _popular_reason(item, sc, None if by_segment is None else by_segment[c], locale)
        for c, sc in zip(out.index, out["target_score"], strict=True)
    ]
    out = out.reset_index().sort_values(
        ["_place", "target_score", "customer_id"], ascending=[True, False, True]
    )
    out["target_rank"] = range(1, len(out) + 1)
    return out[["customer_id", *TARGET_COLUMNS]].reset_index(drop=True)


def export_targets(
    ws: Workspace,
    item: str,
    *,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    out: str | Path,
    top: int | None = None,
    include_opted_out: bool = False,
    hash_pii: str | None = None,
    locale: Literal["en", "zh"] | None = None,
    config: Config | None = None,
    method: str = "auto",
) -> TargetExportResult:
    """Write the target list of ``item`` (a product id, or a category with ``level:
    category``) as of ``as_of`` to ``out``, like :func:`crmlytics.export.export_segment`:
    contact and segment columns, opted-out customers removed and counted, ``hash_pii``
    honoured; rows ordered by ``target_rank``, at most ``top`` rows after suppression.

    ``method``: ``"auto"`` (default) ranks the list by the method the evaluation as of the
    same date ranks first (:func:`choose_method`), or one of :data:`TARGET_METHODS`. The
    result names the method used and why (``method``, ``method_reason``)."""
    from crmlytics.config import Config
    from crmlytics.export.action_lists import member_list, write_action_list
    from crmlytics.export.lists import check_format, check_hash_method, require_customers
    from crmlytics.labels import check_locale

    config = config or Config()
    check_format(out, None)
    check_hash_method(hash_pii)
    if top is not None and top < 1:
        raise ConfigError(f"--top must be at least 1, got {top}")
    if method != "auto" and method not in TARGET_METHODS:
        raise ConfigError(f"unknown --method {method!r}; use auto or {', '.join(TARGET_METHODS)}")
    locale = check_locale(locale or config.locale)
    require_customers(ws)
    customers = ws.table("customers")
    ids = customers.select("customer_id").to_pandas()["customer_id"]
    point = resolve_as_of(as_of)
    settings = config.crosssell
    if method == "auto":
        choice = choose_method(ws, point, settings)
    else:
        choice = MethodChoice(method, f"{method}, as asked")
    if choice.method in ("rules", "similarity"):
        model, owned = fit_crosssell(ws, point, settings, method=choice.method)
        ranked = target_scores(model, owned, list(ids), item, locale)
    else:
        owned = holdings(bought_lines(ws, point, settings.level)).to_pandas()
        segments = None
        if choice.method == "segment_popularity":  # the evaluation's segments: region
            regions = customers.select("customer_id", "region").to_pandas()
            segments = regions.set_index("customer_id")["region"]
        ranked = popularity_scores(owned, list(ids), item, segments=segments, locale=locale)
    listed = member_list(
        ws,
        ibis.memtable(ranked[ranked["customer_id"].isin(set(ids))]),
        "target_item",
        item,
        as_of=point,
        include_opted_out=include_opted_out,
        sort_by=[("target_rank", True)],
        locale=locale,
        config=config,
    )
    if top is not None:
        listed = replace(listed, frame=listed.frame.head(top))
    written = write_action_list(listed, out, hash_pii=hash_pii, locale=locale, config=config)
    return TargetExportResult(**asdict(written), method=choice.method, method_reason=choice.reason)
