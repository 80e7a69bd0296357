"""Loading one file into a canonical table: stage, reject, deduplicate, upsert — atomically.

The steps, all inside one DuckDB transaction per file (``BEGIN`` ... ``COMMIT``; ``ROLLBACK`` on
any exception, KeyboardInterrupt included):

1. stage: DuckDB reads the file as text columns and converts each mapped column to its canonical
   type in SQL (:mod:`crmlytics.ingest.parsing`), into a temporary table whose ``rowid`` is the
   record's position in the file. Nothing passes through Python rows.
2. reject: records DuckDB's reader refused (wrong field count) and records where a conversion
   failed or a required value is missing go to ``rejects`` with their first physical line, raw
   text and reason (a record with a quoted field spanning lines is found by reading the file
   again with Python's ``csv``, see :mod:`crmlytics.ingest.formats`). ``strict`` instead rolls
   back and raises on the first of them.
3. deduplicate by the natural key: a record identical to the previous version of its key (the
   row already in the table, or an earlier record of the file) is a duplicate; a record whose key
   comes again with changed values replaces it (last one in the file wins).
4. upsert: delete the table rows whose key the file changes, insert the new rows, and write one
   ``load_log`` row.

The direct path (a clean file of new rows, e.g. the first load of a big export) skips the
staged copy: a delimited text or JSON lines file is inserted straight from the conversion query,
in one transaction, and kept only if the file proves to need nothing more: no row failing
conversion (rows inserted = records counted from the file's lines, so a file with a record
spanning several lines is always staged), no key twice or already in the table, and for
transactions no missing ``line_no``. Otherwise that transaction is rolled back and the file goes
through the staged steps above (see :meth:`_Load.direct`).

Counts: ``rows_read`` = records in the file (blank lines are not records) = ``rows_loaded`` +
``rows_rejected`` + ``rows_duplicate``.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from crmlytics.errors import DataError
from crmlytics.ingest.encoding import GB18030, UTF8, UTF8_BOM, read_lines
from crmlytics.ingest.formats import (
    JSONL,
    PARQUET,
    TEXT,
    XLSX,
    Source,
    open_source,
    text_records,
)
from crmlytics.ingest.mapping import (
    SEPARATOR,
    ColumnMap,
    MappingArg,
    Resolved,
    SourceMapping,
    load_mapping,
    resolve,
)
from crmlytics.ingest.parsing import (
    SQL_TYPES,
    clean_text,
    convert,
    finish,
    missing_reason,
    quote_ident,
    quote_literal,
    reason,
)
from crmlytics.schema import ATTRIBUTES, TableSpec, spec

ProgressCallback = Callable[[str, str, float | None], None]
"""``progress(file, step, fraction)``: fraction in [0, 1] of the file read, or None."""

_KINDS = ("sale", "return")
MEMORY_LIMIT = "1GB"
"""DuckDB memory limit while ingesting: the staged file spills to the warehouse's temp directory
beyond it, so a 10M-line file loads in well under 2 GiB of RSS."""
_BATCH = 10_000


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


class IngestError(DataError):
    """A file that cannot be loaded (strict mode rejects, bad mapping, unreadable file)."""


class _NotUtf8(Exception):
    """A file that looked like UTF-8 in its first bytes but is not, further on."""


class _Staged(Exception):
    """The direct path declined a file (rolled back): load it through the staged path."""


@contextmanager
def _transaction(con: Any) -> Iterator[None]:
    """One transaction: COMMIT at the end of the block, ROLLBACK on any exception.

    Row order is no contract of the tables, so inserts need not preserve it; the setting is
    changed outside the transaction, so that restoring it never runs in an aborted one.
    """
    with _setting(con, "preserve_insertion_order", "false"):
        con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def ingest(
    ws: Any,
    table: str,
    files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    mapping: MappingArg = None,
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> list[LoadResult]:
    """Load files into canonical table ``table`` of the DuckDB warehouse ``ws``.

    Each file is loaded in its own transaction: all of its good rows or nothing. Rows that cannot
    be read go to ``rejects``; loading the same rows again doubles nothing (natural keys), and a
    row whose key comes again with changed values replaces the old one.

    Parameters
    ----------
    ws
        A :class:`crmlytics.Workspace` opened on DuckDB (not an attached backend).
    table
        Canonical table name, e.g. ``"transactions"``.
    files
        One path or several: CSV / TSV / whitespace-separated text, Parquet, Excel (.xlsx),
        JSON lines; UTF-8, UTF-8 with BOM or GB18030/GBK, detected.
    mapping
        YAML file or dict ``{canonical: source}``, ``{canonical: [source, source]}`` (joined
        with ``-``) or ``{canonical: {source:, values: {}}}``, plus ``drop: [source, ...]`` for
        columns not to keep in ``attributes`` (:mod:`crmlytics.ingest.mapping`). Without it,
        headers equal to canonical names (case-insensitive) are used.
    strict
        Reject the whole file (load nothing, raise :class:`IngestError`) at the first bad row.
    progress
        Called as ``progress(file, step, fraction)`` while a file loads.

    Returns
    -------
    list of LoadResult
        One per file, in order: rows read / loaded / rejected / duplicate.
    """
    if getattr(ws, "attached", False) or not getattr(ws, "is_duckdb", False):
        name = getattr(getattr(ws, "backend", None), "name", "another backend")
        raise TypeError(
            f"ingest writes into the embedded DuckDB warehouse; this workspace is attached to "
            f"{name} tables. Open one with crmlytics.Workspace.open(db) to load files"
        )
    table_spec = spec(table)
    source_mapping = load_mapping(mapping, table_spec)
    paths = [Path(files)] if isinstance(files, str | os.PathLike) else [Path(f) for f in files]
    if not paths:
        raise ValueError("no files to ingest")
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    con = ws.duckdb
    with (
        _setting(con, "enable_progress_bar", "false"),  # progress is ours to report
        _setting(con, "memory_limit", MEMORY_LIMIT),  # staging spills to disk beyond this
    ):
        return [
            _load_file(con, table_spec, path, source_mapping, strict, progress) for path in paths
        ]


@contextmanager
def _setting(con: Any, name: str, value: str) -> Iterator[None]:
    """Set a DuckDB setting for the duration of a block, then restore it."""
    before = con.execute(f"SELECT current_setting('{name}')").fetchone()[0]
    con.execute(f"SET {name} = {quote_literal(value)}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {quote_literal(str(before).lower())}")


def _load_file(
    con: Any,
    table_spec: TableSpec,
    path: Path,
    source_mapping: SourceMapping,
    strict: bool,
    progress: ProgressCallback | None,
) -> LoadResult:
    report = partial(progress, str(path)) if progress is not None else None
    encoding = None
    direct = True  # try the direct path first; after it declines, stage
    while True:
        load = _Load(con, table_spec, path, strict)
        source: Source | None = None
        try:
            source = open_source(
                con,
                path,
                source_mapping.columns,
                table_spec.names,
                rejects=load.name("rej"),
                encoding=encoding,
                progress=report,
            )
            resolved = resolve(source_mapping, source.headers, table_spec, path)
            if direct and load.direct_possible(source, resolved):
                with _transaction(con):
                    result = load.direct(source, resolved, report)
                    if result is None:
                        raise _Staged
            else:
                load.stage(source, resolved, report)
                with _transaction(con):
                    result = load.write(source, report)
            if report is not None:
                report("done", 1.0)
            return result
        except _NotUtf8:
            encoding = GB18030
        except _Staged:  # the direct path declined the file: start again, staged
            direct = False
        except duckdb.Error as exc:  # a file DuckDB cannot read: one line, naming the file
            message = str(exc).strip().splitlines()[0]
            raise IngestError(f"{path.name}: cannot be loaded: {message}") from exc
        finally:
            load.cleanup()
            if source is not None:
                source.close()
                if source.kind == XLSX:
                    _unregister_all(con)


def _unregister_all(con: Any) -> None:
    for (name,) in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE view_name LIKE '__crm_xlsx_%'"
    ).fetchall():
        con.unregister(name)


class _Load:
    """One file's load inside an open transaction."""

    def __init__(self, con: Any, table_spec: TableSpec, path: Path, strict: bool) -> None:
        self.con = con
        self.spec = table_spec
        self.path = path
        self.strict = strict
        self.load_id = uuid.uuid4().hex
        self.started = dt.datetime.now()
        self.reader: str | None = None
        self.staged = 0
        self.bad_columns: list[str] = []

    def name(self, what: str) -> str:
        return f"__crm_{what}_{self.load_id}"

    def sql(self, query: str, params: Sequence[Any] | None = None) -> Any:
        return self.con.execute(query, params) if params is not None else self.con.execute(query)

    def scalar(self, query: str) -> Any:
        return self.sql(query).fetchone()[0]

    # -- the steps ------------------------------------------------------------------------
    def stage(self, source: Source, resolved: Resolved, report: Callable[..., None] | None) -> None:
        """Read and convert the file into private temp tables (nothing visible is written)."""
        stage = self.name("stage")
        if report is not None:
            report("staging", None)
        with self._decoding(source):
            self.sql(f"CREATE TEMP TABLE {stage} AS {stage_sql(source, resolved, self.spec)}")
        if self.spec.name == "transactions":
            self._number_lines(stage, resolved)
        self.reader = self._reader_rejects(source)
        self.staged = self.scalar(f"SELECT count(*) FROM {stage}")
        bad = self.name("bad")
        stage_columns = [d[0] for d in self.sql(f"SELECT * FROM {stage} LIMIT 0").description]
        self.sql(f"CREATE TEMP TABLE {bad} AS {bad_rows_sql(stage, stage_columns, self.spec)}")
        self.bad_columns = [d[0] for d in self.sql(f"SELECT * FROM {bad} LIMIT 0").description]

    @contextmanager
    def _decoding(self, source: Source) -> Iterator[None]:
        """Run a read of the file; then make sure the whole file decoded as believed.

        A file taken for UTF-8 that is not (bytes beyond the sample) raises :class:`_NotUtf8`,
        so that the caller reads it again as GB18030.
        """
        try:
            yield
        except Exception:
            scan = source.text_scan()
            if scan is not None and not scan.decodes and source.encoding in (UTF8, UTF8_BOM):
                raise _NotUtf8 from None
            raise
        scan = source.text_scan()
        if scan is not None and not scan.decodes:
            if source.encoding in (UTF8, UTF8_BOM):
                raise _NotUtf8
            raise IngestError(f"{self.path.name}: {scan.error}")

    def direct_possible(self, source: Source, resolved: Resolved) -> bool:
        """Whether to try :meth:`direct`: a delimited text or JSON lines file.

        Its records must map to lines (see :func:`_records`); transactions also need their line
        numbers from the file (numbering missing ones needs the staged copy).
        """
        if source.kind not in (TEXT, JSONL) or not source.reader_rejects:
            return False
        return self.spec.name != "transactions" or "line_no" in resolved.columns

    def direct(
        self, source: Source, resolved: Resolved, report: Callable[..., None] | None
    ) -> LoadResult | None:
        """Insert straight from the conversion query; None (caller rolls back) if the file needs
        the staged path.

        Inside the caller's transaction, the good rows go into the table in one pass over the
        file, with no staged copy. The load stands only if the file has

        (a) no key twice, no key already in the table, and for transactions no missing line_no
            on a row with an order_id. Into an empty table this is checked after the insert
            (the table then holds only the file's rows: its distinct key hashes must equal its
            rows); otherwise before it, by one pass over the file's keys joined to the table.
            A hash collision only sends the file to the staged path;
        (b) no row failing conversion or missing a required value: the rows inserted equal the
            file's records counted from its lines (:func:`_records`; a record never takes less
            than one line, so equal counts leave no room for a bad row). A record whose quoted
            field spans lines takes more than one, so such a file always goes to the staged
            path, which counts its rows; a kept load therefore has one line per record, and
            DuckDB's reject line numbers are physical.

        Reader rejects (wrong field count) are written as in the staged path, except in strict
        mode, which the staged path reports.
        """
        if report is not None:
            report("loading", None)
        target = quote_ident(self.spec.name)
        columns = ", ".join(quote_ident(c) for c in [*self.spec.names, ATTRIBUTES])
        query = stage_sql(source, resolved, self.spec)
        empty = self.sql(f"SELECT 1 FROM {target} LIMIT 1").fetchone() is None
        if not empty:
            with self._decoding(source):
                if not self._keys_new(query):
                    return None
        with self._decoding(source):
            inserted = self.scalar(
                f"INSERT INTO {target} ({columns}) SELECT {columns} FROM ({query}) WHERE NOT __bad"
            )
        reader = self._reader_rejects(source)
        n_reader = self.scalar(f"SELECT count(*) FROM {reader}") if reader else 0
        if n_reader and self.strict:
            return None
        records = _records(source, n_reader)
        if records is None or inserted != records:
            return None
        if empty and not self._keys_new(target):
            return None
        if n_reader:
            self._insert_reader_rejects(reader)
        read = inserted + n_reader
        result = LoadResult(
            file=str(self.path),
            sha256=source.sha256,
            rows_read=read,
            rows_loaded=inserted,
            rows_rejected=n_reader,
            rows_duplicate=0,
            load_id=self.load_id,
            status="loaded_with_rejects" if n_reader else "loaded",
        )
        self._log(result)
        return result

    def _keys_new(self, rows: str) -> bool:
        """Whether ``rows`` (the table itself, or the conversion query) hold each key once, with
        no key in the table (when ``rows`` is the query), and no unnumbered transaction line."""
        keys = [quote_ident(k) for k in self.spec.key]
        target = quote_ident(self.spec.name)
        unnumbered = "0"
        if self.spec.name == "transactions":
            unnumbered = "count_if(f.line_no IS NULL AND f.order_id IS NOT NULL)"
        if rows == target:
            source, hits = f"{target} f", "0"
        else:
            on = " AND ".join(f"f.{k} = t.{k}" for k in keys)
            t_keys = ", ".join(keys)
            source = (
                f"(SELECT {t_keys} FROM ({rows})) f "
                f"LEFT JOIN (SELECT {t_keys}, true AS __hit FROM {target}) t ON {on}"
            )
            hits = "count(t.__hit)"
        f_keys = ", ".join(f"f.{k}" for k in keys)
        n, distinct, overlap, missing = self.sql(
            f"SELECT count(*), count(DISTINCT hash({f_keys})), {hits}, {unnumbered} FROM {source}"
        ).fetchone()
        return n == distinct and not overlap and not missing

    def write(self, source: Source, report: Callable[..., None] | None) -> LoadResult:
        """Rejects, upsert and load_log, inside the caller's transaction."""
        stage, bad, reader = self.name("stage"), self.name("bad"), self.reader
        if report is not None:
            report("checking", None)
        n_bad = self.scalar(f"SELECT count(*) FROM {bad}")
        n_reader = self.scalar(f"SELECT count(*) FROM {reader}") if reader else 0
        lines = _locator(self.con, source, self._reader_starts(reader) if reader else [])
        if self.strict and (n_bad or n_reader):
            raise IngestError(self._first_failure(bad, reader, lines))
        if n_bad:  # before the reader rejects: one walk of the file finds both, in file order
            self._insert_bad_rejects(bad, lines)
        if n_reader:
            self._insert_reader_rejects(reader, lines)
        if report is not None:
            report("loading", None)
        duplicates = self._upsert(stage)
        read = self.staged + n_reader
        rejected = n_bad + n_reader
        result = LoadResult(
            file=str(self.path),
            sha256=source.sha256,
            rows_read=read,
            rows_loaded=read - rejected - duplicates,
            rows_rejected=rejected,
            rows_duplicate=duplicates,
            load_id=self.load_id,
            status="loaded_with_rejects" if rejected else "loaded",
        )
        self._log(result)
        return result

    def cleanup(self) -> None:
        """Drop this load's temp tables (they are private to the connection)."""
        names = [self.name(w) for w in ("stage", "bad", "rk", "rep", "ov", "skip", "reader", "rej")]
        for name in [*names, self.name("rej") + "_scan"]:
            self.sql(f"DROP TABLE IF EXISTS {name}")

    def _number_lines(self, stage: str, resolved: Resolved) -> None:
        """Missing line_no: the record's position within its order_id, in file order."""
        if "line_no" in resolved.columns and not self.scalar(
            f"SELECT count(*) FROM {stage} WHERE line_no IS NULL AND order_id IS NOT NULL"
        ):
            return
        self.sql(
            f"UPDATE {stage} SET line_no = n.rn FROM (SELECT rowid AS rid, row_number() OVER "
            f"(PARTITION BY order_id ORDER BY rowid) AS rn FROM {stage} "
            f"WHERE order_id IS NOT NULL) n WHERE {stage}.rowid = n.rid "
            f"AND {stage}.line_no IS NULL"
        )

    def _reader_rejects(self, source: Source) -> str | None:
        """DuckDB's reader rejects, one row per physical line, in a temp table (or None)."""
        if not source.reader_rejects:
            return None
        raw = self.name("rej")
        exists = self.scalar(
            f"SELECT count(*) FROM duckdb_tables() WHERE table_name = {quote_literal(raw)}"
        )
        if not exists:
            return None
        reader = self.name("reader")
        self.sql(
            f"CREATE TEMP TABLE {reader} AS SELECT line, line_byte_position AS pos, "
            "ltrim(csv_line, chr(13) || chr(10)) AS csv_line, "  # DuckDB keeps a blank line before
            "CASE WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN "
            "'wrong field count: expected ' || "
            "regexp_extract(error_message, 'Expected Number of Columns: (\\d+)', 1) || "
            "' fields, found ' || regexp_extract(error_message, 'Found: (\\d+)', 1) "
            "ELSE lower(error_type) || ': ' || error_message END AS reason "
            f"FROM {raw} QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx) = 1"
        )
        return reader

    def _reader_starts(self, reader: str) -> list[tuple[int, int]]:
        """DuckDB's line and byte position of each record its reader rejected, in file order."""
        return self.sql(f"SELECT line, pos FROM {reader} ORDER BY pos").fetchall()

    def _insert_reader_rejects(self, reader: str, lines: _Locator | None = None) -> None:
        """Reader rejects with DuckDB's line and text, or those ``lines`` finds by reading the
        file again (records spanning lines)."""
        found = {}
        if isinstance(lines, _RecordWalk):
            found = lines.reader_lines([pos for _, pos in self._reader_starts(reader)])
        if not found:
            self.sql(
                "INSERT INTO rejects SELECT ?, ?, ?, line, NULL, csv_line, reason, ? "
                f"FROM {reader} ORDER BY line",
                [self.load_id, self.spec.name, str(self.path), self.started],
            )
            return
        last = -1
        while batch := self.sql(
            f"SELECT pos, line, csv_line, reason FROM {reader} WHERE pos > ? ORDER BY pos "
            f"LIMIT {_BATCH}",
            [last],
        ).fetchall():
            self._insert_rejects(
                [(None, *found.get(pos, (line, text)), why) for pos, line, text, why in batch]
            )
            last = batch[-1][0]

    def _bad_batches(self, bad: str) -> Iterable[list[tuple[Any, ...]]]:
        last = -1
        while True:
            rows = self.sql(
                f"SELECT * FROM {bad} WHERE __ord > ? ORDER BY __ord LIMIT {_BATCH}", [last]
            ).fetchall()
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def _describe(self, bad: str, row: tuple[Any, ...]) -> tuple[str | None, str]:
        """Column and reason of one bad row from :func:`bad_rows_sql`'s columns."""
        values = dict(zip(self.bad_columns, row, strict=True))
        reasons: list[tuple[str | None, str]] = []
        if values.get("__rowerr"):  # the record itself is unreadable: nothing else to say
            return None, values["__rowerr"]
        for col in self.spec.columns:
            raw = values.get(f"__raw:{col.name}")
            if raw is not None:
                if self.spec.name == "transactions" and col.name == "kind":
                    text = f"kind: {raw!r} is not sale or return (map values in the mapping file)"
                    reasons.append((col.name, text))
                else:
                    reasons.append((col.name, reason(col.name, col.dtype, raw)))
            elif values.get(f"__missing:{col.name}"):
                reasons.append((col.name, missing_reason(col.name)))
        return reasons[0][0], "; ".join(r for _, r in reasons)

    def _first_failure(self, bad: str, reader: str | None, lines: _Locator) -> str:
        failures: list[tuple[int | None, str | None, str]] = []
        row = self.sql(f"SELECT * FROM {bad} ORDER BY __ord LIMIT 1").fetchone()
        if row:
            line = lines.locate([row[0]]).get(row[0], (None, None))[0]
            failures.append((line, *self._describe(bad, row)))
        if reader:
            first = self.sql(f"SELECT pos, line, reason FROM {reader} ORDER BY pos LIMIT 1")
            if row := first.fetchone():
                pos, line, why = row
                failures.append((lines.reader_lines([pos]).get(pos, (line,))[0], None, why))
        line, column, why = min(failures, key=lambda f: (f[0] is None, f[0] or 0))
        where = f"line {line}" + (f", column {column}" if column else "")
        return f"{self.path.name}: {where}: {why}; nothing loaded (--strict)"

    def _insert_bad_rejects(self, bad: str, lines: _Locator) -> None:
        for rows in self._bad_batches(bad):
            found = lines.locate([r[0] for r in rows])
            batch = []
            for row in rows:
                line, raw = found.get(row[0], (None, None))
                column, why = self._describe(bad, row)
                batch.append((column, line, raw, why))
            self._insert_rejects(batch)

    def _insert_rejects(self, batch: list[tuple[str | None, int | None, str | None, str]]) -> None:
        """Insert ``(column, line, raw text, reason)`` rows into ``rejects``."""
        import pyarrow as pa

        arrow = pa.table(
            {
                "load_id": [self.load_id] * len(batch),
                "table_name": [self.spec.name] * len(batch),
                "file": [str(self.path)] * len(batch),
                "line_no": pa.array([b[1] for b in batch], pa.int64()),
                "column_name": pa.array([b[0] for b in batch], pa.string()),
                "raw_line": pa.array([b[2] for b in batch], pa.string()),
                "reason": pa.array([b[3] for b in batch], pa.string()),
                "rejected_at": pa.array([self.started] * len(batch), pa.timestamp("us")),
            }
        )
        view = self.name("rejbatch")
        self.con.register(view, arrow)
        try:
            self.sql(f"INSERT INTO rejects SELECT * FROM {view}")
        finally:
            self.con.unregister(view)

    def _upsert(self, stage: str) -> int:
        """Delete replaced rows, insert new ones; the number of duplicate records."""
        target = quote_ident(self.spec.name)
        keys = [quote_ident(k) for k in self.spec.key]
        values = [quote_ident(c) for c in [*self.spec.names, ATTRIBUTES]]
        rk, rep, ov, skip = (self.name(w) for w in ("rk", "rep", "ov", "skip"))
        good = f"{stage} WHERE NOT __bad"
        self.sql(
            f"CREATE TEMP TABLE {rk} AS SELECT hash({', '.join(keys)}) AS __k FROM {good} "
            "GROUP BY 1 HAVING count(*) > 1"
        )
        has_repeats = bool(self.scalar(f"SELECT count(*) FROM {rk}"))
        row = f"row({', '.join(values)})"
        partition = f"PARTITION BY {', '.join(keys)}"
        duplicates = 0
        if has_repeats:
            self.sql(
                f"CREATE TEMP TABLE {rep} AS SELECT rowid AS __ord, "
                f"{row} IS NOT DISTINCT FROM lag({row}) OVER (w) AS __same_prev, "
                "row_number() OVER (w) = 1 AS __first, "
                f"row_number() OVER ({partition} ORDER BY rowid DESC) = 1 AS __last "
                f"FROM {good} AND hash({', '.join(keys)}) IN (SELECT __k FROM {rk}) "
                f"WINDOW w AS ({partition} ORDER BY rowid)"
            )
            duplicates += self.scalar(f"SELECT count(*) FROM {rep} WHERE __same_prev")
        else:
            self.sql(
                f"CREATE TEMP TABLE {rep} (__ord BIGINT, __same_prev BOOLEAN, __first BOOLEAN, "
                "__last BOOLEAN)"
            )
        self.sql(f"CREATE TEMP TABLE {skip} AS SELECT __ord FROM {rep} WHERE NOT __last")
        if self.scalar(f"SELECT count(*) FROM {target}"):
            joined = " AND ".join(f"s.{k} = t.{k}" for k in keys)
            srow = f"row({', '.join('s.' + v for v in values)})"
            trow = f"row({', '.join('t.' + v for v in values)})"
            self.sql(
                f"CREATE TEMP TABLE {ov} AS SELECT s.rowid AS __ord, "
                f"bool_or({srow} IS NOT DISTINCT FROM {trow}) AS __same "
                f"FROM {stage} s JOIN {target} t ON {joined} WHERE NOT s.__bad GROUP BY 1"
            )
            first = f"__ord NOT IN (SELECT __ord FROM {rep} WHERE NOT __first)"
            last = f"__ord NOT IN (SELECT __ord FROM {rep} WHERE NOT __last)"
            duplicates += self.scalar(f"SELECT count(*) FROM {ov} WHERE __same AND {first}")
            self.sql(f"INSERT INTO {skip} SELECT __ord FROM {ov} WHERE __same AND {last}")
            matched = " AND ".join(f"{target}.{k} = d.{k}" for k in keys)
            self.sql(
                f"DELETE FROM {target} USING (SELECT {', '.join('s.' + k for k in keys)} "
                f"FROM {stage} s JOIN {ov} o ON s.rowid = o.__ord "
                f"WHERE NOT o.__same AND o.{last}) d WHERE {matched}"
            )
        columns = ", ".join(values)
        anti = ""
        if self.scalar(f"SELECT count(*) FROM {skip}"):
            anti = f" AND rowid NOT IN (SELECT __ord FROM {skip})"
        self.sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {good}{anti}")
        return int(duplicates)

    def _log(self, result: LoadResult) -> None:
        self.sql(
            "INSERT INTO load_log (load_id, table_name, file, file_sha256, rows_read, "
            "rows_loaded, rows_rejected, rows_duplicate, started_at, finished_at, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.load_id,
                self.spec.name,
                result.file,
                result.sha256,
                result.rows_read,
                result.rows_loaded,
                result.rows_rejected,
                result.rows_duplicate,
                self.started,
                dt.datetime.now(),
                result.status,
            ],
        )


def _records(source: Source, reader_lines: int) -> int | None:
    """Records DuckDB should have read as rows from a text file, counted from its lines.

    Physical lines (the last one counts without a newline) less the header lines, blank lines
    and the ``reader_lines`` DuckDB's reader rejected. An upper bound on the rows read (a quoted
    field spanning lines only lowers it); None when a lone carriage return could make DuckDB
    see more lines than newlines.
    """
    scan = source.text_scan()
    if scan is None or scan.bare_cr:
        return None
    blank = sum(1 for line in scan.blank_lines if line > source.header_lines)
    physical = scan.lines + scan.unterminated
    return physical - source.header_lines - blank - reader_lines


class _LineMap:
    """Record position in the file (1-based) → physical line number, by counting lines.

    For files whose records take one line each (:meth:`Source.multiline_records` is false).
    Records skip the header lines, blank lines and the lines DuckDB's reader rejected; ``g[j]``
    counts the records before the j-th skipped line, so record k sits after every skipped line
    with ``g[j] < k``.
    """

    def __init__(self, con: Any, source: Source, reader_lines: list[int]) -> None:
        self.con = con
        self.source = source
        self.offset = source.header_lines
        skipped: set[int] = set(reader_lines)
        scan = source.text_scan() if source.kind not in (PARQUET, XLSX) else None
        if scan is not None:
            skipped.update(scan.blank_lines)
        data = sorted(line - self.offset for line in skipped if line > self.offset)
        self.g = [e - j for j, e in enumerate(data, start=1)]

    def physical(self, record: int) -> int:
        return self.offset + record + bisect_left(self.g, record)

    def locate(self, records: list[int]) -> dict[int, tuple[int, str | None]]:
        """Physical line and raw text of each of ``records``."""
        physical = [self.physical(r) for r in records]
        raw = _raw_lines(self.con, self.source, physical)
        return {r: (line, raw.get(line)) for r, line in zip(records, physical, strict=True)}

    def reader_lines(self, positions: list[int]) -> dict[int, tuple[int, str]]:
        """Nothing to correct: DuckDB's reject lines are physical when records take one line."""
        return {}


class _RecordWalk:
    """Record position (1-based) → first physical line and raw text, by reading the file with
    Python's :mod:`csv` (:func:`text_records`), once, only as far as the records asked for.

    For delimited files whose records may span lines, where counting lines is wrong and
    DuckDB's reject ``line`` counts records, not lines. Records DuckDB's reader rejected are
    not rows: each is recognised by DuckDB's ``line_byte_position`` (1-based; it may point at
    the line end just before the record) and passed over, its line and text kept for
    :meth:`reader_lines`. :meth:`locate` must be asked for ascending records.
    """

    def __init__(self, source: Source, reader_positions: list[int]) -> None:
        self.records = text_records(source)
        self.pending = sorted(set(reader_positions))
        self.next_pending = 0
        self.rows = 0  # records passed that DuckDB read as rows
        self.reader: dict[int, tuple[int, str]] = {}

    def _step(self) -> tuple[int, str] | None:
        """The next row's line and text; None for a reader reject. StopIteration at the end."""
        offset, line, raw = next(self.records)
        rejected = False
        while self.next_pending < len(self.pending) and self.pending[self.next_pending] <= (
            offset + 1
        ):
            self.reader[self.pending[self.next_pending]] = (line, raw)
            self.next_pending += 1
            rejected = True
        if rejected:
            return None
        self.rows += 1
        return line, raw

    def locate(self, records: list[int]) -> dict[int, tuple[int, str | None]]:
        """First physical line and raw text of each of ``records`` (rows, 1-based)."""
        wanted = set(records)
        found: dict[int, tuple[int, str | None]] = {}
        last = max(records, default=0)
        while self.rows < last:
            try:
                row = self._step()
            except StopIteration:
                break
            if row is not None and self.rows in wanted:
                found[self.rows] = row
        return found

    def reader_lines(self, positions: list[int]) -> dict[int, tuple[int, str]]:
        """First physical line and raw text of the reader rejects at DuckDB's ``positions``."""
        wanted = max(positions, default=0)
        while self.next_pending < len(self.pending) and self.pending[self.next_pending] <= wanted:
            try:
                self._step()
            except StopIteration:
                break
        return self.reader


_Locator = _LineMap | _RecordWalk


def _locator(con: Any, source: Source, reader: list[tuple[int, int]]) -> _Locator:
    """How to find the lines of rejected records: count lines, or read quoted records.

    ``reader`` holds DuckDB's line and byte position of each record its reader rejected.
    """
    if source.multiline_records():
        return _RecordWalk(source, [pos for _, pos in reader])
    return _LineMap(con, source, [line for line, _ in reader])


def _raw_lines(con: Any, source: Source, lines: list[int]) -> dict[int, str]:
    """The raw text of ``lines``: the file's line, or the row as JSON for Parquet / Excel."""
    import json

    if source.kind == XLSX:
        frame = source.frame
        out = {}
        for line in lines:
            values = frame.row(line - source.header_lines - 1)
            out[line] = json.dumps(
                dict(zip(frame.columns, values, strict=True)), ensure_ascii=False
            )
        return out
    if source.kind == PARQUET:
        cols = ", ".join(f"{quote_literal(h)}, {quote_ident(h)}" for h in source.headers)
        wanted = ", ".join(str(n - 1) for n in lines)
        rows = con.execute(
            f"SELECT file_row_number + 1, CAST(json_object({cols}) AS VARCHAR) FROM "
            f"read_parquet({quote_literal(str(source.path))}, file_row_number=true) "
            f"WHERE file_row_number IN ({wanted})"
        ).fetchall()
        return dict(rows)
    encoding = source.encoding or UTF8
    return read_lines(source.path, encoding, sorted(set(lines)))


# -- SQL built from the table spec ------------------------------------------------------------
def stage_sql(source: Source, resolved: Resolved, table_spec: TableSpec) -> str:
    """The staging query: canonical columns typed, failed raw values kept, and ``__bad``."""
    mapped = resolved.columns
    raw = {c: quote_ident(f"r:{c}") for c in mapped}
    conv = {c: quote_ident(f"t:{c}") for c in mapped}
    fin = {c: quote_ident(f"f:{c}") for c in mapped}
    rowerr = "__rowerr" if source.kind == "jsonl" else "CAST(NULL AS VARCHAR) AS __rowerr"
    if resolved.extras:
        pairs = ", ".join(
            f"{quote_literal(h)}, nullif(trim({quote_ident(h)}), '')" for h in resolved.extras
        )
        attributes = f"CAST(json_object({pairs}) AS VARCHAR)"
    else:
        attributes = "CAST(NULL AS VARCHAR)"
    level1 = ", ".join(
        [f"{_source_text(m)} AS {raw[c]}" for c, m in mapped.items()]
        + [f"{attributes} AS __attributes", rowerr]
    )
    level2 = ", ".join(
        [f"{raw[c]}, {_convert(table_spec, c, raw[c])} AS {conv[c]}" for c in mapped]
        + ["__attributes", "__rowerr"]
    )
    level3 = ", ".join(
        [f"{raw[c]}, {finish(table_spec.column(c).dtype, conv[c])} AS {fin[c]}" for c in mapped]
        + ["__attributes", "__rowerr"]
    )
    finals, checks = [], []
    for col in table_spec.columns:
        sql_type = SQL_TYPES[col.dtype]
        value = fin.get(col.name, f"CAST(NULL AS {sql_type})")
        value = _final(table_spec, col.name, value, fin)
        finals.append(f"CAST({value} AS {sql_type}) AS {quote_ident(col.name)}")
        if col.name in mapped:
            failed = f"{fin[col.name]} IS NULL"
            if table_spec.name == "transactions" and col.name == "kind":
                failed = f"{fin['kind']} NOT IN {tuple(_KINDS)}"
            if col.dtype != "string" or col.name == "kind" and table_spec.name == "transactions":
                checks.append(
                    f"CASE WHEN {raw[col.name]} IS NOT NULL AND {failed} THEN {raw[col.name]} "
                    f"END AS {quote_ident('__raw:' + col.name)}"
                )
    level4 = ", ".join([*finals, f"__attributes AS {ATTRIBUTES}", *checks, "__rowerr"])
    bad = ["__rowerr IS NOT NULL"]
    bad += [
        f"{quote_ident('__raw:' + c)} IS NOT NULL"
        for c in mapped
        if table_spec.column(c).dtype != "string"
        or (c == "kind" and table_spec.name == "transactions")
    ]
    bad += [f"{quote_ident(c)} IS NULL" for c in table_spec.required]
    return (
        f"SELECT *, ({' OR '.join(bad)}) AS __bad FROM (SELECT {level4} FROM (SELECT {level3} "
        f"FROM (SELECT {level2} FROM (SELECT {level1} FROM {source.relation}))))"
    )


def _source_text(cmap: ColumnMap) -> str:
    """Clean text of a mapped source; a composite joins its parts (NULL if any part is)."""
    if not cmap.composite:
        return clean_text(quote_ident(cmap.sources[0]), cmap.values)
    sep = f" || {quote_literal(SEPARATOR)} || "
    return "(" + sep.join(clean_text(quote_ident(s)) for s in cmap.sources) + ")"


def _convert(table_spec: TableSpec, column: str, raw: str) -> str:
    if table_spec.name == "transactions" and column == "kind":
        return f"lower({raw})"
    return convert(table_spec.column(column).dtype, raw)


def _final(table_spec: TableSpec, column: str, value: str, fin: dict[str, str]) -> str:
    """Table rules: transactions default to sale, and a return's amount is negative."""
    if table_spec.name != "transactions":
        return value
    if column == "kind":
        return f"coalesce({value}, 'sale')" if "kind" in fin else "'sale'"
    if column == "amount" and "kind" in fin:
        return f"CASE WHEN {fin['kind']} = 'return' THEN -abs({value}) ELSE {value} END"
    return value


def bad_rows_sql(stage: str, stage_columns: Sequence[str], table_spec: TableSpec) -> str:
    """Bad staged rows: position, row error, failed raw values and missing required values."""
    failed = [quote_ident(c) for c in stage_columns if c.startswith("__raw:")]
    missing = [
        f"{quote_ident(c)} IS NULL AS {quote_ident('__missing:' + c)}" for c in table_spec.required
    ]
    columns = ", ".join(["rowid + 1 AS __ord", "__rowerr", *failed, *missing])
    return f"SELECT {columns} FROM {stage} WHERE __bad"
