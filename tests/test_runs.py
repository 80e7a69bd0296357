"""Score runs are append-only and all-or-nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlytics.runs import latest_scores, record_scores, run_scores


def _scores(clv_b: object = 80.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ["a", "b"], "clv": [120.5, clv_b], "rfm_segment": ["champions", "lost"]}
    )


def test_a_run_is_stored_with_its_scores_and_metadata(ws):
    run_id = record_scores(
        ws, _scores(), as_of="2024-01-10", config_hash="abc", model_versions={"clv": "bgnbd-1"}
    )
    runs = ws.table("score_runs").to_pandas()
    assert runs.run_id.tolist() == [run_id]
    assert runs.status.tolist() == ["succeeded"] and runs.config_hash.tolist() == ["abc"]
    assert run_id.startswith("20240110-")
    latest = latest_scores(ws)
    assert latest.clv.tolist() == [120.5, 80.0]
    assert latest.rfm_segment.tolist() == ["champions", "lost"]


def test_a_new_score_adds_a_column_and_older_runs_read_null_for_it(ws):
    first = record_scores(ws, _scores(), as_of="2024-01-10")
    second = record_scores(ws, _scores().assign(p_alive=[0.9, 0.1]), as_of="2024-01-11")
    assert latest_scores(ws).p_alive.tolist() == [0.9, 0.1]
    old = ws.backend.table("customer_scores").filter(lambda t: t.run_id == first).to_pandas()
    assert old.p_alive.isna().all()
    assert first != second


def test_a_failing_run_leaves_nothing_and_earlier_runs_intact(ws):
    record_scores(ws, _scores(), as_of="2024-01-10")
    with pytest.raises(Exception, match="(?i)convert|cast|could not"):
        # 'clv' is a DOUBLE column since the first run: text cannot go in
        record_scores(ws, _scores(clv_b="not a number"), as_of="2024-01-11")
    assert len(ws.table("score_runs").to_pandas()) == 1
    assert len(ws.backend.table("customer_scores").to_pandas()) == 2
    assert latest_scores(ws).clv.tolist() == [120.5, 80.0]


def test_duplicate_customers_are_refused_before_anything_is_written(ws):
    scores = pd.DataFrame({"customer_id": ["a", "a"], "clv": [1.0, 2.0]})
    with pytest.raises(ValueError, match="'a' more than once"):
        record_scores(ws, scores, as_of="2024-01-10")
    assert ws.table("score_runs").count().execute() == 0


def test_a_run_reads_back_only_the_columns_it_wrote(ws):
    # a score renamed since an older run (recency_days -> days_since_last_purchase) stays in
    # customer_scores as a column, but is not part of the newer run's scores
    old = record_scores(ws, _scores().assign(recency_days=[3, 40]), as_of="2024-01-10")
    new = record_scores(ws, _scores().assign(days_since_last_purchase=[3, 40]), as_of="2024-01-11")
    assert "recency_days" in ws.backend.table("customer_scores").columns
    assert list(run_scores(ws, new).columns) == [
        "customer_id", "clv", "rfm_segment", "days_since_last_purchase",
    ]  # fmt: skip
    assert "days_since_last_purchase" not in run_scores(ws, old).columns
    assert list(latest_scores(ws).columns) == list(run_scores(ws, new).columns)
