"""The warehouse: canonical tables on DuckDB, or attached from an existing Ibis backend."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from crmlytics.engines.mapping import LakeTable, normalise_mapping
from crmlytics.errors import (
    ConfigError,
    DataError,
    UnknownNameError,
    WarehouseBusyError,
    WarehouseError,
)
from crmlytics.schema import ATTRIBUTES, CANONICAL, SYSTEM, TableSpec, spec

DEFAULT_DB = Path("data") / "crm.duckdb"
DB_ENV = "CRMLYTICS_DB"


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse file: ``db`` if given, else ``$CRMLYTICS_DB``, else ``data/crm.duckdb``."""
    if db is not None:
        return Path(db)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


class AbsentTableError(WarehouseError):
    """An analysis needs a table the warehouse mapping declares absent."""


class Workspace:
    """A crmlytics warehouse: the canonical tables as Ibis expressions.

    Open the embedded DuckDB warehouse with :meth:`open` (created with every canonical table if it
    does not exist), or point crmlytics at data that already sits elsewhere with :meth:`attach`.
    Analysis code only calls :meth:`table`, so it runs unchanged on either.

    Examples
    --------
    >>> ws = Workspace.open("data/crm.duckdb")          # doctest: +SKIP
    >>> ws.table("transactions").count().execute()     # doctest: +SKIP
    """

    def __init__(
        self,
        backend: ibis.BaseBackend,
        mapping: Mapping[str, Mapping[str, Any] | str] | None = None,
        *,
        path: Path | None = None,
        attached: bool = False,
        database: str | None = None,
        owns_backend: bool = True,
    ) -> None:
        self.backend = backend
        self.path = path
        self.attached = attached
        self.database = database
        self.owns_backend = owns_backend
        self.mapping: dict[str, LakeTable] = {
            name: _normalise_mapping(name, m, database) for name, m in (mapping or {}).items()
        }
        self._sources: dict[str, ir.Table] = {}
        self._tables: dict[str, tuple[str, ir.Table]] = {}

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        db: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        create: bool = True,
        lock_wait_seconds: float = 0.0,
        timezone: str | None = None,
    ) -> Workspace:
        """Open the warehouse ``db``, else ``$CRMLYTICS_DB``, else ``data/crm.duckdb``.

        A missing file is created with every canonical table when ``create`` (and not
        ``read_only``); otherwise it is a :class:`~crmlytics.errors.WarehouseError`. When another
        process holds the file's lock, retry for up to ``lock_wait_seconds`` and then raise
        :class:`~crmlytics.errors.WarehouseBusyError` naming that process.

        ``timezone`` is the warehouse time zone (default: ``ingest.timezone`` of the config, else
        this machine's), set explicitly on the connection: timestamps are stored as naive
        wall-clock times of that zone, and zoned values read or written follow it.
        """
        path = resolve_db_path(db)
        if path.is_dir():
            raise WarehouseError(
                f"{path} is a folder, not a DuckDB warehouse file; for tables in a lake (Parquet, "
                "a Spark database) set warehouse.engine: spark and warehouse.tables in "
                "crmlytics.yaml (or pass --engine spark)"
            )
        if not path.exists() and (read_only or not create):
            raise WarehouseError(
                f"no warehouse at {path}; load data with `crmlytics ingest` or "
                "`crmlytics quickstart` first, or point --db / $CRMLYTICS_DB at one"
            )
        if lock_wait_seconds < 0:
            raise ConfigError(f"lock_wait_seconds must be 0 or more, not {lock_wait_seconds}")
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = _connect(path, read_only=read_only, lock_wait_seconds=lock_wait_seconds)
        set_timezone(backend, timezone)
        ws = cls(backend, path=path)
        if not read_only:
            ws.create_tables()
        return ws

    @classmethod
    def memory(cls) -> Workspace:
        """An in-memory DuckDB warehouse with every canonical table (for tests and notebooks)."""
        from crmlytics.engines import duckdb

        ws = cls(duckdb.connect())
        set_timezone(ws.backend, None)
        ws.create_tables()
        return ws

    @classmethod
    def attach(
        cls,
        backend: ibis.BaseBackend,
        mapping: Mapping[str, Any] | None = None,
        *,
        database: str | None = None,
        timezone: str | None = None,
        owns_backend: bool = False,
    ) -> Workspace:
        """Use tables that already exist in ``backend`` (Spark, DuckDB, ...) without copying.

        ``mapping`` maps a canonical table name to the lake table's name (``"orders"`` or
        ``"lake.orders"``) or to ``{"table": ..., "database": ..., "columns": {...}}``, or to
        ``{"absent": True}`` for a table the lake does not have; columns are mapped as in ingest
        mapping files: a renamed column, ``[col, col]`` joined with ``-`` (composite keys), or
        ``{"source": col, "values": {"S": "sale"}}`` (value maps). See
        :mod:`crmlytics.engines.mapping`. Values are cast to the canonical types (decimals to
        float64 money, text or dates to timestamps). Tables not mentioned are looked up under
        their canonical names in ``database`` (default: the backend's current one); optional
        canonical columns the lake lacks read as nulls.

        The mapping is checked now, not at query time: every mapped table must exist and have
        every column the mapping names and every required canonical column.

        ``timezone`` is the warehouse time zone (default ``ingest.timezone`` of the config, else
        this machine's), set explicitly on the backend: on Spark, the session time zone (which
        ``ibis.pyspark.connect`` silently sets to UTC) decides the calendar day of a timestamp.
        The backend is the caller's: :meth:`close` leaves it open unless ``owns_backend``. A
        Spark backend gets crmlytics' fixes in place (:func:`crmlytics.engines.spark.
        prepare_backend`: rows crmlytics writes reach Spark as Arrow, so a missing value is a
        null, never NaN).

        Raises
        ------
        ConfigError
            An unknown canonical table or column, a malformed entry, or a mapped lake column
            that does not exist (:class:`~crmlytics.errors.UnknownNameError`, naming the table,
            the column and the columns it has).
        WarehouseError
            A mapped table that does not exist.
        """
        if backend.name == "pyspark":
            from crmlytics.engines.spark import prepare_backend

            prepare_backend(backend)
        set_timezone(backend, timezone)
        ws = cls(backend, mapping, attached=True, database=database, owns_backend=owns_backend)
        ws.check()
        return ws

    @classmethod
    def from_config(
        cls,
        config: Any = None,
        *,
        engine: str | None = None,
        db: str | os.PathLike[str] | None = None,
        read_only: bool = True,
        create: bool = False,
        lock_wait_seconds: float | None = None,
    ) -> Workspace:
        """The warehouse ``crmlytics.yaml`` describes (``config``: a validated
        :class:`~crmlytics.config.Config`, default :func:`~crmlytics.config.load_config`).

        ``engine`` (default ``warehouse.engine``): ``duckdb`` opens the file ``db`` as
        :meth:`open` does; ``spark`` starts (or joins) the Spark session of
        ``warehouse.spark`` in the warehouse time zone and attaches ``warehouse.tables``.
        """
        if config is None:
            from crmlytics.config import load_config

            config = load_config()
        settings = config.warehouse
        engine = engine or settings.engine
        timezone = config.ingest.resolved_timezone()
        if engine == "duckdb":
            wait = settings.lock_wait_seconds if lock_wait_seconds is None else lock_wait_seconds
            return cls.open(
                db, read_only=read_only, create=create, lock_wait_seconds=wait, timezone=timezone
            )
        if engine != "spark":
            raise ConfigError(f"engine must be duckdb or spark, not {engine!r}")
        if db is not None:
            raise ConfigError(
                f"--db {db} names a DuckDB warehouse file; with engine spark the tables come "
                "from warehouse.tables and warehouse.spark.database in crmlytics.yaml"
            )
        if create:
            raise ConfigError(
                "engine spark reads lake tables where they are; loading files (ingest, demo, "
                "quickstart) writes the DuckDB warehouse: use --engine duckdb"
            )
        from crmlytics.engines.spark import connect

        backend, started = connect(settings.spark, timezone)
        try:
            return cls.attach(
                backend,
                dict(settings.tables),
                database=settings.spark.database,
                timezone=timezone,
                owns_backend=started,
            )
        except BaseException:
            if started:
                backend.disconnect()
            raise

    def create_tables(self) -> None:
        """Create every canonical and bookkeeping table that does not exist yet."""
        existing = set(self.backend.list_tables())
        tables = {name: t.ibis_schema() for name, t in CANONICAL.items()} | dict(SYSTEM)
        for name, schema in tables.items():
            if name not in existing:
                self.backend.create_table(name, schema=schema)
            elif self.is_duckdb:  # a warehouse from an older version: add the new columns
                have = set(self.backend.table(name).columns)
                for column, dtype in schema.items():
                    if column not in have:
                        sql_type = self.backend.compiler.type_mapper.to_string(dtype)
                        self.backend.con.execute(
                            f'ALTER TABLE "{name}" ADD COLUMN "{column}" {sql_type}'
                        )

    # -- access -------------------------------------------------------------------------------
    @property
    def is_duckdb(self) -> bool:
        return self.backend.name == "duckdb"

    @property
    def duckdb(self) -> Any:
        """The raw ``duckdb.DuckDBPyConnection`` behind this workspace (ingest only)."""
        if not self.is_duckdb:
            raise TypeError("this workspace is attached to a non-DuckDB backend")
        return self.backend.con

    def table(self, name: str) -> ir.Table:
        """Canonical table ``name`` as an Ibis expression with canonical column names and types.

        On an attached warehouse, a table the mapping declares absent raises
        :class:`AbsentTableError` naming the analysis that needs it (see :meth:`optional_table`
        for one that can do without).
        """
        if name in SYSTEM:
            return self.backend.table(name)
        table_spec = spec(name)
        if not self.attached:
            return self._warehouse_table(name)
        lake = self.lake_table(name)
        if lake.absent:
            raise AbsentTableError(_absent_message(name, _reader()))
        return _canonical(self._source(lake), lake, table_spec)

    def _warehouse_table(self, name: str) -> ir.Table:
        """A table of the embedded warehouse, its schema looked up once per definition.

        Ibis asks the backend for a table's schema on every look-up (a compiled query each time,
        five or six of them per facts expression); on DuckDB the table's ``CREATE`` statement
        (one catalog row) tells whether the table is still the one looked up before: any change
        of its columns, a drop or a re-creation with other columns, changes that statement.
        """
        if not self.is_duckdb:
            return self.backend.table(name)
        row = self.duckdb.execute(
            "SELECT sql FROM duckdb_tables() WHERE table_name = ? "
            "AND database_name = current_database() AND schema_name = current_schema()",
            [name],
        ).fetchone()
        if row is None:  # not a table (a view, or missing): as the backend says
            return self.backend.table(name)
        cached = self._tables.get(name)
        if cached is not None and cached[0] == row[0]:
            return cached[1]
        table = self.backend.table(name)
        self._tables[name] = (row[0], table)
        return table

    def optional_table(self, name: str) -> ir.Table:
        """:meth:`table`, or an empty table with the canonical columns when the mapping declares
        ``name`` absent: for analyses that only enrich their result from it (categories from
        ``products``, complaint and contact counts in the facts)."""
        if self.attached and name not in SYSTEM and self.lake_table(name).absent:
            return _empty(spec(name))
        return self.table(name)

    def lake_table(self, name: str) -> LakeTable:
        """Where canonical table ``name`` lives on an attached warehouse (its mapping)."""
        return self.mapping.get(name) or LakeTable(name, name, self.database)

    def check(self) -> None:
        """Check the mapping against the attached tables now (see :meth:`attach`)."""
        for name in CANONICAL:
            lake = self.lake_table(name)
            if lake.absent:
                continue
            if name not in self.mapping and not self._exists(lake):
                continue  # not mapped and not there: an error only if an analysis reads it
            _canonical(self._source(lake), lake, spec(name))

    def _exists(self, lake: LakeTable) -> bool:
        from crmlytics.engines.spark import spark_errors

        with spark_errors(f"listing the tables of {lake.database or 'the current database'}"):
            tables = self.backend.list_tables(database=lake.database)
        return lake.table in tables or lake.table.lower() in {t.lower() for t in tables}

    def _source(self, lake: LakeTable) -> ir.Table:
        key = lake.qualified
        if key not in self._sources:
            self._sources[key] = _lookup(self.backend, lake)
        return self._sources[key]

    def insert(self, name: str, rows: Any) -> None:
        """Append trusted rows (a pandas frame or list of dicts) to canonical table ``name``.

        Missing optional columns become nulls and values are cast to the canonical types. No
        validation, deduplication or reject handling: files and untrusted data go through
        :func:`crmlytics.ingest.ingest`. Meant for tests, notebooks and simulations.
        """
        import pandas as pd

        table_spec = spec(name)
        frame = pd.DataFrame(rows).copy()
        missing = [c for c in table_spec.required if c not in frame.columns]
        if missing:
            raise DataError(f"rows for {name} lack required columns {missing}")
        schema = table_spec.ibis_schema()
        for column in schema.names:
            if column not in frame.columns:
                frame[column] = None
        memtable = ibis.memtable(frame[list(schema.names)])
        self.backend.insert(name, memtable.cast(schema))

    @contextmanager
    def cached(self, expr: ir.Table) -> Iterator[ir.Table]:
        """``expr`` computed once, for the duration of a ``with`` block.

        The only place crmlytics keeps intermediate results: expression builders never
        materialise anything; a function that reads one expression several times (a count and
        the rows of a list, two groupings of one summary) wraps it here. Inside the block the
        yielded table reads the stored result (DuckDB: a temporary table; Spark: a cached
        view); on leaving the block it is dropped, so nothing is left behind in the backend.

        Examples
        --------
        >>> with ws.cached(customer_segments(ws, "2024-06-30")) as seg:  # doctest: +SKIP
        ...     counts = seg.group_by("value_tier").count().to_pandas()
        ...     gold = seg.filter(seg.value_tier == "gold").to_pandas()
        """
        with expr.cache() as stored:
            yield stored

    def __getattr__(self, name: str) -> ir.Table:
        if name in CANONICAL or name in SYSTEM:
            return self.table(name)
        raise AttributeError(name)

    def close(self) -> None:
        """Close the backend if this workspace opened or started it (not a caller's)."""
        if not self.owns_backend:
            return
        disconnect = getattr(self.backend, "disconnect", None)
        if disconnect is not None:
            disconnect()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else f"attached {self.backend.name}"
        return f"Workspace({where})"


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
LOCK_RETRY_SECONDS = 0.25


def _connect(path: Path, *, read_only: bool, lock_wait_seconds: float) -> ibis.BaseBackend:
    """Connect to the DuckDB file, waiting up to ``lock_wait_seconds`` for another's lock."""
    import duckdb

    from crmlytics.engines.duckdb import connect

    deadline = time.monotonic() + lock_wait_seconds
    while True:
        try:
            return connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            holder = _LOCK_HOLDER.search(str(exc))
            if holder is None and "lock" not in str(exc).lower():
                reason = str(exc).splitlines()[0].removeprefix("IO Error: ")
                raise WarehouseError(
                    f"cannot open {path} as a DuckDB warehouse: {reason}; point --db or "
                    "$CRMLYTICS_DB at a warehouse made by crmlytics (ingest, quickstart), or "
                    "use --engine spark for lake tables"
                ) from None
            if time.monotonic() >= deadline:
                raise WarehouseBusyError(_busy_message(path, holder, lock_wait_seconds)) from None
            time.sleep(LOCK_RETRY_SECONDS)


def _busy_message(path: Path, holder: re.Match[str] | None, waited: float) -> str:
    who = "another process"
    if holder is not None:
        pid = holder["pid"]
        who = f"process {pid} ({_command_line(pid) or holder['program']})"
    after = f" after waiting {waited:g} s" if waited else ""
    return (
        f"warehouse {path} is locked by {who}{after}; let it finish, or wait for it with "
        "--wait SECONDS (config: warehouse.lock_wait_seconds)"
    )


def _command_line(pid: str) -> str | None:
    """The command line of process ``pid`` where the system tells it (Linux ``/proc``)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    text = " ".join(raw.decode(errors="replace").replace("\0", " ").split())
    return (text[:117] + "...") if len(text) > 120 else (text or None)


def set_timezone(backend: ibis.BaseBackend, timezone: str | None) -> str:
    """Set the warehouse time zone on a DuckDB or Spark backend explicitly; returns it.

    ``timezone`` defaults to ``ingest.timezone`` of ``crmlytics.yaml`` (when present), else this
    machine's zone. On Spark it is the session time zone (checked after setting).
    """
    if timezone is None:
        from crmlytics.config import load_config

        timezone = load_config().ingest.resolved_timezone()
    if backend.name == "pyspark":
        from crmlytics.engines.spark import set_session_timezone

        return set_session_timezone(backend._session, timezone)
    if backend.name == "duckdb":
        backend.con.execute(f"SET TimeZone = '{timezone.replace(chr(39), chr(39) * 2)}'")
    return timezone


def _normalise_mapping(name: str, m: Any, database: str | None = None) -> LakeTable:
    return normalise_mapping(name, m, database=database)


def _lookup(backend: ibis.BaseBackend, lake: LakeTable) -> ir.Table:
    """The lake table behind ``lake``; a missing one is a WarehouseError naming it."""
    import ibis.common.exceptions as com

    from crmlytics.engines.spark import spark_errors

    try:
        with spark_errors(f"reading table {lake.qualified} (for {lake.canonical})"):
            if lake.database is None:
                return backend.table(lake.table)
            return backend.table(lake.table, database=lake.database)
    except com.TableNotFound:
        pass
    except WarehouseError as exc:
        if "no table" not in str(exc):
            raise
    raise WarehouseError(
        f"attached warehouse has no table {lake.qualified} (for {lake.canonical}); map "
        f"{lake.canonical} to a lake table (warehouse.tables.{lake.canonical}.table) or "
        "declare it absent: true"
    ) from None


def _canonical(source: ir.Table, lake: LakeTable, table_spec: TableSpec) -> ir.Table:
    """``source`` with canonical columns: mapped, renamed, joined, value-mapped and cast."""
    present = list(source.columns)
    folded = {c.casefold(): c for c in reversed(present)}
    mapped_sources = {s for cmap in lake.columns.values() for s in cmap.sources}
    for canonical, cmap in lake.columns.items():
        for column in cmap.sources:
            if column not in present:
                raise UnknownNameError(
                    f"attached table {lake.qualified} has no column {column!r} (mapped to "
                    f"{table_spec.name}.{canonical}); its columns are {', '.join(present)}"
                )
    selected: dict[str, ir.Value] = {}
    for col in table_spec.columns:
        target = dt.dtype(col.dtype)
        cmap = lake.columns.get(col.name)
        if cmap is None:
            found = folded.get(col.name.casefold())
            if found is not None and found not in mapped_sources:  # as ingest: not taken twice
                selected[col.name] = _cast(source[found], target, lake, col.name, found)
            elif col.required:
                raise UnknownNameError(
                    f"attached table {lake.qualified} has no column for required canonical "
                    f"column {table_spec.name}.{col.name} (looked for {col.name!r}); map it with "
                    f"columns={{'{col.name}': '<lake column>'}}; its columns are "
                    f"{', '.join(present)}"
                )
            else:
                selected[col.name] = ibis.null().cast(target)
            continue
        selected[col.name] = _cast(_mapped(source, cmap), target, lake, col.name, cmap.sources)
    if ATTRIBUTES in present:
        selected[ATTRIBUTES] = source[ATTRIBUTES].cast("string")
    else:
        selected[ATTRIBUTES] = ibis.null().cast("string")
    return source.select(**selected)


def _mapped(source: ir.Table, cmap: Any) -> ir.Value:
    """The value of a mapped column: one lake column or several joined, then value-mapped.

    Text is cleaned as ingest cleans it: trimmed, and a blank value is missing (null)."""
    if cmap.composite:
        from crmlytics.ingest.mapping import SEPARATOR

        parts = [source[s].cast("string").strip() for s in cmap.sources]
        missing = parts[0].isnull() | (parts[0] == "")
        for part in parts[1:]:
            missing |= part.isnull() | (part == "")
        value: ir.Value = ibis.ifelse(
            missing, ibis.null().cast("string"), ibis.literal(SEPARATOR).join(parts)
        )
    else:
        value = source[cmap.sources[0]]
        if value.type().is_string():  # as ingest's clean_text: trimmed, blank is missing
            value = value.strip().nullif("")
    if cmap.values:
        value = value.cast("string").strip().nullif("").substitute(cmap.values)
    return value


def _cast(value: ir.Value, target: dt.DataType, lake: LakeTable, canonical: str, src: Any) -> Any:
    if value.type() == target:
        return value
    try:
        return value.cast(target)
    except Exception as exc:  # Ibis refuses a cast it cannot compile (e.g. boolean → timestamp)
        names = ", ".join(src) if isinstance(src, tuple) else src
        raise ConfigError(
            f"attached table {lake.qualified}: column {names} ({value.type()}) cannot be read as "
            f"{lake.canonical}.{canonical} ({target}): {exc}"
        ) from None


def _empty(table_spec: TableSpec) -> ir.Table:
    """A table with ``table_spec``'s canonical columns and no rows (an absent optional table)."""
    import pyarrow as pa

    schema = ibis.schema({**dict(table_spec.ibis_schema().items()), ATTRIBUTES: "string"})
    return ibis.memtable(pa.Table.from_pylist([], schema=schema.to_pyarrow()))


def _absent_message(name: str, reader: str | None) -> str:
    what = f"{reader} cannot be computed" if reader else "this analysis cannot be computed"
    return (
        f"table {name} is declared absent (warehouse.tables.{name}: absent), so {what}; map "
        f"{name} to a lake table to compute it"
    )


def _reader() -> str | None:
    """The outermost public crmlytics function (outside the CLI) on the call stack: the
    analysis that reads a table."""
    frame = sys._getframe(2)
    found = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        function = frame.f_code.co_name
        if (
            module.startswith("crmlytics.")
            and not module.startswith(("crmlytics.cli", "crmlytics.workspace"))
            and not function.startswith("_")
            and function != "<module>"
        ):
            found = f"{function} ({module})"
        frame = frame.f_back
    return found
