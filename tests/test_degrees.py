"""Four degrees scorecard on hand-made data (as of 31 Dec 2024)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlytics.segments import four_degrees
from crmlytics.segments.config import DegreesConfig, DegreeWeights
from tests.builders import sale

AS_OF = "2024-12-31"


def line(order_id, customer_id, day, amount, category=None, line_no=1):
    return sale(order_id, customer_id, day, amount, category=category, line_no=line_no)


def complaint(complaint_id, customer_id, day, satisfaction=None):
    return dict(
        complaint_id=complaint_id,
        customer_id=customer_id,
        opened_at=pd.Timestamp(f"{day} 09:00"),
        satisfaction=satisfaction,
    )


@pytest.fixture
def card(ws):
    ws.insert("customers", [dict(customer_id=c) for c in ("c1", "c2", "c3", "c4", "z")])
    ws.insert(
        "transactions",
        [
            line("o1", "c1", "2024-12-01", 10.0, "tea"),
            line("o2", "c2", "2024-12-01", 20.0, "tea"),
            line("o3", "c3", "2024-12-01", 20.0, "pots"),
            line("o4", "c4", "2024-12-01", 25.0, "tea"),
            line("o4", "c4", "2024-12-01", 15.0, "cups", line_no=2),
        ],
    )
    ws.insert(
        "complaints",
        [
            complaint("k1", "c1", "2024-06-01", 5),
            complaint("k2", "c1", "2024-07-01", 3),
            complaint("k3", "c2", "2024-08-01"),
            complaint("k4", "c3", "2022-08-01", 1),  # outside the 365-day window
            complaint("k5", "c4", "2024-11-01", 1),
        ],
    )
    return ws


def scored(ws, config=None) -> pd.DataFrame:
    return four_degrees(ws, AS_OF, config).to_pandas().set_index("customer_id")


def test_satisfaction_from_scores_and_complaint_counts(card):
    s = scored(card)["satisfaction"]
    assert s["c1"] == pytest.approx(55.0)  # mean 4 -> 75, minus 2 x 10
    assert s["c2"] == pytest.approx(40.0)  # no score -> neutral 50, minus 10
    assert s["c3"] == pytest.approx(50.0)  # only an old complaint: neutral
    assert s["c4"] == pytest.approx(0.0)  # score 1 -> 0, minus 10, clipped at 0
    assert s["z"] == pytest.approx(50.0)  # no data at all: neutral, not a crash


def test_contribution_is_cumulative_share_of_buyers_worth_no_more(card):
    # net revenue 10, 20, 20, 40: share of buyers worth <= each: 1/4, 3/4, 3/4, 4/4
    c = scored(card)["contribution"]
    assert c[["c1", "c2", "c3", "c4"]].tolist() == pytest.approx([25.0, 75.0, 75.0, 100.0])
    assert c["z"] == 0.0


def test_dependence_is_share_of_categories_sold(card):
    d = scored(card)["dependence"]  # tea, pots, cups sold to anyone
    assert d[["c1", "c3", "c4", "z"]].tolist() == pytest.approx([100 / 3, 100 / 3, 200 / 3, 0.0])


def test_loyalty_of_a_single_recent_purchase(card):
    # tenure 30 d: 50 x 30/730; periods eligible min(12, 30 // 30 + 1) = 2, active 1 -> 25
    assert scored(card).loc["c1", "loyalty"] == pytest.approx(50 * 30 / 730 + 25.0)
    assert scored(card).loc["z", "loyalty"] == 0.0


def test_loyalty_combines_tenure_and_regular_purchasing(ws):
    # first purchase 1 Jan 2024 (tenure 365 d -> 25 points); purchases in 30-day periods
    # 0, 1, 2, 4, 6, 8 counted back from 31 Dec: 6 of 12 -> 25 points
    days = [
        "2024-01-01",
        "2024-05-01",
        "2024-07-01",
        "2024-09-01",
        "2024-10-20",
        "2024-12-01",
        "2024-12-31",
    ]
    ws.insert("transactions", [line(f"o{i}", "l", d, 5.0) for i, d in enumerate(days)])
    assert scored(ws).loc["l", "loyalty"] == pytest.approx(50.0)


def test_composite_is_the_weighted_mean_of_the_four(card):
    row = scored(card).loc["c4"]
    assert row["composite"] == pytest.approx((0.0 + row["loyalty"] + 100.0 + 200 / 3) / 4)
    weights = DegreeWeights(satisfaction=0, loyalty=0, contribution=3, dependence=1)
    row = scored(card, DegreesConfig(weights=weights)).loc["c4"]
    assert row["composite"] == pytest.approx((3 * 100.0 + 200 / 3) / 4)


def test_without_category_data_dependence_is_null_and_left_out_of_the_composite(ws):
    ws.insert("transactions", [line("o1", "a", "2024-12-01", 10.0)])
    row = scored(ws).loc["a"]
    assert pd.isna(row["dependence"])
    expected = (50.0 + row["loyalty"] + 100.0) / 3
    assert row["composite"] == pytest.approx(expected)


def test_scores_only_see_rows_up_to_the_as_of_date(card):
    early = four_degrees(card, "2024-06-30").to_pandas().set_index("customer_id")
    assert early.loc["c1", "satisfaction"] == pytest.approx(90.0)  # only k1 (score 5): 100 - 10
    assert early.loc["c1", "loyalty"] == 0.0  # no purchase yet
