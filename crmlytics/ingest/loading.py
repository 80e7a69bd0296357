"""Loading one file into a canonical table: stage, reject, deduplicate, upsert — atomically.

The steps, all inside one DuckDB transaction per file (``BEGIN`` ... ``COMMIT``; ``ROLLBACK`` on
any exception, KeyboardInterrupt included), each in its own module:

1. read (:mod:`crmlytics.ingest.formats`, :mod:`crmlytics.ingest.encoding`) and stage: DuckDB
   reads the file as text columns and converts each mapped column to its canonical type and
   checks the rules declared on it in the schema (:mod:`crmlytics.ingest.rules`), into a
   temporary table whose ``rowid`` is the record's position in the file. Nothing passes through
   Python rows.
2. reject (:mod:`crmlytics.ingest.commit`, :mod:`crmlytics.ingest.lines`): records DuckDB's
   reader refused (wrong field count) and records where a conversion or a rule failed or a
   required value is missing go to ``rejects`` with their first physical line, raw text and
   reason. ``strict`` instead rolls back and raises on the first of them.
3. keys (:mod:`crmlytics.ingest.keys`): number a missing numbered key column, deduplicate by the
   natural key and upsert.
4. commit (:mod:`crmlytics.ingest.commit`): write one ``load_log`` row.

The direct path (a clean file of new rows, e.g. the first load of a big export) skips the
staged copy: a delimited text, JSON lines, Parquet or Excel file is inserted straight from the
conversion query, in one transaction, and kept only if the file proves to need nothing more: no
row failing conversion (rows inserted = records counted from the file's lines, or the rows of a
Parquet file's metadata or of the sheet, so a text file with a record spanning several lines is
always staged), no key twice or already in the table, and no missing numbered key column. Otherwise
that transaction is rolled back and the file goes through the staged steps above (see
:meth:`_Load.direct`).

Counts: ``rows_read`` = records in the file (blank lines are not records) = ``rows_loaded`` +
``rows_rejected`` + ``rows_duplicate``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from crmlytics.errors import ConfigError, DataError
from crmlytics.ingest import commit, keys, tempfiles
from crmlytics.ingest.commit import LoadResult
from crmlytics.ingest.config import IngestConfig
from crmlytics.ingest.context import LoadContext
from crmlytics.ingest.encoding import GB18030, UTF8, UTF8_BOM, file_sha256
from crmlytics.ingest.errors import FileReadError, IngestError
from crmlytics.ingest.formats import JSONL, PARQUET, TEXT, XLSX, Dialect, Source, open_source
from crmlytics.ingest.lines import expected_records, locator
from crmlytics.ingest.mapping import MappingArg, Resolved, SourceMapping, load_mapping, resolve
from crmlytics.ingest.parsing import ParseOptions, quote_ident, quote_literal
from crmlytics.ingest.quoting import stray_quote, stray_quote_reason
from crmlytics.ingest.rules import bad_rows_sql, stage_sql
from crmlytics.schema import ATTRIBUTES, TableSpec, spec

ProgressCallback = Callable[[str, str, float | None], None]
"""``progress(file, step, fraction)``: fraction in [0, 1] of the file read, or None."""

__all__ = ["IngestError", "LoadResult", "ingest"]


class _NotUtf8(Exception):
    """A file that looked like UTF-8 in its first bytes but is not, further on."""


class _Staged(Exception):
    """The direct path declined a file (rolled back): load it through the staged path."""


@contextmanager
def _transaction(con: Any, ordered: bool = False) -> Iterator[None]:
    """One transaction: COMMIT at the end of the block, ROLLBACK on any exception.

    Row order is no contract of the tables, so inserts need not preserve it, unless ``ordered``
    (lines numbered in file order); the setting is changed outside the transaction, so that
    restoring it never runs in an aborted one.
    """
    with _setting(con, "preserve_insertion_order", "true" if ordered else "false"):
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
    force: bool = False,
    sheet: str | None = None,
    config: IngestConfig | None = None,
) -> list[LoadResult]:
    """Load files into canonical table ``table`` of the DuckDB warehouse ``ws``.

    Each file is loaded in its own transaction: all of its good rows or nothing. Rows that cannot
    be read go to ``rejects``; loading the same rows again doubles nothing (natural keys), and a
    row whose key comes again with changed values replaces the old one (counted as updated).
    For every file, read = loaded + updated + rejected + duplicate. A file already loaded into
    the table (same SHA-256) is skipped, naming the earlier load, unless ``force``.

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
    force
        Load files even when the same bytes were loaded into the table before.
    sheet
        The sheet of an Excel workbook to read (needed when several sheets hold data).
    config
        The ``ingest`` section of the config: warehouse time zone (default: the one set on the
        workspace's connection), plausible date range, decimal separator and DuckDB's memory
        limit while loading (``memory_limit``, default 1GB: staging spills to disk beyond it,
        so a 10M-line file loads in well under 2 GiB of RSS).

    Returns
    -------
    list of LoadResult
        One per file, in order: rows read / loaded / updated / rejected / duplicate.

    Raises
    ------
    IngestError
        A file that cannot be loaded; when several files were given, the message also says which
        earlier files were committed and which later ones were not tried.
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
        raise ConfigError("no files to ingest")
    for path in paths:
        if not path.is_file():
            raise FileReadError(f"no such file: {path}")
    con = ws.duckdb
    config = config or IngestConfig()
    timezone = config.timezone or con.execute("SELECT current_setting('TimeZone')").fetchone()[0]
    options = config.parse_options(timezone=timezone, decimal=source_mapping.decimal)
    root = tempfiles.temp_root(getattr(ws, "path", None))
    tempfiles.clean_stale(root)
    plan = _Plan(table_spec, source_mapping, options, strict, force, sheet, root, progress)
    results: list[LoadResult] = []
    with (
        _setting(con, "enable_progress_bar", "false"),  # progress is ours to report
        _setting(con, "memory_limit", config.memory_limit),  # staging spills to disk beyond this
    ):
        for i, path in enumerate(paths):
            try:
                results.append(_load_file(con, path, plan))
            except DataError as exc:
                if len(paths) == 1:
                    raise
                raise IngestError(_batch_failure(exc, path, results, paths[i + 1 :])) from exc
    return results


def _batch_failure(exc: Exception, path: Path, done: list[LoadResult], untried: list[Path]) -> str:
    committed = ", ".join(Path(r.file).name for r in done if r.status != "skipped") or "none"
    message = f"{exc}; committed before it: {committed}; nothing of {path.name} was loaded"
    if untried:
        message += f"; not tried: {', '.join(p.name for p in untried)}"
    return message


@dataclass(frozen=True)
class _Plan:
    """What every file of one ``ingest`` call shares."""

    spec: TableSpec
    mapping: SourceMapping
    options: ParseOptions
    strict: bool
    force: bool
    sheet: str | None
    temp_root: Path | None
    progress: ProgressCallback | None


@contextmanager
def _setting(con: Any, name: str, value: str) -> Iterator[None]:
    """Set a DuckDB setting for the duration of a block, then restore it."""
    before = con.execute(f"SELECT current_setting('{name}')").fetchone()[0]
    con.execute(f"SET {name} = {quote_literal(value)}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {quote_literal(str(before).lower())}")


@contextmanager
def _no_filter_pushdown(con: Any) -> Iterator[None]:
    """Keep ``WHERE NOT __bad`` above the conversion query for the duration of a block.

    Pushed down through the query's projections, the filter inlines every conversion it
    depends on and evaluates them again beside the projection that keeps them: each typed
    value is converted two to four times (at 10M lines, about half of the load's CPU time).
    """
    with _setting(con, "disabled_optimizers", _disabled_with(con, "filter_pushdown")):
        yield


def _disabled_with(con: Any, name: str) -> str:
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] or ""
    names = [n.strip() for n in str(before).split(",") if n.strip()]
    return ",".join([*names, name] if name not in names else names)


def _earlier_load(con: Any, table: str, sha256: str) -> tuple[str, str, Any] | None:
    """The newest load of the same bytes into ``table``: (load_id, file, finished_at)."""
    return con.execute(
        "SELECT load_id, file, finished_at FROM load_log WHERE table_name = ? AND "
        "file_sha256 = ? AND status <> 'failed' ORDER BY finished_at DESC LIMIT 1",
        [table, sha256],
    ).fetchone()


def _skipped(path: Path, sha256: str, earlier: tuple[str, str, Any]) -> LoadResult:
    load_id, file, finished = earlier
    when = finished.strftime("%Y-%m-%d %H:%M:%S") if finished is not None else "earlier"
    return LoadResult(
        file=str(path),
        sha256=sha256,
        rows_read=0,
        rows_loaded=0,
        rows_rejected=0,
        rows_duplicate=0,
        load_id=load_id,
        status="skipped",
        message=f"{path.name}: already loaded (same bytes as {file}, load {load_id} at {when}); "
        "skipped: --force (force=True) loads it again",
    )


def _load_file(con: Any, path: Path, plan: _Plan) -> LoadResult:
    table_spec, source_mapping, progress = plan.spec, plan.mapping, plan.progress
    report = partial(progress, str(path)) if progress is not None else None
    sha256 = None
    if not plan.force:
        sha256 = file_sha256(path)
        earlier = _earlier_load(con, table_spec.name, sha256)
        if earlier is not None:
            return _skipped(path, sha256, earlier)
    if path.stat().st_size == 0:
        raise IngestError(f"{path.name}: the file is empty (0 bytes): nothing to load")
    encoding = None
    direct = True  # try the direct path first; after it declines, stage
    dialect = Dialect(source_mapping.delimiter, source_mapping.quote, source_mapping.escape)
    while True:
        load = _Load(con, table_spec, path, plan.strict, plan.options)
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
                dialect=dialect,
                sheet=plan.sheet,
                temp_root=plan.temp_root,
                sha256=sha256,
            )
            resolved = resolve(source_mapping, source.headers, table_spec, path)
            if direct and load.direct_possible(source, resolved):
                with _transaction(con, ordered=load.numbers_lines(resolved)):
                    result = load.direct(source, resolved, report)
                    if result is None:
                        raise _Staged
            else:
                load.stage(source, resolved, report)
                with _transaction(con):
                    result = load.write(source, report)
            if report is not None:
                report("done", 1.0)
            if result.status == "empty":
                result = replace(result, message=f"{path.name}: the file is empty: no records")
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


def _undone_message(path: Path, undone: list[str]) -> str:
    if not undone:
        return ""
    return (
        f"{path.name}: {len(undone)} row(s) take a guarded value away (an opt-out undone): "
        + "; ".join(undone)
    )


def _status(read: int, rejected: int) -> str:
    if not read:
        return "empty"
    return "loaded_with_rejects" if rejected else "loaded"


class _Load(LoadContext):
    """One file's load inside an open transaction: the steps in order."""

    def __init__(
        self,
        con: Any,
        table_spec: TableSpec,
        path: Path,
        strict: bool,
        options: ParseOptions | None = None,
    ) -> None:
        super().__init__(con, table_spec, path, strict, options)
        self.reader: str | None = None
        self.staged = 0
        self.bad_columns: list[str] = []

    # -- the steps ------------------------------------------------------------------------
    def stage(self, source: Source, resolved: Resolved, report: Callable[..., None] | None) -> None:
        """Read and convert the file into private temp tables (nothing visible is written)."""
        stage = self.name("stage")
        if report is not None:
            report("staging", None)
        scan = source.text_scan()
        check_nul = source.kind != TEXT or (scan is not None and scan.nul)
        with self._decoding(source):
            query = stage_sql(source, resolved, self.spec, self.options, check_nul=check_nul)
            self.sql(f"CREATE TEMP TABLE {stage} AS {query}")
        keys.number_lines(self, stage, resolved)
        self.reader = commit.reader_rejects(self, source)
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
        """Whether to try :meth:`direct`: a delimited text, JSON lines, Parquet or Excel file.

        Its records must map to lines (see :func:`expected_records`). A numbered key column
        (``line_no``) comes from the file, or is absent from it altogether and numbered in file
        order on the way in (:meth:`numbers_lines`); a file with only some lines numbered is
        staged.
        """
        return (source.kind in (TEXT, JSONL) and source.reader_rejects) or source.kind in (
            PARQUET,
            XLSX,
        )

    def numbers_lines(self, resolved: Resolved) -> bool:
        """Whether the file lacks the table's numbered key column (``line_no``) altogether."""
        return self.spec.numbered is not None and self.spec.numbered[0] not in resolved.columns

    def direct(
        self, source: Source, resolved: Resolved, report: Callable[..., None] | None
    ) -> LoadResult | None:
        """Insert straight from the conversion query; None (caller rolls back) if the file needs
        the staged path.

        Inside the caller's transaction, the good rows go into the table in one pass over the
        file, with no staged copy. The load stands only if the file has

        (a) no key twice, no key already in the table, and no missing numbered key column
            (``line_no`` of a row with an order). Into an empty table this is checked after
            the insert (the table then holds only the file's rows: its distinct key hashes
            must equal its rows); otherwise before it, by one pass over the file's keys
            joined to the table. A hash collision only sends the file to the staged path.
            A file without the numbered column has its lines numbered in file order within
            their group (:func:`crmlytics.ingest.keys.numbered_sql`), as the staged path
            numbers lines of groups new to the table; into a loaded table it is checked
            first, in one pass over the file, that none of its groups (orders) is in the
            table (otherwise lines must be matched to the table's: staged). Its keys need no
            check after the insert: every row inserted is numbered with its rank within its
            group in file order, so no two share a key, and none is in the table because none
            of its groups is;
        (b) no row failing conversion or a rule, or missing a required value: the rows
            inserted equal the file's records counted from its lines
            (:func:`expected_records`; a record never takes less than one line, so equal
            counts leave no room for a bad row). A record whose quoted field spans lines
            takes more than one, so such a file always goes to the staged path, which counts
            its rows; a kept load therefore has one line per record, and DuckDB's reject line
            numbers are physical.

        Reader rejects (wrong field count) are written as in the staged path, except in strict
        mode, which the staged path reports.
        """
        if report is not None:
            report("loading", None)
        target = quote_ident(self.spec.name)
        columns = ", ".join(quote_ident(c) for c in [*self.spec.names, ATTRIBUTES])
        query = stage_sql(source, resolved, self.spec, self.options, check_nul=source.kind != TEXT)
        empty = self.sql(f"SELECT 1 FROM {target} LIMIT 1").fetchone() is None
        numbering = self.numbers_lines(resolved)
        if not empty:
            with self._decoding(source), _no_filter_pushdown(self.con):
                if numbering and not keys.groups_new(self, query):
                    return None
                if not numbering and not self._keys_new(query):
                    return None
        rows = keys.numbered_sql(self.spec, query) if numbering else query
        with self._decoding(source), _no_filter_pushdown(self.con):
            inserted = self.scalar(
                f"INSERT INTO {target} ({columns}) SELECT {columns} FROM ({rows}) WHERE NOT __bad"
            )
        reader = commit.reader_rejects(self, source)
        n_reader = self.scalar(f"SELECT count(*) FROM {reader}") if reader else 0
        if n_reader and self.strict:
            return None
        records = expected_records(source, n_reader)
        if records is None or inserted != records:
            return None
        scan = source.text_scan()
        if scan is not None and (scan.nul or (source.quote and source.quote in scan.quotes)):
            return None  # NUL bytes and stray quotes are found on the staged path
        if empty and not numbering and not self._keys_new(target):
            return None
        foreign = scan.foreign if scan is not None else []
        if foreign and self.strict:
            return None
        if n_reader:
            commit.insert_reader_rejects(self, reader)
        if foreign:
            commit.insert_foreign(self, foreign)
        rejected = n_reader + len(foreign)
        read = inserted + rejected
        result = LoadResult(
            file=str(self.path),
            sha256=source.sha256,
            rows_read=read,
            rows_loaded=inserted,
            rows_rejected=rejected,
            rows_duplicate=0,
            load_id=self.load_id,
            status=_status(read, rejected),
            dialect=source.dialect(),
        )
        self._log(result)
        return result

    def write(self, source: Source, report: Callable[..., None] | None) -> LoadResult:
        """Rejects, upsert and load_log, inside the caller's transaction."""
        stage, bad, reader = self.name("stage"), self.name("bad"), self.reader
        if report is not None:
            report("checking", None)
        starts = commit.reader_starts(self, reader) if reader else []
        conflicting = keys.conflicts(self, stage)
        if conflicting:  # rejected like bad rows, in file order, naming each other's lines
            found = locator(self.con, source, starts).locate([o for o, _ in conflicting])
            commit.mark_conflicts(self, stage, bad, conflicting, found)
        self._mark_stray_quotes(source, stage, bad, starts)
        scan = source.text_scan()
        foreign = scan.foreign if scan is not None else []
        n_bad = self.scalar(f"SELECT count(*) FROM {bad}")
        n_reader = self.scalar(f"SELECT count(*) FROM {reader}") if reader else 0
        lines = locator(self.con, source, starts)
        if self.strict and (n_bad or n_reader):
            raise IngestError(commit.first_failure(self, bad, self.bad_columns, reader, lines))
        if self.strict and foreign:
            line, _, why = foreign[0]
            raise IngestError(f"{self.path.name}: line {line}: {why}; nothing loaded (--strict)")
        if n_bad:  # before the reader rejects: one walk of the file finds both, in file order
            commit.insert_bad_rejects(self, bad, self.bad_columns, lines)
        if n_reader:
            commit.insert_reader_rejects(self, reader, lines)
        if foreign:
            commit.insert_foreign(self, foreign)
        if report is not None:
            report("loading", None)
        duplicates, updated, undone = self._upsert(stage)
        read = self.staged + n_reader + len(foreign)
        rejected = n_bad + n_reader + len(foreign)
        result = LoadResult(
            file=str(self.path),
            sha256=source.sha256,
            rows_read=read,
            rows_loaded=read - rejected - duplicates - updated,
            rows_rejected=rejected,
            rows_duplicate=duplicates,
            load_id=self.load_id,
            status=_status(read, rejected),
            rows_updated=updated,
            dialect=source.dialect(),
            guard_undone=tuple(undone),
            message=_undone_message(self.path, undone),
        )
        self._log(result)
        return result

    def _mark_stray_quotes(self, source: Source, stage: str, bad: str, starts: list) -> None:
        """Records whose loaded text holds the quote character outside proper quoting: bad."""
        scan = source.text_scan()
        quote = source.quote
        if source.kind != TEXT or not quote or scan is None or quote not in scan.quotes:
            return
        texts = [quote_ident(c.name) for c in self.spec.columns if c.dtype == "string"]
        in_json = '\\"' if quote == '"' else quote  # JSON writes a quote inside text as \"
        held = [f"contains({t}, {quote_literal(quote)})" for t in texts]
        held.append(f"contains({ATTRIBUTES}, {quote_literal(in_json)})")
        candidates = [
            r[0]
            for r in self.sql(
                f"SELECT rowid + 1 FROM {stage} WHERE NOT __bad AND ({' OR '.join(held)}) "
                "ORDER BY rowid"
            ).fetchall()
        ]
        if not candidates:
            return
        found = locator(self.con, source, starts).locate(candidates)
        marked = []
        for record in candidates:
            text = found.get(record, (None, None))[1]
            field = stray_quote(text, source.delimiter, quote, source.escape) if text else None
            if field is not None:
                marked.append((record, stray_quote_reason(field, quote)))
        commit.mark_bad(self, stage, bad, marked)

    def cleanup(self) -> None:
        """Drop this load's temp tables (they are private to the connection)."""
        names = [self.name(w) for w in ("stage", "bad", "ov", "skip", "num", "reader", "rej")]
        for name in [*names, self.name("rej") + "_scan"]:
            self.sql(f"DROP TABLE IF EXISTS {name}")

    # the steps kept as methods, so that a test can make one of them fail
    def _keys_new(self, rows: str) -> bool:
        return keys.keys_new(self, rows)

    def _upsert(self, stage: str) -> tuple[int, int, list[str]]:
        return keys.upsert(self, stage)

    def _log(self, result: LoadResult) -> None:
        commit.write_log(self, result)
