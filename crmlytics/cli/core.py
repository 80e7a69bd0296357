"""CLI commands of the foundation: facts and quickstart."""

from __future__ import annotations

from pathlib import Path

import typer

from crmlytics.cli.common import (
    AsOfOption,
    ConfigOption,
    DbOption,
    OutOption,
    console,
    emit,
    fails_cleanly,
    working,
)


def register(app: typer.Typer) -> None:
    app.command("facts")(facts_command)
    app.command("quickstart")(quickstart_command)
    app.command("score")(score_command)


@fails_cleanly
def facts_command(
    as_of: AsOfOption = None,
    window_days: int | None = typer.Option(None, "--window-days", help="only the last N days"),
    out: OutOption = None,
    db: DbOption = None,
) -> None:
    """Customer facts as of a date: one row per customer (money in source currency, days)."""
    from crmlytics.facts import facts
    from crmlytics.workspace import Workspace

    with Workspace.open(db, read_only=True) as ws, working("computing customer facts"):
        frame = facts(ws, as_of, window_days=window_days)
    emit(frame, out, title=f"customer facts as of {as_of or 'today'}")


@fails_cleanly
def quickstart_command(
    customers: int = typer.Option(2000, "--customers", min=1, help="demo customers to simulate"),
    seed: int = typer.Option(7, "--seed", help="random seed of the demo data"),
    demo_dir: Path = typer.Option(Path("data/demo"), "--demo-dir", help="where demo files go"),
    db: DbOption = None,
) -> None:
    """Demo data → ingest → customer facts summary, on the embedded warehouse."""
    from crmlytics.quickstart import quickstart

    with console.status("quickstart") as status:
        result = quickstart(
            db,
            customers=customers,
            seed=seed,
            demo_dir=demo_dir,
            progress=lambda message: status.update(message),
        )
    emit(result.loads, None, title=f"loaded into {result.db}")
    emit(result.summary, None, title=f"customer facts as of {result.as_of}")
    console.print(f"next: crmlytics facts --db {result.db} --as-of {result.as_of} --out facts.xlsx")


@fails_cleanly
def score_command(
    as_of: AsOfOption = None,
    config: ConfigOption = None,
    db: DbOption = None,
) -> None:
    """Nightly scoring: segments and CLV of every customer, recorded as one score run.

    Either every score is written or nothing is (the previous run stays the latest).
    """
    from crmlytics.config import load_config
    from crmlytics.scoring import score
    from crmlytics.workspace import Workspace

    settings = load_config(config)
    with Workspace.open(db) as ws, console.status("scoring") as status:
        run = score(ws, as_of, settings, progress=lambda message: status.update(message))
    console.print(
        f"score run {run.run_id}: {run.customers:,} customers as of {run.as_of}, "
        f"{len(run.columns) - 1} scores"
    )
