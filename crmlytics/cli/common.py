"""Shared pieces of the CLI: options every command takes, table output and error mapping."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from crmlytics.io import write_frame

# Piped into a log (cron, Airflow) there is no terminal width: print tables at a width that
# keeps column names readable instead of rich's 80-column fallback.
_LOG_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
console = Console(width=_LOG_WIDTH)
err_console = Console(stderr=True, width=_LOG_WIDTH)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="warehouse file (default $CRMLYTICS_DB or data/crm.duckdb)"),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="as-of date YYYY-MM-DD (end of that day) or datetime; default today"
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="write the table to FILE (.csv, .parquet, .xlsx, .json)"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="settings file (default ./crmlytics.yaml if present)"),
]

F = TypeVar("F", bound=Callable[..., Any])


def working(message: str) -> Any:
    """A spinner on stderr while a long step runs (stdout stays clean for piping)."""
    return err_console.status(message)


def emit(
    frame: pd.DataFrame, out: Path | None, *, title: str | None = None, limit: int = 50
) -> None:
    """Write ``frame`` to ``out`` if given, else print it as a rich table (first ``limit`` rows)."""
    if out is not None:
        path = write_frame(frame, out)
        console.print(f"wrote {len(frame):,} rows to {path}")
        return
    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if len(frame) > limit:
        console.print(f"… {len(frame) - limit:,} more rows; use --out FILE for all of them")


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def fails_cleanly(func: F) -> F:
    """Turn a library error into a one-line reason on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except (ValueError, KeyError, FileNotFoundError, TypeError, RuntimeError, OSError) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
