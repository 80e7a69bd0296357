"""Benchmark: facts, segments and CLV on the demo data as a Spark lake, against DuckDB.

Generates the demo data (``--customers``, default 20,000), loads it into a DuckDB warehouse and
writes it as a lake (tests/parity/lake.py: Parquet tables of a Spark database ``lake`` with
renamed columns, ``decimal(18,2)`` amounts, kind codes, written in Asia/Shanghai), starts Spark
the way the CLI does (:func:`crmlytics.engines.spark.start_session` from a ``warehouse.spark``
section, then :meth:`Workspace.from_config` with ``engine: spark``), and times each step on
both engines, materialised into pandas:

- ``facts``: :func:`crmlytics.facts.facts` (every customer's facts);
- ``segments``: :func:`crmlytics.segments.customer_segments` (RFM, value tiers, lifecycle,
  four degrees) as a score run computes them (on Spark over the facts computed once,
  ``crmlytics.scoring``);
- ``clv``: :func:`crmlytics.clv.predict.predict` (summary in the warehouse, BG/NBD and
  Gamma-Gamma fit, predictions);
- ``score``: :func:`crmlytics.scoring.score`, the whole run (segments, CLV, churn and recording
  the run). ``--churn`` says how churn is scored: ``train`` (default) backtests and trains the
  model inside the run; ``saved`` scores with a model trained on DuckDB beforehand and saved
  (``churn.model_file``), as a nightly job does; ``none`` leaves churn out.

Prints one JSON object per step (``{"step", "engine", "seconds", "rows", "cpu_s",
"loadavg"}``; ``cpu_s`` is the CPU time of this Python process plus, on Spark, of the JVM, and
``loadavg`` the 1-minute load average at the end of the step) and a summary.
Spark's own log goes to stderr at ``--log-level`` (WARN shows its warnings, e.g. ``No Partition
Defined for Window operation``: count them with ``2> spark.log; grep -c``).

Run (under the shared benchmark lock)::

    flock /work/wt/notes/bench.lock python benchmarks/bench_spark.py --customers 20000 \\
        --master 'local[2]' --log-level WARN --tmp /tmp/bench_<you> 2> /tmp/bench_<you>/spark.log

At scale (about 10M order lines: the demo of 2,000,000 customers, generated once into a DuckDB
warehouse and reused by later runs; ``--steps`` picks the steps)::

    flock /work/wt/notes/bench.lock python benchmarks/bench_spark.py --customers 2000000 \\
        --warehouse /tmp/bench_<you>/demo_2m.duckdb --steps facts,segments,clv --churn none \\
        --driver-memory 6g --tmp /tmp/bench_<you> 2> /tmp/bench_<you>/spark.log
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEZONE = "Asia/Shanghai"


def emit(**fields: object) -> None:
    print(json.dumps(fields, default=str), flush=True)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(ws) -> float:
    """CPU time of this process and, on Spark, of the JVM driver (local mode: all executors)."""
    total = time.process_time()
    if ws.backend.name == "pyspark":
        pid = ws.backend._session._jvm.ProcessHandle.current().pid()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def lake_config(
    master: str, log_level: str, tmp: Path, driver_memory: str = "3g", conf: dict | None = None
):  # noqa: ANN201
    """The crmlytics configuration of the benchmark's Spark lake (database ``lake`` written by
    tests/parity/lake.py, with its warehouse folder under ``tmp``)."""
    from crmlytics.config import Config
    from tests.parity.lake import LAKE_MAPPING

    return Config.model_validate(
        {
            "ingest": {"timezone": TIMEZONE},
            "warehouse": {
                "engine": "spark",
                "spark": {
                    "master": master,
                    "database": "lake",
                    "log_level": log_level,
                    "conf": {
                        **(conf or {}),
                        "spark.sql.warehouse.dir": str(tmp / "spark-warehouse"),
                        "spark.driver.memory": driver_memory,
                        "spark.ui.enabled": False,
                    },
                },
                # the demo lake has no campaign sends: declared absent, churn goes without
                "tables": {**LAKE_MAPPING, "campaign_touches": {"absent": True}},
            },
        }
    )


def jvm_peak_rss_mb(session) -> int:
    """Peak resident memory of the Spark driver JVM (local mode: all executors), MiB."""
    pid = session._jvm.ProcessHandle.current().pid()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return -1


def generate(customers: int, seed: int, report: dict[str, object]) -> dict:
    """The demo's canonical frames (:func:`crmlytics.demo.generate_demo`)."""
    from crmlytics.demo import generate_demo

    started = time.perf_counter()
    tables = generate_demo(customers=customers, seed=seed).tables
    report["transaction_lines"] = len(tables["transactions"])
    report["generate_s"] = round(time.perf_counter() - started, 2)
    return tables


def export_parquet(warehouse: Path, folder: Path, names: tuple[str, ...]) -> Path:
    """``names`` of the DuckDB ``warehouse`` as ``<folder>/<name>.parquet`` (DuckDB's COPY)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for name in names:
            con.execute(f"COPY {name} TO '{folder / name}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    return folder


def score_config(churn: str, model_file: Path | None):  # noqa: ANN201
    """The configuration of the score step: churn trained in the run (``train``), scored with
    the saved model ``model_file`` (``saved``: the nightly path) or left out (``none``)."""
    from crmlytics.config import Config

    if churn == "saved":
        return Config.model_validate({"churn": {"model_file": str(model_file)}})
    return Config.model_validate({"churn": {"score_run": churn == "train"}})


def save_churn_model(ws, as_of: str, path: Path) -> Path:
    """Train the churn model on ``ws`` as ``crmlytics churn train --model`` does (untimed)."""
    from crmlytics.asof import as_of as resolve
    from crmlytics.churn.backtest import train
    from crmlytics.config import Config

    return train(ws, resolve(as_of), Config()).model.save(path)


def steps(ws, as_of: str, config, only: list[str]) -> dict[str, float]:
    """Time facts, segments, CLV and a score run (with ``config``) on ``ws``; seconds per step."""
    from crmlytics.asof import as_of as resolve
    from crmlytics.clv.predict import predict
    from crmlytics.facts import facts
    from crmlytics.scoring import score
    from crmlytics.segments.core import computed_segments

    point = resolve(as_of)

    def segments():
        with computed_segments(ws, point, config) as computed:
            return computed.to_pandas()

    engine = ws.backend.name
    out: dict[str, float] = {}
    work = {
        "facts": lambda: facts(ws, point),
        "segments": segments,
        "clv": lambda: predict(ws, point),
        "score": lambda: range(score(ws, point, config).customers),
    }
    for name, run in work.items():
        if name not in only:
            continue
        started, cpu = time.perf_counter(), cpu_seconds(ws)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = run()
        seconds = round(time.perf_counter() - started, 2)
        out[name] = seconds
        emit(
            step=name,
            engine=engine,
            seconds=seconds,
            rows=len(frame),
            cpu_s=round(cpu_seconds(ws) - cpu, 2),
            loadavg=loadavg(),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2025-06-30")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument(
        "--shuffle-partitions", type=int, help="default: crmlytics' local default (N of local[N])"
    )
    parser.add_argument(
        "--churn",
        default="train",
        choices=["train", "saved", "none"],
        help="score's churn columns: trained in the run (default), from a model trained on "
        "DuckDB beforehand and saved (churn.model_file: the nightly path), or none",
    )
    parser.add_argument(
        "--conf", action="append", default=[], help="a Spark setting KEY=VALUE (repeatable)"
    )
    parser.add_argument("--log-level", default="WARN", choices=["ERROR", "WARN", "INFO"])
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--tmp", default=None, help="folder for the lake (e.g. /tmp/bench_<you>)")
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="a DuckDB warehouse to read instead of generating the demo each run (opened read-"
        "only; written first with the demo of --customers if it does not exist). The lake is "
        "written from it through Parquet, without pandas: for runs of millions of lines",
    )
    parser.add_argument("--driver-memory", default="3g")
    parser.add_argument(
        "--steps", default="facts,segments,clv,score", help="comma-separated steps to time"
    )
    args = parser.parse_args()
    if args.churn == "saved" and args.skip_duckdb:
        parser.error("--churn saved trains the model on DuckDB: drop --skip-duckdb")
    sys.path.insert(0, str(ROOT))

    from crmlytics.engines.spark import start_session
    from crmlytics.workspace import Workspace
    from tests.parity.lake import LAKE_TABLES, write_lake, write_lake_from_parquet

    report: dict[str, object] = {"customers": args.customers, "master": args.master}
    only = args.steps.split(",")
    tables = None
    if args.warehouse is None or not args.warehouse.exists():
        tables = generate(args.customers, args.seed, report)
    if args.warehouse is not None:
        if tables is not None:
            with Workspace.open(args.warehouse, timezone=TIMEZONE) as ws:
                for name in LAKE_TABLES:
                    ws.insert(name, tables[name])
        with Workspace.open(args.warehouse, read_only=True, timezone=TIMEZONE) as ws:
            report["warehouse"] = str(args.warehouse)
            report["transaction_lines"] = int(ws.table("transactions").count().execute())
            report["customers"] = int(ws.table("customers").count().execute())

    with tempfile.TemporaryDirectory(prefix="bench_spark_", dir=args.tmp) as tmp:
        duck_seconds: dict[str, float] = {}
        model_file = Path(tmp) / "churn_model.json"
        scoring = score_config(args.churn, model_file)
        if not args.skip_duckdb:
            started = time.perf_counter()
            if args.warehouse is not None:
                with Workspace.open(args.warehouse, read_only=True, timezone=TIMEZONE) as ws:
                    if args.churn == "saved":
                        save_churn_model(ws, args.as_of, model_file)
                    duck_seconds = steps(ws, args.as_of, scoring, only)
            else:
                with Workspace.open(Path(tmp) / "crm.duckdb", timezone=TIMEZONE) as ws:
                    for name in LAKE_TABLES:
                        ws.insert(name, tables[name])
                    report["duckdb_load_s"] = round(time.perf_counter() - started, 2)
                    if args.churn == "saved":
                        save_churn_model(ws, args.as_of, model_file)
                    duck_seconds = steps(ws, args.as_of, scoring, only)

        conf = dict(item.split("=", 1) for item in args.conf)
        if args.shuffle_partitions:
            conf["spark.sql.shuffle.partitions"] = args.shuffle_partitions
        config = lake_config(args.master, args.log_level, Path(tmp), args.driver_memory, conf)
        started = time.perf_counter()
        session, _ = start_session(config.warehouse.spark, TIMEZONE)
        report["spark_start_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        if args.warehouse is None:
            write_lake(session, tables, database="lake", timezone=TIMEZONE)
        else:
            parquet = export_parquet(args.warehouse, Path(tmp) / "parquet", LAKE_TABLES)
            write_lake_from_parquet(session, parquet, database="lake", timezone=TIMEZONE)
        report["lake_write_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        ws = Workspace.from_config(config)
        report["attach_s"] = round(time.perf_counter() - started, 2)
        spark_seconds = steps(ws, args.as_of, scoring, only)
        report["peak_rss_mb_jvm"] = jvm_peak_rss_mb(session)
        session.stop()

    report["duckdb_s"] = duck_seconds
    report["spark_s"] = spark_seconds
    report["spark_total_s"] = round(sum(spark_seconds.values()), 2)
    report["duckdb_total_s"] = round(sum(duck_seconds.values()), 2)
    report["loadavg_end"] = loadavg()
    report["peak_rss_mb_python"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    report["target"] = "facts + segments + CLV + score on the 20,000-customer lake < 60 s"
    emit(summary=report)


if __name__ == "__main__":
    main()
