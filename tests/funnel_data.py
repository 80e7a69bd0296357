"""Hand-made and simulated opportunities for the funnel tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

SALES = ("lead", "needs", "proposal", "quote", "negotiation", "won")


def ts(day: str, hour: int = 9) -> pd.Timestamp:
    return pd.Timestamp(f"{day} {hour:02d}:00")


def crafted(ws) -> None:
    """Five opportunities worked out by hand in tests/test_funnel.py (as of 2024-01-31):

    - A (amy): lead 1 Jan, skips needs, proposal 4 Jan, quote 6 Jan, negotiation 10 Jan, won
      20 Jan (outcome won, closed 20 Jan);
    - B (bob): lead 2 Jan, needs 3 Jan and again 8 Jan (repeated), proposal 10 Jan written in
      Chinese (提供方案); open;
    - C (bob): lead 3 Jan, needs 5 Jan, quote 7 Jan, proposal 9 Jan (out of order), a lost
      entry 12 Jan (outcome lost, closed 12 Jan);
    - D (amy): lead 4 Jan, an unknown stage name 'Vertrag' on 6 Jan; open;
    - E (cat): lead 5 Jan, needs 10 Feb (after the as-of date); open at lead as of 31 Jan.
    """
    ws.insert(
        "opportunities",
        [
            dict(opportunity_id="A", customer_id="c1", owner="amy", source="web",
                 expected_value=100.0, created_at=ts("2024-01-01"), outcome="won",
                 closed_at=ts("2024-01-20")),
            dict(opportunity_id="B", customer_id="c2", owner="bob", source="web",
                 expected_value=200.0, created_at=ts("2024-01-02"), outcome="open"),
            dict(opportunity_id="C", customer_id="c3", owner="bob", source="fair",
                 expected_value=300.0, created_at=ts("2024-01-03"), outcome="lost",
                 closed_at=ts("2024-01-12"), competitor="Apex", lost_reason="price"),
            dict(opportunity_id="D", customer_id="c4", owner="amy", source="fair",
                 expected_value=400.0, created_at=ts("2024-01-04"), outcome="open"),
            dict(opportunity_id="E", customer_id="c5", owner="cat", source="web",
                 expected_value=500.0, created_at=ts("2024-01-05"), outcome="open"),
        ],
    )  # fmt: skip
    events = [
        ("A", "lead", "2024-01-01"),
        ("A", "proposal", "2024-01-04"),
        ("A", "quote", "2024-01-06"),
        ("A", "negotiation", "2024-01-10"),
        ("A", "won", "2024-01-20"),
        ("B", "lead", "2024-01-02"),
        ("B", "needs", "2024-01-03"),
        ("B", "Needs", "2024-01-08"),
        ("B", "提供方案", "2024-01-10"),
        ("C", "lead", "2024-01-03"),
        ("C", "needs", "2024-01-05"),
        ("C", "quote", "2024-01-07"),
        ("C", "proposal", "2024-01-09"),
        ("C", "lost", "2024-01-12"),
        ("D", "lead", "2024-01-04"),
        ("D", "Vertrag", "2024-01-06"),
        ("E", "lead", "2024-01-05"),
        ("E", "needs", "2024-02-10"),
    ]
    ws.insert(
        "opportunity_stages",
        [dict(opportunity_id=o, stage=s, entered_at=ts(d)) for o, s, d in events],
    )


def simulate(
    rng: np.random.Generator,
    n: int,
    conversion: tuple[float, ...],
    *,
    start: str = "2023-01-01",
    span_days: float = 365.0,
    dwell_days: float = 3.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` sales opportunities created uniformly over ``span_days`` from ``start``; at stage
    i a deal moves on with probability ``conversion[i]`` after an exponential dwell of mean
    ``dwell_days``, else it is lost (a lost entry and outcome lost). Nothing gets stuck, so
    every deal is decided soon after it is created."""
    origin = pd.Timestamp(start)
    created = rng.random(n) * span_days
    ids = [f"S{i:06d}" for i in range(n)]
    opp, events = [], []
    for k in range(n):
        t = created[k]
        events.append((ids[k], SALES[0], t))
        outcome, closed = "won", None
        for i, c in enumerate(conversion):
            t = t + rng.exponential(dwell_days)
            if rng.random() < c:
                events.append((ids[k], SALES[i + 1], t))
            else:
                events.append((ids[k], "lost", t))
                outcome = "lost"
                break
        closed = t
        opp.append(
            dict(
                opportunity_id=ids[k],
                customer_id=f"k{k % 500}",
                owner=f"o{k % 7}",
                source=("web", "fair", "call")[k % 3],
                expected_value=1000.0,
                created_at=origin + pd.to_timedelta(created[k], unit="D"),
                outcome=outcome,
                closed_at=origin + pd.to_timedelta(closed, unit="D"),
            )
        )
    stage_rows = pd.DataFrame(events, columns=["opportunity_id", "stage", "t"])
    stage_rows["entered_at"] = origin + pd.to_timedelta(stage_rows.pop("t"), unit="D")
    stage_rows["entered_at"] = stage_rows["entered_at"].dt.floor("s")
    frame = pd.DataFrame(opp)
    for column in ("created_at", "closed_at"):
        frame[column] = frame[column].dt.floor("s")
    return frame, stage_rows
