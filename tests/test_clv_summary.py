"""BTYD summaries from the warehouse, worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlytics.clv.summary import calibration_holdout, compress, customer_summary, fit_inputs
from crmlytics.errors import ConfigError

ts = pd.Timestamp


def test_summary_counts_purchase_days_and_averages_repeat_days_only(btyd_ws):
    s = customer_summary(btyd_ws, "2024-01-20", unit="days").set_index("customer_id")
    assert sorted(s.index) == ["a", "b", "c"]  # d has not bought yet
    # a: purchase days 1, 5, 12 Jan -> 2 repeats; two orders on 1 Jan count once
    assert s.loc["a"].tolist() == [2, 11.0, 19.0, (30.0 + 30.0) / 2]
    # b: the fully returned order is no purchase
    assert s.loc["b"].tolist() == [0, 0.0, 17.0, 0.0]
    # c: the free order opens the history; only the paid repeat day counts for spend
    assert s.loc["c"].tolist() == [1, 7.0, 18.0, 50.0]


def test_summary_in_weeks_divides_whole_days_by_seven(btyd_ws):
    s = customer_summary(btyd_ws, "2024-01-20", unit="weeks").set_index("customer_id")
    assert list(s.columns) == [
        "btyd_frequency",
        "btyd_recency_weeks",
        "btyd_age_weeks",
        "btyd_monetary_value",
    ]
    assert s.loc["a", "btyd_recency_weeks"] == pytest.approx(11 / 7)
    assert s.loc["a", "btyd_age_weeks"] == pytest.approx(19 / 7)
    assert s.attrs == {"unit": "weeks", "as_of": "2024-01-20"}


def test_return_before_as_of_reduces_monetary_not_frequency(btyd_ws):
    before = customer_summary(btyd_ws, "2024-01-12", unit="days").set_index("customer_id")
    after = customer_summary(btyd_ws, "2024-01-13", unit="days").set_index("customer_id")
    assert before.loc["a", "btyd_frequency"] == after.loc["a", "btyd_frequency"] == 2
    assert before.loc["a", "btyd_monetary_value"] == (30 + 40) / 2
    assert after.loc["a", "btyd_monetary_value"] == (30 + 30) / 2


def test_holdout_counts_purchase_days_and_spend_after_calibration_end(btyd_ws):
    h = calibration_holdout(btyd_ws, "2024-01-20", "2024-01-31", unit="days").to_pandas()
    h = h.set_index("customer_id")
    assert sorted(h.index) == ["a", "b", "c"]  # d first bought in the holdout: not included
    assert h.loc["c", ["holdout_purchases", "holdout_spend"]].tolist() == [2, 100.0]
    assert h.loc["a", ["holdout_purchases", "holdout_spend"]].tolist() == [0, 0.0]
    assert (h["holdout_length"] == 11.0).all()
    assert h.loc["c", "btyd_frequency"] == 1  # calibration part unchanged by holdout purchases


def test_holdout_end_must_follow_calibration_end(btyd_ws):
    with pytest.raises(ConfigError, match="must be after calibration end"):
        calibration_holdout(btyd_ws, "2024-01-20", "2024-01-20")


def test_compress_groups_identical_histories_with_weights():
    frame = pd.DataFrame(
        {
            "btyd_frequency": [0, 0, 2, 2, 2],
            "btyd_recency_days": [0.0, 0, 3, 3, 4],
            "btyd_age_days": [5.0, 5, 9, 9, 9],
        }
    )
    packed = compress(frame)
    assert packed.to_numpy().tolist() == [[0, 0.0, 5.0, 2], [2, 3.0, 9.0, 2], [2, 4.0, 9.0, 1]]
    assert list(packed.columns) == [*frame.columns, "weights"]


def test_summary_equals_lifetimes_summary_data_from_transaction_data(ws):
    from lifetimes.utils import summary_data_from_transaction_data

    rng = pd.Series(range(300))
    tx = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in rng],
            "customer_id": [f"c{i % 37}" for i in rng],
            "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta((rng * 7919) % 200, "D"),
            "amount": 1.0 + (rng * 31) % 97,
        }
    )
    ws.insert("transactions", tx)
    ours = customer_summary(ws, "2024-07-31", unit="days").set_index("customer_id")
    theirs = summary_data_from_transaction_data(
        tx, "customer_id", "order_ts", "amount", observation_period_end="2024-07-31", freq="D"
    )
    theirs = theirs.reindex(ours.index)
    for ours_name, theirs_name in (
        ("btyd_frequency", "frequency"),
        ("btyd_recency_days", "recency"),
        ("btyd_age_days", "T"),
        ("btyd_monetary_value", "monetary_value"),
    ):
        assert ours[ours_name].to_numpy() == pytest.approx(theirs[theirs_name].to_numpy())


def test_fully_returned_order_nets_to_zero_despite_floating_point_noise(ws):
    # 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point: without rounding the returned order would
    # count as a purchase on some runs and not on others, depending on the summation order
    rows = [
        ("o1", 1, "sale", "a", ts("2024-01-01 10:00"), 5.0),
        ("o2", 1, "sale", "a", ts("2024-01-03 10:00"), 0.1),
        ("o2", 2, "sale", "a", ts("2024-01-03 10:00"), 0.2),
        ("o2", 1, "return", "a", ts("2024-01-04 10:00"), -0.3),
    ]
    columns = ["order_id", "line_no", "kind", "customer_id", "order_ts", "amount"]
    ws.insert("transactions", pd.DataFrame(rows, columns=columns))
    s = customer_summary(ws, "2024-01-10", unit="days").set_index("customer_id")
    assert s.loc["a"].tolist() == [0, 0.0, 9.0, 0.0]


def test_patterns_group_identical_histories_in_the_warehouse(btyd_ws):
    btyd_ws.insert(
        "transactions",
        pd.DataFrame(
            # e repeats a's history (1, 5, 12 Jan; spend 30 and 30 on repeat days)
            [
                ("e1", 1, "sale", "e", ts("2024-01-01 10:00"), 7.0),
                ("e2", 1, "sale", "e", ts("2024-01-05 10:00"), 30.0),
                ("e3", 1, "sale", "e", ts("2024-01-12 10:00"), 30.0),
            ],
            columns=["order_id", "line_no", "kind", "customer_id", "order_ts", "amount"],
        ),
    )
    patterns, spend = fit_inputs(btyd_ws, "2024-01-20", unit="days")
    # a and e: (2, 11, 19) twice; b: (0, 0, 17); c: (1, 7, 18)
    assert list(patterns.columns) == [
        "btyd_frequency",
        "btyd_recency_days",
        "btyd_age_days",
        "weights",
    ]
    assert patterns.to_numpy().tolist() == [
        [0, 0.0, 17.0, 1],
        [1, 7.0, 18.0, 1],
        [2, 11.0, 19.0, 2],
    ]
    # repeat spend: c 50 once; a and e both (30 + 30) / 2
    assert list(spend.columns) == ["btyd_frequency", "btyd_monetary_value", "weights"]
    assert spend.to_numpy().tolist() == [[1, 50.0, 1], [2, 30.0, 2]]
    assert patterns.attrs == spend.attrs == {"unit": "days", "as_of": "2024-01-20"}
    # the same grouping in memory
    frame = customer_summary(btyd_ws, "2024-01-20", unit="days")
    assert compress(frame).to_dict("records") == patterns.to_dict("records")


def test_fit_from_warehouse_patterns_equals_fit_on_every_customer(ws):
    from crmlytics.clv.predict import ClvModel, fit_clv
    from tests.clv_data import simulate_bgnbd

    x, rec, T = simulate_bgnbd(400, 0.8, 20.0, 0.5, 3.0, 60, 200, seed=4)
    rows = []
    for i, (xi, ri, ti) in enumerate(zip(x, rec, T, strict=True)):
        first = ts("2024-01-01") + pd.Timedelta(days=int(200 - ti))
        days = sorted({0, *np.linspace(0, int(ri), int(xi) + 1).astype(int).tolist()})
        rows += [(f"o{i}-{d}", f"c{i}", first + pd.Timedelta(days=d), 10.0 + d % 7) for d in days]
    ws.insert(
        "transactions",
        pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "amount"]),
    )
    from_patterns = fit_clv(ws, "2024-07-18", unit="days")
    from_customers = ClvModel(unit="days").fit(customer_summary(ws, "2024-07-18", unit="days"))
    for a, b in (
        (from_patterns.purchases_, from_customers.purchases_),
        (from_patterns.spend_, from_customers.spend_),
    ):
        # the same likelihood maximised: equal up to the optimiser's tolerance
        assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-9)
        assert a.params_.to_numpy() == pytest.approx(b.params_.to_numpy(), rel=1e-4)
        assert a.n_customers_ == b.n_customers_
    assert from_patterns.spend_.correlation_ == pytest.approx(from_customers.spend_.correlation_)
    assert from_patterns.data_hash_ == from_customers.data_hash_


def test_weekly_summary_is_lifetimes_daily_summary_divided_by_7_not_its_weekly_one(ws):
    from lifetimes.utils import summary_data_from_transaction_data

    # Hand-made: 1 Jan 2024 is a Monday; calendar weeks run Monday to Sunday; as of Wed 31 Jan.
    # a: Mon 1, Sun 7 (same calendar week) and Wed 17 Jan -> 2 repeat days, recency 16 days,
    #    age 30 days, mean repeat spend (20 + 40) / 2 = 30
    # b: one purchase on Tue 9 Jan -> no repeat, age 22 days
    # c: Fri 5, two orders on Sat 6 (one purchase day worth 7 + 8) and Mon 29 Jan ->
    #    2 repeat days, recency 24 days, age 26 days, mean repeat spend (15 + 12) / 2 = 13.5
    tx = pd.DataFrame(
        [
            ("a1", "a", ts("2024-01-01 09:00"), 10.0),
            ("a2", "a", ts("2024-01-07 18:00"), 20.0),
            ("a3", "a", ts("2024-01-17 12:00"), 40.0),
            ("b1", "b", ts("2024-01-09 10:00"), 15.0),
            ("c1", "c", ts("2024-01-05 10:00"), 5.0),
            ("c2", "c", ts("2024-01-06 10:00"), 7.0),
            ("c3", "c", ts("2024-01-06 16:00"), 8.0),
            ("c4", "c", ts("2024-01-29 11:00"), 12.0),
        ],
        columns=["order_id", "customer_id", "order_ts", "amount"],
    )
    ws.insert("transactions", tx)
    weekly = customer_summary(ws, "2024-01-31", unit="weeks").set_index("customer_id")
    by_hand = {
        "a": [2, 16 / 7, 30 / 7, 30.0],
        "b": [0, 0.0, 22 / 7, 0.0],
        "c": [2, 24 / 7, 26 / 7, 13.5],
    }
    for customer, row in by_hand.items():
        assert weekly.loc[customer].tolist() == pytest.approx(row), customer

    daily = summary_data_from_transaction_data(
        tx, "customer_id", "order_ts", "amount", observation_period_end="2024-01-31", freq="D"
    ).reindex(weekly.index)
    assert weekly["btyd_frequency"].tolist() == daily["frequency"].tolist()
    assert weekly["btyd_recency_weeks"].to_numpy() == pytest.approx(daily["recency"] / 7)
    assert weekly["btyd_age_weeks"].to_numpy() == pytest.approx(daily["T"] / 7)
    assert weekly["btyd_monetary_value"].to_numpy() == pytest.approx(daily["monetary_value"])
    # not lifetimes' freq="W" summary: a bought on 2 days of one calendar week, counted as 2
    # purchase days here and as one week there
    by_week = summary_data_from_transaction_data(
        tx, "customer_id", "order_ts", "amount", observation_period_end="2024-01-31", freq="W"
    )
    assert weekly.loc["a", "btyd_frequency"] == 2 != by_week.loc["a", "frequency"]
