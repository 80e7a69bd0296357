"""Next best products: the :class:`CrossSell` model scores the items a customer has not bought.

The model is fitted on association rules (:func:`crmlytics.crosssell.rules.association_rules`,
pulled into pandas: one row per rule, small) and the base rate of every item; it predicts from
what each customer owns (a frame indexed by ``customer_id`` with an ``items`` column holding
the list of items bought as of the as-of, see :func:`customer_holdings`).

Scores (``method``):

- ``"rules"``: the highest confidence of a rule whose antecedent the customer owns and whose
  consequent they do not (the customer's best evidence);
- ``"similarity"``: the sum, over owned items ``a``, of the cosine similarity
  ``n(a, c) / sqrt(n(a) n(c))`` of item-to-item co-occurrence.

Items no rule reaches fill the remaining places by popularity (base rate). With
``margin_weighted`` a score is multiplied by the item's margin share (items of unknown margin
get the median margin).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from crmlytics.base import ContractData, Model, frame_hash, register_model
from crmlytics.errors import ConfigError, DataError
from crmlytics.labels import check_locale

Locale = Literal["en", "zh"]
METHODS: tuple[str, ...] = ("rules", "similarity")
_RULE_NEEDS = ("antecedent", "consequent", "support", "confidence", "lift", "antecedent_items")


def customer_holdings(owned: pd.DataFrame) -> pd.DataFrame:
    """A frame indexed by ``customer_id`` with ``items`` (sorted list of items owned), from
    (``customer_id``, ``item``) rows, e.g. :func:`crmlytics.crosssell.baskets.holdings`."""
    missing = [c for c in ("customer_id", "item") if c not in owned.columns]
    if missing:
        raise DataError(f"holdings need columns customer_id and item; missing {missing}")
    items = owned.groupby("customer_id", sort=True)["item"].agg(lambda s: sorted(set(s)))
    out = items.to_frame("items")
    out.index.name = "customer_id"
    return out


def _fmt_lift(lift: float) -> str:
    return f"{lift:.1f}" if lift < 10 else f"{lift:.0f}"


def rule_reason(
    antecedent: str, consequent: str, confidence: float, lift: float, locale: Locale = "en"
) -> str:
    """The reason a rule gives for recommending ``consequent`` to an owner of ``antecedent``."""
    share = f"{confidence:.0%}"
    times = _fmt_lift(lift)
    if locale == "zh":
        return (
            f"已购买 {antecedent}；{antecedent} 的购买者中 {share} 也购买 {consequent}，"
            f"是基准比例的 {times} 倍"
        )
    return (
        f"bought {antecedent}; {share} of {antecedent} buyers also buy {consequent}, "
        f"{times}× the base rate"
    )


def popular_reason(item: str, share: float, locale: Locale = "en") -> str:
    """The reason for recommending a popular ``item`` (held by ``share`` of baskets)."""
    if locale == "zh":
        return f"热门：{share:.0%} 的购物篮包含 {item}"
    return f"popular: {share:.0%} of baskets hold {item}"


@register_model
class CrossSell(Model):
    """Next best products from association rules (or item-to-item similarity).

    Parameters
    ----------
    top_k : int
        How many items :meth:`predict` returns per customer.
    method : {"rules", "similarity"}
        How a candidate is scored (module docstring).
    margin_weighted : bool
        Multiply scores by the item's margin share (``margins`` given to :meth:`fit`).

    Attributes
    ----------
    rules_ : DataFrame
        The rules fitted on (antecedent, consequent, support, confidence, lift,
        antecedent_items).
    base_rate_ : Series
        Share of baskets holding each item (indexed by item).
    margins_ : Series
        Margin share of each item (empty unless given).

    References
    ----------
    Agrawal, Imielinski & Swami (1993), "Mining association rules between sets of items in
    large databases", SIGMOD; Linden, Smith & York (2003), "Amazon.com recommendations:
    item-to-item collaborative filtering", IEEE Internet Computing.
    """

    kind: ClassVar[str] = "crosssell"
    _fitted_marker: ClassVar[str] = "rules_"

    def __init__(self, top_k: int = 5, method: str = "rules", margin_weighted: bool = False):
        self.top_k = top_k
        self.method = method
        self.margin_weighted = margin_weighted

    # -- fitting --------------------------------------------------------------------------------
    def fit(
        self,
        rules: pd.DataFrame,
        base_rate: pd.Series | None = None,
        margins: pd.Series | None = None,
    ) -> Self:
        """Learn from ``rules`` (``attrs["as_of"]`` is recorded as ``as_of_``).

        ``base_rate``: share of baskets holding each item (indexed by item; default the
        supports in ``rules``); ``margins``: margin share of each item (profit / revenue).
        """
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise ConfigError(f"top_k must be a positive integer, got {self.top_k!r}")
        missing = [c for c in _RULE_NEEDS if c not in rules.columns]
        if missing:
            raise DataError(f"the rules lack column(s) {', '.join(missing)}")
        kept = rules.loc[
            :, ["antecedent", "consequent", "support", "confidence", "lift", "antecedent_items"]
        ]
        kept = kept.sort_values(["antecedent", "consequent"], kind="stable").reset_index(drop=True)
        if base_rate is None:
            base = kept.assign(rate=kept["confidence"] / kept["lift"])  # lift = conf / base
            base_rate = base.groupby("consequent")["rate"].first()
        base_rate = pd.Series(base_rate, dtype="float64").sort_index()
        if base_rate.empty:
            raise DataError("cannot fit CrossSell: no items (no baskets before the as-of?)")
        self.as_of_ = rules.attrs.get("as_of")
        self.data_hash_ = frame_hash(kept)
        self.features_ = ["items"]
        self.base_rate_ = base_rate
        self.margins_ = (
            pd.Series(dtype="float64")
            if margins is None
            else pd.Series(margins, dtype="float64").sort_index()
        )
        self.rules_ = kept
        return self

    # -- scoring --------------------------------------------------------------------------------
    def _mismatches(self, X: pd.DataFrame) -> list[str]:
        problems = super()._mismatches(X)
        if problems:
            return problems
        owned = {i for items in X["items"] for i in items}
        if owned and not owned & set(self.base_rate_.index):
            return [
                f"none of the items the data holds ({', '.join(sorted(owned)[:3])}, ...) is an "
                f"item the model was fitted on ({', '.join(self.base_rate_.index[:3])}, ...): "
                "another --level?"
            ]
        return []

    def _weight(self, items: pd.Series) -> np.ndarray:
        if not self.margin_weighted or self.margins_.empty:
            return np.ones(len(items))
        median = float(self.margins_.median())
        return items.map(self.margins_).fillna(median).to_numpy(dtype="float64")

    def score(self, X: pd.DataFrame, locale: Locale = "en") -> pd.DataFrame:
        """Every rule-reached candidate of every customer of ``X``: ``customer_id``, ``item``,
        ``score``, ``confidence``, ``lift``, ``because`` (antecedent of the best rule),
        ``reason`` (in ``locale``). Owned items are never candidates."""
        self._check_compatible(X)
        check_locale(locale)
        held = X["items"].explode().dropna().rename("antecedent").reset_index()
        held.columns = ["customer_id", "antecedent"]
        single = self.rules_[self.rules_["antecedent_items"] == 1]
        fired = held.merge(single, on="antecedent")
        double = self.rules_[self.rules_["antecedent_items"] == 2]
        if len(double):
            parts = double["antecedent"].str.split(" + ", n=1, regex=False, expand=True)
            double = double.assign(a1=parts[0], a2=parts[1])
            both = (
                held.merge(double, left_on="antecedent", right_on="a1")
                .drop(columns=["antecedent_x"])
                .rename(columns={"antecedent_y": "antecedent"})
            )
            check = held.rename(columns={"antecedent": "a2"})
            both = both.merge(check, on=["customer_id", "a2"]).drop(columns=["a1", "a2"])
            fired = pd.concat([fired, both], ignore_index=True)
        owned = held.rename(columns={"antecedent": "consequent"}).assign(_owned=True)
        fired = fired.merge(owned, on=["customer_id", "consequent"], how="left")
        fired = fired[fired["_owned"].isna()].drop(columns="_owned")
        if self.method == "similarity":
            rate = self.base_rate_
            a_rate = fired["antecedent"].map(
                lambda a: math.prod(rate.get(x, np.nan) for x in a.split(" + "))
            )
            cosine = fired["support"] / np.sqrt(a_rate * fired["consequent"].map(rate))
            fired = fired.assign(value=cosine.where(fired["antecedent_items"] == 1, 0.0))
        else:
            fired = fired.assign(value=fired["confidence"])
        fired = fired.sort_values(
            ["customer_id", "consequent", "confidence", "lift", "antecedent"],
            ascending=[True, True, False, False, True],
            kind="stable",
        )
        best = fired.drop_duplicates(["customer_id", "consequent"], keep="first")
        if self.method == "similarity":
            total = fired.groupby(["customer_id", "consequent"])["value"].sum()
            best = best.set_index(["customer_id", "consequent"]).assign(value=total).reset_index()
        out = pd.DataFrame(
            {
                "customer_id": best["customer_id"].to_numpy(),
                "item": best["consequent"].to_numpy(),
                "score": best["value"].to_numpy(dtype="float64") * self._weight(best["consequent"]),
                "confidence": best["confidence"].to_numpy(dtype="float64"),
                "lift": best["lift"].to_numpy(dtype="float64"),
                "because": best["antecedent"].to_numpy(),
            }
        )
        out["reason"] = [
            rule_reason(a, c, conf, lift, locale)
            for a, c, conf, lift in zip(
                out["because"], out["item"], out["confidence"], out["lift"], strict=True
            )
        ]
        return out.reset_index(drop=True)

    def recommendations(self, X: pd.DataFrame, locale: Locale = "en") -> pd.DataFrame:
        """The top ``top_k`` items per customer of ``X``, long: ``customer_id``, ``rank``,
        ``item``, ``score``, ``source`` (``rule`` or ``popular``), ``reason``.

        With ``method="rules"`` every item the customer does not own competes: a rule-reached
        one scores the confidence of its best rule, any other its base rate (both chances of
        buying it); with ``"similarity"`` rule-reached candidates come first, popular items fill
        the remaining places. Ties: lift, then item."""
        scored = self.score(X, locale).assign(source="rule")
        order = pd.Series(range(len(X)), index=X.index)
        weights = self._weight(pd.Series(self.base_rate_.index))
        popular = pd.DataFrame(
            {
                "item": self.base_rate_.index,
                "score": self.base_rate_.to_numpy() * weights,
                "share": self.base_rate_.to_numpy(),
            }
        ).sort_values(["score", "item"], ascending=[False, True], kind="stable")
        popular = popular.head(self.top_k + int(X["items"].map(len).max() if len(X) else 0))
        fill = []
        for customer, items in X["items"].items():
            owned = set(items)
            cand = popular[~popular["item"].isin(owned)].head(self.top_k)
            fill.append(cand.assign(customer_id=customer))
        pop = pd.concat(fill, ignore_index=True) if fill else popular.iloc[:0]
        pop = pop.assign(
            source="popular",
            reason=[
                popular_reason(i, s, locale) for i, s in zip(pop["item"], pop["share"], strict=True)
            ],
        )
        both = pd.concat(
            [scored, pop[["customer_id", "item", "score", "source", "reason"]]], ignore_index=True
        )
        both = both.drop_duplicates(["customer_id", "item"], keep="first")
        # rules: a confidence and a base rate are both chances of buying, so they rank
        # together; similarity scores are not chances, so rule-reached candidates go first
        both["_first"] = (both["source"] == "rule").astype(int) * (self.method == "similarity")
        both["_lift"] = both["lift"].fillna(0.0)
        both = both.sort_values(
            ["customer_id", "_first", "score", "_lift", "item"],
            ascending=[True, False, False, False, True],
            kind="stable",
        )
        top = both.groupby("customer_id", sort=False).head(self.top_k).copy()
        top["rank"] = top.groupby("customer_id").cumcount() + 1
        top["_order"] = top["customer_id"].map(order)
        top = top.sort_values(["_order", "rank"], kind="stable")
        return top[["customer_id", "rank", "item", "score", "source", "reason"]].reset_index(
            drop=True
        )

    def predict(self, X: pd.DataFrame, locale: Locale = "en") -> pd.DataFrame:
        """The top ``top_k`` items per customer, wide, indexed like ``X``: ``item_1`` ..,
        ``score_1`` .., ``reason_1`` .. (null where fewer candidates exist)."""
        long = self.recommendations(X, locale)
        wide = long.pivot(index="customer_id", columns="rank")
        columns = {}
        for r in range(1, self.top_k + 1):
            for name in ("item", "score", "reason"):
                key = (name, r)
                columns[f"{name}_{r}"] = wide[key] if key in wide.columns else np.nan
        out = pd.DataFrame(columns, index=wide.index).reindex(X.index)
        out.index.name = "customer_id"
        for r in range(1, self.top_k + 1):
            out[f"score_{r}"] = out[f"score_{r}"].astype("float64")
            for name in ("item", "reason"):
                out[f"{name}_{r}"] = out[f"{name}_{r}"].astype("str")
        return out

    def summary(self) -> pd.DataFrame:
        """The fitted rules with the highest lift first (at most 50)."""
        self._check_fitted()
        return (
            self.rules_.sort_values(
                ["lift", "confidence", "antecedent", "consequent"],
                ascending=[False, False, True, True],
                kind="stable",
            )
            .head(50)
            .reset_index(drop=True)
        )

    # -- persistence ----------------------------------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        return {
            "rules": self.rules_.to_dict(orient="list"),
            "base_rate": self.base_rate_.to_dict(),
            "margins": self.margins_.to_dict(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        rules = pd.DataFrame(state["rules"])
        rules["antecedent_items"] = rules["antecedent_items"].astype("int64")
        self.rules_ = rules
        self.base_rate_ = pd.Series(state["base_rate"], dtype="float64").sort_index()
        self.margins_ = pd.Series(state["margins"], dtype="float64").sort_index()

    @classmethod
    def _contract_data(cls) -> ContractData:
        baskets = [
            ["A", "B"],
            ["A", "B"],
            ["A", "B", "C"],
            ["A", "C"],
            ["B", "D"],
            ["C", "D"],
            ["A", "B", "D"],
            ["D"],
            ["C"],
            ["A", "B", "C", "D"],
            ["E", "F"],
            ["A", "E"],
        ]
        rules = rules_from_baskets(baskets)
        rules.attrs["as_of"] = "2024-06-30"
        owned = {
            "c5": ["A"],
            "c2": ["B"],
            "c9": ["C", "D"],
            "c1": ["A", "B"],
            "c7": [],
            "c3": ["D"],
        }
        X = pd.DataFrame(
            {"items": list(owned.values())}, index=pd.Index(list(owned), name="customer_id")
        )
        return ContractData(
            fit_args=(rules,),
            predict_input=X,
            mismatches=(
                (X.rename(columns={"items": "products"}), "lacks column"),
                (
                    pd.DataFrame({"items": [["Tea"]]}, index=pd.Index(["c1"], name="customer_id")),
                    "none of the items",
                ),
            ),
        )


def rules_from_baskets(baskets: list[list[str]], *, max_items: int = 2) -> pd.DataFrame:
    """Rules of a few literal baskets (a list of item lists), computed in an in-memory DuckDB
    by :func:`crmlytics.crosssell.rules.association_rules` with no thresholds."""
    import ibis

    from crmlytics.crosssell.rules import association_rules

    rows = pd.DataFrame(
        [(f"b{i}", f"b{i}", item) for i, basket in enumerate(baskets) for item in basket],
        columns=["basket_id", "customer_id", "item"],
    )
    con = ibis.duckdb.connect()
    table = con.create_table("baskets", rows)
    rules = association_rules(table, min_support=0.0, max_items=max_items).to_pandas()
    return rules.sort_values(["antecedent", "consequent"]).reset_index(drop=True)


__all__ = [
    "METHODS",
    "CrossSell",
    "customer_holdings",
    "popular_reason",
    "rule_reason",
    "rules_from_baskets",
]
