"""Cross-sell: rules worked by hand, returns netted, planted pairs recovered, owned items never
recommended, evaluation against popularity, target lists suppressed like segment lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlytics.crosssell import (
    association_rules,
    basket_items,
    bought_lines,
    evaluate,
    export_targets,
    holdout_split,
    recommend,
    rules,
)
from crmlytics.crosssell.config import CrossSellConfig
from crmlytics.crosssell.evaluation import _metrics, _popular
from crmlytics.crosssell.model import CrossSell, rule_reason, rules_from_baskets
from crmlytics.crosssell.targets import popularity_scores
from crmlytics.demo import generate_demo
from crmlytics.errors import ConfigError, DataError, WarehouseError
from tests.builders import sale

# N = 5 baskets; n(A)=4, n(B)=4, n(C)=2, n(D)=2; n(AB)=3, n(AC)=2, n(BD)=2, n(AD)=1, n(BC)=1,
# n(ABC)=1, n(ABD)=1.
HAND = [["A", "B", "C"], ["A", "B"], ["A", "C"], ["B", "D"], ["A", "B", "D"]]


def insert_baskets(ws, baskets, *, day="2024-01-0{}", customer=None):
    rows = []
    for i, basket in enumerate(baskets):
        for j, item in enumerate(basket):
            who = customer(i) if customer else f"c{i}"
            rows.append(
                sale(f"o{i}", who, day.format(i % 9 + 1), 10.0, line_no=j + 1, product_id=item)
            )
    ws.insert("transactions", pd.DataFrame(rows))


def rule(frame, antecedent, consequent):
    hit = frame[(frame["antecedent"] == antecedent) & (frame["consequent"] == consequent)]
    assert len(hit) == 1, (antecedent, consequent)
    return hit.iloc[0]


def test_support_confidence_lift_leverage_conviction_by_hand():
    found = rules_from_baskets(HAND, max_items=3)
    ab = rule(found, "A", "B")  # 3/5; 3/4; 0.75/0.8; 0.6 - 0.8*0.8; (1-0.8)/(1-0.75)
    assert ab["support"] == pytest.approx(0.6)
    assert ab["confidence"] == pytest.approx(0.75)
    assert ab["lift"] == pytest.approx(0.9375)
    assert ab["leverage"] == pytest.approx(-0.04)
    assert ab["conviction"] == pytest.approx(0.8)
    bd = rule(found, "B", "D")  # 2/5; 2/4; 0.5/0.4; 0.4 - 0.8*0.4; (1-0.4)/(1-0.5)
    assert (bd["support"], bd["confidence"], bd["lift"]) == pytest.approx((0.4, 0.5, 1.25))
    assert (bd["leverage"], bd["conviction"]) == pytest.approx((0.08, 1.2))
    ca = rule(found, "C", "A")  # confidence 1: conviction infinite, written as null
    assert ca["confidence"] == pytest.approx(1.0) and pd.isna(ca["conviction"])
    abc = rule(found, "A + B", "C")  # n(ABC)=1 of n(AB)=3; base rate of C 2/5
    assert (abc["support"], abc["confidence"]) == pytest.approx((0.2, 1 / 3))
    assert abc["lift"] == pytest.approx((1 / 3) / 0.4)
    # 5 co-occurring pairs give 10 rules; 2 triples give 6 more; no rule for C and D
    assert (found["antecedent_items"] == 1).sum() == 10
    assert (found["antecedent_items"] == 2).sum() == 6
    assert not ((found["antecedent"] == "C") & (found["consequent"] == "D")).any()


def test_thresholds_filter_on_support_confidence_and_lift(ws):
    insert_baskets(ws, HAND)
    items = basket_items(ws, "2024-02-01")

    def pairs(**kw):
        frame = association_rules(items, **kw).to_pandas()
        return set(zip(frame["antecedent"], frame["consequent"], strict=True))

    assert pairs(min_support=0.3) == {
        ("A", "B"),
        ("B", "A"),
        ("A", "C"),
        ("C", "A"),
        ("B", "D"),
        ("D", "B"),
    }
    assert pairs(min_support=0.0, min_confidence=0.8) == {("C", "A"), ("D", "B")}
    assert pairs(min_support=0.0, min_lift=1.2) == {("A", "C"), ("C", "A"), ("B", "D"), ("D", "B")}
    with pytest.raises(ConfigError, match="min_support must be between 0 and 1"):
        association_rules(items, min_support=1.5)


def test_a_fully_returned_line_is_not_bought_and_as_of_is_honoured(ws):
    rows = [
        sale("o1", "a", "2024-01-01", 30.0, line_no=1, product_id="A"),
        sale("o1", "a", "2024-01-01", 20.0, line_no=2, product_id="B"),
        dict(sale("o1", "a", "2024-01-05", -20.0, line_no=2, product_id="B"), kind="return"),
        sale("o2", "b", "2024-01-02", 30.0, line_no=1, product_id="A"),
        sale("o2", "b", "2024-01-02", 20.0, line_no=2, product_id="B"),
        dict(sale("o2", "b", "2024-01-06", -5.0, line_no=2, product_id="B"), kind="return"),
    ]
    ws.insert("transactions", pd.DataFrame(rows))
    after = basket_items(ws, "2024-01-31").to_pandas()
    assert sorted(map(tuple, after[["basket_id", "item"]].to_numpy())) == [
        ("o1", "A"),
        ("o2", "A"),
        ("o2", "B"),  # a's B fully returned; b's only partly
    ]
    before = basket_items(ws, "2024-01-03").to_pandas()  # the return is not visible yet
    assert sorted(before["item"]) == ["A", "A", "B", "B"]
    net = bought_lines(ws, "2024-01-31").to_pandas().set_index(["order_id", "item"])
    assert net.loc[("o2", "B"), "net_amount"] == pytest.approx(15.0)


def test_category_level_and_customer_scope(ws):
    ws.insert(
        "products",
        pd.DataFrame(
            {"product_id": ["A", "B", "C", "D"], "category": ["tea", "tea", "cup", "pot"]}
        ),
    )
    insert_baskets(ws, HAND, customer=lambda i: "x" if i < 2 else f"c{i}")
    cat = basket_items(ws, "2024-02-01", level="category").to_pandas()
    assert sorted(cat[cat["basket_id"] == "o0"]["item"]) == ["cup", "tea"]
    cust = basket_items(ws, "2024-02-01", scope="customer").to_pandas()
    assert sorted(cust[cust["basket_id"] == "x"]["item"]) == ["A", "B", "C"]  # orders 0 and 1
    assert cust["basket_id"].nunique() == 4
    with pytest.raises(ConfigError, match="unknown --level 'brand'"):
        basket_items(ws, "2024-02-01", level="brand")


@pytest.fixture(scope="module")
def demo():
    return generate_demo(customers=1500, seed=5)


@pytest.fixture
def demo_ws(ws, demo):
    for name, frame in demo.tables.items():
        ws.insert(name, frame)
    return ws


def test_planted_pairs_are_the_top_rules_of_the_demo_data(demo_ws, demo):
    planted = {frozenset((h, p)) for h, p, _ in demo.truth.params.basket.planted_pairs}
    top = rules(demo_ws, demo.truth.as_of, CrossSellConfig()).limit(2 * len(planted)).to_pandas()
    found = {frozenset(pair) for pair in zip(top["antecedent"], top["consequent"], strict=True)}
    assert found == planted
    # each planted head -> partner: confidence near its planted follow probability (a head
    # can also be the last of 5 slots or land behind a duplicate, so somewhat below it)
    for head, partner, p in demo.truth.params.basket.planted_pairs:
        conf = top[(top["antecedent"] == head) & (top["consequent"] == partner)]["confidence"]
        assert 0.5 * p < conf.iloc[0] <= p + 0.05


def test_owned_items_are_never_recommended(demo_ws, demo):
    recs = recommend(demo_ws, demo.truth.as_of, CrossSellConfig(top_k=5))
    owned = bought_lines(demo_ws, demo.truth.as_of).to_pandas()[["customer_id", "item"]]
    clash = recs.merge(owned.drop_duplicates(), on=["customer_id", "item"])
    assert len(recs) > 1000 and clash.empty
    assert recs.groupby("customer_id")["rank"].max().max() == 5


def test_recommendations_by_hand_with_reasons_in_both_locales():
    model = CrossSell(top_k=2).fit(rules_from_baskets(HAND))
    X = pd.DataFrame({"items": [["C"], ["A", "B"]]}, index=pd.Index(["u", "v"], name="customer_id"))
    long = model.recommendations(X)
    # u owns C: C->A confidence 1, C->B confidence 1/2 (n(BC)=1 of n(C)=2)
    u = long[long["customer_id"] == "u"]
    assert list(u["item"]) == ["A", "B"] and list(u["score"]) == pytest.approx([1.0, 0.5])
    # v owns A and B: C (A->C 2/4) then D (B->D 2/4; tie broken by lift: both 1.25, then name)
    assert list(long[long["customer_id"] == "v"]["item"]) == ["C", "D"]
    assert u["reason"].iloc[0] == "bought C; 100% of C buyers also buy A, 1.2× the base rate"
    zh = model.recommendations(X, locale="zh")["reason"].iloc[0]
    assert zh == "已购买 C；C 的购买者中 100% 也购买 A，是基准比例的 1.2 倍"
    assert rule_reason("P01", "P02", 0.6, 18.0) == (
        "bought P01; 60% of P01 buyers also buy P02, 18× the base rate"
    )


def test_margin_weighting_reorders_candidates():
    found = rules_from_baskets(HAND)
    X = pd.DataFrame({"items": [["A", "B"]]}, index=pd.Index(["v"], name="customer_id"))
    plain = CrossSell(top_k=2).fit(found).recommendations(X)
    weighted = CrossSell(top_k=2, margin_weighted=True).fit(
        found, margins=pd.Series({"C": 0.1, "D": 0.5})
    )
    ranked = weighted.recommendations(X)
    assert list(plain["item"]) == ["C", "D"] and list(ranked["item"]) == ["D", "C"]
    assert list(ranked["score"]) == pytest.approx([0.5 * 0.5, 0.5 * 0.1])


def test_metrics_by_hand():
    # recs x, a, y against {a, b}: one hit (rank 2), recall 1/2, AP = (1/2) / min(2, 3)
    got = _metrics({"u": ["x", "a", "y"], "w": ["b", "q"]}, {"u": {"a", "b"}, "w": {"b"}}, 3)
    assert got["customers_evaluated"] == 2 and got["hit_rate"] == 1.0
    assert got["recall"] == pytest.approx((0.5 + 1.0) / 2)
    assert got["map"] == pytest.approx((0.25 + 1.0) / 2)


def test_holdout_takes_each_repeat_customers_last_order(ws):
    ws.insert(
        "transactions",
        pd.DataFrame(
            [
                sale("o1", "a", "2024-01-01", 10.0, product_id="A"),
                sale("o2", "a", "2024-01-05", 10.0, product_id="B"),
                sale("o3", "b", "2024-01-02", 10.0, product_id="A"),
            ]
        ),
    )
    train, test = holdout_split(bought_lines(ws, "2024-02-01"))
    assert sorted(train.to_pandas()["order_id"]) == ["o1", "o3"]
    assert list(test.to_pandas()["order_id"]) == ["o2"]


def planted_orders(rng: np.random.Generator, customers: int = 400) -> pd.DataFrame:
    """Each customer has a pair (head h, partner p) among four of rare items. First order
    {h, popular}; half the customers also take p in it. Second order {popular}. Last order
    {p, popular}. Popular items: I0..I9 with Zipf weights. Planted: h -> p confidence 1/2,
    so the rules recommend p first to the half who lack it; popularity never does."""
    pairs = [("H1", "Q1"), ("H2", "Q2"), ("H3", "Q3"), ("H4", "Q4")]
    weights = 1 / np.arange(1, 11)
    weights /= weights.sum()
    rows = []
    for c in range(customers):
        h, p = pairs[rng.integers(4)]
        z = [f"I{i}" for i in rng.choice(10, size=3, p=weights)]
        first = [h, z[0]] + ([p] if c % 2 == 0 else [])
        for k, items in enumerate((first, [z[1]], [p, z[2]])):
            for j, item in enumerate(dict.fromkeys(items)):
                rows.append(
                    sale(
                        f"o{c}_{k}",
                        f"c{c:04d}",
                        f"2024-0{k + 1}-10",
                        10.0,
                        line_no=j + 1,
                        product_id=item,
                    )
                )
    return pd.DataFrame(rows)


def test_rules_beat_popularity_on_planted_pairs(ws):
    ws.insert("transactions", planted_orders(np.random.default_rng(11)))
    ws.insert(
        "customers",
        pd.DataFrame(
            {"customer_id": [f"c{c:04d}" for c in range(400)], "region": ["north", "south"] * 200}
        ),
    )
    report = evaluate(ws, "2024-12-31", k=3).set_index("method")
    rules_row, pop = report.loc["rules"], report.loc["popularity"]
    seg = report.loc["segment_popularity"]
    # half the customers hold out their partner item, which popularity never offers
    for metric in ("hit_rate", "recall", "map"):
        assert rules_row[metric] > pop[metric] + 0.2, metric
        assert rules_row[metric] > seg[metric] + 0.2, metric
    assert report["method_rank"].idxmin() in ("rules", "similarity")
    # evaluated: the 200 who lack their partner, and those whose last popular item is new
    assert 200 < rules_row["customers_evaluated"] < 400


def test_target_list_leaves_out_owners_and_opted_out_customers(ws, tmp_path):
    # A and B together twice, A alone twice (k03, k04), B alone once (k05); C alone four times
    baskets = {
        "k01": ["A", "B"],
        "k02": ["A", "B"],
        "k03": ["A"],
        "k04": ["A"],
        "k05": ["B"],
        "k07": ["C"],
        "k08": ["C"],
        "k09": ["C"],
        "k10": ["C"],
    }
    ids = list(baskets)
    insert_baskets(ws, list(baskets.values()), customer=lambda i: ids[i])
    everyone = [*ids, "k06"]
    ws.insert(
        "customers",
        pd.DataFrame(
            {
                "customer_id": everyone,
                "name": [f"n{c}" for c in everyone],
                "email": [f"{c}@x.cn" for c in everyone],
                "do_not_contact": [c == "k04" for c in everyone],
            }
        ),
    )
    out = tmp_path / "b.csv"
    result = export_targets(ws, "B", as_of="2024-02-01", out=out)
    frame = pd.read_csv(out, encoding="utf-8-sig")
    # k03: A -> B, confidence 2/4 = 0.5 (lift 0.5 / (3/9) = 1.5); everyone else: base rate 3/9
    assert list(frame["customer_id"]) == ["k03", "k06", "k07", "k08", "k09", "k10"]
    assert frame["target_score"].tolist() == pytest.approx([0.5] + [1 / 3] * 5)
    assert frame["target_rank"].tolist() == [1, 3, 4, 5, 6, 7]  # k04 ranked 2, then suppressed
    assert (result.rows, result.matched, result.excluded_opted_out) == (6, 7, 1)
    assert {"rfm_segment", "value_tier", "lifecycle", "email"} <= set(frame.columns)
    hashed = export_targets(ws, "B", as_of="2024-02-01", out=tmp_path / "h.csv", hash_pii="sha256")
    text = (tmp_path / "h.csv").read_text(encoding="utf-8-sig")
    assert hashed.rows == 6 and "@x.cn" not in text and "email_sha256" in text
    with pytest.raises(DataError, match="no purchases of item 'Z'"):
        export_targets(ws, "Z", as_of="2024-02-01", out=tmp_path / "z.csv")
    # option mistakes are ConfigErrors (exit 2), as for segment lists
    with pytest.raises(ConfigError, match="unknown --hash-pii 'md5'"):
        export_targets(ws, "B", as_of="2024-02-01", out=tmp_path / "m.csv", hash_pii="md5")
    with pytest.raises(ConfigError, match="--top must be at least 1"):
        export_targets(ws, "B", as_of="2024-02-01", out=tmp_path / "t.csv", top=0)


def test_a_target_list_without_customers_is_refused_like_a_segment_list(ws, tmp_path):
    insert_baskets(ws, [["A", "B"], ["A", "B"], ["B"]], customer=lambda i: f"k{i}")
    out = tmp_path / "b.csv"
    with pytest.raises(WarehouseError, match="customers table is empty"):
        export_targets(ws, "B", as_of="2024-02-01", out=out)
    assert not out.exists()


def test_charts_show_the_rules_and_the_co_purchase_counts(ws):
    from crmlytics.crosssell.charts import co_purchase_heatmap, co_purchase_matrix, rules_chart
    from crmlytics.crosssell.rules import item_counts, pair_counts

    insert_baskets(ws, HAND)
    items = basket_items(ws, "2024-02-01")
    matrix = co_purchase_matrix(pair_counts(items).to_pandas(), item_counts(items).to_pandas(), 3)
    # top 3 items by baskets: A (4), B (4), then C and D (2 each; C by name)
    assert list(matrix.index) == ["A", "B", "C"]
    assert matrix.loc["A", "B"] == matrix.loc["B", "A"] == 3 and matrix.loc["B", "C"] == 1
    assert (
        co_purchase_heatmap(matrix, locale="zh").layout.title.text == "同时购买两件商品的购物篮数"
    )
    fig = rules_chart(rules_from_baskets(HAND), top=4)
    assert len(fig.data[0].x) == 4 and min(fig.data[0].marker.color) >= 1.25


def test_cli_rules_recommend_evaluate_and_a_bad_option(tmp_path):
    from typer.testing import CliRunner

    from crmlytics.cli import app
    from crmlytics.workspace import Workspace

    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as ws:
        insert_baskets(ws, HAND)
    base = ["--db", str(db), "--as-of", "2024-01-31"]
    out = tmp_path / "rules.csv"
    ran = CliRunner().invoke(
        app,
        [
            "crosssell",
            "rules",
            *base,
            "--min-support",
            "0.3",
            "--min-lift",
            "1.2",
            "--out",
            str(out),
        ],
    )
    assert ran.exit_code == 0, ran.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame.columns[:5]) == ["antecedent", "consequent", "support", "confidence", "lift"]
    assert set(zip(frame["antecedent"], frame["consequent"], strict=True)) == {
        ("A", "C"),
        ("C", "A"),
        ("B", "D"),
        ("D", "B"),
    }
    recs = tmp_path / "recs.csv"
    ran = CliRunner().invoke(
        app,
        [
            "crosssell",
            "recommend",
            *base,
            "--customer",
            "c3",
            "--top-k",
            "2",
            "--out",
            str(recs),
            "--locale",
            "zh",
        ],
    )
    assert ran.exit_code == 0, ran.output
    got = pd.read_csv(recs, encoding="utf-8-sig")
    assert len(got) == 2 and "B" not in set(got.iloc[:, 2]) and "D" not in set(got.iloc[:, 2])
    bad = CliRunner().invoke(app, ["crosssell", "rules", *base, "--min-support", "2"])
    assert bad.exit_code == 2 and "--min-support" in bad.output


def choice_data(ws, held_out: str) -> None:
    """20 customers g.. buy A, then ``held_out`` (their held-out last order); 30 single-order
    customers h.. buy A and B together; 40 single-order customers p.. buy P. All in one
    region.

    Training baskets: A alone 20, A + B 30, P 40 (90). For a g customer (owns A) the rules
    method offers B first (A -> B: confidence 30/50 = 0.6, above P's base rate 40/90), then P;
    popularity offers P first (owned by 40, before B's 30), then B. So with ``held_out="P"``
    popularity's average precision is 1 and the rules' 1/2; with ``held_out="B"`` the reverse.
    """
    baskets, who = [], []
    for i in range(20):
        baskets += [["A"], [held_out]]
        who += [f"g{i:02d}", f"g{i:02d}"]
    for i in range(30):
        baskets.append(["A", "B"])
        who.append(f"h{i:02d}")
    for i in range(40):
        baskets.append(["P"])
        who.append(f"p{i:02d}")
    rows = []
    for i, (basket, customer) in enumerate(zip(baskets, who, strict=True)):
        day = "2024-01-05" if customer.startswith("g") and i % 2 else "2024-01-01"
        for j, item in enumerate(basket):
            rows.append(sale(f"o{i:03d}", customer, day, 10.0, line_no=j + 1, product_id=item))
    ws.insert("transactions", pd.DataFrame(rows))
    ids = sorted(set(who))
    ws.insert("customers", pd.DataFrame({"customer_id": ids, "region": "north"}))


def test_target_list_follows_the_method_the_evaluation_ranks_first_popularity(ws, tmp_path):
    from crmlytics.crosssell import choose_method

    choice_data(ws, "P")
    report = evaluate(ws, "2024-02-01", k=5).set_index("method")
    assert report.loc["popularity", "map"] == pytest.approx(1.0)
    assert report.loc["rules", "map"] == pytest.approx(0.5)
    choice = choose_method(ws, "2024-02-01")
    assert choice.method == "popularity" == choice.evaluation.iloc[0]["method"]
    assert "ranked first by the evaluation as of 2024-02-01" in choice.reason
    result = export_targets(ws, "B", as_of="2024-02-01", out=tmp_path / "b.csv")
    assert (result.method, result.method_reason) == ("popularity", choice.reason)
    frame = pd.read_csv(tmp_path / "b.csv", encoding="utf-8-sig")
    # owners of B: the 30 h customers. Items by owners: P 60, A 50, B 30. B comes first for
    # a g customer (owns P and A), second for a p customer (owns P, not A)
    assert list(frame["customer_id"]) == [f"g{i:02d}" for i in range(20)] + [
        f"p{i:02d}" for i in range(40)
    ]
    assert frame["target_score"].tolist() == pytest.approx([30 / 90] * 60)  # customers with B
    assert frame["target_reason"].iloc[0] == "popular: 33% of customers bought B"


def test_target_list_follows_the_method_the_evaluation_ranks_first_rules(ws, tmp_path):
    choice_data(ws, "B")
    report = evaluate(ws, "2024-02-01", k=5).set_index("method")
    assert report.loc["rules", "map"] == pytest.approx(1.0)
    assert report.loc["popularity", "map"] == pytest.approx(0.5)
    result = export_targets(ws, "P", as_of="2024-02-01", out=tmp_path / "p.csv")
    assert result.method == "rules"
    frame = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")
    # owners of P: the 40 p customers; no rule reaches P (nobody buys it with anything), so
    # every other customer scores P's base rate: 40 of 110 baskets
    assert len(frame) == 50 and frame["target_score"].tolist() == pytest.approx([40 / 110] * 50)
    assert frame["target_reason"].iloc[0] == "popular: 36% of baskets hold P"
    # asked for popularity instead: the method is the one asked, the scores its own
    asked = export_targets(ws, "P", as_of="2024-02-01", out=tmp_path / "q.csv", method="popularity")
    assert (asked.method, asked.method_reason) == ("popularity", "popularity, as asked")
    with pytest.raises(ConfigError, match="unknown --method 'best'"):
        export_targets(ws, "P", as_of="2024-02-01", out=tmp_path / "r.csv", method="best")


def test_with_nothing_to_evaluate_the_target_list_uses_rules_and_says_so(ws, tmp_path):
    insert_baskets(ws, [["A", "B"], ["A", "B"], ["A"]], customer=lambda i: f"k{i}")
    ws.insert("customers", pd.DataFrame({"customer_id": ["k0", "k1", "k2"]}))
    result = export_targets(ws, "B", as_of="2024-02-01", out=tmp_path / "b.csv")
    assert result.method == "rules"
    assert result.method_reason.startswith("rules, the default: nothing to evaluate")


def test_segment_popularity_ranks_by_the_place_of_the_item_in_the_segment_by_hand():
    from crmlytics.crosssell import popularity_scores

    # north: n1 owns X, Y; n2 owns X; n3 owns Z. south: s1 owns Z, Y; s2 owns Y.
    owned = pd.DataFrame(
        [("n1", "X"), ("n1", "Y"), ("n2", "X"), ("n3", "Z"), ("s1", "Z"), ("s1", "Y"), ("s2", "Y")],
        columns=["customer_id", "item"],
    )
    segments = pd.Series(
        {"n1": "north", "n2": "north", "n3": "north", "s1": "south", "s2": "south"}
    )
    got = popularity_scores(owned, ["n0"], "Z", segments=segments)
    # north order: X (2), then Y, Z (1 each, by name): Z's place for n1 (owns X, Y) is 1, for
    # n2 (owns X) 2, for n0 (prospect without a segment: overall order Y 3, X 2, Z 2) 3.
    # south order: Y (2), Z (1): s2 (owns Y) has Z first. Shares of Z: north 1/3, south 1/2
    assert list(got["customer_id"]) == ["s2", "n1", "n2", "n0"]
    assert got["target_score"].tolist() == pytest.approx([1 / 2, 1 / 3, 1 / 3, 0.0])
    assert got["target_rank"].tolist() == [1, 2, 3, 4]
    assert got["target_reason"].iloc[0] == "popular in south: 50% of its customers bought Z"
    overall = popularity_scores(owned, ["n0"], "Z", locale="zh")
    # one order for all: Y 3, X 2, Z 2 -> Z third; n1 owns both before it, n2 and s2 one
    assert list(overall["customer_id"]) == ["n1", "n2", "s2", "n0"]
    assert overall["target_reason"].iloc[0] == "热门：40% 的客户购买过 Z"


def test_customers_without_a_region_share_one_popularity_segment_in_evaluation_and_lists():
    """Customers with a null region form the segment ``(none)`` both when the evaluation
    scores segment popularity and when a target list is ranked by it."""
    owned = pd.DataFrame(
        [("a", "X"), ("a2", "X"), ("b", "Y"), ("c", "Y"), ("c", "W")],
        columns=["customer_id", "item"],
    )
    regions = pd.Series({"a": "north", "a2": "north", "b": None, "c": None})
    held = pd.DataFrame({"customer_id": ["b"], "items": [["Y"]]})
    # by hand: overall X 2, Y 2, W 1 -> X, Y, W; in (none) Y 2, W 1 -> Y, W, then X.
    # b owns Y, so b's first offer is W (overall it would have been X)
    assert _popular(owned, held, 1, regions) == {"b": ["W"]}
    listed = popularity_scores(owned, ["a", "a2", "b", "c"], "W", segments=regions)
    # W is b's first offer (place 1); for a and a2 it comes after X, Y (place 2 as they own X)
    assert listed["customer_id"].tolist() == ["b", "a", "a2"]
    assert listed.loc[listed["customer_id"] == "b", "target_score"].item() == 0.5
