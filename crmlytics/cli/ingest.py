"""CLI command ``crmlytics ingest``: load files into a canonical table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import DbOption, console, fails_cleanly

PROGRESS_MIN_BYTES = 16 * 2**20  # show a progress bar for files from 16 MiB


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


@fails_cleanly
def ingest_command(
    table: Annotated[str, typer.Argument(help="canonical table, e.g. transactions, customers")],
    files: Annotated[list[Path], typer.Argument(help="CSV/TSV/TXT, Parquet, XLSX or JSONL files")],
    mapping: Annotated[
        Path | None,
        typer.Option("--map", help="mapping YAML: `canonical: source header` per line"),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="reject a whole file at its first bad row")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="load a file again even if the same bytes were loaded"),
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Excel sheet to read (needed when several hold data)"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Load files into TABLE: bad rows to `rejects`, duplicates skipped, one transaction a file.

    For every file read = loaded + updated + rejected + duplicate. A file already loaded
    (same SHA-256) is skipped unless --force. Times with a UTC offset are converted into the
    warehouse time zone (`ingest.timezone` in crmlytics.yaml, default this machine's).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from crmlytics.config import load_config
    from crmlytics.ingest import ingest
    from crmlytics.workspace import Workspace

    settings = load_config().ingest

    big = any(f.is_file() and f.stat().st_size >= PROGRESS_MIN_BYTES for f in files)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not big,
    )
    tasks: dict[str, int] = {}

    def progress(file: str, step: str, fraction: float | None) -> None:
        if file not in tasks:
            tasks[file] = bar.add_task(Path(file).name, total=1.0, step=step)
        kwargs = {"completed": fraction} if fraction is not None else {}
        bar.update(tasks[file], step=step, **kwargs)

    with Workspace.open(db, timezone=settings.resolved_timezone()) as ws, bar:
        results = ingest(
            ws,
            table,
            files,
            mapping=mapping,
            strict=strict,
            progress=progress,
            force=force,
            sheet=sheet,
            config=settings,
        )
    out = Table(title=f"ingest into {table}")
    for name in ("file", "read", "loaded", "updated", "rejected", "duplicate", "status"):
        out.add_column(name, justify="left" if name in ("file", "status") else "right")
    for r in results:
        out.add_row(
            r.file,
            f"{r.rows_read:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_updated:,}",
            f"{r.rows_rejected:,}",
            f"{r.rows_duplicate:,}",
            r.status,
        )
    console.print(out)
    for r in results:
        if r.message:
            console.print(r.message, markup=False)
    if any(r.rows_rejected for r in results):
        console.print("rejected rows and their reasons are in the `rejects` table")
