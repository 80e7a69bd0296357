"""Segment profiles, the one-row-per-customer table, keys and labels, charts, segments CLI."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.segments import (
    SEGMENT_COLUMNS,
    SEGMENTATIONS,
    customer_segments,
    label,
    labels,
    pareto,
    pareto_chart,
    rf_grid,
    rf_heatmap,
    segment_column,
    segment_profiles,
    segment_treemap,
)
from tests.builders import spring_sales

AS_OF = "2024-06-30"


def fill(ws):
    ws.insert("customers", [dict(customer_id=c, signup_date=dt.date(2024, 1, 1)) for c in "abcdef"])
    ws.insert(
        "transactions",
        spring_sales(),
    )
    return ws


@pytest.fixture
def shop(ws):
    """Net revenue c 210, a 100, b 50, d 30, e 5; f never bought. Default tiers over 5 buyers:
    gold = 1 (c), silver up to floor(0.5 x 5) = 2 (a), bronze b, d, e."""
    return fill(ws)


def test_value_tier_profiles_by_hand(shop):
    p = segment_profiles(shop, AS_OF, by="value_tier").set_index("segment")
    assert p.index.tolist() == ["gold", "silver", "bronze", "none"]
    assert p["customers"].tolist() == [1, 1, 3, 1]
    assert p["customer_share"].tolist() == pytest.approx([1 / 6, 1 / 6, 3 / 6, 1 / 6])
    assert p["revenue"].tolist() == pytest.approx([210.0, 100.0, 85.0, 0.0])
    assert p["revenue_share"].tolist() == pytest.approx([210 / 395, 100 / 395, 85 / 395, 0.0])
    assert p.loc["bronze", "mean_net_revenue"] == pytest.approx(85 / 3)
    assert p.loc["gold", "mean_orders"] == pytest.approx(2.0)


def test_profiles_carry_chinese_labels(shop):
    p = segment_profiles(shop, AS_OF, by="value_tier", locale="zh")
    assert p["label"].tolist() == ["黄金客户 (主力)", "一般客户", "零散客户", "无购买"]
    p = segment_profiles(shop, AS_OF, by="lifecycle", locale="zh").set_index("segment")
    assert p.loc["prospect", "label"] == "潜在客户" and p.loc["prospect", "customers"] == 1


def test_customer_segments_has_one_row_per_customer_in_stable_column_order(shop):
    frame = customer_segments(shop, AS_OF).to_pandas()
    assert tuple(frame.columns) == SEGMENT_COLUMNS
    assert sorted(frame["customer_id"]) == list("abcdef")
    f = frame.set_index("customer_id").loc["f"]
    assert (f["rfm_segment"], f["lifecycle"]) == ("prospect", "prospect")
    assert pd.isna(f["value_tier"]) and pd.isna(f["r_score"])
    c = frame.set_index("customer_id").loc["c"]
    assert (c["value_tier"], c["orders"], c["net_revenue"]) == ("gold", 2, 210.0)


def test_segment_column_names_the_column_of_a_key():
    assert segment_column("champions") == "rfm_segment"
    assert segment_column("gold") == "value_tier"
    assert segment_column("dormant") == "lifecycle"
    assert segment_column("lost") == "rfm_segment"  # shared keys name the RFM segment ...
    assert segment_column("lifecycle:lost") == "lifecycle"  # ... unless qualified
    with pytest.raises(KeyError, match="valid keys are rfm_segment: champions"):
        segment_column("platinum")


def test_every_key_has_english_and_chinese_labels():
    for column, keys in SEGMENTATIONS.items():
        for key in keys:
            assert label(key, "en", segmentation=column)
            assert label(key, "zh", segmentation=column) != label(key, "en", segmentation=column)
    assert label("champions", "zh") == "冠军客户"
    assert label("gold", "zh") == "黄金客户 (主力)"
    assert labels("lifecycle", "zh")["dormant"] == "沉寂客户"
    assert label("advocate", "zh") == "推荐者/拥护者"
    with pytest.raises(ValueError, match="locale"):
        label("gold", "fr")


def test_rf_grid_cells_are_mean_monetary_by_hand():
    frame = pd.DataFrame(
        dict(
            r_score=[5, 5, 1, None], f_score=[5, 5, 2, None], rfm_monetary=[100.0, 50.0, 10.0, None]
        )
    )
    grid = rf_grid(frame)
    assert grid.loc[5, 5] == 75.0 and grid.loc[1, 2] == 10.0
    assert int(grid.notna().to_numpy().sum()) == 2
    heat = rf_heatmap(frame).data[0]
    z = np.array(heat.z, dtype=float)
    assert z[4, 4] == 75.0 and z[0, 1] == 10.0 and np.isnan(z[2, 2])


def test_rf_heatmap_says_why_a_score_level_can_be_empty():
    frame = pd.DataFrame(dict(r_score=[5], f_score=[3], rfm_monetary=[10.0]))
    notes = [a.text for a in rf_heatmap(frame).layout.annotations]
    assert any("share the lowest score of their tie" in n and "can be empty" in n for n in notes)


def test_pareto_chart_plots_the_curve_from_the_origin():
    t = ibis.memtable(
        pd.DataFrame(
            dict(
                customer_id=list("abcd"),
                orders=[1, 1, 1, 1],
                net_revenue=[60.0, 20.0, 15.0, 5.0],
                profit=[None] * 4,
            )
        ).astype({"profit": "float64"})
    )
    trace = pareto_chart(pareto(t, "revenue")).data[0]
    assert list(trace.x) == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert list(trace.y) == pytest.approx([0.0, 0.6, 0.8, 0.95, 1.0])


def test_segment_treemap_sizes_segments_by_revenue(shop):
    profiles = segment_profiles(shop, AS_OF, by="value_tier")
    trace = segment_treemap(profiles).data[0]
    sizes = dict(zip(trace.labels, trace.values, strict=True))
    assert sizes == {"Gold (key)": 210.0, "Silver (regular)": 100.0, "Bronze (occasional)": 85.0}


def test_segments_command_prints_profiles_in_chinese(tmp_path):
    from crmlytics.workspace import Workspace

    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as target:
        fill(target)
    out = tmp_path / "profiles.csv"
    args = ["segments", "--db", str(db), "--as-of", AS_OF, "--by", "value_tier"]
    result = CliRunner().invoke(app, [*args, "--locale", "zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["label"].tolist()[0] == "黄金客户 (主力)"
    assert frame["customers"].tolist() == [1, 1, 3, 1]
    bad = CliRunner().invoke(app, [*args[:-1], "colour"])
    assert bad.exit_code == 1 and "by must be one of" in bad.output
