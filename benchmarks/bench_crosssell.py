"""Benchmark: pair rules over order lines (issue 13), crmlytics against mlxtend.

Data (built once per size, not timed, kept under ``--dir``): ``--lines`` sale lines in
``--lines / 10`` orders over ``--products`` products (Zipf popularity; planted pairs: a buyer
of P0000, P0050, P0100, ... adds the next product to half of those orders), plus 2% returns
that reverse a sale line in full. Stored as the canonical ``transactions`` of a DuckDB
warehouse, and the bought (order, product) pairs as a Parquet file for mlxtend.

Each side runs in its own subprocess, so that its time and peak RSS are its own:

- crmlytics: baskets net of returns, item counts, pair counts by a self-join and the rules
  with every measure (Ibis on DuckDB), materialised into pandas;
- mlxtend: the same baskets one-hot encoded (a sparse pandas frame, mlxtend's advice for large
  data), ``fpgrowth(max_len=2)`` and ``association_rules``, on growing prefixes of the orders
  (``--mlxtend-orders``) under an address-space cap (``--mlxtend-gib``, RLIMIT_AS) and a time
  cap (``--mlxtend-seconds``); the ladder stops at the first size that fails, which is
  reported with its error.

Prints one JSON object. Target (issue 13): 10M lines, 1M orders, 2,000 products in under
30 s and under 4 GiB peak RSS for crmlytics. Run heavy sizes under the shared lock::

    flock /work/wt/notes/bench.lock python benchmarks/bench_crosssell.py            # 10M
    python benchmarks/bench_crosssell.py --lines 1000000 --mlxtend-orders 10000     # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

AS_OF = "2025-01-01"


def make_lines(lines: int, products: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Integer columns of ``lines`` sale lines (order, line_no, product, day) plus planted
    partner lines, sorted by order."""
    rng = np.random.default_rng(seed)
    orders = max(lines // 10, 1)
    order = rng.integers(0, orders, lines)
    weights = 1 / np.arange(1, products + 1) ** 0.8
    product = rng.choice(products, size=lines, p=weights / weights.sum())
    partner = np.where(product % 50 == 0, (product + 1) % products, -1)
    follow = (partner >= 0) & (rng.random(lines) < 0.5)
    order = np.concatenate([order, order[follow]])
    product = np.concatenate([product, partner[follow]])
    sort = np.argsort(order, kind="stable")
    order, product = order[sort], product[sort]
    first = np.searchsorted(order, order, side="left")
    line_no = np.arange(len(order)) - first + 1
    return {"order": order, "line_no": line_no, "product": product, "day": order % 365}


def prepare(lines: int, products: int, folder: Path) -> tuple[Path, Path]:
    """The warehouse and the Parquet file of (order, product) pairs for this size."""
    import pyarrow as pa

    from crmlytics.workspace import Workspace

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"xsell_{lines}_{products}.duckdb"
    pairs = folder / f"pairs_{lines}_{products}.parquet"
    if db.exists() and pairs.exists():
        return db, pairs
    for path in (db, pairs):
        path.unlink(missing_ok=True)
    cols = make_lines(lines, products)
    rng = np.random.default_rng(1)
    returned = rng.random(len(cols["order"])) < 0.02
    raw = pa.table({k: v.astype("int64") for k, v in cols.items()} | {"returned": returned})
    ws = Workspace.open(db)
    con = ws.duckdb
    con.register("raw", raw)
    con.execute(
        """
        INSERT INTO transactions (order_id, line_no, kind, customer_id, order_ts, product_id,
                                  quantity, amount)
        SELECT 'o' || "order", line_no, 'sale', 'c' || ("order" % 333333),
               TIMESTAMP '2024-01-01' + to_days("day"::INTEGER),
               'P' || lpad("product"::VARCHAR, 4, '0'), 1, 10.0
        FROM raw
        UNION ALL
        SELECT 'o' || "order", line_no, 'return', 'c' || ("order" % 333333),
               TIMESTAMP '2024-01-01' + to_days("day"::INTEGER + 3),
               'P' || lpad("product"::VARCHAR, 4, '0'), -1, -10.0
        FROM raw WHERE returned
        """
    )
    con.unregister("raw")
    ws.close()
    # what mlxtend gets: the same baskets (bought, returns netted) as crmlytics computes them
    ws = Workspace.open(db, read_only=True)
    from crmlytics.crosssell import basket_items

    items = basket_items(ws, AS_OF).select("basket_id", "item")
    ws.duckdb.execute(f"COPY ({ws.backend.compile(items)}) TO '{pairs}' (FORMAT parquet)")
    ws.close()
    return db, pairs


def peak_rss_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (less sensitive to a loaded machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 1)


def run_crmlytics(db: Path, min_support: float) -> dict:
    from crmlytics.crosssell import association_rules, basket_items
    from crmlytics.workspace import Workspace

    ws = Workspace.open(db, read_only=True)
    start = time.perf_counter()
    items = basket_items(ws, AS_OF)
    found = association_rules(items, min_support=min_support, distinct=True).to_pandas()
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 2),
        "rules": int(len(found)),
        "cpu_seconds": cpu_seconds(),
        "peak_rss_mib": peak_rss_mib(),
        "top_lift": found.nlargest(3, "lift")[["antecedent", "consequent", "lift"]]
        .round(2)
        .to_dict("records"),
    }


def run_mlxtend(pairs: Path, orders: int, min_support: float, cap_gib: float) -> dict:
    cap = int(cap_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from scipy import sparse

    table = pq.read_table(pairs)
    basket = pc.dictionary_encode(table["basket_id"]).combine_chunks()
    keep = pc.less(basket.indices, orders)
    table = table.filter(keep)
    start = time.perf_counter()
    rows = pc.dictionary_encode(table["basket_id"]).combine_chunks()
    cols = pc.dictionary_encode(table["item"]).combine_chunks()
    n = len(rows.dictionary)
    matrix = sparse.csr_matrix(
        (
            np.ones(len(table), dtype=bool),
            (rows.indices.to_numpy(), cols.indices.to_numpy()),
        ),
        shape=(n, len(cols.dictionary)),
    )
    onehot = pd.DataFrame.sparse.from_spmatrix(matrix, columns=cols.dictionary.to_pylist())
    encoded = time.perf_counter()
    frequent = fpgrowth(onehot, min_support=min_support, use_colnames=True, max_len=2)
    mined = time.perf_counter()
    found = association_rules(frequent, num_itemsets=n, metric="support", min_threshold=0.0)
    seconds = time.perf_counter() - start
    return {
        "orders": n,
        "pair_rows": len(table),
        "seconds": round(seconds, 2),
        "encode_seconds": round(encoded - start, 2),
        "fpgrowth_seconds": round(mined - encoded, 2),
        "rules": int(len(found)),
        "cpu_seconds": cpu_seconds(),
        "peak_rss_mib": peak_rss_mib(),
    }


def child(args: list[str], timeout: float) -> dict:
    """Run this script as a subprocess with ``args``; its JSON, or what stopped it."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "stopped", "error": f"time cap of {timeout:.0f} s reached"}
    seconds = round(time.perf_counter() - start, 1)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"status": "failed", "error": tail[:300], "wall_seconds": seconds}
    return {"status": "ok", **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--min-support", type=float, default=0.0005)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench_xsell"))
    parser.add_argument(
        "--mlxtend-orders",
        default="10000,100000,1000000",
        help="comma-separated prefix sizes (orders); empty to skip mlxtend",
    )
    parser.add_argument("--mlxtend-gib", type=float, default=6.0)
    parser.add_argument("--mlxtend-seconds", type=float, default=300.0)
    parser.add_argument("--side", choices=["crmlytics", "mlxtend"], help=argparse.SUPPRESS)
    parser.add_argument("--orders", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.dir / f"xsell_{args.lines}_{args.products}.duckdb"
    pairs = args.dir / f"pairs_{args.lines}_{args.products}.parquet"
    if args.side == "crmlytics":
        print(json.dumps(run_crmlytics(db, args.min_support)))
        return
    if args.side == "mlxtend":
        print(json.dumps(run_mlxtend(pairs, args.orders, args.min_support, args.mlxtend_gib)))
        return

    loadavg_before = [round(x, 2) for x in os.getloadavg()]
    start = time.perf_counter()
    db, pairs = prepare(args.lines, args.products, args.dir)
    prepare_seconds = round(time.perf_counter() - start, 1)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        n_lines, n_orders = con.execute(
            "SELECT count(*), count(DISTINCT order_id) FROM transactions"
        ).fetchone()
    common = ["--lines", str(args.lines), "--products", str(args.products)]
    common += ["--min-support", str(args.min_support), "--dir", str(args.dir)]
    ours = child([*common, "--side", "crmlytics"], timeout=1800)
    theirs = []
    for size in [int(s) for s in args.mlxtend_orders.split(",") if s.strip()]:
        extra = ["--side", "mlxtend", "--orders", str(size), "--mlxtend-gib", str(args.mlxtend_gib)]
        result = child([*common, *extra], timeout=args.mlxtend_seconds)
        theirs.append({"orders_requested": size, **result})
        if result["status"] != "ok":
            break
    print(
        json.dumps(
            {
                "lines": int(n_lines),
                "orders": int(n_orders),
                "products": args.products,
                "min_support": args.min_support,
                "prepare_seconds": prepare_seconds,
                "crmlytics": ours,
                "mlxtend": theirs,
                "mlxtend_caps": {"gib": args.mlxtend_gib, "seconds": args.mlxtend_seconds},
                "loadavg_before": loadavg_before,
                "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
