"""Benchmark: sales trend and mix over N transaction lines (issue target: trend + mix over 10M
lines in under 5 s).

Builds a DuckDB warehouse file with ``--rows`` lines from ``benchmarks/make_transactions.py``
(about 3% returns, 8 categories, 4 channels, three years from 2021-01-01; loaded straight from
Arrow, not through ingest, which has its own benchmark), then times, each fetched into pandas:

- ``trend_month_s``: :func:`crmlytics.sales.sales_trend` by month (period spine, orders,
  customers, new and returning, changes);
- ``mix_category_s``: :func:`crmlytics.sales.sales_mix` by category, 90 days against the 90
  before;
- ``trend_plus_mix_s``: the two together (the target);
- ``trend_region_s`` (customers joined), ``cycle_category_s``: for reference.

Prints one JSON document with wall seconds, CPU seconds (user + system, all threads: on a shared
machine they tell what the wall time would be idle) and the load average before each step, rows
and peak RSS (MB). Run under the shared lock:
``flock /work/wt/notes/bench.lock python benchmarks/bench_sales.py --rows 10000000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

AS_OF = "2023-12-31"


def build(rows: int, path: Path, seed: int = 0) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_transactions import make_transactions

    from crmlytics.workspace import Workspace

    frame = make_transactions(rows, seed)
    arrow = frame.to_arrow()
    path.unlink(missing_ok=True)
    with Workspace.open(path) as ws:
        con = ws.duckdb
        con.register("_lines", arrow)
        con.execute(
            "INSERT INTO transactions BY NAME SELECT order_id, line_no, kind, customer_id, "
            "order_ts::TIMESTAMP AS order_ts, product_id, category, quantity::DOUBLE AS quantity,"
            " amount, cost, channel FROM _lines"
        )
        con.unregister("_lines")
        regions = ["north", "south", "east", "west"]
        con.execute(
            "INSERT INTO customers (customer_id, region) SELECT DISTINCT customer_id, "
            f"{regions!r}[1 + (hash(customer_id) % 4)::BIGINT] FROM transactions"
        )


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all DuckDB threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


CPU: dict[str, float] = {}
LOAD: dict[str, str] = {}


def timed(fn, name: str | None = None):  # noqa: ANN001, ANN201
    """``fn()`` and its wall seconds; its CPU seconds and the load before it go in CPU / LOAD."""
    LOAD[name or fn.__name__] = load_average()
    c0, t0 = cpu_seconds(), time.perf_counter()
    out = fn()
    CPU[name or fn.__name__] = round(cpu_seconds() - c0, 2)
    return out, round(time.perf_counter() - t0, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench_sales/sales.duckdb"))
    parser.add_argument("--reuse", action="store_true", help="use the warehouse already built")
    parser.add_argument(
        "--target-only", action="store_true", help="time only trend by month and mix (the target)"
    )
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)

    from crmlytics.sales import purchase_cycle, sales_mix, sales_trend
    from crmlytics.workspace import Workspace

    result: dict[str, object] = {"rows": args.rows}
    if not args.reuse:
        _, result["build_s"] = timed(lambda: build(args.rows, args.db))
    with Workspace.open(args.db, read_only=True) as ws:
        result["lines"] = int(ws.table("transactions").count().execute())
        trend, result["trend_month_s"] = timed(
            lambda: sales_trend(ws, AS_OF, "month").to_pandas(), "trend_month"
        )
        mix, result["mix_category_s"] = timed(
            lambda: sales_mix(ws, AS_OF, "category").to_pandas(), "mix_category"
        )
        result["trend_plus_mix_s"] = round(result["trend_month_s"] + result["mix_category_s"], 3)
        result["trend_plus_mix_cpu_s"] = round(CPU["trend_month"] + CPU["mix_category"], 2)
        result["trend_rows"], result["mix_rows"] = len(trend), len(mix)
        if not args.target_only:
            _, result["trend_region_s"] = timed(
                lambda: sales_trend(ws, AS_OF, "month", "region").to_pandas(), "trend_region"
            )
            _, result["cycle_category_s"] = timed(
                lambda: purchase_cycle(ws, AS_OF, "category").to_pandas(), "cycle_category"
            )
    result["cpu_s"] = CPU
    result["load_before"] = LOAD
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
