from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.workspace import Workspace


@pytest.fixture
def ws():
    """An empty in-memory warehouse with every canonical table."""
    workspace = Workspace.memory()
    yield workspace
    workspace.close()


@pytest.fixture
def small_ws(ws):
    """A handful of customers whose facts are worked out by hand in tests/test_facts.py."""
    ts = pd.Timestamp
    ws.insert(
        "transactions",
        pd.DataFrame(
            [
                # a: two lines on 1 Jan, line 1 returned on 3 Jan, another order on 10 Jan 09:00
                ("o1", 1, "sale", "a", ts("2024-01-01 10:00"), "p1", 100.0, 60.0, "tea"),
                ("o1", 2, "sale", "a", ts("2024-01-01 10:00"), "p2", 50.0, None, None),
                ("o1", 1, "return", "a", ts("2024-01-03 10:00"), "p1", -100.0, 60.0, "tea"),
                ("o2", 1, "sale", "a", ts("2024-01-10 09:00"), "p1", 30.0, 18.0, "tea"),
                # b: two orders on the same day, one fully returned later
                ("o3", 1, "sale", "b", ts("2024-01-05 09:00"), "p1", 20.0, None, "tea"),
                ("o4", 1, "sale", "b", ts("2024-01-05 17:30"), "p2", 40.0, None, None),
                ("o4", 1, "return", "b", ts("2024-01-06 11:00"), "p2", -40.0, None, None),
                # d: order exactly at the as-of instant used in the tests
                ("o5", 1, "sale", "d", ts("2024-01-10 08:59:59"), "p2", 15.5, None, None),
            ],
            columns=[
                "order_id",
                "line_no",
                "kind",
                "customer_id",
                "order_ts",
                "product_id",
                "amount",
                "cost",
                "category",
            ],
        ),
    )
    ws.insert(
        "products", [dict(product_id="p1", category="tea"), dict(product_id="p2", category="cups")]
    )
    ws.insert(
        "customers",
        [
            dict(customer_id="a", signup_date=dt.date(2023, 6, 1)),
            dict(customer_id="b", signup_date=dt.date(2023, 6, 1)),
            dict(customer_id="c", signup_date=dt.date(2023, 12, 1)),  # prospect
            dict(customer_id="d"),
            dict(customer_id="e", signup_date=dt.date(2024, 2, 1)),  # signs up after as-of
        ],
    )
    ws.insert(
        "complaints",
        [
            dict(complaint_id="k1", customer_id="a", opened_at=ts("2024-01-04 12:00")),
            dict(complaint_id="k2", customer_id="a", opened_at=ts("2024-01-11 12:00")),
        ],
    )
    ws.insert(
        "interactions",
        [
            dict(interaction_id="i1", customer_id="c", ts=ts("2024-01-02 12:00")),
            dict(interaction_id="i2", customer_id="b", ts=ts("2024-01-09 12:00")),
        ],
    )
    return ws


@pytest.fixture
def btyd_ws(ws):
    """Purchase histories with BTYD summaries worked out by hand in tests/test_clv_summary.py."""
    ts = pd.Timestamp
    rows = [
        # a: two orders on 1 Jan (10 + 20), 5 Jan (30), 12 Jan (40, 10 of it returned 13 Jan)
        ("o1", 1, "sale", "a", ts("2024-01-01 09:00"), 10.0),
        ("o2", 1, "sale", "a", ts("2024-01-01 18:00"), 20.0),
        ("o3", 1, "sale", "a", ts("2024-01-05 10:00"), 30.0),
        ("o4", 1, "sale", "a", ts("2024-01-12 10:00"), 40.0),
        ("o4", 1, "return", "a", ts("2024-01-13 10:00"), -10.0),
        # b: one order on 3 Jan; an order on 8 Jan fully returned on 9 Jan
        ("o5", 1, "sale", "b", ts("2024-01-03 10:00"), 25.0),
        ("o6", 1, "sale", "b", ts("2024-01-08 10:00"), 15.0),
        ("o6", 1, "return", "b", ts("2024-01-09 10:00"), -15.0),
        # c: a free order on 2 Jan, a paid one on 9 Jan; after the as-of date: 25 Jan, 28 Jan
        ("o7", 1, "sale", "c", ts("2024-01-02 10:00"), 0.0),
        ("o8", 1, "sale", "c", ts("2024-01-09 10:00"), 50.0),
        ("o9", 1, "sale", "c", ts("2024-01-25 10:00"), 70.0),
        ("o10", 1, "sale", "c", ts("2024-01-28 10:00"), 30.0),
        # d: first purchase after the as-of date
        ("o11", 1, "sale", "d", ts("2024-01-22 10:00"), 5.0),
    ]
    columns = ["order_id", "line_no", "kind", "customer_id", "order_ts", "amount"]
    ws.insert("transactions", pd.DataFrame(rows, columns=columns))
    return ws
