"""The warehouse: canonical tables on DuckDB, or attached from an existing Ibis backend."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

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
        timezone: str | None = None,
    ) -> Workspace:
        """Open or create the warehouse ``db``, else ``$CRMLYTICS_DB``, else ``data/crm.duckdb``.

        ``timezone`` is the warehouse time zone (default: ``ingest.timezone`` of the config, else
        this machine's), set explicitly on the connection: timestamps are stored as naive
        wall-clock times of that zone, and zoned values read or written follow it.
        """
        path = resolve_db_path(db)
        if read_only and not path.exists():
            raise FileNotFoundError(
                f"no warehouse at {path}; run `crmlytics ingest` or `crmlytics quickstart` first"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = ibis.duckdb.connect(str(path), read_only=read_only)
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
        for name, table_spec in CANONICAL.items():
            if name not in existing:
                self.backend.create_table(name, schema=table_spec.ibis_schema())
        for name, schema in SYSTEM.items():
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
                raise KeyError(
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
            raise ValueError(f"rows for {name} lack required columns {missing}")
        schema = table_spec.ibis_schema()
        for column in schema.names:
            if column not in frame.columns:
                frame[column] = None
        memtable = ibis.memtable(frame[list(schema.names)])
        self.backend.insert(name, memtable.cast(schema))

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
        raise ValueError(f"mapping for {name}: unknown keys {sorted(unknown)}; use table, columns")
    columns = dict(m.get("columns") or {})
    table_spec = spec(name)
    for canonical in columns:
        table_spec.column(canonical)
    return {"table": m.get("table", name), "columns": columns}
