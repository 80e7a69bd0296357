"""Benchmark: receivables ageing, balances, DSO and dunning over N invoices.

Generates ``--invoices`` synthetic invoices (``--customers`` customers, issued over two years,
due 15-60 days after issue, amounts 10-5,000) and their payments (75% paid in full, 10% late,
10% in two parts, 2% over-paid, the rest unpaid; about 1.05 payments per invoice) plus one
contact per ten invoices, in DuckDB, written once as Parquet under ``--data`` (default
``/tmp/bench_recv``) and reused. Then, in a fresh warehouse file beside the data, times:

- ``ingest_invoices_s``, ``ingest_payments_s`` (with ``--ingest``): the CSV files through
  :func:`crmlytics.ingest.ingest`, the payments checked against the loaded invoices;
- ``ageing_s``: :func:`crmlytics.receivables.ageing` fetched (the issue's target: < 5 s at
  1M invoices);
- ``balances_s``: :func:`crmlytics.receivables.customer_balances` fetched (customer grain);
- ``dso_s``: :func:`crmlytics.receivables.days_sales_outstanding`;
- ``dunning_s``: :func:`crmlytics.receivables.dunning` fetched.

Prints one JSON document with seconds, rows and peak RSS (MB).

Run: ``python benchmarks/bench_receivables.py --invoices 1000000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

AS_OF = "2024-12-31"


def generate(folder: Path, invoices: int, customers: int) -> dict[str, Path]:
    """Parquet (and CSV) files of invoices, payments and interactions, made once per size."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{invoices}_{customers}"
    paths = {
        name: folder / f"{name}_{stem}.{ext}"
        for name in ("invoices", "payments", "interactions")
        for ext in ("parquet",)
    }
    if all(p.exists() for p in paths.values()):
        return paths
    con = duckdb.connect()
    con.execute("select setseed(0.42)")
    con.execute(
        f"""
        create table inv as
        select 'I' || lpad(cast(i as varchar), 9, '0') as invoice_id,
               'C' || (hash(i) % {customers}) as customer_id,
               'O' || i as order_id,
               issued_at,
               cast(cast(issued_at as date) + cast(15 + (i % 4) * 15 as integer) as timestamp)
                   as due_at,
               round(10 + random() * 4990, 2) as amount,
               random() as u
        from (select i, timestamp '2023-01-01' + to_seconds(cast(random() * 730 * 86400 as bigint))
                  as issued_at from range({invoices}) t(i))
        """
    )
    con.execute(
        """
        create table pay as
        with first as (
            select invoice_id,
                   case when u < 0.75 then amount
                        when u < 0.85 then amount
                        when u < 0.95 then round(amount * 0.5, 2)
                        when u < 0.97 then round(amount * 1.02, 2)
                   end as amount,
                   case when u < 0.75 then due_at - interval 3 day
                        else due_at + to_days(cast(1 + random() * 120 as integer)) end as paid_at,
                   u, due_at, invoice_amount
            from (select *, amount as invoice_amount from inv)
        )
        select invoice_id, amount, paid_at from first where amount is not null
        union all
        select invoice_id, round(invoice_amount - round(invoice_amount * 0.5, 2), 2),
               due_at + interval 150 day
        from first where u >= 0.85 and u < 0.90
        """
    )
    con.execute(
        f"""
        copy (select invoice_id, customer_id, order_id, issued_at, due_at, amount from inv)
        to '{paths["invoices"]}' (format parquet)
        """
    )
    con.execute(
        f"""
        copy (select 'P' || lpad(cast(row_number() over (order by paid_at, invoice_id) as varchar),
                     9, '0') as payment_id, invoice_id, paid_at, amount from pay)
        to '{paths["payments"]}' (format parquet)
        """
    )
    con.execute(
        f"""
        copy (select 'X' || i as interaction_id, 'C' || (hash(i * 7) % {customers}) as customer_id,
                     timestamp '2023-01-01' + to_seconds(cast(random() * 730 * 86400 as bigint))
                     as ts
              from range({max(invoices // 10, 1)}) t(i))
        to '{paths["interactions"]}' (format parquet)
        """
    )
    con.close()
    return paths


def load(ws, paths: dict[str, Path]) -> None:
    """Insert the Parquet files straight into the warehouse tables (no ingest)."""
    con = ws.duckdb
    for table, path in paths.items():
        columns = con.execute(f"select * from '{path}' limit 0").description
        names = ", ".join(d[0] for d in columns)
        con.execute(f"insert into {table} ({names}) select {names} from '{path}'")


def timed(results: dict, name: str, func):
    start = time.perf_counter()
    value = func()
    results[name] = round(time.perf_counter() - start, 3)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench_recv"))
    parser.add_argument("--ingest", action="store_true", help="also time ingest of CSV files")
    args = parser.parse_args()

    from crmlytics.receivables import (
        ageing,
        customer_balances,
        days_sales_outstanding,
        dunning,
    )
    from crmlytics.workspace import Workspace

    results: dict = {"invoices": args.invoices, "customers": args.customers, "as_of": AS_OF}
    paths = timed(results, "generate_s", lambda: generate(args.data, args.invoices, args.customers))
    db = args.data / "recv.duckdb"
    db.unlink(missing_ok=True)
    ws = Workspace.open(db)
    try:
        if args.ingest:
            import duckdb

            from crmlytics.ingest import ingest

            for table in ("invoices", "payments"):
                csv = args.data / f"{table}_{args.invoices}_{args.customers}.csv"
                if not csv.exists():
                    duckdb.sql(f"copy (select * from '{paths[table]}') to '{csv}' (header)")
                [result] = timed(
                    results, f"ingest_{table}_s", lambda t=table, c=csv: ingest(ws, t, c)
                )
                results[f"{table}_rejected"] = result.rows_rejected
            load(ws, {"interactions": paths["interactions"]})
        else:
            timed(results, "load_s", lambda: load(ws, paths))
        results["payments"] = ws.table("payments").count().to_pyarrow().as_py()
        table = timed(results, "ageing_s", lambda: ageing(ws, AS_OF).to_pandas())
        results["open_amount"] = round(float(table["open_amount"].sum()), 2)
        balances = timed(results, "balances_s", lambda: customer_balances(ws, AS_OF).to_pandas())
        results["balance_rows"] = len(balances)
        dso = timed(results, "dso_s", lambda: days_sales_outstanding(ws, AS_OF).to_pandas())
        results["days_sales_outstanding"] = round(float(dso["days_sales_outstanding"].iloc[0]), 2)
        dun = timed(results, "dunning_s", lambda: dunning(ws, AS_OF).to_pandas())
        results["dunning_rows"] = len(dun)
    finally:
        ws.close()
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
