"""Hand-made sales histories whose trend, mix, cycle and staff figures are worked out by hand
in tests/test_sales.py (and reused by the parity suite)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crmlytics.workspace import Workspace
from tests.builders import sale


def ret(order_id: str, customer_id: str, when: str, amount: float, **extra: object) -> dict:
    """A return line of line 1 of ``order_id`` (amount given positive, stored negative)."""
    return sale(order_id, customer_id, when, -abs(amount), kind="return", **extra)


def shop(ws: Workspace) -> Workspace:
    """Five orders of customers a, b, c from March 2023 to March 2024, February 2024 empty.

    - o0: a, 2023-03-10, tea 60 (a's first purchase);
    - o1: a, 2024-01-05, tea 100; o2: b, 2024-01-20, cups 50 (b's first);
    - o3: a, 2024-03-02, tea 80, 30 of it returned on 2024-03-10 (net 50, a purchase);
    - o4: c, 2024-03-15, cups 40, returned in full on 2024-04-02 (no purchase once the return
      is visible).
    Regions: a and c north, b south.
    """
    ws.insert(
        "transactions",
        [
            sale("o0", "a", "2023-03-10", 60.0, category="tea"),
            sale("o1", "a", "2024-01-05", 100.0, category="tea"),
            sale("o2", "b", "2024-01-20", 50.0, category="cups"),
            sale("o3", "a", "2024-03-02", 80.0, category="tea"),
            ret("o3", "a", "2024-03-10", 30.0, category="tea"),
            sale("o4", "c", "2024-03-15", 40.0, category="cups"),
            ret("o4", "c", "2024-04-02", 40.0, category="cups"),
        ],
    )
    ws.insert(
        "customers",
        [
            dict(customer_id="a", region="north", signup_date=dt.date(2023, 1, 1)),
            dict(customer_id="b", region="south", signup_date=dt.date(2023, 1, 1)),
            dict(customer_id="c", region="north", signup_date=dt.date(2023, 1, 1)),
        ],
    )
    return ws


def cycles(ws: Workspace) -> Workspace:
    """Tea bought by x on 1, 11 and 31 January 2024 (gaps 10, 20), by y on 1 January and twice
    on 15 February (gap 45; one day), by z once; y's fully returned tea order of 1 March is no
    purchase. Cups bought by x once."""
    ws.insert(
        "transactions",
        [
            sale("x1", "x", "2024-01-01", 10.0, category="tea"),
            sale("x1", "x", "2024-01-01", 5.0, category="cups", line_no=2),
            sale("x2", "x", "2024-01-11", 10.0, category="tea"),
            sale("x3", "x", "2024-01-31", 10.0, category="tea"),
            sale("y1", "y", "2024-01-01", 10.0, category="tea"),
            sale("y2", "y", "2024-02-15 09:00", 10.0, category="tea"),
            sale("y3", "y", "2024-02-15 15:00", 10.0, category="tea"),
            sale("y4", "y", "2024-03-01", 10.0, category="tea"),
            ret("y4", "y", "2024-03-02", 10.0, category="tea"),
            sale("z1", "z", "2024-01-20", 10.0, category="tea"),
        ],
    )
    return ws


def staff(ws: Workspace, *, targets: bool = True) -> Workspace:
    """Owner A: o1 (c1) created 5 Jan 2024, won 10 Feb, 1000 (36 days); o2 (c2) created 10 Jan,
    won 20 Feb, 500 (41 days); o3 (c4) created 1 Feb, lost 25 Feb, 300. Owner B: o4 (c5)
    created 1 Feb, won 5 Mar, 800 (33 days, 2024 is a leap year); o5 (c6) created 3 Feb, open.
    Interactions in February: A with c1 and c2, B with c3. Customers c1, c2 carry the
    attribute owner A. Targets: A 2024-02 2000; B 2024-02 1000, 2024-03 400, 2024-05 900
    (after the as-of date)."""
    ts = pd.Timestamp

    def opp(oid, cust, owner, created, closed, outcome, value):  # noqa: ANN001, ANN202
        return dict(
            opportunity_id=oid,
            customer_id=cust,
            owner=owner,
            created_at=ts(f"{created} 09:00"),
            closed_at=ts(f"{closed} 09:00") if closed else None,
            outcome=outcome,
            expected_value=value,
        )

    ws.insert(
        "opportunities",
        [
            opp("o1", "c1", "A", "2024-01-05", "2024-02-10", "won", 1000.0),
            opp("o2", "c2", "A", "2024-01-10", "2024-02-20", "won", 500.0),
            opp("o3", "c4", "A", "2024-02-01", "2024-02-25", "lost", 300.0),
            opp("o4", "c5", "B", "2024-02-01", "2024-03-05", "won", 800.0),
            opp("o5", "c6", "B", "2024-02-03", None, "open", 700.0),
        ],
    )
    ws.insert(
        "interactions",
        [
            dict(interaction_id="i1", customer_id="c1", ts=ts("2024-02-02 10:00"), staff_id="A"),
            dict(interaction_id="i2", customer_id="c2", ts=ts("2024-02-03 10:00"), staff_id="A"),
            dict(interaction_id="i3", customer_id="c3", ts=ts("2024-02-04 10:00"), staff_id="B"),
        ],
    )
    ws.insert(
        "customers",
        [
            dict(customer_id=c, attributes='{"owner": "A"}' if c in ("c1", "c2") else None)
            for c in ("c1", "c2", "c3", "c4", "c5", "c6")
        ],
    )
    if targets:
        ws.insert(
            "sales_targets",
            [
                dict(owner="A", period="2024-02", target_amount=2000.0),
                dict(owner="B", period="2024-02", target_amount=1000.0),
                dict(owner="B", period="2024-03", target_amount=400.0),
                dict(owner="B", period="2024-05", target_amount=900.0),
            ],
        )
    return ws
