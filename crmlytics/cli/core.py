"""CLI commands of the foundation: facts."""

from __future__ import annotations

import typer

from crmlytics.cli.common import AsOfOption, DbOption, OutOption, emit, fails_cleanly


def register(app: typer.Typer) -> None:
    app.command("facts")(facts_command)


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

    with Workspace.open(db, read_only=True) as ws:
        frame = facts(ws, as_of, window_days=window_days)
    emit(frame, out, title=f"customer facts as of {as_of or 'today'}")
