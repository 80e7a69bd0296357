"""Benchmark: churn inside a score run on the demo data as a Spark lake, against DuckDB.

Generates the demo data (``--customers``, default 20,000), loads it into an in-memory DuckDB
warehouse and writes it as a Spark lake (tests/parity/lake.py, as ``benchmarks/bench_spark.py``
does), then times on each engine the churn part of a nightly score run
(:func:`crmlytics.scoring.churn_scores`, materialised into pandas):

- ``churn_training_in_run``: no ``churn.model_file``: the run backtests every method and trains
  the model first (:func:`crmlytics.churn.backtest.train`), then scores;
- ``churn_train``: the same training alone (:func:`crmlytics.churn.backtest.train`), whose
  model is saved to a file, as ``crmlytics churn train --model FILE`` would;
- ``churn_saved_model``: ``churn.model_file`` set to that file: the nightly path, features and
  P(alive) as of the date, probabilities, reasons and PSI;
- ``score_saved_model`` (with ``--full-score``): the whole :func:`crmlytics.scoring.score` run
  (segments, CLV, churn with the saved model, recording the run).

Prints one JSON object per step (``{"step", "engine", "seconds", "cpu_s", "spark_jobs",
"rows", "loadavg"}``; ``cpu_s`` is this Python process plus, on Spark, the JVM; ``spark_jobs``
the Spark jobs the step ran; ``loadavg`` the 1-minute load at the end of the step), whether the
saved model scored every customer as the run that trained it did, and a summary.

Run (under the shared benchmark lock)::

    flock /work/wt/notes/bench.lock python benchmarks/bench_spark_churn.py --customers 20000 \\
        --tmp /tmp/bench_<you> 2> /tmp/bench_<you>/spark.log
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench_spark import ROOT, TIMEZONE, cpu_seconds, emit, lake_config, loadavg


def spark_jobs(ws) -> int:
    """Spark jobs run so far by the session (0 on DuckDB)."""
    if ws.backend.name != "pyspark":
        return 0
    tracker = ws.backend._session.sparkContext.statusTracker()
    return len(tracker.getJobIdsForGroup(None))


def timed(ws, step: str, run):  # noqa: ANN001, ANN201
    """Run ``run()``, print its figures and return its result."""
    started, cpu, jobs = time.perf_counter(), cpu_seconds(ws), spark_jobs(ws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run()
    emit(
        step=step,
        engine=ws.backend.name,
        seconds=round(time.perf_counter() - started, 2),
        cpu_s=round(cpu_seconds(ws) - cpu, 2),
        spark_jobs=spark_jobs(ws) - jobs,
        rows=len(result) if hasattr(result, "__len__") else None,
        loadavg=loadavg(),
    )
    return result


def churn_steps(ws, as_of: str, folder: Path, full_score: bool) -> None:
    """Time churn trained in the run, training alone, and scoring with the saved model."""
    from crmlytics.asof import as_of as resolve
    from crmlytics.churn.backtest import train
    from crmlytics.config import Config
    from crmlytics.scoring import churn_scores, score

    point = resolve(as_of)
    in_run = timed(ws, "churn_training_in_run", lambda: churn_scores(ws, point, Config()))
    model = timed(ws, "churn_train", lambda: train(ws, point, Config()).model)
    path = model.save(folder / f"churn_{ws.backend.name}.json")
    saved = Config.model_validate({"churn": {"model_file": str(path)}})
    nightly = timed(ws, "churn_saved_model", lambda: churn_scores(ws, point, saved))
    same = in_run.reset_index(drop=True).equals(nightly.reset_index(drop=True))
    emit(engine=ws.backend.name, saved_model_scores_equal_training_in_run=same)
    if full_score:
        timed(ws, "score_saved_model", lambda: range(score(ws, point, saved).customers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2025-06-30")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--log-level", default="WARN", choices=["ERROR", "WARN", "INFO"])
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--full-score", action="store_true", help="also time score()")
    parser.add_argument("--tmp", default=None, help="folder for the lake (e.g. /tmp/bench_<you>)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    from crmlytics.demo import generate_demo
    from crmlytics.workspace import Workspace
    from tests.parity.lake import LAKE_TABLES, write_lake

    report: dict[str, object] = {"customers": args.customers, "master": args.master}
    tables = generate_demo(customers=args.customers, seed=args.seed).tables
    report["transaction_lines"] = len(tables["transactions"])
    with tempfile.TemporaryDirectory(prefix="bench_spark_churn_", dir=args.tmp) as tmp:
        if not args.skip_duckdb:
            with Workspace.memory() as ws:
                for name in LAKE_TABLES:
                    ws.insert(name, tables[name])
                churn_steps(ws, args.as_of, Path(tmp), args.full_score)
        if not args.skip_spark:
            from crmlytics.engines.spark import start_session

            config = lake_config(args.master, args.log_level, Path(tmp))
            session, _ = start_session(config.warehouse.spark, TIMEZONE)
            write_lake(session, tables, database="lake", timezone=TIMEZONE)
            ws = Workspace.from_config(config)
            churn_steps(ws, args.as_of, Path(tmp), args.full_score)
            session.stop()
    report["loadavg_end"] = loadavg()
    report["peak_rss_mb_python"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    emit(summary=report)


if __name__ == "__main__":
    main()
