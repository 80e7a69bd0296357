"""Cross-sell rules equal mlxtend's (fpgrowth + association_rules) on a small basket set.

mlxtend is the reference implementation of Agrawal et al.'s measures in Python; on the same
baskets every pair rule it finds must be one of ours with the same support, confidence, lift,
leverage and conviction, and no rule of ours may be missing from its list.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from mlxtend.frequent_patterns import association_rules as mlx_rules
from mlxtend.frequent_patterns import fpgrowth

from crmlytics.crosssell.model import rules_from_baskets

MEASURES = ("support", "confidence", "lift", "leverage", "conviction")


def small_baskets(seed: int = 7, n: int = 60) -> list[list[str]]:
    """60 baskets over 8 items with uneven popularity, a planted pair (P1 -> P2) and an item
    (P8) only ever bought with P1, so that some rule has confidence 1."""
    rng = np.random.default_rng(seed)
    items = [f"P{i}" for i in range(1, 8)]
    weights = np.array([0.5, 0.2, 0.35, 0.3, 0.25, 0.15, 0.1])
    baskets = []
    for _ in range(n):
        basket = [item for item, w in zip(items, weights, strict=True) if rng.random() < w]
        if "P1" in basket and rng.random() < 0.6 and "P2" not in basket:
            basket.append("P2")
        if "P1" in basket and rng.random() < 0.2:
            basket.append("P8")
        baskets.append(sorted(basket) or ["P3"])
    return baskets


def mlxtend_pair_rules(baskets: list[list[str]]) -> pd.DataFrame:
    items = sorted({i for b in baskets for i in b})
    onehot = pd.DataFrame([[i in b for i in items] for b in baskets], columns=items)
    frequent = fpgrowth(onehot, min_support=1e-9, use_colnames=True, max_len=2)
    found = mlx_rules(frequent, num_itemsets=len(baskets), metric="support", min_threshold=0.0)
    pairs = found[(found["antecedents"].map(len) == 1) & (found["consequents"].map(len) == 1)]
    return pd.DataFrame(
        {
            "antecedent": pairs["antecedents"].map(lambda s: next(iter(s))),
            "consequent": pairs["consequents"].map(lambda s: next(iter(s))),
            **{m: pairs[m].astype("float64") for m in MEASURES},
        }
    ).reset_index(drop=True)


def test_pair_rules_equal_mlxtend_fpgrowth_and_association_rules():
    baskets = small_baskets()
    ours = rules_from_baskets(baskets).set_index(["antecedent", "consequent"]).sort_index()
    theirs = mlxtend_pair_rules(baskets).set_index(["antecedent", "consequent"]).sort_index()
    assert len(theirs) >= 40  # 8 items: most of the 56 ordered pairs co-occur somewhere
    assert list(ours.index) == list(theirs.index)
    sure = theirs["confidence"] == 1.0
    assert sure.any()  # P8 -> P1: the infinite conviction is checked below
    for m in ("support", "confidence", "lift", "leverage"):
        np.testing.assert_allclose(ours[m], theirs[m], rtol=1e-12, atol=1e-15, err_msg=m)
    np.testing.assert_allclose(
        ours.loc[~sure, "conviction"], theirs.loc[~sure, "conviction"], rtol=1e-12
    )
    # mlxtend writes an infinite conviction as inf; crmlytics as null (documented in rules.py)
    assert all(math.isinf(v) for v in theirs.loc[sure, "conviction"])
    assert ours.loc[sure, "conviction"].isna().all()


@pytest.mark.parametrize("seed", [1, 2])
def test_pair_rules_equal_mlxtend_on_other_samples(seed):
    baskets = small_baskets(seed, n=40)
    ours = rules_from_baskets(baskets).set_index(["antecedent", "consequent"]).sort_index()
    theirs = mlxtend_pair_rules(baskets).set_index(["antecedent", "consequent"]).sort_index()
    assert list(ours.index) == list(theirs.index)
    for m in ("support", "confidence", "lift", "leverage"):
        np.testing.assert_allclose(ours[m], theirs[m], rtol=1e-12, atol=1e-15, err_msg=m)
