"""Target lists: for one product or category, the customers most likely to buy it next.

Owners of the item (as of the as-of, returns netted) are left out; everyone else in
``customers`` is scored by :class:`~crmlytics.crosssell.model.CrossSell` (confidence of the
best rule reaching the item, or its base rate when no rule does). The list is written exactly
like a segment list (:mod:`crmlytics.export.lists`): same columns, formats, PII hashing and
opt-out suppression, plus ``target_item``, ``target_rank``, ``target_score`` and
``target_reason``, ordered by rank.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import ibis
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.crosssell.baskets import baskets_of, bought_lines, holdings
from crmlytics.crosssell.config import CrossSellConfig
from crmlytics.crosssell.model import CrossSell, customer_holdings, popular_reason
from crmlytics.crosssell.rules import association_rules
from crmlytics.errors import ConfigError, DataError
from crmlytics.workspace import Workspace

if TYPE_CHECKING:
    from crmlytics.config import Config
    from crmlytics.export.lists import ExportResult

TARGET_COLUMNS: tuple[str, ...] = ("target_item", "target_rank", "target_score", "target_reason")


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
        scored["reason"].reindex(X.index).fillna(popular_reason(item, base, locale))
    )
    out = out.reset_index().sort_values(["target_score", "customer_id"], ascending=[False, True])
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
) -> ExportResult:
    """Write the target list of ``item`` (a product id, or a category with ``level:
    category``) as of ``as_of`` to ``out``, like :func:`crmlytics.export.export_segment`:
    contact and segment columns, opted-out customers removed and counted, ``hash_pii``
    honoured; rows ordered by ``target_rank``, at most ``top`` rows after suppression."""
    from crmlytics.config import Config
    from crmlytics.export.lists import (
        ExportResult,
        candidate_counts,
        check_format,
        check_hash_method,
        finish_list,
        list_scores,
        require_customers,
        segment_candidates,
        suppressed,
    )
    from crmlytics.labels import check_locale, labels

    config = config or Config()
    path, fmt = check_format(out, None)
    check_hash_method(hash_pii)
    if top is not None and top < 1:
        raise ConfigError(f"--top must be at least 1, got {top}")
    locale = check_locale(locale or config.locale)
    require_customers(ws)
    customers = ws.table("customers")
    ids = customers.select("customer_id").to_pandas()["customer_id"]
    point = resolve_as_of(as_of)
    model, owned = fit_crosssell(ws, point, config.crosssell)
    ranked = target_scores(model, owned, list(ids), item, locale)
    ranked = ranked[ranked["customer_id"].isin(set(ids))]
    chosen = list_scores(ws, point, config)
    targets = ibis.memtable(ranked.rename(columns={"customer_id": "t_customer"}))
    joined = chosen.table.join(targets, chosen.table.customer_id == targets.t_customer)
    scores = joined.drop("t_customer")
    candidates = segment_candidates(
        customers,
        scores,
        column="target_item",
        segment=item,
        rfm_labels=labels("rfm_segment", locale),
    )
    counts = candidate_counts(candidates).to_pandas().iloc[0]
    matched, opted_out = int(counts["matched"]), int(counts["opted_out"])
    frame = suppressed(candidates, include_opted_out=include_opted_out).to_pandas()
    frame = frame.sort_values("target_rank", kind="stable").reset_index(drop=True)
    if top is not None:
        frame = frame.head(top)
    frame, written = finish_list(
        frame, scores, path, fmt, hash_pii=hash_pii, locale=locale, config=config
    )
    return ExportResult(
        path=written,
        rows=len(frame),
        excluded_opted_out=0 if include_opted_out else opted_out,
        matched=matched,
        opted_out=opted_out,
        source=chosen.source,
        run_id=chosen.run_id,
    )
