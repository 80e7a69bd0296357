"""CLI commands of the foundation: facts, quickstart and score."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    OutOption,
    WaitOption,
    check_not_empty,
    checked_as_of,
    command,
    emit,
    locale_of,
    say,
    settings,
    step,
    warehouse,
)


def register(app: typer.Typer) -> None:
    app.command("facts")(facts_command)
    app.command("quickstart")(quickstart_command)
    app.command("score")(score_command)


@command
def facts_command(
    as_of: AsOfOption = None,
    window_days: Annotated[
        int | None,
        typer.Option("--window-days", help="only the last N days (default: config facts)"),
    ] = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Customer facts as of a date: one row per customer (money in source currency, days)."""
    from crmlytics.asof import check_window_days
    from crmlytics.facts import facts

    conf = settings(config)
    chosen = locale_of(locale, conf)
    days = conf.facts.window_days if window_days is None else window_days
    check_window_days(days, "--window-days")
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("facts", "computing customer facts") as s:
            frame = facts(ws, point, window_days=days)
            s.rows = len(frame)
    check_not_empty(len(frame), "the customer facts table", fail_on_empty)
    emit(
        frame,
        out,
        title=f"customer facts as of {point}",
        locale=chosen,
        machine_formats=conf.locale_machine_formats,
    )


@command
def quickstart_command(
    customers: int = typer.Option(2000, "--customers", min=1, help="demo customers to simulate"),
    seed: int = typer.Option(7, "--seed", help="random seed of the demo data"),
    demo_dir: Path = typer.Option(Path("data/demo"), "--demo-dir", help="where demo files go"),
    locale: LocaleOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Demo data → ingest → customer facts summary, on the embedded warehouse."""
    from crmlytics.cli.common import output, steps
    from crmlytics.errors import ConfigError
    from crmlytics.quickstart import QUICKSTART_STEPS, quickstart

    if output().engine == "spark":
        raise ConfigError(
            "quickstart loads demo files into the DuckDB warehouse; --engine spark reads lake "
            "tables (see the README's Spark section)"
        )
    chosen = locale_of(locale, settings(config))
    with steps(QUICKSTART_STEPS) as progress:
        result = quickstart(
            db, customers=customers, seed=seed, demo_dir=demo_dir, progress=progress
        )
    emit(result.loads, None, title=f"loaded into {result.db}", locale=chosen)
    emit(result.summary, None, title=f"customer facts as of {result.as_of}", locale=chosen)
    say(f"next: crmlytics facts --db {result.db} --as-of {result.as_of} --out facts.xlsx")


@command
def score_command(
    as_of: AsOfOption = None,
    wait: WaitOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Nightly scoring: segments and CLV of every customer, recorded as one score run.

    Either every score is written or nothing is (the previous run stays the latest).
    """
    from crmlytics.cli.common import steps
    from crmlytics.scoring import SCORE_STEPS, score

    conf = settings(config)
    with warehouse(db, conf, read_only=False, wait=wait) as ws:
        point = checked_as_of(ws, as_of, conf)
        with steps(SCORE_STEPS) as progress:
            run = score(ws, point, conf, progress=progress)
    say(
        f"score run {run.run_id}: {run.customers:,} customers as of {run.as_of}, "
        f"{len(run.columns) - 1} scores"
    )
