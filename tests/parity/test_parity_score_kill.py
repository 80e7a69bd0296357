"""`crmlytics score` on a Spark-configured warehouse, killed midway, leaves the previous run the
latest (docs/patterns.md, section 5).

The lake is tiny (the demo's 200 customers). Everything runs in two child processes, since a
killed process must take its Spark driver with it and the proof must come from a fresh session:

1. the *scorer* starts Spark from ``crmlytics.yaml`` (a Hive metastore in the test's folder, so
   that tables outlive the process), writes the lake, records a first run, then runs
   ``crmlytics score`` through the CLI (its scores given, not computed: computing them on Spark
   is what the other parity tests check, and costs minutes here); once that run's rows are in
   ``customer_scores`` (the step before its ``score_runs`` row) it says so and waits, and the
   test SIGKILLs its process group (Python and the JVM, as a crash would);
2. the *reader*, a new process with a new session on the same metastore, reports what
   ``latest_run_id``, ``latest_scores`` and the export lists (``list_scores``) see.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-30"
TIMEZONE = "Asia/Shanghai"
CUSTOMERS = 200

SCORER = """
import sys, time
import pandas as pd
from crmlytics.config import load_config
from crmlytics.demo import generate_demo
from crmlytics.engines.spark import start_session
from crmlytics.runs import record_scores
from crmlytics.workspace import Workspace
from tests.parity.lake import write_lake

config = load_config(CONFIG)
session, _ = start_session(config.warehouse.spark, TIMEZONE)
tables = generate_demo(customers=CUSTOMERS, seed=5).tables
write_lake(session, tables, database="lake", timezone=TIMEZONE)
ws = Workspace.from_config(config)
ids = sorted(tables["customers"]["customer_id"])
first = pd.DataFrame({"customer_id": ids, "rfm_segment": "champions", "lifecycle": "repeat",
                      "value_tier": "gold", "clv": [float(i) for i in range(len(ids))]})
print("first", record_scores(ws, first, as_of=AS_OF), flush=True)

# the run's scores: the scoring itself is the parity suite's business; this test is about
# what a kill leaves behind, so the CLI records these (each customer's clv -1)
import crmlytics.scoring as scoring
scoring.customer_scores = lambda ws, point, config, progress=None: first.assign(clv=-1.0)
import crmlytics.runs as runs
def stop(ws, run):  # the run's rows are in customer_scores; its score_runs row is not
    print("scores written", run["run_id"], flush=True)
    time.sleep(900)
runs._mark_succeeded = stop
from crmlytics.cli import main
sys.argv = ["crmlytics", "score", "--as-of", AS_OF, "--config", CONFIG]
main()
"""

READER = """
import json
from crmlytics.config import load_config
from crmlytics.export.lists import list_scores
from crmlytics.runs import latest_run_id, latest_scores
from crmlytics.workspace import Workspace

config = load_config(CONFIG)
ws = Workspace.from_config(config)
scores = ws.backend.table("customer_scores", database="lake")
latest = latest_scores(ws, AS_OF)
with list_scores(ws, AS_OF, config) as listed:
    list_source, list_rows = listed.source, int(listed.table.count().execute())
print("RESULT", json.dumps({
    "latest": latest_run_id(ws),
    "latest_as_of": latest_run_id(ws, AS_OF),
    "runs": ws.backend.table("score_runs", database="lake").run_id.to_list(),
    "stored_runs": sorted(scores.run_id.value_counts().to_pandas().itertuples(index=False)),
    "latest_clv": latest.sort_values("customer_id").clv.tolist(),
    "list_source": list_source,
    "list_rows": list_rows,
}))
"""


def _child(code: str, tmp_path: Path) -> list[str]:
    head = (
        f"CONFIG = {str(tmp_path / 'crmlytics.yaml')!r}; AS_OF = {AS_OF!r}; "
        f"TIMEZONE = {TIMEZONE!r}; CUSTOMERS = {CUSTOMERS}\n"
    )
    return [sys.executable, "-c", head + textwrap.dedent(code)]


def _config(tmp_path: Path) -> None:
    metastore = tmp_path / "metastore_db"
    conf = {
        "spark.sql.catalogImplementation": "hive",
        "spark.sql.warehouse.dir": str(tmp_path / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.ui.enabled": False,
        "spark.driver.memory": "1g",
    }
    settings = {
        "ingest": {"timezone": TIMEZONE},
        "churn": {"score_run": False},
        "warehouse": {
            "engine": "spark",
            "spark": {"master": "local[2]", "database": "lake", "conf": conf},
            "tables": {"transactions": {"table": "orders", "columns": _lake_columns()}},
        },
    }
    (tmp_path / "crmlytics.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")


def _lake_columns() -> dict:
    from tests.parity.lake import LAKE_MAPPING

    return LAKE_MAPPING["transactions"]["columns"]


def test_a_score_process_killed_on_spark_leaves_the_previous_run_latest(tmp_path):
    _config(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    scorer = subprocess.Popen(
        _child(SCORER, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=env, cwd=tmp_path, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        for line in scorer.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("scores written"):
                break
        output = "".join(lines)
        assert any(line.startswith("scores written") for line in lines), output
        os.killpg(scorer.pid, signal.SIGKILL)  # the CLI process and its Spark driver
    finally:
        if scorer.poll() is None:
            os.killpg(scorer.pid, signal.SIGKILL)
        scorer.wait(timeout=120)
    first = next(line.split()[1] for line in lines if line.startswith("first "))
    partial = next(line.split()[2] for line in lines if line.startswith("scores written"))
    assert partial != first

    reader = subprocess.run(
        _child(READER, tmp_path), capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=900,
    )  # fmt: skip
    found = [line for line in reader.stdout.splitlines() if line.startswith("RESULT ")]
    assert found, reader.stdout + reader.stderr
    seen = json.loads(found[0].removeprefix("RESULT "))
    # the killed run's rows are stored, but no run row names them: it does not exist for readers
    assert sorted(map(tuple, seen["stored_runs"])) == sorted(
        [(first, CUSTOMERS), (partial, CUSTOMERS)]
    )
    assert seen["runs"] == [first]
    assert seen["latest"] == seen["latest_as_of"] == first
    assert seen["latest_clv"] == [float(i) for i in range(CUSTOMERS)]  # the first run's values
    assert seen["list_source"] == first and seen["list_rows"] == CUSTOMERS
