"""Lifecycle classes from crafted purchase histories (as of 31 Dec 2024)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.segments import lifecycle
from crmlytics.segments.config import LifecycleConfig

AS_OF = "2024-12-31"


def buy(customer_id: str, *days: str) -> list[dict]:
    return [
        dict(
            order_id=f"{customer_id}-{i}",
            line_no=1,
            kind="sale",
            customer_id=customer_id,
            order_ts=pd.Timestamp(f"{day} 10:00"),
            amount=10.0,
        )
        for i, day in enumerate(days)
    ]


@pytest.fixture
def history(ws):
    """Own average gaps of repeat buyers: r 20, l 27, d 10 -> population mean 19, and the
    one-off buyers' dormancy threshold is 3 x 19 = 57 days."""
    ws.insert(
        "customers",
        [
            dict(customer_id="p", signup_date=dt.date(2024, 3, 1)),
            dict(customer_id="f"),
            dict(customer_id="r"),
            dict(customer_id="l"),
            dict(customer_id="a"),
            dict(customer_id="d"),
            dict(customer_id="o"),
            dict(customer_id="x"),
            dict(customer_id="ref1", referred_by="a", signup_date=dt.date(2024, 12, 1)),
            dict(customer_id="ref2", referred_by="x", signup_date=dt.date(2024, 2, 1)),
            dict(customer_id="ref3", referred_by="p", signup_date=dt.date(2024, 5, 1)),
            # signs up after the as-of date: does not make d an advocate yet
            dict(customer_id="ref4", referred_by="d", signup_date=dt.date(2025, 1, 5)),
        ],
    )
    rows = (
        buy("f", "2024-12-11")  # one purchase day, 20 days ago
        + buy("r", "2024-12-01", "2024-12-21")  # gap 20, 10 days ago
        + buy("l", "2024-10-01", "2024-11-01", "2024-12-01", "2024-12-21")  # 4 days, gap 27
        + buy("a", "2024-12-20")  # one purchase, referred ref1
        + buy("d", "2024-01-01", "2024-01-11", "2024-01-21")  # gap 10, 345 days ago
        + buy("o", "2024-09-01")  # one-off, 121 days ago > 57
        + buy("x", "2023-06-01")  # 579 days ago, referred ref2
    )
    ws.insert("transactions", rows)
    return ws


def classes(ws, config=None) -> pd.DataFrame:
    return lifecycle(ws, AS_OF, config).to_pandas().set_index("customer_id")


def test_each_lifecycle_class_from_a_crafted_history(history):
    got = classes(history)["lifecycle"].to_dict()
    assert got["p"] == "prospect"
    assert got["f"] == "first_time"
    assert got["r"] == "repeat"
    assert got["l"] == "loyal"
    assert got["a"] == "advocate"
    assert got["d"] == "dormant"
    assert got["o"] == "dormant"
    assert got["x"] == "lost"


def test_a_prospect_who_referred_someone_stays_prospect_and_lost_beats_advocate(history):
    frame = classes(history)
    assert frame.loc["p", ["lifecycle", "referrals"]].tolist() == ["prospect", 1]
    assert frame.loc["x", ["lifecycle", "referrals"]].tolist() == ["lost", 1]
    assert frame.loc["d", "referrals"] == 0  # ref4 signs up after the as-of date


def test_dormancy_is_relative_to_the_customers_own_gap(ws):
    # both last bought 100 days before 31 Dec (22 Sep); s buys every 10 days, w every 50
    ws.insert(
        "transactions",
        buy("s", "2024-09-02", "2024-09-12", "2024-09-22")
        + buy("w", "2024-06-14", "2024-08-03", "2024-09-22"),
    )
    frame = classes(ws)
    assert frame.loc["s", ["average_gap_days", "dormant_after_days"]].tolist() == [10.0, 30.0]
    assert frame.loc["w", ["average_gap_days", "dormant_after_days"]].tolist() == [50.0, 150.0]
    assert frame.loc["s", "lifecycle"] == "dormant"
    assert frame.loc["w", "lifecycle"] == "repeat"


def test_one_off_buyers_use_the_population_gap_threshold(history):
    frame = classes(history)
    assert frame.loc["f", "dormant_after_days"] == pytest.approx(57.0)
    assert frame.loc["o", "dormant_after_days"] == pytest.approx(57.0)


def test_configured_one_off_threshold_and_minimum(history):
    config = LifecycleConfig(one_off_dormant_days=15, min_dormant_days=0)
    assert classes(history, config).loc["f", "lifecycle"] == "dormant"  # 20 > 15
    config = LifecycleConfig(one_off_dormant_days=15)  # min 30 still protects f
    assert classes(history, config).loc["f", "lifecycle"] == "first_time"


def test_lost_after_configured_days(history):
    frame = classes(history, LifecycleConfig(lost_days=300))
    assert frame.loc["d", "lifecycle"] == "lost"  # 345 > 300


def test_loyal_needs_enough_purchase_days_and_a_recent_purchase(history):
    assert classes(history, LifecycleConfig(loyal_min_purchase_days=5)).loc["l", "lifecycle"] == (
        "repeat"
    )
    assert classes(history, LifecycleConfig(loyal_recent_days=5)).loc["l", "lifecycle"] == "repeat"


def test_new_established_future_and_active_lapsed_prospect_views(history):
    frame = classes(history)
    assert frame.loc["f", ["stage", "activity"]].tolist() == ["new", "active"]
    assert frame.loc["l", ["stage", "activity"]].tolist() == ["established", "active"]  # 91 d
    assert frame.loc["d", ["stage", "activity"]].tolist() == ["established", "lapsed"]
    assert frame.loc["p", ["stage", "activity"]].tolist() == ["future", "prospect"]


def test_earlier_as_of_sees_earlier_classes(history):
    # on 2 Oct 2024 l has bought once (1 Oct); f, who first buys in December, is a prospect
    frame = lifecycle(history, "2024-10-02").to_pandas().set_index("customer_id")
    assert frame.loc["l", "lifecycle"] == "first_time"
    assert "f" in frame.index and frame.loc["f", "lifecycle"] == "prospect"


def test_one_off_buyers_are_not_dormant_when_no_repeat_buyer_gives_a_gap(ws):
    ws.insert("transactions", buy("u", "2024-06-01") + buy("v", "2024-12-30"))
    frame = classes(ws)
    assert frame.loc["u", "lifecycle"] == "first_time"  # 213 days, but no gap to compare
    assert pd.isna(frame.loc["u", "dormant_after_days"])
