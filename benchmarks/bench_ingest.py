"""Benchmark: crmlytics ingest against DuckDB's bare CSV load of the same file; prints JSON.

For each size, a synthetic transactions CSV is written (benchmarks/make_transactions.py), then
each of these runs in a fresh Python subprocess on a fresh warehouse file, and reports its wall
time (the load itself, opening excluded), its CPU time (user + system, all threads: steadier
than wall time when the machine is shared) and its peak RSS (``VmHWM`` of that process):

- ``bare``: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` (DuckDB's typed read, the floor);
- ``ingest``: ``crmlytics.ingest.ingest(ws, "transactions", file)`` (detect encoding, read as
  text, typed conversion, rejects, natural-key checks, load_log, one transaction; into the
  empty warehouse a clean file takes the direct path, with no staged copy).

The two alternate ``--repeat`` times and the best of each is kept; the 1-minute load average
before and after each size is reported with it.

Targets (issue 2): ingest of 10M lines within 1.5x of the bare load; peak RSS under 2 GiB.

Usage::

    python benchmarks/bench_ingest.py                               # 1M lines
    python benchmarks/bench_ingest.py --rows 1000000 3000000        # 1M and 3M, best of 3
    python benchmarks/bench_ingest.py --rows 10000000 --repeat 1 --workdir data/bench  # ~0.8 GB
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PEAK = """
def cpu_seconds():
    # user + system CPU of all this process's threads: steadier than wall time on a busy machine
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib():
    # VmHWM: this process image's peak RSS (ru_maxrss would include the parent's peak before exec)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BARE = (
    PEAK
    + """
import json, resource, sys, time, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
start, cpu = time.perf_counter(), cpu_seconds()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
con.close()
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": rows,
                  "peak_rss_mib": peak_rss_mib()}))
"""
)

INGEST = (
    PEAK
    + """
import json, resource, sys, time
from crmlytics.ingest import ingest
from crmlytics.workspace import Workspace
ws = Workspace.open(sys.argv[2])
start, cpu = time.perf_counter(), cpu_seconds()
[result] = ingest(ws, "transactions", sys.argv[1])
seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
ws.close()
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": result.rows_loaded,
                  "rows_rejected": result.rows_rejected,
                  "peak_rss_mib": peak_rss_mib()}))
"""
)


def run(script: str, csv: Path, db: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter on a fresh warehouse file."""
    db.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", script, str(csv), str(db)],
        check=True,
        capture_output=True,
        text=True,
    )
    db.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(rows: int, workdir: Path, repeat: int, seed: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    from make_transactions import write_transactions

    csv = workdir / f"transactions_{rows}.csv"
    if not csv.exists():
        write_transactions(rows, csv, seed)
    load_before = round(os.getloadavg()[0], 2)  # the machine may be shared: report its load
    bare, ingest = [], []
    for _ in range(repeat):  # alternate, so that machine load hits both alike
        bare.append(run(BARE, csv, workdir / "bare.duckdb"))
        ingest.append(run(INGEST, csv, workdir / "ingest.duckdb"))
    best_bare = min(bare, key=lambda r: r["seconds"])
    best_ingest = min(ingest, key=lambda r: r["seconds"])
    return {
        "rows": rows,
        "csv_mib": round(csv.stat().st_size / 2**20, 1),
        "bare_read_csv": {
            "seconds": round(best_bare["seconds"], 3),
            "cpu_seconds": round(min(r["cpu_seconds"] for r in bare), 3),
            "peak_rss_mib": round(max(r["peak_rss_mib"] for r in bare), 1),
        },
        "crmlytics_ingest": {
            "seconds": round(best_ingest["seconds"], 3),
            "cpu_seconds": round(min(r["cpu_seconds"] for r in ingest), 3),
            "peak_rss_mib": round(max(r["peak_rss_mib"] for r in ingest), 1),
            "rows_loaded": best_ingest["rows"],
        },
        "ratio_ingest_to_bare": round(best_ingest["seconds"] / best_bare["seconds"], 2),
        "cpu_ratio_ingest_to_bare": round(
            min(r["cpu_seconds"] for r in ingest) / min(r["cpu_seconds"] for r in bare), 2
        ),
        "load_average_1min": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "target": {"ratio_max": 1.5, "peak_rss_mib_max": 2048},
        "runs": {"bare": [r["seconds"] for r in bare], "ingest": [r["seconds"] for r in ingest]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep data files here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crmlytics-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = [bench(n, workdir, args.repeat, args.seed) for n in args.rows]
    print(json.dumps({"benchmark": "ingest", "results": results}, indent=2))


if __name__ == "__main__":
    main()
