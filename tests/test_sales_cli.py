"""The sales and customers commands: the trend file's columns, targets ingested and measured
against, merges applied and undone from the command line, HTML reports with their charts."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.workspace import Workspace
from tests.sales_data import shop, staff


def run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "crm.duckdb"
    with Workspace.open(path) as ws:
        shop(ws)
        staff(ws, targets=False)
    return path


def test_trend_by_month_writes_one_row_per_period_with_the_contract_columns(db, tmp_path):
    out = tmp_path / "trend.csv"
    result = run(
        "sales", "trend", "--by", "month", "--out", out, "--as-of", "2024-04-15", "--db", db
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame.columns[:6]) == [
        "period",
        "orders",
        "customers",
        "gross_revenue",
        "returns",
        "net_revenue",
    ]
    assert all(c.endswith("_change") for c in frame.columns[10:])
    assert len(frame) == 14 and frame["period"].is_unique
    feb = frame[frame["period"] == "2024-02-01"].iloc[0]
    assert (feb["orders"], feb["gross_revenue"], feb["returns"], feb["net_revenue"]) == (0, 0, 0, 0)
    assert frame["returns"].sum() == 70.0  # 30 in March, 40 in April


def test_trend_by_quarter_and_region_in_one_call(db):
    result = run(
        "sales", "trend", "--by", "quarter", "--by", "region", "--as-of", "2024-04-15", "--db", db
    )
    assert result.exit_code == 0, result.output
    assert "north" in result.output and "south" in result.output


def test_two_periods_or_an_unknown_dimension_exit_2(db):
    for args in (("--by", "month", "--by", "week"), ("--by", "colour")):
        result = run("sales", "trend", *args, "--as-of", "2024-04-15", "--db", db)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output


def test_targets_ingested_from_a_file_give_attainment(db, tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text("owner,period,target_amount\nA,2024-02,2000\nB,2024-03,400\nB,2024-04,-5\n")
    result = run("sales", "staff", "--as-of", "2024-03-31", "--db", db)
    assert "no sales_targets loaded" in result.output
    loaded = run("ingest", "sales_targets", targets, "--db", db)
    assert loaded.exit_code == 0, loaded.output
    with Workspace.open(db, read_only=True) as ws:
        rejects = ws.table("rejects").to_pandas()
    assert rejects["reason"].str.contains("target_amount").any()  # the negative target
    out = tmp_path / "staff.csv"
    result = run("sales", "staff", "--as-of", "2024-03-31", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out).set_index(["owner", "period"])
    assert frame.loc[("A", "2024-02"), "attainment"] == pytest.approx(0.75)  # 1500 / 2000
    assert frame.loc[("B", "2024-03"), "attainment"] == pytest.approx(2.0)  # 800 / 400


def test_reports_draw_the_trend_the_category_mix_and_the_leaderboard(db, tmp_path):
    for args, name in (
        (("sales", "trend"), "trend.html"),
        (("sales", "trend", "--by", "category"), "mix.html"),
        (("sales", "staff"), "staff.html"),
    ):
        path = tmp_path / name
        result = run(*args, "--as-of", "2024-03-31", "--report", path, "--db", db)
        assert result.exit_code == 0, result.output
        text = path.read_text(encoding="utf-8")
        assert "plotly" in text.lower() and "<table" in text


def test_merge_and_undo_from_the_command_line(tmp_path):
    path = tmp_path / "crm.duckdb"
    with Workspace.open(path) as ws:
        shop(ws)
        ws.insert("customers", [dict(customer_id="a2", phone="138 0000 0000")])
        ws.table("customers")
    with Workspace.open(path) as ws:
        ws.duckdb.execute("UPDATE customers SET phone = '13800000000' WHERE customer_id = 'a'")
    out = tmp_path / "dups.csv"
    found = run("customers", "duplicates", "--as-of", "2024-04-15", "--out", out, "--db", path)
    assert found.exit_code == 0, found.output
    dups = pd.read_csv(out, dtype=str)
    assert dups[["keep_id", "drop_id", "matched_on"]].values.tolist() == [["a", "a2", "phone"]]
    merged = run("customers", "merge", "--from", out, "--db", path)
    assert merged.exit_code == 0, merged.output
    assert "merged a2 into a" in merged.output
    again = run("customers", "merge", "--keep", "a", "--drop", "a2", "--db", path)
    assert again.exit_code == 3 and "merged into a" in again.output
    undone = run("customers", "merge", "--undo", "a2", "--db", path)
    assert undone.exit_code == 0, undone.output
    with Workspace.open(path, read_only=True) as ws:
        ids = sorted(ws.table("customers").to_pandas()["customer_id"])
    assert ids == ["a", "a2", "b", "c"]
    log = run("customers", "merge", "--log", "--db", path)
    assert log.exit_code == 0 and "a2" in log.output
    neither = run("customers", "merge", "--db", path)
    assert neither.exit_code == 2


def test_trend_in_chinese_has_chinese_headers(db):
    result = run("sales", "trend", "--as-of", "2024-04-15", "--locale", "zh", "--db", db)
    assert result.exit_code == 0, result.output
    assert "回头客数" in result.output and "净销售额" in result.output
