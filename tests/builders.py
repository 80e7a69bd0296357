"""Small builders for hand-made test rows."""

from __future__ import annotations

from typing import Any

import pandas as pd


def sale(order_id: str, customer_id: str, when: str, amount: float, **extra: Any) -> dict:
    """A sale line (line 1 unless ``line_no`` is given); a bare day ``when`` means 10:00."""
    ts = pd.Timestamp(f"{when} 10:00" if len(when) == 10 else when)
    row = dict(order_id=order_id, line_no=1, kind="sale", customer_id=customer_id)
    return row | dict(order_ts=ts, amount=amount) | extra
