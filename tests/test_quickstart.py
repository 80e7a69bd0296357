"""Quickstart: demo → ingest → facts in one call, and twice without doubling anything."""

from __future__ import annotations

from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.quickstart import quickstart


def test_quickstart_loads_every_table_without_rejects_and_twice_without_doubling(tmp_path):
    db, demo = tmp_path / "crm.duckdb", tmp_path / "demo"
    first = quickstart(db, customers=300, seed=3, demo_dir=demo)
    assert set(first.loads.table) == {
        "customers", "products", "transactions", "interactions", "complaints",
        "opportunities", "opportunity_stages", "campaign_touches", "sales_targets",
        "invoices", "payments",
    }  # fmt: skip
    assert (first.loads.rejected == 0).all()
    assert (first.loads.loaded == first.loads.read).all()
    summary = first.summary.set_index("measure")["value"]
    assert summary["customers"] == 300

    second = quickstart(db, customers=300, seed=3, demo_dir=demo)
    assert (second.loads.loaded == 0).all()
    assert (second.loads.duplicate == second.loads.read).all()
    assert second.summary.equals(first.summary)


def test_quickstart_command_exits_zero_and_prints_the_facts(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "quickstart",
            "--customers",
            "200",
            "--db",
            str(tmp_path / "crm.duckdb"),
            "--demo-dir",
            str(tmp_path / "demo"),
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "net revenue" in result.output
