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
    warn,
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
    force: Annotated[
        bool,
        typer.Option("--force", help="load a file again even if the same bytes were loaded"),
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="Excel sheet to read (needed when several hold data)"),
    ] = None,
    wait: WaitOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Load files into TABLE: bad rows to `rejects`, duplicates skipped, one transaction a file.

    For every file read = loaded + updated + rejected + duplicate. A file already loaded
    (same SHA-256) is skipped unless --force. Times with a UTC offset are converted into the
    warehouse time zone (`ingest.timezone` in crmlytics.yaml, default this machine's).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from crmlytics.ingest import ingest, load_summary

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
        results = ingest(
            ws,
            table,
            files,
            mapping=mapping,
            strict=strict,
            progress=progress,
            force=force,
            sheet=sheet,
            config=conf.ingest,
        )
    summary = load_summary(results)
    if output().json:
        for row in summary.to_dict("records"):
            log_json(step="ingest", **row, rows=row["loaded"] + row["updated"])
    elif not output().quiet:
        emit(summary, None, title=f"ingest into {table}")
    for r in results:
        if r.guard_undone:
            warn(f"{r.file}: {r.message}")
        elif r.message:
            say(r.message)
    if any(r.rows_rejected for r in results):
        say("rejected rows and their reasons are in the `rejects` table")
