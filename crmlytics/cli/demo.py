"""CLI command ``crmlytics demo``: write the deterministic demo data set."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmlytics.cli.common import console, fails_cleanly, working


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


@fails_cleanly
def demo_command(
    customers: Annotated[
        int, typer.Option("--customers", help="number of customers, prospects included")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="random seed; same seed, same files")] = 7,
    out: Annotated[
        Path, typer.Option("--out", help="directory for <table>.csv and truth.json")
    ] = Path("data") / "demo",
    as_of: Annotated[
        str, typer.Option("--as-of", help="last day of the history, YYYY-MM-DD")
    ] = "2025-06-30",
) -> None:
    """Write a realistic demo data set (every canonical table as CSV) and its planted truth."""
    from crmlytics.demo import summarise_files, write_demo

    try:
        as_of_date = _dt.date.fromisoformat(as_of)
    except ValueError:
        raise ValueError(f"--as-of {as_of!r} is not a date YYYY-MM-DD") from None
    with working(f"simulating {customers:,} customers"):
        paths = write_demo(out, customers=customers, seed=seed, as_of=as_of_date)
    table = Table(title=f"demo data: {customers:,} customers, seed {seed}, as of {as_of_date}")
    table.add_column("table")
    table.add_column("file", overflow="fold")
    table.add_column("rows", justify="right")
    for name, path, rows in summarise_files(paths).itertuples(index=False):
        table.add_row(name, str(path), "" if rows < 0 else f"{rows:,}")
    console.print(table)
