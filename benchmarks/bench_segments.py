"""Benchmark: RFM + value tiers + lifecycle (and the full customer_segments table) on DuckDB.

Builds a warehouse file of synthetic transaction lines with ``benchmarks/make_transactions.py``
(about 10 lines per customer, skewed purchase rates, 3% returns, three years), adds a
``customers`` table (every buyer plus 5% prospects, 2% with a referrer), then times, each
materialised into a DuckDB table (nothing pulled into pandas):

- ``rfm_value_lifecycle``: customer facts computed once (``Workspace.cached``), then
  :func:`crmlytics.segments.rfm`, :func:`value_tiers` and the lifecycle classes joined into one
  customer table (the issue's target: < 15 s at 10M lines / 1M customers);
- ``customer_segments``: the whole :func:`crmlytics.segments.customer_segments` table (adds the
  four degrees), as one expression (the facts are part of the plan);
- ``customer_segments_cached_history``: the same with the all-history facts computed first
  (``Workspace.cached``) and passed in as ``history``.

Prints one JSON document with seconds and peak RSS (MB) of the process.

Run: ``python benchmarks/bench_segments.py --rows 1000000`` (proof at 1M lines) and
``python benchmarks/bench_segments.py --rows 10000000`` (the target scale, needs ~4 GB RAM).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2023-12-31"


def build(path: Path, rows: int, seed: int) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_transactions import make_transactions

    from crmlytics.workspace import Workspace

    started = time.perf_counter()
    lines = make_transactions(rows, seed).to_arrow()
    generated = time.perf_counter() - started
    with Workspace.open(path) as ws:
        con = ws.duckdb
        con.register("lines", lines)
        con.execute(
            "INSERT INTO transactions BY NAME SELECT order_id, line_no, kind, customer_id, "
            "order_ts, product_id, category, quantity::DOUBLE AS quantity, amount, cost, channel "
            "FROM lines"
        )
        con.execute(
            """
            INSERT INTO customers BY NAME
            WITH ids AS (
                SELECT DISTINCT customer_id FROM transactions
                UNION ALL
                SELECT 'P' || i::VARCHAR FROM range((SELECT count(DISTINCT customer_id)
                    FROM transactions) // 20) t(i)
            ), numbered AS (SELECT customer_id, row_number() OVER (ORDER BY customer_id) AS n
                            FROM ids)
            SELECT a.customer_id, DATE '2020-12-01' AS signup_date,
                   CASE WHEN a.n % 50 = 0 THEN b.customer_id END AS referred_by
            FROM numbered a
            LEFT JOIN numbered b ON b.n = (a.n * 7919) % (SELECT count(*) FROM ids) + 1
            """
        )
        counts = con.execute(
            "SELECT (SELECT count(*) FROM transactions), (SELECT count(*) FROM customers)"
        ).fetchone()
    return {
        "generate_s": round(generated, 2),
        "load_s": round(time.perf_counter() - started - generated, 2),
        "lines": counts[0],
        "customers": counts[1],
    }


def timed(ws, name: str, expr) -> float:
    started = time.perf_counter()
    ws.backend.create_table(name, expr, overwrite=True)
    return round(time.perf_counter() - started, 2)


def run(path: Path) -> dict[str, float]:
    from crmlytics.asof import as_of
    from crmlytics.facts import customer_facts
    from crmlytics.segments import customer_segments, rfm, value_tiers
    from crmlytics.segments.lifecycle import lifecycle_from_facts, referrals
    from crmlytics.workspace import Workspace

    point = as_of(AS_OF)
    out: dict[str, float] = {}
    with Workspace.open(path) as ws:
        started = time.perf_counter()
        with ws.cached(customer_facts(ws, point)) as facts:  # computed once, read by all three
            scored = rfm(facts)
            tiers = value_tiers(facts).select(tier_id="customer_id", value_tier="value_tier")
            classes = lifecycle_from_facts(facts, referrals(ws, point)).select(
                life_id="customer_id", lifecycle="lifecycle"
            )
            joined = (
                scored.left_join(tiers, scored.customer_id == tiers.tier_id)
                .left_join(classes, scored.customer_id == classes.life_id)
                .drop("tier_id", "life_id")
            )
            out["rfm_value_lifecycle_s"] = round(time.perf_counter() - started, 2) + timed(
                ws, "bench_rfm_value_lifecycle", joined
            )
        started = time.perf_counter()
        expr = customer_segments(ws, point)
        out["customer_segments_s"] = round(time.perf_counter() - started, 2) + timed(
            ws, "bench_customer_segments", expr
        )
        started = time.perf_counter()
        with ws.cached(customer_facts(ws, point)) as history:
            expr = customer_segments(ws, point, history=history)
            out["customer_segments_cached_history_s"] = round(
                time.perf_counter() - started, 2
            ) + timed(ws, "bench_customer_segments_cached", expr)
        out["segments_rows"] = ws.backend.table("bench_customer_segments").count().execute()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", type=Path, help="warehouse file to build (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        report: dict[str, object] = {"rows": args.rows, "as_of": AS_OF}
        report.update(build(path, args.rows, args.seed))
        report.update(run(path))
        report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        report["target"] = "rfm_value_lifecycle_s < 15 at 10M lines / 1M customers"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
