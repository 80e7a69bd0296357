"""Committing a load's bookkeeping: rejected records into ``rejects``, one ``load_log`` row.

Runs inside the load's transaction, so a failed load leaves neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crmlytics.ingest.context import LoadContext
from crmlytics.ingest.formats import Source
from crmlytics.ingest.lines import Locator, RecordWalk
from crmlytics.ingest.parsing import quote_literal
from crmlytics.ingest.rules import describe

BATCH = 10_000


@dataclass(frozen=True)
class LoadResult:
    """What happened to one file: counts of records, and the ``load_log`` id."""

    file: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_duplicate: int
    load_id: str
    status: str
    rows_updated: int = 0
    """Records that replaced a row of the table with other values (their key was known)."""
    dialect: str = ""
    """How the file was read: format, encoding and, for delimited text, delimiter and quoting."""
    message: str = ""
    """What the caller should hear besides the counts (an empty or skipped file, opt-outs
    undone)."""
    guard_undone: tuple[str, ...] = ()
    """Updated rows that took a guarded value away (``do_not_contact`` true -> false), listed
    on their own; ``rows_guard_undone`` in ``load_log`` counts them."""


def reader_rejects(ctx: LoadContext, source: Source) -> str | None:
    """DuckDB's reader rejects, one row per physical line, in a temp table (or None)."""
    if not source.reader_rejects:
        return None
    raw = ctx.name("rej")
    exists = ctx.scalar(
        f"SELECT count(*) FROM duckdb_tables() WHERE table_name = {quote_literal(raw)}"
    )
    if not exists:
        return None
    reader = ctx.name("reader")
    ctx.sql(
        f"CREATE TEMP TABLE {reader} AS SELECT line, line_byte_position AS pos, "
        "ltrim(csv_line, chr(13) || chr(10)) AS csv_line, "  # DuckDB keeps a blank line before
        "CASE WHEN error_type = 'INVALID ENCODING' THEN 'line ' || line || ' is not valid "
        "UTF-8 (the rest of the file is): re-save the file in one encoding' "
        "WHEN error_type = 'UNQUOTED VALUE' THEN 'unbalanced quote: a quoted field opened on "
        "line ' || line || ' is not closed properly, so the record runs on over the lines "
        "shown; fix the quote and load the file again' "
        "WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN "
        "'wrong field count: expected ' || "
        "regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1) || "
        "' fields, found ' || regexp_extract(error_message, 'Found: (\\d+)', 1) "
        "ELSE lower(error_type) || ': ' || error_message END AS reason "
        f"FROM {raw} QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx) = 1"
    )
    return reader


def reader_starts(ctx: LoadContext, reader: str) -> list[tuple[int, int]]:
    """DuckDB's line and byte position of each record its reader rejected, in file order."""
    return ctx.sql(f"SELECT line, pos FROM {reader} ORDER BY pos").fetchall()


def insert_reader_rejects(ctx: LoadContext, reader: str, lines: Locator | None = None) -> None:
    """Reader rejects with DuckDB's line and text, or those ``lines`` finds by reading the
    file again (records spanning lines)."""
    found = {}
    if isinstance(lines, RecordWalk):
        found = lines.reader_lines([pos for _, pos in reader_starts(ctx, reader)])
    if not found:
        ctx.sql(
            "INSERT INTO rejects SELECT ?, ?, ?, line, NULL, csv_line, reason, ? "
            f"FROM {reader} ORDER BY line",
            [ctx.load_id, ctx.spec.name, str(ctx.path), ctx.started],
        )
        return
    last = -1
    while batch := ctx.sql(
        f"SELECT pos, line, csv_line, reason FROM {reader} WHERE pos > ? ORDER BY pos "
        f"LIMIT {BATCH}",
        [last],
    ).fetchall():
        insert_rejects(
            ctx, [(None, *found.get(pos, (line, text)), why) for pos, line, text, why in batch]
        )
        last = batch[-1][0]


def bad_batches(ctx: LoadContext, bad: str) -> Iterable[list[tuple[Any, ...]]]:
    last = -1
    while True:
        rows = ctx.sql(
            f"SELECT * FROM {bad} WHERE __ord > ? ORDER BY __ord LIMIT {BATCH}", [last]
        ).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _describe(ctx: LoadContext, columns: list[str], row: tuple[Any, ...]) -> tuple[str | None, str]:
    return describe(ctx.spec, columns, row, ctx.options)


def first_failure(
    ctx: LoadContext, bad: str, columns: list[str], reader: str | None, lines: Locator
) -> str:
    failures: list[tuple[int | None, str | None, str]] = []
    row = ctx.sql(f"SELECT * FROM {bad} ORDER BY __ord LIMIT 1").fetchone()
    if row:
        line = lines.locate([row[0]]).get(row[0], (None, None))[0]
        failures.append((line, *_describe(ctx, columns, row)))
    if reader:
        first = ctx.sql(f"SELECT pos, line, reason FROM {reader} ORDER BY pos LIMIT 1")
        if row := first.fetchone():
            pos, line, why = row
            failures.append((lines.reader_lines([pos]).get(pos, (line,))[0], None, why))
    line, column, why = min(failures, key=lambda f: (f[0] is None, f[0] or 0))
    where = f"line {line}" + (f", column {column}" if column else "")
    return f"{ctx.path.name}: {where}: {why}; nothing loaded (--strict)"


def mark_conflicts(
    ctx: LoadContext,
    stage: str,
    bad: str,
    conflicting: list[tuple[int, tuple[Any, ...]]],
    found: dict[int, tuple[int, str | None]],
) -> None:
    """Make the records of keys repeated with other values bad rows, each naming the others."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for ord_, key in conflicting:
        groups.setdefault(key, []).append(ord_)
    names = ", ".join(ctx.spec.key)
    rows = []
    for key, ords in groups.items():
        lines = {o: found.get(o, (None, None))[0] for o in ords}
        for o in ords:
            others = ", ".join(str(lines[x]) for x in ords if x != o)
            shown = key[0] if len(key) == 1 else key
            rows.append(
                (
                    o,
                    f"{names} {shown!r} also on line {others} with other values: a key repeated "
                    "with different values in one file is not loaded (which one is right cannot "
                    "be told)",
                )
            )
    mark_bad(ctx, stage, bad, rows)


def mark_bad(ctx: LoadContext, stage: str, bad: str, rows: list[tuple[int, str]]) -> None:
    """Make staged records bad rows: ``(position, reason)``, 1-based positions."""
    if not rows:
        return
    ctx.con.executemany(f"INSERT INTO {bad} (__ord, __rowerr) VALUES (?, ?)", rows)
    ctx.sql(
        f"UPDATE {stage} SET __bad = true WHERE rowid + 1 IN ({', '.join(str(o) for o, _ in rows)})"
    )


def insert_foreign(ctx: LoadContext, foreign: list[tuple[int, str, str]]) -> None:
    """Reject the lines of a file that are not in its encoding: ``(line, text, reason)``."""
    for start in range(0, len(foreign), BATCH):
        insert_rejects(
            ctx, [(None, line, text, why) for line, text, why in foreign[start : start + BATCH]]
        )


def insert_bad_rejects(ctx: LoadContext, bad: str, columns: list[str], lines: Locator) -> None:
    for rows in bad_batches(ctx, bad):
        found = lines.locate([r[0] for r in rows])
        batch = []
        for row in rows:
            line, raw = found.get(row[0], (None, None))
            column, why = _describe(ctx, columns, row)
            batch.append((column, line, raw, why))
        insert_rejects(ctx, batch)


def insert_rejects(
    ctx: LoadContext, batch: list[tuple[str | None, int | None, str | None, str]]
) -> None:
    """Insert ``(column, line, raw text, reason)`` rows into ``rejects``."""
    import pyarrow as pa

    arrow = pa.table(
        {
            "load_id": [ctx.load_id] * len(batch),
            "table_name": [ctx.spec.name] * len(batch),
            "file": [str(ctx.path)] * len(batch),
            "line_no": pa.array([b[1] for b in batch], pa.int64()),
            "column_name": pa.array([b[0] for b in batch], pa.string()),
            "raw_line": pa.array([b[2] for b in batch], pa.string()),
            "reason": pa.array([b[3] for b in batch], pa.string()),
            "rejected_at": pa.array([ctx.started] * len(batch), pa.timestamp("us")),
        }
    )
    view = ctx.name("rejbatch")
    ctx.con.register(view, arrow)
    try:
        ctx.sql(f"INSERT INTO rejects SELECT * FROM {view}")
    finally:
        ctx.con.unregister(view)


def write_log(ctx: LoadContext, result: LoadResult) -> None:
    ctx.sql(
        "INSERT INTO load_log (load_id, table_name, file, file_sha256, rows_read, "
        "rows_loaded, rows_rejected, rows_duplicate, started_at, finished_at, status, "
        "rows_updated, dialect, rows_guard_undone) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.load_id,
            ctx.spec.name,
            result.file,
            result.sha256,
            result.rows_read,
            result.rows_loaded,
            result.rows_rejected,
            result.rows_duplicate,
            ctx.started,
            dt.datetime.now(),
            result.status,
            result.rows_updated,
            result.dialect,
            len(result.guard_undone),
        ],
    )


def load_summary(results: Iterable[LoadResult]) -> Any:
    """One row per loaded file with the counts under the names every summary uses:
    ``file, read, loaded, updated, rejected, duplicate, status`` (read = loaded + updated +
    rejected + duplicate); a pandas frame."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "file": r.file,
                "read": r.rows_read,
                "loaded": r.rows_loaded,
                "updated": r.rows_updated,
                "rejected": r.rows_rejected,
                "duplicate": r.rows_duplicate,
                "status": r.status,
            }
            for r in results
        ],
        columns=["file", "read", "loaded", "updated", "rejected", "duplicate", "status"],
    )
