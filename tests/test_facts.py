"""Customer facts worked out by hand on the small warehouse of tests/conftest.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.asof import as_of
from crmlytics.facts import FACT_COLUMNS, facts, facts_summary


def _row(frame: pd.DataFrame, customer_id: str) -> pd.Series:
    return frame.set_index("customer_id").loc[customer_id]


def test_columns_are_the_documented_facts(small_ws):
    assert tuple(facts(small_ws, "2024-01-10").columns) == FACT_COLUMNS


def test_partial_return_reduces_revenue_but_keeps_the_order(small_ws):
    # a: o1 = 100 + 50 on 1 Jan, the 100 line returned on 3 Jan; o2 = 30 on 10 Jan.
    a = _row(facts(small_ws, "2024-01-10"), "a")
    assert a.orders == 2 and a.purchase_days == 2
    assert a.gross_revenue == 180.0
    assert a.returned_revenue == 100.0
    assert a.net_revenue == 80.0
    assert a.avg_order_value == 40.0  # 80 over 2 purchases
    assert a.first_purchase_date == pd.Timestamp("2024-01-01")
    assert a.last_purchase_date == pd.Timestamp("2024-01-10")
    assert (a.purchase_span_days, a.days_since_first_purchase, a.days_since_last_purchase) == (
        9,
        9,
        0,
    )


def test_profit_counts_only_lines_with_cost_and_a_return_gives_its_cost_back(small_ws):
    # (100 - 60) + (-100 + 60) + (30 - 18); the 50 line has no cost.
    assert _row(facts(small_ws, "2024-01-10"), "a").profit == 12.0
    assert pd.isna(_row(facts(small_ws, "2024-01-10"), "b").profit)


def test_fully_returned_order_is_not_a_purchase(small_ws):
    # b: o3 = 20 and o4 = 40 on 5 Jan; o4 fully returned on 6 Jan.
    b = _row(facts(small_ws, "2024-01-10"), "b")
    assert b.orders == 1 and b.purchase_days == 1
    assert (b.gross_revenue, b.returned_revenue, b.net_revenue) == (60.0, 40.0, 20.0)
    assert (b.purchase_span_days, b.days_since_first_purchase, b.days_since_last_purchase) == (
        0,
        5,
        5,
    )


def test_return_not_yet_made_as_of_is_not_seen(small_ws):
    a = _row(facts(small_ws, "2024-01-02"), "a")
    assert (a.gross_revenue, a.returned_revenue, a.net_revenue, a.orders) == (150.0, 0.0, 150.0, 1)


def test_categories_fall_back_to_the_product_category(small_ws):
    # a bought p1 (line category tea) and p2 (no line category; product category cups).
    assert _row(facts(small_ws, "2024-01-10"), "a").categories_bought == 2


def test_as_of_exactly_on_an_order_timestamp_includes_that_order(small_ws):
    frame = facts(small_ws, "2024-01-10T08:59:59")
    d = _row(frame, "d")
    assert d.orders == 1 and d.net_revenue == 15.5 and d.days_since_first_purchase == 0
    # a's order at 09:00 the same day is one second too late
    a = _row(frame, "a")
    assert a.orders == 1 and a.net_revenue == 50.0 and a.days_since_last_purchase == 9
    earlier = _row(facts(small_ws, "2024-01-10T08:59:58"), "d")
    assert earlier.orders == 0 and earlier.net_revenue == 0.0


def test_a_date_as_of_sees_the_whole_day(small_ws):
    assert _row(facts(small_ws, dt.date(2024, 1, 10)), "a").orders == 2
    assert _row(facts(small_ws, dt.date(2024, 1, 9)), "a").orders == 1


def test_prospects_are_listed_with_zero_counts_and_no_purchase_dates(small_ws):
    c = _row(facts(small_ws, "2024-01-10"), "c")
    assert c.orders == 0 and c.net_revenue == 0.0 and c.contacts == 1
    assert pd.isna(c.first_purchase_date) and pd.isna(c.purchase_span_days)


def test_customers_who_sign_up_after_as_of_are_not_yet_customers(small_ws):
    assert "e" not in set(facts(small_ws, "2024-01-10").customer_id)
    assert "e" in set(facts(small_ws, "2024-02-01").customer_id)


def test_complaints_and_contacts_are_counted_up_to_as_of(small_ws):
    frame = facts(small_ws, "2024-01-10")
    assert _row(frame, "a").complaints == 1  # the second complaint is on 11 Jan
    assert _row(frame, "b").contacts == 1
    assert _row(facts(small_ws, "2024-01-11"), "a").complaints == 2


def test_window_days_keeps_only_the_last_n_days_of_transactions(small_ws):
    # last 5 days up to 10 Jan = 6..10 Jan: a's o2 (30) and b's return of o4 (-40)
    frame = facts(small_ws, "2024-01-10", window_days=5)
    a, b = _row(frame, "a"), _row(frame, "b")
    assert (a.orders, a.net_revenue) == (1, 30.0)
    assert (b.orders, b.gross_revenue, b.returned_revenue) == (0, 0.0, 40.0)


def test_rerunning_the_same_as_of_gives_identical_results(small_ws):
    pd.testing.assert_frame_equal(facts(small_ws, "2024-01-10"), facts(small_ws, "2024-01-10"))


def test_summary_counts_buyers_and_revenue(small_ws):
    summary = facts_summary(facts(small_ws, "2024-01-10")).set_index("measure")["value"]
    assert summary["customers"] == 4  # a, b, c, d (e signs up later)
    assert summary["buyers (≥1 purchase)"] == 3
    assert summary["net revenue"] == pytest.approx(80.0 + 20.0 + 15.5)


def test_as_of_rejects_text_that_is_not_a_date():
    with pytest.raises(ValueError, match="not a date"):
        as_of("10/01/2024")


def test_an_order_returned_in_pieces_nets_to_exactly_zero_and_is_no_purchase(ws):
    # 0.1 + 0.2 - 0.3 is 5.55e-17 in floating point: rounding the order net keeps it at zero
    ts = pd.Timestamp("2024-01-01 10:00")
    ws.insert(
        "transactions",
        [
            dict(order_id="o1", line_no=1, kind="sale", customer_id="x", order_ts=ts, amount=0.1),
            dict(order_id="o1", line_no=2, kind="sale", customer_id="x", order_ts=ts, amount=0.2),
            dict(
                order_id="o1", line_no=1, kind="return", customer_id="x", order_ts=ts, amount=-0.3
            ),
        ],
    )
    x = _row(facts(ws, "2024-01-02"), "x")
    assert x.orders == 0 and pd.isna(x.first_purchase_date)
