"""CLI command ``crmlytics demo``: write the deterministic demo data set."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import ConfigOption, command, emit, settings, step


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


@command
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
    config: ConfigOption = None,
) -> None:
    """Write a realistic demo data set (every canonical table as CSV) and its planted truth."""
    from crmlytics.demo import summarise_files, write_demo
    from crmlytics.errors import ConfigError

    settings(config)  # validated even though the demo needs no setting
    try:
        as_of_date = _dt.date.fromisoformat(as_of)
    except ValueError:
        raise ConfigError(f"--as-of {as_of!r} is not a date YYYY-MM-DD") from None
    if customers < 1:
        raise ConfigError(f"--customers must be at least 1, not {customers}")
    with step("demo", f"simulating {customers:,} customers") as s:
        paths = write_demo(out, customers=customers, seed=seed, as_of=as_of_date)
        files = summarise_files(paths)
        s.rows = int(files["rows"].clip(lower=0).sum())
    emit(files, None, title=f"demo data: {customers:,} customers, seed {seed}, as of {as_of_date}")
