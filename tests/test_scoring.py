"""Nightly scoring records every score of every customer, or nothing."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.clv import ClvFitError
from crmlytics.demo import generate_demo
from crmlytics.export import export_segment
from crmlytics.runs import latest_scores
from crmlytics.scoring import CLV_COLUMNS, score


@pytest.fixture
def demo_ws(ws):
    demo = generate_demo(customers=400, seed=11)
    for table, frame in demo.tables.items():
        ws.insert(table, frame)
    return ws, demo.truth.as_of


def test_a_score_run_holds_segments_and_clv_for_every_customer(demo_ws):
    ws, as_of = demo_ws
    run = score(ws, as_of)
    scores = latest_scores(ws, as_of)
    assert len(scores) == run.customers == 400
    assert {"rfm_segment", "value_tier", "lifecycle", *CLV_COLUMNS} <= set(scores.columns)
    buyers = scores["orders"] > 0
    assert scores.loc[buyers, "p_alive"].between(0, 1).all()
    assert scores.loc[~buyers, "clv"].isna().all()


def test_export_can_filter_on_the_clv_of_the_score_run(demo_ws, tmp_path):
    ws, as_of = demo_ws
    score(ws, as_of)
    scores = latest_scores(ws, as_of)
    expected = scores[
        (scores.value_tier == "gold") & (scores.clv > 100)
    ].customer_id  # before suppression
    result = export_segment(
        ws, "gold", as_of=as_of, where="clv > 100", out=tmp_path / "gold.csv",
        include_opted_out=True,
    )  # fmt: skip
    written = pd.read_csv(tmp_path / "gold.csv", encoding="utf-8-sig")
    assert set(written.customer_id) == set(expected)
    assert result.rows == len(expected)


def test_a_run_that_cannot_fit_clv_records_nothing(ws):
    # everyone bought on a single day: no repeat buyers, BG/NBD cannot be fitted
    ws.insert(
        "transactions",
        [
            dict(order_id=f"o{i}", line_no=1, kind="sale", customer_id=f"c{i}",
                 order_ts=pd.Timestamp("2024-01-01") + pd.Timedelta(days=i), amount=10.0)
            for i in range(30)
        ],
    )  # fmt: skip
    with pytest.raises(ClvFitError, match="(?i)repeat"):
        score(ws, "2024-03-01")
    assert ws.table("score_runs").count().execute() == 0


def test_score_command_reports_the_run(tmp_path):
    db = tmp_path / "crm.duckdb"
    runner = CliRunner()
    quick = ["quickstart", "--customers", "300", "--db", str(db), "--demo-dir", str(tmp_path)]
    assert runner.invoke(app, quick).exit_code == 0
    result = runner.invoke(app, ["score", "--as-of", "2025-06-30", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "300 customers as of 2025-06-30" in result.output
