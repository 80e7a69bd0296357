"""CLI commands of customer segmentation: rfm, segments."""

from __future__ import annotations

from typing import Annotated

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
    app.command("rfm")(rfm_command)
    app.command("segments")(segments_command)


@fails_cleanly
def rfm_command(
    as_of: AsOfOption = None,
    window_days: Annotated[
        int | None, typer.Option("--window-days", help="score only the last N days")
    ] = None,
    out: OutOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """RFM scores (1-5 by quintile), cell and segment of every customer as of a date.

    Ties follow the R rfm package's scorer: tied values share the lowest score of their tie, so
    a score level can be empty (F = 2 is empty when 43% of buyers bought once: they all get
    F = 1 and the next value starts at 3); a warning names each empty level. The default
    segment map uses the R package's segment names with crmlytics' own ranges; set
    segments.rfm.segment_map: r_rfm in crmlytics.yaml for the R package's own table (cells it
    leaves unnamed are "others"). Ranges and columns: docs/glossary.md.
    """
    from crmlytics.config import load_config
    from crmlytics.segments import rfm_report
    from crmlytics.workspace import Workspace

    settings = load_config(config)
    with Workspace.open(db, read_only=True) as ws, working("computing RFM"):
        frame = rfm_report(ws, as_of, window_days=window_days, config=settings)
    emit(frame, out, title=f"RFM as of {as_of or 'today'}")


@fails_cleanly
def segments_command(
    by: Annotated[
        str,
        typer.Option("--by", help="segmentation: rfm_segment, value_tier or lifecycle"),
    ] = "rfm_segment",
    as_of: AsOfOption = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="labels in en or zh (default: config)")
    ] = None,
    out: OutOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Profiles of a segmentation: size, share of customers and revenue, mean facts."""
    from crmlytics.config import load_config
    from crmlytics.segments import segment_profiles
    from crmlytics.workspace import Workspace

    settings = load_config(config)
    chosen = locale or settings.locale
    if chosen not in ("en", "zh"):
        raise ValueError(f"--locale must be en or zh, not {chosen!r}")
    with Workspace.open(db, read_only=True) as ws, working(f"profiling {by}"):
        frame = segment_profiles(ws, as_of, by, settings, locale=chosen)
    emit(frame, out, title=f"{by} profiles as of {as_of or 'today'}")
    if out is None and frame.empty:
        console.print("no customers")
