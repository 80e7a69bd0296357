"""Segment migration between two as-of dates, worked by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.segments import downgrades, migration, migration_sankey, transition_matrix
from crmlytics.segments.config import SegmentsConfig, ValueConfig
from tests.builders import spring_sales

FROM, TO = "2024-03-31", "2024-06-30"
# gold = max(1, floor(0.34 n)), silver up to floor(0.67 n)
CONFIG = SegmentsConfig(value=ValueConfig(gold=0.34, silver=0.33, measure="revenue"))


@pytest.fixture
def moving(ws):
    """On 31 Mar: a 100 (gold), b 50 (silver), c 10 (bronze), d no purchase, e unknown.
    On 30 Jun: c 210 (gold), a 100, b 50 (silver), d 30, e 5 (bronze)."""
    signup = dt.date(2024, 1, 1)
    ws.insert(
        "customers",
        [dict(customer_id=c, signup_date=signup) for c in "abcd"]
        + [dict(customer_id="e", signup_date=dt.date(2024, 5, 10))],
    )
    ws.insert(
        "transactions",
        spring_sales(),
    )
    return ws


def as_dict(frame: pd.DataFrame, values: str) -> dict[tuple[str, str], float]:
    return {(r.from_segment, r.to_segment): getattr(r, values) for r in frame.itertuples()}


def test_value_tier_transition_matrix_counts_and_revenue(moving):
    frame = migration(moving, FROM, TO, by="value_tier", config=CONFIG)
    assert as_dict(frame, "customers") == {
        ("gold", "silver"): 1,
        ("silver", "silver"): 1,
        ("bronze", "gold"): 1,
        ("none", "bronze"): 2,
    }
    assert as_dict(frame, "revenue") == {
        ("gold", "silver"): 0.0,
        ("silver", "silver"): 0.0,
        ("bronze", "gold"): 200.0,
        ("none", "bronze"): 35.0,
    }
    matrix = transition_matrix(frame)
    assert matrix.index.tolist() == ["gold", "silver", "bronze", "none"]
    assert matrix.loc["gold", "silver"] == 1 and matrix.loc["gold", "gold"] == 0
    assert int(matrix.to_numpy().sum()) == 5


def test_downgrades_list_customers_leaving_a_valuable_tier(moving):
    frame = downgrades(moving, FROM, TO, by="value_tier", config=CONFIG)
    assert frame.to_dict("records") == [
        dict(customer_id="a", from_segment="gold", to_segment="silver", steps=1, revenue=0.0)
    ]


def test_lifecycle_upgrades_are_not_downgrades(moving):
    # 31 Mar: a, b, c first-time (no repeat buyer, so no one-off dormancy), d prospect.
    # 30 Jun: c repeat (gap 102 d); a, b, d, e first-time (one-off threshold 3 x 102 days).
    frame = migration(moving, FROM, TO, by="lifecycle", config=CONFIG)
    assert as_dict(frame, "customers") == {
        ("first_time", "repeat"): 1,
        ("first_time", "first_time"): 2,
        ("prospect", "first_time"): 1,
        ("none", "first_time"): 1,
    }
    assert downgrades(moving, FROM, TO, by="lifecycle", config=CONFIG).empty


def test_migration_sankey_links_carry_the_matrix(moving):
    frame = migration(moving, FROM, TO, by="value_tier", config=CONFIG)
    fig = migration_sankey(frame, values="revenue")
    sankey = fig.data[0]
    nodes = list(sankey.node.label)
    links = {
        (nodes[s], nodes[t]): v
        for s, t, v in zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)
    }
    assert links[("Bronze (occasional)", "Gold (key)")] == 200.0
    assert links[("none", "Bronze (occasional)")] == 35.0


def test_migration_refuses_bad_dates_and_segmentations(moving):
    with pytest.raises(ValueError, match="later day"):
        migration(moving, TO, FROM)
    with pytest.raises(ValueError, match="by must be one of"):
        migration(moving, FROM, TO, by="colour")
    with pytest.raises(ValueError, match="unknown value_tier keys"):
        downgrades(moving, FROM, TO, by="value_tier", valuable=["platinum"])
