"""Value tiers and the 80/20 view on hand-made data."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from crmlytics.facts import customer_facts
from crmlytics.segments import pareto, pareto_summary, value_tiers
from crmlytics.segments.value import resolve_measure
from tests.builders import sale

IDS = list("abcdefghij")


def facts_frame(values, *, profit=None, orders=None, ids=None) -> ibis.Table:
    ids = ids or IDS[: len(values)]
    frame = pd.DataFrame(
        dict(
            customer_id=ids,
            orders=orders or [1] * len(values),
            net_revenue=[float(v) for v in values],
            profit=profit if profit is not None else [None] * len(values),
        )
    ).astype({"profit": "float64", "orders": "int64"})
    return ibis.memtable(frame)


def tiers(expr) -> dict[str, str | None]:
    frame = expr.to_pandas()
    return {
        row.customer_id: (None if pd.isna(row.value_tier) else row.value_tier)
        for row in frame.itertuples()
    }


SKEWED = [50, 30, 5, 5, 2, 2, 2, 2, 1, 1]  # total 100


def test_top_20_percent_bring_80_percent_on_hand_made_set():
    # top 20% of 10 buyers = a, b = 50 + 30 = 80 of 100
    summary = pareto_summary(facts_frame(SKEWED), "revenue")
    assert summary["top_value_share"] == pytest.approx(0.80)
    assert summary["customer_share_for_target"] == pytest.approx(0.20)
    assert summary["buyers"] == 10 and summary["total_value"] == pytest.approx(100.0)


def test_equal_customers_top_20_percent_bring_20_percent():
    summary = pareto_summary(facts_frame([10] * 10), "revenue")
    assert summary["top_value_share"] == pytest.approx(0.20)
    assert summary["customer_share_for_target"] == pytest.approx(0.80)


def test_pareto_curve_accumulates_from_most_valuable():
    curve = pareto(facts_frame(SKEWED), "revenue")
    assert curve["customer_id"].tolist()[:3] == ["a", "b", "c"]
    assert curve["value_share"].tolist()[:4] == pytest.approx([0.50, 0.80, 0.85, 0.90])
    assert curve["customer_share"].tolist()[:2] == pytest.approx([0.1, 0.2])
    assert curve["value_share"].iloc[-1] == pytest.approx(1.0)


def test_tiers_gold_top_20_silver_next_30_bronze_rest():
    t = tiers(value_tiers(facts_frame(SKEWED), measure="revenue"))
    assert [t[c] for c in IDS] == ["gold"] * 2 + ["silver"] * 3 + ["bronze"] * 5


def test_tie_at_the_gold_boundary_is_broken_by_customer_id():
    # b and c tie at 30 for the second gold place: b (smaller id) is gold, c silver
    t = tiers(value_tiers(facts_frame([50, 30, 30, 5, 5, 2, 2, 2, 1, 1]), measure="revenue"))
    assert (t["b"], t["c"]) == ("gold", "silver")


def test_configurable_cut_offs():
    t = tiers(value_tiers(facts_frame(SKEWED), gold=0.1, silver=0.1, measure="revenue"))
    assert [t[c] for c in IDS[:3]] == ["gold", "silver", "bronze"]
    with pytest.raises(ValueError, match="cut-offs"):
        value_tiers(facts_frame(SKEWED), gold=0.6, silver=0.5)


def test_non_buyers_have_no_tier_and_are_not_on_the_curve():
    expr = facts_frame([10, 0, 5], orders=[1, 0, 1])
    t = tiers(value_tiers(expr, measure="revenue"))
    # two buyers: gold = max(1, floor(0.2 * 2)) = 1, silver up to floor(0.5 * 2) = 1
    assert t == {"a": "gold", "b": None, "c": "bronze"}
    assert pareto(expr, "revenue")["customer_id"].tolist() == ["a", "c"]


def test_auto_measure_ranks_by_profit_when_every_buyer_has_cost():
    # by revenue a > b, by profit b > a
    expr = facts_frame([100, 80], profit=[10.0, 60.0])
    assert resolve_measure(expr, "auto") == "profit"
    assert pareto(expr)["customer_id"].tolist() == ["b", "a"]
    assert tiers(value_tiers(expr, gold=0.5, silver=0.5)) == {"a": "silver", "b": "gold"}


def test_auto_measure_falls_back_to_revenue_when_a_buyer_lacks_cost():
    expr = facts_frame([100, 80], profit=[10.0, None])
    assert resolve_measure(expr, "auto") == "net_revenue"
    with pytest.raises(ValueError, match="no transaction line has a cost"):
        resolve_measure(facts_frame([100, 80]), "profit")


def test_summary_needs_a_buyer_and_positive_total():
    with pytest.raises(ValueError, match="at least one buyer"):
        pareto_summary(facts_frame([0, 0], orders=[0, 0]), "revenue")


def test_profit_from_transaction_costs_drives_tiers(ws):
    rows = [
        sale("o1", "a", "2024-03-01", 100.0, cost=90.0),
        sale("o2", "b", "2024-03-01", 80.0, cost=20.0),
    ]
    ws.insert("transactions", rows)
    expr = customer_facts(ws, "2024-03-31")
    curve = pareto(expr)
    assert curve.attrs["measure"] == "profit"
    assert curve[["customer_id", "value"]].values.tolist() == [["b", 60.0], ["a", 10.0]]
