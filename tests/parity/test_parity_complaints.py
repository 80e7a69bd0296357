"""Complaints: DuckDB and Spark agree on steps, handling times and SLA, findings, backlog,
unfollowed complaints, volume and rates, customers and the impact panel."""

from __future__ import annotations

import numpy as np
import pytest

from crmlytics.complaints import (
    backlog,
    complaint_steps,
    complaint_volume,
    contact_volume,
    handling_times,
    open_complaints_by_tier,
    quality_findings,
    repeat_complainers,
    revisit_due,
    satisfaction_by_resolution,
    unfollowed,
)
from crmlytics.complaints.config import ComplaintsConfig
from crmlytics.complaints.impact import impact_panel
from tests.parity.conftest import assert_same_frame
from tests.parity.test_parity_ranking import _unpartitioned_windows
from tests.test_complaints import crafted_complaints
from tests.test_complaints_impact import simulate

pytestmark = pytest.mark.spark


@pytest.fixture
def complaints_ws(ws):
    """300 simulated buyers with complaints in July 2023 (tests/test_complaints_impact.py),
    plus the hand-worked complaints of tests/test_complaints.py (open, missing step, out of
    order) moved to 2023."""
    simulate(ws, np.random.default_rng(2), n=300)
    rows = []
    for row in crafted_complaints():
        moved = {
            k: (v - np.timedelta64(366, "D") if hasattr(v, "year") else v) for k, v in row.items()
        }
        moved["complaint_id"] = "X" + row["complaint_id"]
        moved["satisfaction"] = row.get("satisfaction")
        rows.append(moved)
    ws.insert("complaints", rows)
    ws.insert(
        "interactions",
        [
            dict(
                interaction_id=f"i{i}",
                customer_id=f"c{i % 97}",
                ts=np.datetime64("2023-06-01") + np.timedelta64(i * 13 % 200, "D"),
                channel=("phone", "visit", "web")[i % 3],
                kind="care",
            )
            for i in range(150)
        ],
    )
    return ws


def test_complaint_expressions_equal_on_duckdb_and_spark(complaints_ws, to_spark):
    spark_ws = to_spark(complaints_ws)
    as_of = "2023-03-10"
    later = "2023-12-31"
    conf = ComplaintsConfig(first_response_hours_by_severity={3: 4})
    cases = [
        (lambda w: complaint_steps(w, as_of, conf), ["complaint_id"]),
        (lambda w: complaint_steps(w, later), ["complaint_id"]),
        (lambda w: handling_times(w, later, "category", conf), ["category"]),
        (lambda w: handling_times(w, as_of, "severity"), ["severity"]),
        (lambda w: handling_times(w, later, None), ["complaints"]),  # percentiles of all rows
        (lambda w: quality_findings(w, later), ["complaint_id", "finding"]),
        (lambda w: backlog(w, as_of, "category"), ["category", "bucket_index"]),
        (lambda w: unfollowed(w, later), ["complaint_id"]),
        (lambda w: complaint_volume(w, later, "month"), ["month"]),
        (lambda w: complaint_volume(w, later, "category", 365), ["category"]),
        (lambda w: repeat_complainers(w, later, 1), ["customer_id"]),
        (lambda w: open_complaints_by_tier(w, as_of), ["complaint_id"]),
        (lambda w: satisfaction_by_resolution(w, later), ["band_index"]),
        (lambda w: impact_panel(w, later, 90), ["customer_id", "ref_day"]),
        (lambda w: contact_volume(w, later, "channel"), ["channel"]),
        (lambda w: revisit_due(w, later, 30), ["customer_id"]),
    ]
    for make, key in cases:
        duck = make(complaints_ws).to_pandas()
        spark = make(spark_ws).to_pandas()
        assert len(duck) > 0, key
        assert_same_frame(duck, spark, key)
    # no grouping: the percentiles of all complaints without a window over all rows
    assert _unpartitioned_windows(spark_ws.backend, handling_times(spark_ws, later, None)) == []
