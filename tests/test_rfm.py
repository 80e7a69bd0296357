"""RFM scores by quintile, worked by hand, including ties; segment map; the rfm command."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.segments import rfm, rfm_report
from crmlytics.segments.config import RfmConfig, RfmRule
from crmlytics.segments.rfm import RfmEmptyLevelWarning, check_segment_map, warn_empty_levels
from tests.builders import sale


def facts_frame(**columns) -> ibis.Table:
    """A customer-facts-shaped table with only the columns RFM reads."""
    n = len(columns["customer_id"])
    base = dict(
        orders=[1] * n,
        purchase_days=[1] * n,
        days_since_last_purchase=[10] * n,
        net_revenue=[100.0] * n,
        avg_order_value=[100.0] * n,
    )
    base.update(columns)
    frame = pd.DataFrame(base).astype(
        {"orders": "int64", "purchase_days": "int64", "net_revenue": "float64"}
    )
    frame["days_since_last_purchase"] = frame["days_since_last_purchase"].astype("Int64")
    return ibis.memtable(frame)


def scores(expr: ibis.Table) -> pd.DataFrame:
    return expr.order_by("customer_id").to_pandas().set_index("customer_id")


IDS = [f"c{i:02d}" for i in range(10)]


def test_ten_distinct_buyers_split_two_per_quintile():
    # score = 1 + floor(5 * k / 10), k = customers with a worse value: k=0,1 -> 1; 2,3 -> 2; ...
    t = facts_frame(
        customer_id=IDS,
        days_since_last_purchase=[90, 80, 70, 60, 50, 40, 30, 20, 10, 0],
        orders=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        net_revenue=[5.0, 1.0, 2.0, 3.0, 4.0, 10.0, 9.0, 8.0, 7.0, 6.0],
    )
    s = scores(rfm(t))
    assert s["r_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # revenue ranks (worse count k): 5->4, 1->0, 2->1, 3->2, 4->3, 10->9, 9->8, 8->7, 7->6, 6->5
    assert s["m_score"].tolist() == [3, 1, 1, 2, 2, 5, 5, 4, 4, 3]


def test_tied_values_share_the_score_of_the_lowest_member_of_the_tie():
    # M values 10, 20, 20, 20, 30, 40, 50, 60, 70, 80: the three 20s have k = 1 worse value,
    # so all get 1 + floor(5*1/10) = 1; 30 has k = 4 -> 1 + floor(2) = 3.
    t = facts_frame(
        customer_id=IDS, net_revenue=[10.0, 20.0, 20.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0]
    )
    assert scores(rfm(t))["m_score"].tolist() == [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]


def test_recency_ties_score_by_value_not_by_customer_id():
    # days since: 5, 4, 3, 3, 3 (n = 5): 5 -> k=0 -> 1; 4 -> k=1 -> 2; the three 3s -> k=2 -> 3.
    # Swapping which ids hold the tied values must not change any customer's score.
    days = [5, 4, 3, 3, 3]
    ids = ["e", "d", "c", "b", "a"]
    forward = scores(rfm(facts_frame(customer_id=ids, days_since_last_purchase=days)))
    assert forward.loc[["e", "d", "c", "b", "a"], "r_score"].tolist() == [1, 2, 3, 3, 3]
    backward = scores(rfm(facts_frame(customer_id=ids[::-1], days_since_last_purchase=days)))
    assert backward.loc[["a", "b", "c", "d", "e"], "r_score"].tolist() == [1, 2, 3, 3, 3]


def test_all_buyers_tied_get_score_one():
    t = facts_frame(customer_id=["a", "b", "c"], orders=[2, 2, 2])
    assert scores(rfm(t))["f_score"].tolist() == [1, 1, 1]


def test_non_buyers_get_null_scores_segment_prospect_and_do_not_count_in_quintiles():
    # buyers a, b: k = 0 -> 1 + floor(5*0/2) = 1 and k = 1 -> 1 + floor(5/2) = 3;
    # the prospect z would have shifted the scores had it been counted.
    t = facts_frame(
        customer_id=["a", "b", "z"],
        orders=[1, 3, 0],
        purchase_days=[1, 2, 0],
        net_revenue=[10.0, 30.0, 0.0],
        days_since_last_purchase=[20, 10, None],
    )
    s = scores(rfm(t))
    assert s.loc["a", ["r_score", "f_score", "m_score"]].tolist() == [1, 1, 1]
    assert s.loc["b", ["r_score", "f_score", "m_score"]].tolist() == [3, 3, 3]
    assert s.loc["b", "rfm_cell"] == "333"
    assert s.loc["z", ["r_score", "f_score", "m_score"]].isna().all()
    assert s.loc["z", "rfm_segment"] == "prospect"
    assert pd.isna(s.loc["z", "rfm_cell"])


def test_default_map_names_cells_by_first_matching_rule():
    # 10 distinct buyers; pick cells through the value orders chosen below
    t = facts_frame(
        customer_id=IDS,
        # r: c00..c09 -> 1,1,2,2,3,3,4,4,5,5
        days_since_last_purchase=[90, 80, 70, 60, 50, 40, 30, 20, 10, 0],
        # f: give c09 top orders, c08 the lowest, c00 top-2
        orders=[9, 3, 4, 5, 6, 7, 8, 2, 1, 10],
        net_revenue=[9.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 2.0, 1.0, 10.0],
    )
    s = scores(rfm(t))
    # c09: r5 f5 m5 -> champions; c08: r5 f1 m1 -> new; c00: r1 f5 m5 -> cant_lose_them;
    # c01: r1; orders 3 and revenue 3.0 each have k=2 worse -> f2 m2 -> lost (r1, f1-2)
    assert s.loc["c09", ["rfm_cell", "rfm_segment"]].tolist() == ["555", "champions"]
    assert s.loc["c08", ["rfm_cell", "rfm_segment"]].tolist() == ["511", "new"]
    assert s.loc["c00", ["rfm_cell", "rfm_segment"]].tolist() == ["155", "cant_lose_them"]
    assert s.loc["c01", ["rfm_cell", "rfm_segment"]].tolist() == ["122", "lost"]
    # c07: r4, orders 2 -> k=1 -> f1 -> promising
    assert s.loc["c07", ["rfm_cell", "rfm_segment"]].tolist() == ["411", "promising"]


def test_segment_map_that_leaves_cells_unnamed_is_refused():
    with pytest.raises(ValueError, match="leaves 100 cells unnamed"):
        check_segment_map([RfmRule(segment="top", r=(5, 5))], bins=5)
    t = facts_frame(customer_id=["a"])
    with pytest.raises(ValueError, match="unnamed"):
        rfm(t, segment_map=[RfmRule(segment="top", r=(5, 5))])


def test_custom_three_bin_map_is_applied():
    rules = [RfmRule(segment="best", r=(3, 3), f=(3, 3), m=(3, 3)), RfmRule(segment="rest")]
    t = facts_frame(
        customer_id=["a", "b", "c"],
        orders=[1, 2, 3],
        net_revenue=[1.0, 2.0, 3.0],
        days_since_last_purchase=[3, 2, 1],
    )
    s = scores(rfm(t, 3, segment_map=rules))
    assert s["rfm_cell"].tolist() == ["111", "222", "333"]
    assert s["rfm_segment"].tolist() == ["rest", "rest", "best"]


@pytest.fixture
def window_ws(ws):
    ws.insert("customers", [dict(customer_id=c) for c in ("old", "new", "never")])
    ws.insert(
        "transactions",
        [
            sale("o1", "old", "2024-01-05 10:00", 500.0),
            sale("o2", "new", "2024-06-20 10:00", 50.0),
            sale("o3", "new", "2024-06-25 10:00", 70.0),
        ],
    )
    return ws


def test_window_scores_only_recent_purchases_and_marks_earlier_buyers_lost(window_ws):
    frame = rfm_report(window_ws, "2024-06-30", window_days=30).set_index("customer_id")
    assert frame.loc["new", ["rfm_frequency", "rfm_monetary"]].tolist() == [2, 120.0]
    assert frame.loc["old", "rfm_segment"] == "lost"
    assert pd.isna(frame.loc["old", "r_score"])
    assert frame.loc["old", "days_since_last_purchase"] == 177  # 5 Jan -> 30 Jun 2024
    assert frame.loc["never", "rfm_segment"] == "prospect"
    # all history: old has the larger M
    full = rfm_report(window_ws, "2024-06-30").set_index("customer_id")
    assert full.loc["old", "m_score"] == 3 and full.loc["new", "m_score"] == 1


def test_rfm_command_writes_scores_with_chinese_labels(window_ws, tmp_path):
    db = tmp_path / "crm.duckdb"
    from crmlytics.workspace import Workspace

    with Workspace.open(db) as target:
        for name in ("customers", "transactions"):
            target.insert(name, window_ws.table(name).to_pandas())
    out = tmp_path / "rfm.csv"
    result = CliRunner().invoke(
        app,
        ["rfm", "--db", str(db), "--as-of", "2024-06-30", "--window-days", "30", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, encoding="utf-8-sig").set_index("customer_id")
    assert frame.loc["old", "rfm_label_zh"] == "流失客户"
    assert frame.loc["never", "rfm_label_zh"] == "潜在客户"
    bad = CliRunner().invoke(app, ["rfm", "--db", str(db), "--window-days", "0"])
    assert bad.exit_code == 2 and "--window-days must be between 1" in bad.output


def test_rfm_config_rejects_bins_outside_range():
    with pytest.raises(ValueError):
        RfmConfig(bins=1)


def test_segment_map_and_bins_come_from_the_config_file(window_ws, tmp_path):
    from crmlytics.config import ConfigError, load_config

    path = tmp_path / "crmlytics.yaml"
    path.write_text(
        "segments:\n  rfm:\n    bins: 2\n    segment_map:\n"
        "      - {segment: best, r: [2, 2], f: [2, 2], m: [2, 2]}\n      - {segment: rest}\n",
        encoding="utf-8",
    )
    frame = rfm_report(window_ws, "2024-06-30", config=load_config(path))
    frame = frame.set_index("customer_id")
    # two buyers, 2 bins: old (1 order, 500, 177 days) and new (2 orders, 120, 5 days)
    assert frame.loc["new", "rfm_cell"] == "221" and frame.loc["new", "rfm_segment"] == "rest"
    assert frame.loc["old", "rfm_cell"] == "112"
    path.write_text(
        "segments:\n  rfm:\n    bins: 2\n    segment_map: [{segment: best}]\n    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="segments.rfm.colour"):
        load_config(path)


# -- the R rfm package's conventions: empty levels, its segment table as a preset -------------


def test_a_tie_of_43_percent_at_one_purchase_leaves_f_level_2_empty_and_warns():
    # 7 buyers, orders 1, 1, 1, 2, 3, 4, 5: the three 1s have k = 0 -> F = 1; the 2 has k = 3
    # worse customers -> 1 + floor(5 * 3 / 7) = 3; 3 -> 1 + floor(20/7) = 3; 4 -> 4; 5 -> 5.
    ids = [f"c{i}" for i in range(7)]
    t = facts_frame(
        customer_id=ids,
        orders=[1, 1, 1, 2, 3, 4, 5],
        days_since_last_purchase=[0, 10, 20, 30, 40, 50, 60],
        net_revenue=[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0],
    )
    frame = rfm(t).order_by("customer_id").to_pandas()
    assert frame["f_score"].tolist() == [1, 1, 1, 3, 3, 4, 5]
    with pytest.warns(RfmEmptyLevelWarning) as caught:
        empty = warn_empty_levels(frame, 5)
    # R: k = 0..6 -> 5, 5, 4, 3, 3, 2, 1 (less recent is worse); M likewise 1, 1, 2, 3, 3, 4, 5
    assert empty == {"f_score": [2]}
    (message,) = [str(w.message) for w in caught]
    assert "f_score level 2 has no customer" in message
    assert "43% of the 7 scored customers share rfm_frequency = 1 (all scored 1)" in message


def test_rfm_report_warns_when_a_level_is_empty(window_ws):
    # two buyers in 5 bins: scores 1 and 1 + floor(5 * 1 / 2) = 3; levels 2, 4, 5 are empty
    with pytest.warns(RfmEmptyLevelWarning) as caught:
        rfm_report(window_ws, "2024-06-30")
    messages = {str(w.message) for w in caught}
    for score in ("r_score", "f_score", "m_score"):
        expected = f"{score} level 2, 4, 5 has no customer: only 2 scored customers for 5 levels"
        assert expected in messages


R_RFM_CELLS = {
    # cell: segment of the first row of the R rfm package's table that holds it, by hand
    "555": "champions",  # R 5, F 5, M 5
    "554": "potential_loyalist",  # R 3-5, F 3-5, M 2-5
    "333": "potential_loyalist",  # before loyal (R 2-4, F 2-4, M 2-4): first match wins
    "222": "loyal",  # R 2 is below potential_loyalist's 3
    "315": "promising",  # R 3-4, F 1-3, M 3-5
    "411": "new",  # M 1 misses promising; R 4-5, F 1-3
    "145": "cant_lose_them",  # R 1-2, F 3-4, M 4-5
    "255": "at_risk",  # F 5 misses cant_lose_them; R 1-2, F 2-5, M 4-5
    "133": "need_attention",  # M 3 misses at_risk; R 1-3, F 3-5, M 3-5
    "211": "about_to_sleep",  # R 2-3, F 1-3, M 1-4
    "111": "lost",  # R 1
    "551": "others",  # M 1 misses potential_loyalist; R 5 misses loyal/promising; F 5 misses new
    "215": "others",  # M 5 misses about_to_sleep; R 2 misses lost
}


def test_the_r_rfm_preset_names_hand_chosen_cells_as_the_r_package_does():
    from crmlytics.segments.rfm import segment_of

    rules = RfmConfig(segment_map="r_rfm").segment_map
    cells = list(R_RFM_CELLS)
    t = ibis.memtable(
        pd.DataFrame(
            {"cell": cells, **{k: [int(c[i]) for c in cells] for i, k in enumerate("rfm")}}
        )
    )
    named = t.select("cell", segment=segment_of(t.r, t.f, t.m, rules)).to_pandas()
    assert dict(zip(named["cell"], named["segment"], strict=True)) == R_RFM_CELLS
    check_segment_map(rules, 5)  # the catch-all names every cell


def test_r_rfm_preset_from_the_config_file_scores_and_labels_others(window_ws, tmp_path):
    from crmlytics.config import load_config

    path = tmp_path / "crmlytics.yaml"
    path.write_text("segments:\n  rfm:\n    segment_map: r_rfm\n", encoding="utf-8")
    with pytest.warns(RfmEmptyLevelWarning):
        frame = rfm_report(window_ws, "2024-06-30", config=load_config(path))
    frame = frame.set_index("customer_id")
    # new: R 3 (5 days < 177), F 3 (2 orders > 1), M 1 (120 < 500): cell 331 -> R 3 is in
    # potential_loyalist's 3-5 and F 3 too, but M 1 is below its 2; loyal needs M >= 2;
    # promising M >= 3; new R >= 4; need_attention M >= 3; about_to_sleep R 2-3, F 1-3, M 1-4.
    assert frame.loc["new", "rfm_cell"] == "331"
    assert frame.loc["new", "rfm_segment"] == "about_to_sleep"
    # old: R 1, F 1, M 3 -> lost (R 1)
    assert (frame.loc["old", "rfm_cell"], frame.loc["old", "rfm_segment"]) == ("113", "lost")


def test_others_has_english_and_chinese_labels():
    from crmlytics.segments import label

    assert label("others", "en", segmentation="rfm_segment") == "Others"
    assert label("others", "zh", segmentation="rfm_segment") == "其他客户"


def test_unknown_preset_and_r_rfm_with_other_bins_are_refused(tmp_path):
    from crmlytics.config import ConfigError, load_config

    path = tmp_path / "crmlytics.yaml"
    path.write_text("segments:\n  rfm:\n    segment_map: r_fm\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown segment_map preset 'r_fm'.*default, r_rfm"):
        load_config(path)
    path.write_text("segments:\n  rfm:\n    bins: 3\n    segment_map: r_rfm\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="set bins: 5, not 3"):
        load_config(path)


def test_rfm_help_says_ties_share_the_lowest_score_and_names_the_preset():
    result = CliRunner().invoke(app, ["rfm", "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    assert "tied values share the lowest score of their tie" in text
    assert "F = 2 is empty when 43% of buyers bought once" in text
    assert "segment_map: r_rfm" in text


def test_segments_read_window_facts_passed_in_instead_of_building_them(window_ws):
    """``customer_segments`` with a 30-day RFM window and the window facts passed in (as
    ``shared_facts`` does on Spark, here kept by ``Workspace.cached``): RFM and the window's
    orders and net revenue come from the passed table (new: 2 orders, 50 + 70 = 120 in the
    window; old bought only on 5 Jan, before it: lost, 0 orders in the window), and nothing in
    the query reads the transactions for the window a second time."""
    import re

    import ibis

    from crmlytics.facts import customer_facts
    from crmlytics.segments import customer_segments
    from crmlytics.segments.config import SegmentsConfig

    config = SegmentsConfig.model_validate({"rfm": {"window_days": 30}})
    with (
        window_ws.cached(customer_facts(window_ws, "2024-06-30")) as history,
        window_ws.cached(customer_facts(window_ws, "2024-06-30", window_days=30)) as window_facts,
    ):
        expr = customer_segments(
            window_ws, "2024-06-30", config, history=history, window_facts=window_facts
        )
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        frame = expr.to_pandas().set_index("customer_id")
    # the four degrees read the lines themselves (active periods, categories): two reads, not
    # three (the window's facts would be a third)
    assert re.findall(r'FROM "(\w+)" AS', sql).count("transactions") == 2
    assert frame.loc[
        "new", ["rfm_frequency", "rfm_monetary", "orders", "net_revenue"]
    ].tolist() == [
        2,
        120.0,
        2,
        120.0,
    ]
    assert frame.loc["old", "rfm_segment"] == "lost"
    assert frame.loc["old", ["orders", "net_revenue"]].tolist() == [0, 0.0]
    assert frame.loc["never", "rfm_segment"] == "prospect"
