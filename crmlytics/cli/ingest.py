"""CLI command ``crmlytics ingest``: load files into a canonical table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crmlytics.cli.common import (
    ConfigOption,
    DbOption,
    WaitOption,
    command,
    console,
    emit,
    log_json,
    output,
    say,
    settings,
    warehouse,
)

PROGRESS_MIN_BYTES = 16 * 2**20  # show a progress bar for files from 16 MiB


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


@command
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
    wait: WaitOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Load files into TABLE: bad rows to `rejects`, duplicates skipped, one transaction a file."""
    import pandas as pd
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from crmlytics.ingest import ingest

    conf = settings(config)
    big = any(f.is_file() and f.stat().st_size >= PROGRESS_MIN_BYTES for f in files)
    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[step]}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (big and output().live),
    )
    tasks: dict[str, int] = {}

    def progress(file: str, step: str, fraction: float | None) -> None:
        if file not in tasks:
            tasks[file] = bar.add_task(Path(file).name, total=1.0, step=step)
        kwargs = {"completed": fraction} if fraction is not None else {}
        bar.update(tasks[file], step=step, **kwargs)

    with warehouse(db, conf, read_only=False, create=True, wait=wait) as ws, bar:
        results = ingest(ws, table, files, mapping=mapping, strict=strict, progress=progress)
    summary = pd.DataFrame(
        [
            {
                "file": r.file,
                "read": r.rows_read,
                "loaded": r.rows_loaded,
                "rejected": r.rows_rejected,
                "duplicate": r.rows_duplicate,
                "status": r.status,
            }
            for r in results
        ]
    )
    if output().json:
        for row in summary.to_dict("records"):
            log_json(step="ingest", **row, rows=row["loaded"])
    elif not output().quiet:
        emit(summary, None, title=f"ingest into {table}")
    if any(r.rows_rejected for r in results):
        say("rejected rows and their reasons are in the `rejects` table")
