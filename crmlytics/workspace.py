"""The warehouse: canonical tables on DuckDB, or attached from an existing Ibis backend."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from crmlytics.errors import (
    ConfigError,
    DataError,
    UnknownNameError,
    WarehouseBusyError,
    WarehouseError,
)
from crmlytics.schema import ATTRIBUTES, CANONICAL, SYSTEM, spec

DEFAULT_DB = Path("data") / "crm.duckdb"
DB_ENV = "CRMLYTICS_DB"


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse file: ``db`` if given, else ``$CRMLYTICS_DB``, else ``data/crm.duckdb``."""
    if db is not None:
        return Path(db)
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


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
    ) -> None:
        self.backend = backend
        self.path = path
        self.attached = attached
        self.mapping = {name: _normalise_mapping(name, m) for name, m in (mapping or {}).items()}

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
        ws = cls(ibis.duckdb.connect())
        set_timezone(ws.backend, None)
        ws.create_tables()
        return ws

    @classmethod
    def attach(
        cls,
        backend: ibis.BaseBackend,
        mapping: Mapping[str, Mapping[str, Any] | str] | None = None,
    ) -> Workspace:
        """Use tables that already exist in ``backend`` (Spark, DuckDB, ...) without copying.

        ``mapping`` maps a canonical table name to either the source table name, or
        ``{"table": source_name, "columns": {canonical_column: source_column}}``. Tables and
        columns not mentioned are looked up under their canonical names; optional canonical
        columns the source lacks read as nulls of the canonical type.
        """
        return cls(backend, mapping, attached=True)

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
        """Canonical table ``name`` as an Ibis expression with canonical column names and types."""
        if name in SYSTEM:
            return self.backend.table(name)
        table_spec = spec(name)
        m = self.mapping.get(name)
        if not self.attached:
            return self.backend.table(name)
        source = self.backend.table(m["table"] if m else name)
        columns = m["columns"] if m else {}
        present = set(source.columns)
        selected: dict[str, ir.Value] = {}
        for col in table_spec.columns:
            src_name = columns.get(col.name, col.name)
            target = dt.dtype(col.dtype)
            if src_name in present:
                value = source[src_name]
                selected[col.name] = value if value.type() == target else value.cast(target)
            elif col.required:
                raise UnknownNameError(
                    f"attached table {m['table'] if m else name!r} has no column for required "
                    f"canonical column {name}.{col.name} (looked for {src_name!r}); "
                    f"map it with columns={{'{col.name}': '<source column>'}}"
                )
            else:
                selected[col.name] = ibis.null().cast(target)
        if ATTRIBUTES in present:
            selected[ATTRIBUTES] = source[ATTRIBUTES].cast("string")
        else:
            selected[ATTRIBUTES] = ibis.null().cast("string")
        return source.select(**selected)

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

    deadline = time.monotonic() + lock_wait_seconds
    while True:
        try:
            return ibis.duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            holder = _LOCK_HOLDER.search(str(exc))
            if holder is None and "lock" not in str(exc).lower():
                raise
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
    """Set the warehouse time zone on a DuckDB backend explicitly; returns it.

    ``timezone`` defaults to ``ingest.timezone`` of ``crmlytics.yaml`` (when present), else this
    machine's zone.
    """
    if timezone is None:
        from crmlytics.config import load_config

        timezone = load_config().ingest.resolved_timezone()
    backend.con.execute(f"SET TimeZone = '{timezone.replace(chr(39), chr(39) * 2)}'")
    return timezone


def _normalise_mapping(name: str, m: Mapping[str, Any] | str) -> dict[str, Any]:
    spec(name)  # unknown canonical table names are an error, not silently ignored
    if isinstance(m, str):
        return {"table": m, "columns": {}}
    unknown = set(m) - {"table", "columns"}
    if unknown:
        raise ConfigError(f"mapping for {name}: unknown keys {sorted(unknown)}; use table, columns")
    columns = dict(m.get("columns") or {})
    table_spec = spec(name)
    for canonical in columns:
        table_spec.column(canonical)
    return {"table": m.get("table", name), "columns": columns}
