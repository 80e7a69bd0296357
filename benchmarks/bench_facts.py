"""Benchmark: customer facts on the warehouse against a hand-written GROUP BY and pandas.

Prints one JSON document. For each size it builds a warehouse of synthetic transaction lines
(about 2 lines per order, 10 lines per customer, 3% returns, three years of timestamps), then times

- ``crmlytics``: :func:`crmlytics.facts.customer_facts` materialised into a DuckDB table;
- ``duckdb_group_by``: one hand-written ``GROUP BY customer_id`` over the same rows (the floor);
- ``pandas``: ``pandas.read_csv`` of the same rows plus the groupbys that give the same facts
  (read and groupby reported separately).

Each step runs in a fresh subprocess (so peak RSS is that step's own), three times in a row;
the best run is reported next to all three, with each run's CPU seconds (user + system, all
threads) and the load average after the step (on a shared machine wall seconds stretch with the
load).

Run: ``python benchmarks/bench_facts.py --rows 1000000 10000000``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

GENERATE = """
CREATE OR REPLACE TABLE transactions AS
WITH lines AS (
    SELECT i, i // 2 AS order_no FROM range({rows}) t(i)
)
SELECT
    'O' || order_no::VARCHAR AS order_id,
    (i % 2 + 1)::BIGINT AS line_no,
    CASE WHEN hash(i, 7) % 100 < 3 THEN 'return' ELSE 'sale' END AS kind,
    'C' || (hash(order_no, 1) % {customers})::VARCHAR AS customer_id,
    TIMESTAMP '2022-01-01' + to_seconds((hash(order_no, 2) % (3 * 365 * 86400))::BIGINT)
        AS order_ts,
    'P' || (hash(i, 3) % 200)::VARCHAR AS product_id,
    'cat' || (hash(i, 3) % 200 % 12)::VARCHAR AS category,
    1.0 + (hash(i, 4) % 3)::DOUBLE AS quantity,
    (CASE WHEN hash(i, 7) % 100 < 3 THEN -1 ELSE 1 END)
        * round(5 + (hash(i, 5) % 20000) / 100.0, 2) AS amount,
    round((5 + (hash(i, 5) % 20000) / 100.0) * 0.65, 2) AS cost,
    'web' AS channel,
    NULL::VARCHAR AS attributes
FROM lines
"""

HAND_WRITTEN = """
CREATE OR REPLACE TABLE hand_facts AS
SELECT customer_id,
       min(order_ts) AS first_ts, max(order_ts) AS last_ts,
       count(DISTINCT order_id) AS orders,
       count(DISTINCT order_ts::DATE) AS purchase_days,
       sum(CASE WHEN amount >= 0 THEN amount ELSE 0 END) AS gross_revenue,
       sum(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS returned_revenue,
       sum(amount - sign(amount) * abs(cost)) AS profit,
       count(DISTINCT category) AS categories_bought
FROM transactions WHERE order_ts < TIMESTAMP '2025-01-01'
GROUP BY customer_id
"""

STEPS = {
    "crmlytics": """
import ibis
import crmlytics
from crmlytics.facts import customer_facts
ws = crmlytics.Workspace.open({db!r})
# -- timed from here
expr = customer_facts(ws, "2024-12-31")
ws.duckdb.execute("CREATE OR REPLACE TABLE crm_facts AS " + ibis.to_sql(expr, dialect="duckdb"))
""",
    "duckdb_group_by": """
import duckdb
con = duckdb.connect({db!r})
# -- timed from here
con.execute('''{hand}''')
""",
    "pandas_read_csv": """
import pandas as pd
# -- timed from here
frame = pd.read_csv({csv!r}, parse_dates=["order_ts"])
""",
    "pandas": """
import pandas as pd
import numpy as np
# -- timed from here
frame = pd.read_csv({csv!r}, parse_dates=["order_ts"])
frame = frame[frame.order_ts < "2025-01-01"]
per_order = frame.groupby(["customer_id", "order_id"], sort=False).agg(
    order_ts=("order_ts", "min"), order_net=("amount", "sum"))
per_order = per_order[per_order.order_net > 0].reset_index()
per_order["day"] = per_order.order_ts.dt.normalize()
purchases = per_order.groupby("customer_id").agg(
    first=("day", "min"), last=("day", "max"), orders=("order_id", "nunique"),
    purchase_days=("day", "nunique"))
sale = frame.amount >= 0
frame["gross"] = np.where(sale, frame.amount, 0.0)
frame["ret"] = np.where(sale, 0.0, -frame.amount)
frame["profit"] = frame.amount - np.sign(frame.amount) * frame.cost.abs()
money = frame.groupby("customer_id").agg(
    gross_revenue=("gross", "sum"), returned_revenue=("ret", "sum"), profit=("profit", "sum"),
    categories_bought=("category", "nunique"))
facts = money.join(purchases, how="left")
""",
}


RUNS = 3


def _timed(code: str) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; time what follows its ``# -- timed from here``
    ``RUNS`` times in a row (the first run also pays for cold caches) and report the best."""
    setup, work = code.split("# -- timed from here")
    body = textwrap.indent(work.strip("\n"), "    ")
    wrapper = (
        "import time, resource, json\n"
        f"{setup}\n"
        "def cpu():\n"
        "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "    return u.ru_utime + u.ru_stime\n"
        "runs, cpus = [], []\n"
        f"for _ in range({RUNS}):\n"
        "    c0, t0 = cpu(), time.perf_counter()\n"
        f"{body}\n"
        "    runs.append(time.perf_counter() - t0)\n"
        "    cpus.append(cpu() - c0)\n"
        "print(json.dumps({'seconds': min(runs), 'runs': runs, 'cpu_seconds': cpus, "
        "'load_average': __import__('os').getloadavg(), "
        "'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(rows: int, workdir: Path) -> dict[str, object]:
    import duckdb

    db = str(workdir / f"bench_{rows}.duckdb")
    csv = str(workdir / f"bench_{rows}.csv")
    t0 = time.perf_counter()
    import crmlytics

    crmlytics.Workspace.open(db).close()
    con = duckdb.connect(db)
    con.execute("DROP TABLE IF EXISTS transactions")
    con.execute(GENERATE.format(rows=rows, customers=max(rows // 10, 1)))
    con.execute(f"COPY (SELECT * EXCLUDE (attributes) FROM transactions) TO '{csv}' (HEADER)")
    con.close()
    setup = time.perf_counter() - t0
    result: dict[str, object] = {"rows": rows, "customers": rows // 10, "setup_seconds": setup}
    for name, code in STEPS.items():
        result[name] = _timed(code.format(db=db, csv=csv, hand=HAND_WRITTEN))
    crm = result["crmlytics"]["seconds"]  # type: ignore[index]
    result["crmlytics_vs_group_by"] = crm / result["duckdb_group_by"]["seconds"]  # type: ignore[index]
    result["pandas_vs_crmlytics"] = result["pandas"]["seconds"] / crm  # type: ignore[index]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = [bench(rows, workdir) for rows in args.rows]
    report = {
        "benchmark": "customer_facts",
        "machine_cores": __import__("os").cpu_count(),
        "peak_rss_note": "ru_maxrss of each step's own subprocess",
        "results": results,
        "self_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
