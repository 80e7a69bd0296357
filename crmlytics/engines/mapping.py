"""Lake table mappings: where a canonical table lives and how its columns are named there.

The vocabulary is the one of ingest mapping files (:mod:`crmlytics.ingest.mapping`), applied to
a table instead of a file::

    {"table": "lake.orders",                      # or table: orders, database: lake
     "columns": {
         "order_id": "ord_no",                      # renamed
         "customer_id": ["branch", "cust_no"],      # several columns joined with "-"
         "kind": {"source": "typ", "values": {"S": "sale", "R": "return"}},  # value map
     }}
    {"absent": True}                                # the lake has no such table

- A composite source joins the columns' trimmed texts with ``-``; the value is null when any
  part is null or empty (as ingest does).
- A value map replaces the listed values (compared as text); values it does not list are kept.
- Every canonical column is cast to its canonical type (``decimal(18,2)`` to float64 money, a
  string or date column to a timestamp, a number to a text id).
- Canonical columns the mapping does not name are read from a lake column of the same name if
  there is one, else as nulls (optional columns); a required one missing is an error at attach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from crmlytics.errors import ConfigError

if TYPE_CHECKING:
    from crmlytics.ingest.mapping import ColumnMap

__all__ = ["LakeTable", "normalise_mapping"]


@dataclass(frozen=True)
class LakeTable:
    """A checked mapping of one canonical table onto a lake table."""

    canonical: str
    table: str
    database: str | None = None
    columns: dict[str, ColumnMap] = field(default_factory=dict)
    absent: bool = False

    @property
    def qualified(self) -> str:
        """``database.table`` (or just the table when no database is named)."""
        return f"{self.database}.{self.table}" if self.database else self.table

    def source(self, canonical: str) -> ColumnMap:
        """The lake column(s) feeding ``canonical``: mapped, else the column of the same name."""
        from crmlytics.ingest.mapping import ColumnMap

        return self.columns.get(canonical) or ColumnMap(canonical, (canonical,))


def normalise_mapping(
    name: str, mapping: Any, *, where: str | None = None, database: str | None = None
) -> LakeTable:
    """Check the mapping of canonical table ``name`` and return it as a :class:`LakeTable`.

    ``mapping`` is a lake table name (``"orders"`` or ``"lake.orders"``), a dict with ``table``,
    ``database``, ``columns`` and ``absent``, a validated
    :class:`~crmlytics.engines.config.TableMapping`, or a :class:`LakeTable`. ``database`` is
    the default database for a table named without one.

    Raises
    ------
    ConfigError
        An unknown canonical table or column (:class:`~crmlytics.errors.UnknownNameError`,
        naming the known ones), an unknown key, a malformed column entry, or a value map on a
        composite source.
    """
    from pydantic import ValidationError

    from crmlytics.engines.config import TableMapping
    from crmlytics.ingest.mapping import DROP, FILE_KEYS
    from crmlytics.schema import spec

    table_spec = spec(name)  # an unknown canonical table is an error, not silently ignored
    where = where or f"mapping for {name}"
    if isinstance(mapping, LakeTable):
        return mapping
    if isinstance(mapping, str):
        mapping = TableMapping(table=mapping)
    elif isinstance(mapping, Mapping):
        try:
            mapping = TableMapping.model_validate(dict(mapping))
        except ValidationError as exc:
            raise ConfigError(f"{where}: {_problems(exc)}") from None
    elif not isinstance(mapping, TableMapping):
        raise ConfigError(
            f"{where}: expected a table name or {{table, database, columns, absent}}, "
            f"got {type(mapping).__name__}"
        )
    if mapping.absent:
        return LakeTable(name, name, absent=True)
    table, db = mapping.table or name, mapping.database
    if db is None and "." in table:
        db, table = table.rsplit(".", 1)
    if not table or (db is not None and not db):
        raise ConfigError(f"{where}: table {mapping.table!r} is not a name or database.table")
    columns: dict[str, ColumnMap] = {}
    for canonical, entry in mapping.columns.items():
        if canonical in (DROP, *FILE_KEYS):
            raise ConfigError(f"{where}: {canonical!r} is for ingest files, not lake tables")
        table_spec.column(canonical)  # UnknownNameError naming the table's columns
        columns[canonical] = _column_map(table_spec, canonical, entry, where)
    return LakeTable(name, table, db or database, columns)


def _column_map(table_spec: Any, canonical: str, entry: Any, where: str) -> ColumnMap:
    """One column entry checked by ingest's own rules (names, lists, value map on one source)."""
    from crmlytics.ingest.errors import MappingError
    from crmlytics.ingest.mapping import load_mapping

    if hasattr(entry, "model_dump"):
        entry = entry.model_dump()
    try:
        return load_mapping({canonical: entry}, table_spec).columns[canonical]
    except MappingError as exc:
        message = str(exc.args[0]).removeprefix("mapping: ")
        raise ConfigError(f"{where}: {message}") from None


def _problems(exc: Any) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'mapping'}: {err['msg']}" for err in exc.errors()
    )
