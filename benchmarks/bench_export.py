"""Benchmark: a segment list of N customers built, hashed and written (target: 100k to xlsx < 20 s).

Prints one JSON document. Builds an in-memory warehouse with synthetic ``customers`` (Chinese
names and regions, emails, Chinese mobile numbers, 2% opted out) and a synthetic score table
shaped like :func:`crmlytics.segments.customer_segments` plus ``clv``, sized so that the
exported segment (``gold``) has exactly N customers after opt-out suppression. Then times

- ``build_list``: the Ibis list expression on DuckDB (segment, ``--where``, join to customers,
  suppression counts) materialised into pandas;
- ``hash_pii``: normalising and SHA-256-hashing email and phone;
- ``write_xlsx`` / ``write_csv`` / ``write_parquet``: :func:`crmlytics.export.write_list`;
- with ``--baseline``: ``pandas.DataFrame.to_excel`` through :func:`crmlytics.io.write_frame`
  on the same frame (pandas + xlsxwriter, the path we replaced for xlsx).

``seconds`` is wall time, ``cpu_seconds`` this process's CPU time (the figure that does not
depend on what else the machine runs: the xlsx writer is single-threaded, so on an idle machine
wall time is about CPU time); ``peak_rss_mb`` is the process's peak resident memory after each
step (monotonic); ``load_average_1m`` is the machine's load when the run ended.

Run (the target): ``python benchmarks/bench_export.py --customers 100000``
Quick check:      ``python benchmarks/bench_export.py --customers 2000``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from crmlytics.export import (
    candidate_counts,
    hash_contact_columns,
    segment_candidates,
    suppressed,
    write_list,
)
from crmlytics.io import write_frame
from crmlytics.workspace import Workspace

T = TypeVar("T")
OPT_OUT_EVERY = 50  # every 50th customer has do_not_contact
SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"))
REGIONS = np.array(["华东", "华北", "华南", "西南", "东北", "西北", "华中"])
RFM_SEGMENTS = np.array(["champions", "loyal", "potential_loyalist", "at_risk", "hibernating"])


def segment_size(rows: int) -> int:
    """Members needed in the segment so that ``rows`` remain after every 50th is suppressed."""
    size = rows
    while size - math.ceil(size / OPT_OUT_EVERY) < rows:
        size += 1
    return size


def synthetic(customers: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(customers, scores) frames; the first ``segment_size(customers)`` rows are gold."""
    rng = np.random.default_rng(seed)
    gold = segment_size(customers)
    total = gold + gold // 4  # other tiers too, so the segment filter has work to do
    idx = np.arange(total)
    ids = np.char.add("C", np.char.zfill(idx.astype(str), 8))
    people = pd.DataFrame(
        {
            "customer_id": ids,
            "name": np.char.add(rng.choice(SURNAMES, total), idx.astype(str)),
            "customer_type": np.where(idx % 10 == 0, "company", "individual"),
            "region": rng.choice(REGIONS, total),
            "channel": rng.choice(np.array(["web", "store", "app"]), total),
            "email": np.char.add(np.char.add(" User", idx.astype(str)), "@Example.COM"),
            "phone": np.char.add("138 ", np.char.zfill((idx % 10**8).astype(str), 8)),
            "do_not_contact": idx % OPT_OUT_EVERY == 0,
        }
    )
    r, f, m = (rng.integers(1, 6, total) for _ in range(3))
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "days_since_last_purchase": rng.integers(0, 700, total),
            "rfm_frequency": rng.integers(0, 40, total),
            "rfm_monetary": rng.gamma(2.0, 300.0, total).round(2),
            "orders": rng.integers(1, 40, total),
            "net_revenue": rng.gamma(2.0, 300.0, total).round(2),
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_cell": [f"{a}{b}{c}" for a, b, c in zip(r, f, m, strict=True)],
            "rfm_segment": rng.choice(RFM_SEGMENTS, total),
            "value_tier": np.where(idx < gold, "gold", "silver"),
            "lifecycle": rng.choice(np.array(["repeat", "loyal", "dormant"]), total),
            "satisfaction": rng.uniform(0, 100, total).round(1),
            "loyalty": rng.uniform(0, 100, total).round(1),
            "contribution": rng.uniform(0, 100, total).round(1),
            "dependence": rng.uniform(0, 100, total).round(1),
            "composite": rng.uniform(0, 100, total).round(1),
            "clv": rng.gamma(2.0, 500.0, total).round(2),
        }
    )
    return people, scores


def peak_rss_mb() -> float:
    scale = 1024 if sys.platform != "darwin" else 1024 * 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / scale / 1024, 1)


def run(customers: int, baseline: bool) -> dict[str, object]:
    people, score_frame = synthetic(customers)
    ws = Workspace.memory()
    ws.insert("customers", people)
    scores = ws.backend.create_table("bench_scores", score_frame)
    steps: dict[str, dict[str, float]] = {}

    def timed(name: str, func: Callable[[], T]) -> T:
        start, cpu = time.perf_counter(), time.process_time()
        value = func()
        steps[name] = {
            "seconds": round(time.perf_counter() - start, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "peak_rss_mb": peak_rss_mb(),
        }
        return value

    def build() -> tuple[pd.DataFrame, int]:
        candidates = segment_candidates(
            ws.table("customers"),
            scores,
            column="value_tier",
            segment="gold",
            where="clv >= 0 and r_score >= 1",  # keeps everyone: exercises the filter only
            rfm_labels={"champions": "冠军客户", "loyal": "忠诚客户"},
        )
        counts = candidate_counts(candidates).to_pandas().iloc[0]
        return suppressed(candidates).to_pandas(), int(counts["opted_out"])

    frame, opted_out = timed("build_list", build)
    hashed = timed("hash_pii", lambda: hash_contact_columns(frame))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        timed("write_xlsx", lambda: write_list(hashed, out / "list.xlsx", "xlsx"))
        xlsx_mb = round((out / "list.xlsx").stat().st_size / 1e6, 1)
        timed("write_csv", lambda: write_list(hashed, out / "list.csv", "csv"))
        timed("write_parquet", lambda: write_list(hashed, out / "list.parquet", "parquet"))
        if baseline:
            timed("baseline_pandas_to_excel", lambda: write_frame(hashed, out / "base.xlsx"))
    ws.close()
    return {
        "benchmark": "export",
        "customers_written": len(hashed),
        "excluded_opted_out": opted_out,
        "columns": len(hashed.columns),
        "cells": len(hashed) * len(hashed.columns),
        "xlsx_mb": xlsx_mb,
        "steps": steps,
        "xlsx_total_seconds": round(
            sum(steps[s]["seconds"] for s in ("build_list", "hash_pii", "write_xlsx")), 3
        ),
        "xlsx_total_cpu_seconds": round(
            sum(steps[s]["cpu_seconds"] for s in ("build_list", "hash_pii", "write_xlsx")), 3
        ),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_xlsx_seconds": 20,
    }


RUN_AS_OF = "2025-06-30"

EXPORT = """
import json, resource, sys, time
start = time.perf_counter()
from crmlytics.export import export_segment
from crmlytics.workspace import Workspace
ws = Workspace.open(sys.argv[1], read_only=True)
ws.duckdb.execute("SET enable_progress_bar = false")
opened = time.perf_counter()
cpu = time.process_time()
result = export_segment(ws, "champions", as_of=sys.argv[3], out=sys.argv[2])
seconds, cpu = time.perf_counter() - opened, time.process_time() - cpu
ws.close()
peak = 0.0
for line in open("/proc/self/status"):
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": result.rows,
                  "source": result.source, "peak_rss_mib": peak,
                  "with_imports_seconds": time.perf_counter() - start}))
"""


def run_warehouse(path: Path, customers: int, champions: int) -> None:
    """A warehouse file with ``customers`` customers and one recorded score run as of
    :data:`RUN_AS_OF` in which ``champions`` of them (every 50th opted out) are champions."""
    from crmlytics.runs import record_scores

    people, scores = synthetic(customers)
    people, scores = people.iloc[:customers], scores.iloc[:customers].copy()
    rng = np.random.default_rng(11)
    chosen = rng.choice(customers, size=champions, replace=False)
    segment = np.where(
        scores["rfm_segment"].to_numpy() == "champions", "loyal", scores["rfm_segment"]
    )
    segment[chosen] = "champions"
    scores["rfm_segment"] = segment
    path.unlink(missing_ok=True)
    ws = Workspace.open(path)
    ws.insert("customers", people)
    record_scores(ws, scores, as_of=RUN_AS_OF)
    ws.close()


def run_export(customers: int, champions: int, workdir: Path) -> dict[str, object]:
    """``export_segment`` of the champions of a recorded run, to each format, each in a fresh
    process on the same warehouse file (the time is the export, opening excluded; imports are
    reported separately as ``with_imports_seconds``)."""
    import subprocess

    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"run_{customers}.duckdb"
    if not db.exists():
        run_warehouse(db, customers, champions)
    out: dict[str, object] = {
        "benchmark": "export_from_run",
        "customers": customers,
        "champions_in_run": champions,
        "load_average_1m_before": round(os.getloadavg()[0], 2),
        "formats": {},
    }
    for fmt in ("csv", "parquet", "xlsx"):
        target = workdir / f"champions.{fmt}"
        done = subprocess.run(
            [sys.executable, "-c", EXPORT, str(db), str(target), RUN_AS_OF],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        figures = {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}
        figures["file_mb"] = round(target.stat().st_size / 1e6, 1)
        figures["load_average_1m"] = round(os.getloadavg()[0], 2)
        out["formats"][fmt] = figures  # type: ignore[index]
    out["targets_seconds"] = {"csv": 3, "parquet": 2, "xlsx": 15}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers in the list")
    parser.add_argument("--baseline", action="store_true", help="also time pandas.to_excel")
    parser.add_argument(
        "--from-run",
        type=int,
        default=None,
        metavar="CUSTOMERS",
        help="instead: export the champions of a recorded score run over CUSTOMERS customers "
        "(issue 15: 1050000, with --champions 179665), end to end, to CSV, Parquet and xlsx",
    )
    parser.add_argument("--champions", type=int, default=179_665)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench_export"
    )
    args = parser.parse_args()
    if args.from_run:
        result = run_export(args.from_run, args.champions, args.workdir)
    else:
        result = run(args.customers, args.baseline)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
