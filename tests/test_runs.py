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


def test_a_run_failing_after_its_scores_are_written_is_never_the_latest(ws, monkeypatch):
    import crmlytics.runs as runs

    first = record_scores(ws, _scores(), as_of="2024-01-10")

    def fail(run):
        raise RuntimeError("disk full while marking the run")

    monkeypatch.setattr(runs, "_run_values", fail)  # the last step, after the rows went in
    with pytest.raises(RuntimeError, match="disk full"):
        record_scores(ws, _scores(clv_b=1.0), as_of="2024-01-11")
    assert runs.latest_run_id(ws) == first
    assert latest_scores(ws).clv.tolist() == [120.5, 80.0]


def test_a_score_process_killed_midway_leaves_the_previous_run_latest(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    from crmlytics.runs import latest_run_id
    from crmlytics.workspace import Workspace

    db = tmp_path / "crm.duckdb"
    with Workspace.open(db, timezone="UTC") as ws:
        ws.insert(
            "transactions",
            [
                dict(order_id=f"o{i}-{j}", line_no=1, kind="sale", customer_id=f"c{i}",
                     order_ts=pd.Timestamp("2024-01-01") + pd.Timedelta(days=9 * j + i),
                     amount=10.0 + i)
                for i in range(30) for j in range(3)
            ],
        )  # fmt: skip
        first = record_scores(ws, _scores(), as_of="2024-03-31")
    # `crmlytics score` in a child process that stops for good once its scores are inserted
    # (inside the run's transaction, before the run row): then it is killed
    child = textwrap.dedent(
        f"""
        import sys, time
        import crmlytics.runs as runs
        def stop(run):
            print("scores written", flush=True)
            time.sleep(600)
        runs._run_values = stop
        from crmlytics.cli import main
        sys.argv = ["crmlytics", "score", "--as-of", "2024-03-31", "--db", {str(db)!r}]
        main()
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    config = tmp_path / "crmlytics.yaml"
    config.write_text("churn:\n  score_run: false\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", child], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        lines = []
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if "scores written" in line:
                break
        assert any("scores written" in line for line in lines), "".join(lines)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    with Workspace.open(db, read_only=True) as ws:
        assert latest_run_id(ws) == first
        assert ws.table("score_runs").count().execute() == 1
        assert latest_scores(ws).clv.tolist() == [120.5, 80.0]
