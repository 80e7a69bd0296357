"""Small builders for hand-made test rows."""

from __future__ import annotations

from typing import Any

import pandas as pd


def sale(order_id: str, customer_id: str, when: str, amount: float, **extra: Any) -> dict:
    """A sale line (line 1 unless ``line_no`` is given); a bare day ``when`` means 10:00."""
    ts = pd.Timestamp(f"{when} 10:00" if len(when) == 10 else when)
    row = dict(order_id=order_id, line_no=1, kind="sale", customer_id=customer_id)
    return row | dict(order_ts=ts, amount=amount) | extra


def spring_sales() -> list[dict]:
    """Six orders of customers a-e, February to June 2024: a 100, b 50, c 10 then 200, d 30, e 5."""
    return [
        sale("o1", "a", "2024-02-01", 100.0),
        sale("o2", "b", "2024-02-02", 50.0),
        sale("o3", "c", "2024-02-03", 10.0),
        sale("o4", "c", "2024-05-15", 200.0),
        sale("o5", "d", "2024-06-01", 30.0),
        sale("o6", "e", "2024-06-02", 5.0),
    ]
