"""The CLI's contract: one line and a documented exit code per error kind, nothing silent,
output fit for people and for schedulers (``--quiet``, ``--log-format json``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.workspace import Workspace
from tests.builders import spring_sales

# Data of tests.builders.spring_sales: orders from 2024-02-01 to 2024-06-02.
FIRST_DAY, LAST_DAY = "2024-02-01", "2024-06-02"


@pytest.fixture
def db(tmp_path):
    """A warehouse file: customers a-e (b opted out) with the spring sales."""
    path = tmp_path / "crm.duckdb"
    with Workspace.open(path) as ws:
        ws.insert("transactions", pd.DataFrame(spring_sales()))
        ws.insert(
            "customers",
            [dict(customer_id=c, name=f"name {c}", do_not_contact=(c == "b")) for c in "abcde"],
        )
    return path


DEMO_LAST_DAY = "2025-06-30"  # the demo generator's default as-of


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A warehouse with 300 demo customers: enough buyers for the CLV models of `score`."""
    from crmlytics.demo import generate_demo
    from crmlytics.schema import CANONICAL

    path = tmp_path_factory.mktemp("demo") / "crm.duckdb"
    data = generate_demo(300, seed=3)
    with Workspace.open(path) as ws:
        for table in CANONICAL:
            frame = getattr(data, table, None)
            if frame is not None and len(frame):
                ws.insert(table, frame)
    return path


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    [line] = error_lines(result)
    for fragment in fragments:
        assert fragment in line, line


# -- errors: one line, exit code of the kind -----------------------------------------------------
def test_rich_markup_in_a_file_name_is_printed_verbatim(db):
    result = run("ingest", "transactions", "no[/]such.csv", "--db", db)
    assert_one_line_error(result, 3, "no[/]such.csv")


def test_rich_markup_in_a_where_filter_is_printed_verbatim(db):
    result = run(
        "export", "--segment", "champions", "--where", "[/red]", "--out", db.parent / "x.csv",
        "--db", db, "--as-of", LAST_DAY,
    )  # fmt: skip
    assert_one_line_error(result, 2, "[/red]")


def test_an_unwritable_xlsx_is_one_line(db, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file, not a directory")
    result = run("facts", "--db", db, "--as-of", LAST_DAY, "--out", blocked / "facts.xlsx")
    assert_one_line_error(result, 3, "cannot write", "facts.xlsx")


def test_an_as_of_at_the_end_of_time_is_one_line(db):
    assert_one_line_error(run("facts", "--db", db, "--as-of", "9999-12-31"), 2, "9999-12-31")
    assert_one_line_error(run("facts", "--db", db, "--as-of", "9999-12-30"), 3, "in the future")


@pytest.mark.parametrize("days", ["99999999999", "0", "-5"])
def test_window_days_out_of_range_is_refused_before_any_work(db, days):
    for command in ("facts", "rfm"):
        result = run(command, "--db", db, "--as-of", LAST_DAY, "--window-days", days)
        assert_one_line_error(result, 2, "--window-days must be between 1 and")


def test_an_invalid_log_format_is_an_option_error(db):
    result = run("facts", "--db", db, "--as-of", LAST_DAY, "--log-format", "xml")
    assert_one_line_error(result, 2, "--log-format must be text or json")


# -- a locked warehouse ----------------------------------------------------------------------------
HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold_lock(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE
    )
    assert holder.stdout.readline().strip() == b"locked"
    return holder


def test_a_locked_warehouse_is_one_line_naming_the_process(db):
    holder = hold_lock(db, 30)
    try:
        result = run("score", "--db", db, "--as-of", LAST_DAY)
        assert_one_line_error(result, 5, f"process {holder.pid}", "locked by", "--wait")
        started = time.monotonic()
        waited = run("ingest", "customers", "none.csv", "--db", db, "--wait", "0.5")
        assert time.monotonic() - started >= 0.5
        assert_one_line_error(waited, 5, "after waiting 0.5 s")
        reader = run("facts", "--db", db, "--as-of", LAST_DAY)
        assert_one_line_error(reader, 5, f"process {holder.pid}")
    finally:
        holder.kill()
        holder.wait()


def test_score_waits_for_the_lock_when_asked(demo_db):
    holder = hold_lock(demo_db, 1.0)
    try:
        result = run("score", "--db", demo_db, "--as-of", DEMO_LAST_DAY, "--wait", "20")
        assert result.exit_code == 0, result.output
        assert "score run" in result.output
    finally:
        holder.wait()


# -- no silent success ----------------------------------------------------------------------
def test_export_refuses_when_customers_are_empty(tmp_path):
    path = tmp_path / "crm.duckdb"
    with Workspace.open(path) as ws:
        ws.insert("transactions", pd.DataFrame(spring_sales()))
    out = tmp_path / "list.csv"
    result = run(
        "export", "--segment", "champions", "--out", out, "--db", path, "--as-of", LAST_DAY
    )
    assert_one_line_error(result, 4, "customers table is empty", "opt-outs")
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("score", "--as-of", LAST_DAY),
        ("segments", "--as-of", LAST_DAY),
        ("facts", "--as-of", LAST_DAY),
        ("rfm", "--as-of", LAST_DAY),
        ("clv", "predict", "--as-of", LAST_DAY),
        ("export", "--segment", "champions", "--out", "list.csv", "--as-of", LAST_DAY),
    ],
)
def test_a_missing_warehouse_is_an_error_and_is_not_created(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "missing.duckdb"
    result = run(*args, "--db", missing)
    assert_one_line_error(result, 4, f"no warehouse at {missing}")
    assert not missing.exists()


def test_an_as_of_before_the_first_transaction_is_an_error(db):
    result = run("rfm", "--db", db, "--as-of", "2024-01-31")
    assert_one_line_error(result, 3, "before the first transaction (2024-02-01)")


def test_the_default_as_of_on_data_that_ended_long_ago_is_an_error(db):
    # the data ends on 2024-06-02, long before today: "today" would mark every buyer lapsed
    result = run("rfm", "--db", db)
    assert_one_line_error(result, 3, "no --as-of given", f"--as-of {LAST_DAY}")


def test_an_explicit_as_of_long_after_the_data_is_warned_about(db):
    result = run("facts", "--db", db, "--as-of", "2024-09-30")  # 120 days after the last order
    assert result.exit_code == 0, result.output
    assert "warning: --as-of 2024-09-30 is 120 days after the last transaction" in result.output


def test_a_clv_holdout_beyond_the_data_is_an_error(db):
    result = run(
        "clv", "backtest", "--db", db, "--calibration-end", "2024-04-30",
        "--holdout-end", "2024-12-31",
    )  # fmt: skip
    assert_one_line_error(result, 3, "--holdout-end 2024-12-31 is after the last transaction")


def test_an_empty_list_is_reported_and_fails_with_fail_on_empty(db, tmp_path):
    out = tmp_path / "list.csv"
    args = ["export", "--segment", "champions", "--out", out, "--db", db, "--as-of", LAST_DAY]
    args += ["--where", "r_score > 5"]  # no score is above 5
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "warning: the champions list is empty" in result.output
    strict = run(*args, "--fail-on-empty")
    assert_one_line_error(strict, 8, "the champions list is empty")


# -- output for people and for schedulers ------------------------------------------------------
def test_quiet_with_out_prints_nothing(db, tmp_path):
    out = tmp_path / "facts.csv"
    result = run("facts", "--db", db, "--as-of", LAST_DAY, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert len(pd.read_csv(out)) == 5


def test_json_logs_have_one_object_per_step(db, tmp_path):
    out = tmp_path / "facts.parquet"
    result = run("facts", "--db", db, "--as-of", LAST_DAY, "--out", out, "--log-format", "json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    step = next(r for r in records if r["step"] == "facts" and r["status"] == "ok")
    assert step["rows"] == 5 and step["seconds"] >= 0
    assert {r["status"] for r in records} <= {"ok", "info"}


def test_json_logs_report_an_error_as_an_object(db):
    result = run("rfm", "--db", db, "--as-of", "2024-01-31", "--log-format", "json")
    assert result.exit_code == 3
    [record] = [json.loads(line) for line in result.output.splitlines()]
    assert record["status"] == "error" and record["error"] == "DataError"
    assert record["exit_code"] == 3 and "before the first transaction" in record["message"]


def test_no_spinner_or_box_drawing_off_a_terminal(demo_db):
    result = run("score", "--db", demo_db, "--as-of", DEMO_LAST_DAY)
    assert result.exit_code == 0, result.output
    for mark in ("│", "━", "─", "✓", "⠋"):
        assert mark not in result.output
    assert "segments: ok in" in result.output  # one plain line per step instead


def test_every_command_takes_config_quiet_and_log_format():
    import typer

    def commands(group, ctx, prefix: str = ""):
        for name in group.list_commands(ctx):  # the root loads its command modules on demand
            cmd = group.get_command(ctx, name)
            if hasattr(cmd, "list_commands"):
                yield from commands(cmd, ctx, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", cmd

    root = typer.main.get_command(app)
    seen = dict(commands(root, root.make_context("crmlytics", ["facts"])))
    assert {"facts", "rfm", "segments", "export", "score", "ingest", "clv predict"} <= set(seen)
    for name, cmd in seen.items():
        options = {opt for param in cmd.params for opt in param.opts}
        assert {"--config", "--quiet", "--log-format"} <= options, name


def test_html_reports_embed_plotly_and_work_offline(tmp_path):
    import plotly.graph_objects as go

    from crmlytics.reports import write_report

    path = write_report(
        tmp_path / "r.html",
        "A <report>",
        [pd.DataFrame({"x": [1]}), "text & more", go.Figure(), go.Figure()],
    )
    page = path.read_text(encoding="utf-8")
    assert "<script src=" not in page.replace('<script src="data:', "")  # nothing fetched
    assert page.count("Plotly.newPlot") == 2
    assert len(page) > 1_000_000  # plotly.js itself, once (about 4.7 MB)
    assert page.count("plotly.js v") <= 2
    assert "A &lt;report&gt;" in page and "text &amp; more" in page


def test_the_exit_codes_are_documented_where_users_look():
    import re
    from pathlib import Path

    from crmlytics.cli import EXIT_CODES_HELP
    from crmlytics.errors import EXIT_CODES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| (\d) \| .*\(`(\w+)`\) \|$", readme, re.M))
    assert {name: int(code) for code, name in documented.items()} == {
        name: code for name, code in EXIT_CODES.items() if name != "CrmlyticsError"
    }
    for code in set(EXIT_CODES.values()) - {1}:
        assert f" {code} " in EXIT_CODES_HELP


def test_a_usage_error_off_a_terminal_has_no_box_drawing():
    result = run("export", "--segmnt", "champions")
    assert result.exit_code == 2
    assert "No such option: --segmnt" in result.output
    assert not set("╭╮╰╯│─") & set(result.output)


def test_starting_the_cli_loads_neither_scikit_learn_nor_lifetimes_nor_spark():
    # every command starts with these imports; the heavy libraries load when a command needs them
    code = (
        "import sys, crmlytics.cli; "
        "heavy = sorted(m for m in ('sklearn', 'lifetimes', 'pyspark')"
        " if m in sys.modules); "
        "print(','.join(heavy))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_importing_crmlytics_loads_neither_plotly_nor_spark_nor_ibis():
    code = (
        "import sys, crmlytics; "
        "heavy = sorted(m for m in ('plotly', 'pyspark', 'ibis', 'pandas', 'sklearn')"
        " if m in sys.modules); "
        "print(','.join(heavy))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_help_and_version_import_no_command_module():
    code = (
        "import sys; from typer.testing import CliRunner; from crmlytics.cli import app; "
        "out = [CliRunner().invoke(app, a).output for a in (['--help'], ['--version'])]; "
        "mods = sorted(m for m in sys.modules if m.startswith('crmlytics.cli.') "
        "and m != 'crmlytics.cli.common'); "
        "print(','.join(mods + [m for m in ('ibis', 'pandas', 'duckdb') if m in sys.modules]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_the_help_listing_names_every_command_with_its_own_first_line():
    import importlib
    import inspect

    import typer

    from crmlytics.cli import COMMANDS

    registered = {}
    for module in {module for module, _ in COMMANDS.values()}:
        holder = typer.Typer()
        importlib.import_module(f"crmlytics.cli.{module}").register(holder)
        for name, cmd in typer.main.get_group(holder).commands.items():
            registered[name] = (module, inspect.cleandoc(cmd.help or "").split("\n\n")[0])
    assert set(registered) == set(COMMANDS)
    for name, (module, summary) in COMMANDS.items():
        assert registered[name][0] == module, name
        # the table's line is the start of the command's own first paragraph
        assert " ".join(registered[name][1].split()).startswith(summary.rstrip(".)")), name
    listing = run("--help").output
    for name in COMMANDS:
        assert f"  {name} " in listing


def test_a_mistyped_command_is_a_usage_error_with_a_suggestion():
    result = run("exprt")
    assert result.exit_code == 2
    assert "No such command 'exprt'" in result.output and "'export'" in result.output
