"""The CLI on a Spark Connect warehouse (``warehouse.spark.remote: sc://host:port``) gives what
it gives on DuckDB: ``rfm``, ``score`` and an ``export`` filtered on the run's scores.

A Spark Connect server runs in a child process, as it would on a cluster: a local[2] Spark with
the Connect plugin on a free port, holding the lake (tests/parity/lake.py: the demo's 200
customers as Parquet tables of database ``lake``, renamed columns, decimals, kind codes, written
in Asia/Shanghai). Each ``crmlytics`` command is a process of its own with only the Connect
client (no JVM of its own). The reference is the same CLI on a DuckDB warehouse of the same
tables in the same time zone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml

from crmlytics.workspace import Workspace
from tests.parity.conftest import assert_same_frame
from tests.parity.lake import LAKE_MAPPING, LAKE_TABLES

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-30"
TIMEZONE = "Asia/Shanghai"
CUSTOMERS, SEED = 200, 5

SERVER = """
import sys
from pyspark.sql import SparkSession
from crmlytics.demo import generate_demo
from tests.parity.lake import write_lake

session = (
    SparkSession.builder.master("local[2]")
    .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
    .config("spark.connect.grpc.binding.port", PORT)
    .config("spark.sql.warehouse.dir", WAREHOUSE)
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.sql.adaptive.enabled", "false")
    .config("spark.driver.memory", "1g")
    .getOrCreate()
)
session.sparkContext.setLogLevel("ERROR")
write_lake(session, generate_demo(customers=CUSTOMERS, seed=SEED).tables, timezone=TIMEZONE)
print("ready", flush=True)
sys.stdin.read()  # serve until the test closes our stdin
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory):
    """``sc://localhost:PORT`` of a Connect server holding the lake, for this module."""
    folder = tmp_path_factory.mktemp("connect-server")
    port = _free_port()
    head = (
        f"PORT = {str(port)!r}; WAREHOUSE = {str(folder / 'warehouse')!r}; "
        f"TIMEZONE = {TIMEZONE!r}; CUSTOMERS = {CUSTOMERS}; SEED = {SEED}\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    server = subprocess.Popen(
        [sys.executable, "-c", head + textwrap.dedent(SERVER)], cwd=folder,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**_environ(), **env},
    )  # fmt: skip
    lines = []
    for line in server.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if line.startswith("ready"):
            break
    if not lines or not lines[-1].startswith("ready"):
        server.kill()
        pytest.fail("the Spark Connect server did not start:\n" + "".join(lines[-40:]))
    # keep reading what the server says, so that a full pipe never stalls it
    threading.Thread(target=server.stdout.read, daemon=True).start()  # type: ignore[union-attr]
    yield f"sc://localhost:{port}"
    server.stdin.close()  # type: ignore[union-attr]
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()


def _environ() -> dict[str, str]:
    return dict(os.environ)


@pytest.fixture(scope="module")
def duck_db(tmp_path_factory):
    """The reference: the same demo tables in a DuckDB warehouse in the same time zone."""
    from crmlytics.demo import generate_demo

    tables = generate_demo(customers=CUSTOMERS, seed=SEED).tables
    path = tmp_path_factory.mktemp("connect-ref") / "crm.duckdb"
    with Workspace.open(path, timezone=TIMEZONE) as ws:
        for name in LAKE_TABLES:
            ws.insert(name, tables[name])
    return path


def _config(folder: Path, url: str | None) -> Path:
    settings: dict = {"ingest": {"timezone": TIMEZONE}, "churn": {"score_run": False}}
    if url:
        settings["warehouse"] = {
            "engine": "spark",
            "spark": {"remote": url, "database": "lake"},
            "tables": LAKE_MAPPING,
        }
    path = folder / ("connect.yaml" if url else "duckdb.yaml")
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


CLI = "from crmlytics.cli import main; main()"


def _crmlytics(folder: Path, config: Path, *args: str, db: Path | None = None) -> str:
    command = [sys.executable, "-c", CLI, *args, "--config", str(config)]
    if db is not None:
        command += ["--db", str(db)]
    done = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=900,
        env={**_environ(), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def test_rfm_over_spark_connect_is_duckdbs_customer_by_customer(connect_url, duck_db, tmp_path):
    both = {}
    for engine, url, db in (("connect", connect_url, None), ("duckdb", None, duck_db)):
        out = tmp_path / f"rfm-{engine}.csv"
        _crmlytics(tmp_path, _config(tmp_path, url), "rfm", "--as-of", AS_OF, "--out", str(out),
                   db=db)  # fmt: skip
        both[engine] = pd.read_csv(out)
    assert len(both["duckdb"]) > CUSTOMERS * 3 // 4  # the buyers among the 200
    assert_same_frame(both["duckdb"], both["connect"], key=["customer_id"])


def test_score_and_an_export_filtered_on_scores_over_spark_connect(connect_url, duck_db, tmp_path):
    """``score`` writes its run into the lake through Connect; ``export`` then reads the run
    (not a recomputation) and lists what DuckDB lists."""
    lists = {}
    for engine, url, db in (("connect", connect_url, None), ("duckdb", None, duck_db)):
        config = _config(tmp_path, url)
        said = _crmlytics(tmp_path, config, "score", "--as-of", AS_OF, db=db)
        assert f"{CUSTOMERS} customers as of {AS_OF}" in said
        out = tmp_path / f"loyal-{engine}.csv"
        said = _crmlytics(
            tmp_path, config, "export", "--segment", "champions", "--as-of", AS_OF,
            "--where", "r_score >= 4", "--out", str(out), db=db,
        )  # fmt: skip
        assert "segments and scores from score run" in said, said  # the run, not recomputed
        lists[engine] = pd.read_csv(out)
    duck, spark = lists["duckdb"], lists["connect"]
    assert 0 < len(duck) < CUSTOMERS
    # the fitted BTYD / Gamma-Gamma columns agree to the optimiser's tolerance: its inputs are
    # sums in another order on each engine; every relational column is equal
    fitted = ["p_alive", "expected_purchases", "expected_order_value", "clv"]
    assert_same_frame(duck.drop(columns=fitted), spark.drop(columns=fitted), key=["customer_id"])
    duck, spark = (f.sort_values("customer_id").reset_index(drop=True) for f in (duck, spark))
    pd.testing.assert_frame_equal(duck[fitted], spark[fitted], rtol=1e-6, check_exact=False)


def test_a_mapping_typo_over_spark_connect_is_one_line_naming_the_column(connect_url, tmp_path):
    config = _config(tmp_path, connect_url)
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["warehouse"]["tables"]["transactions"]["columns"]["amount"] = "amtt"
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CLI, "facts", "--as-of", AS_OF, "--config", str(config)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**_environ(), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr  # a setting to mend
    said = done.stderr.strip().splitlines()
    assert len(said) == 1 and "amtt" in said[0] and "Traceback" not in done.stderr, said
