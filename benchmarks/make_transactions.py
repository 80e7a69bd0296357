"""Synthetic transaction lines for benchmarks: a CSV with the canonical transaction columns.

Deterministic for a seed. About one customer per 10 lines with a skewed purchase rate (a few
heavy buyers, many one-off buyers), 1-6 lines per order, about 3% returns (each reverses a
distinct sale line: same order_id and line_no, kind ``return``, negative amount, 1-30 days
later), timestamps over 3 years from 2021-01-01, amounts and costs in currency units.

Usage::

    python benchmarks/make_transactions.py --rows 1000000 --out data/bench/tx_1m.csv
    python benchmarks/make_transactions.py --rows 10000000 --out data/bench/tx_10m.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

START = np.datetime64("2021-01-01T00:00:00", "s")
SPAN_SECONDS = 3 * 365 * 86400
CATEGORIES = np.array(["tea", "cups", "snacks", "gifts", "books", "toys", "wine", "fruit"])
CHANNELS = np.array(["store", "web", "app", "phone"])
RETURN_SHARE = 0.03


def make_transactions(rows: int, seed: int = 0) -> pl.DataFrame:
    """``rows`` transaction lines (sales and ~3% returns) as a polars frame."""
    rng = np.random.default_rng(seed)
    n_returns = int(rows * RETURN_SHARE)
    n_sales = rows - n_returns
    n_customers = max(rows // 10, 1)
    n_products = max(min(rows // 200, 5000), 10)

    lines_per_order = rng.integers(1, 7, size=n_sales)  # 1-6, mean 3.5
    ends = np.cumsum(lines_per_order)
    n_orders = int(np.searchsorted(ends, n_sales)) + 1
    order_of_line = np.repeat(np.arange(n_orders), lines_per_order[:n_orders])[:n_sales]
    order_start = np.r_[0, ends[: n_orders - 1]]
    line_no = np.arange(n_sales) - order_start[order_of_line] + 1

    # every customer buys once (about 10 lines per customer overall); further orders go to a
    # skewed few: heavy buyers next to many one-off buyers
    weight = rng.pareto(1.2, size=n_customers) + 0.05
    customer_of_order = rng.choice(n_customers, size=n_orders, p=weight / weight.sum())
    first = min(n_customers, n_orders)
    customer_of_order[:first] = rng.permutation(n_customers)[:first]
    order_ts = START + rng.integers(0, SPAN_SECONDS, size=n_orders).astype("timedelta64[s]")
    product = rng.integers(0, n_products, size=n_sales)
    quantity = rng.integers(1, 5, size=n_sales)
    unit_price = np.round(rng.lognormal(3.0, 0.8, size=n_products), 2)
    amount = np.round(quantity * unit_price[product], 2)
    cost = np.round(amount * rng.uniform(0.4, 0.8, size=n_sales), 2)
    channel_of_order = rng.integers(0, len(CHANNELS), size=n_orders)

    sales = {
        "order_id": order_of_line,
        "line_no": line_no,
        "customer": customer_of_order[order_of_line],
        "ts": order_ts[order_of_line],
        "product": product,
        "quantity": quantity,
        "amount": amount,
        "cost": cost,
        "channel": channel_of_order[order_of_line],
    }
    returned = np.sort(rng.choice(n_sales, size=n_returns, replace=False))
    returns = {k: v[returned] for k, v in sales.items()}
    returns["ts"] = returns["ts"] + rng.integers(1, 31, size=n_returns).astype("timedelta64[D]")
    returns["amount"] = -returns["amount"]
    returns["cost"] = -returns["cost"]

    def frame(part: dict[str, np.ndarray], kind: str) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "order_id": pl.Series(part["order_id"]).cast(pl.String).str.zfill(9),
                "line_no": part["line_no"],
                "kind": kind,
                "customer_id": pl.Series(part["customer"]).cast(pl.String).str.zfill(8),
                "order_ts": part["ts"].astype("datetime64[ms]"),
                "product_id": pl.Series(part["product"]).cast(pl.String).str.zfill(5),
                "category": CATEGORIES[part["product"] % len(CATEGORIES)],
                "quantity": part["quantity"],
                "amount": part["amount"],
                "cost": part["cost"],
                "channel": CHANNELS[part["channel"]],
            }
        ).with_columns(
            pl.concat_str(pl.lit("O"), "order_id").alias("order_id"),
            pl.concat_str(pl.lit("C"), "customer_id").alias("customer_id"),
            pl.concat_str(pl.lit("P"), "product_id").alias("product_id"),
        )

    out = pl.concat([frame(sales, "sale"), frame(returns, "return")])
    return out.sort("order_ts", maintain_order=True)


def write_transactions(rows: int, out: Path, seed: int = 0) -> Path:
    """Write ``rows`` lines (plus a header) to CSV ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    make_transactions(rows, seed).write_csv(
        out, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("data/bench/transactions.csv"))
    args = parser.parse_args()
    path = write_transactions(args.rows, args.out, args.seed)
    print(path)


if __name__ == "__main__":
    main()
