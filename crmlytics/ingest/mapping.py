"""Column mappings: which source headers feed which canonical column, value maps, dropped headers.

A mapping file is YAML written by hand, one canonical column per line::

    customer_id: 客户编号                                      # canonical: source header
    kind: {source: 单据类型, values: {销售: sale, 退货: return}}  # or with a value map
    order_id: [门店, 小票号]                                   # several headers joined with "-"
    drop: [内部备注, 操作员]                                   # headers not kept in attributes

- **Composite sources.** A list of headers, plain (``order_id: [column1, column3]``) or as
  ``{source: [column1, column3]}``, builds the canonical value from those columns' trimmed texts
  joined with ``-`` (``00004`` and ``19970101`` give ``00004-19970101``). The value is missing
  when any part is empty (so a required key with a missing part is rejected as missing). A value
  map needs a single source column; with a list it is an error.
- **The same header may feed several canonical columns** (e.g. CDNOW's date is both part of the
  order key and the order timestamp).
- **drop** is reserved (no canonical column has that name): a header or a list of headers that
  must exist in the file and are left out of ``attributes``. A header cannot be both mapped and
  dropped.
- **How the file is written** (reserved keys too): ``decimal: ","`` for numbers like
  ``1.234,50`` (default from the ``ingest`` config, ``.``); ``delimiter``, ``quote`` and
  ``escape`` fix the dialect of a delimited text file (default: the delimiter detected from the
  first line, ``"`` as quote and escape; the dialect used is recorded in ``load_log``).

Every scalar is read as text (YAML's ``yes``/``no`` stay the words ``yes``/``no``), so value
maps match the file's text exactly. Headerless files name their columns ``column1``,
``column2``, ... (1-based). Canonical columns the mapping does not name are still taken from a
header with the same name (case-insensitive, trimmed) that is neither mapped nor dropped; the
other source columns that feed no canonical column are kept in ``attributes`` as a JSON object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crmlytics.ingest.errors import MappingError
from crmlytics.schema import TableSpec

_POSITIONAL = re.compile(r"^column([1-9][0-9]*)$")
SEPARATOR = "-"
"""Joins the parts of a composite source: ``[column1, column3]`` → ``"00004-19970101"``."""
DROP = "drop"
"""Reserved mapping key: the source headers to leave out of ``attributes``."""
FILE_KEYS = ("decimal", "delimiter", "quote", "escape")
"""Reserved mapping keys describing how the file is written (not canonical columns)."""


@dataclass(frozen=True)
class ColumnMap:
    """One canonical column fed by one source column (or several joined), with a value map."""

    canonical: str
    sources: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)

    @property
    def composite(self) -> bool:
        """True when several source columns are joined with :data:`SEPARATOR`."""
        return len(self.sources) > 1


@dataclass(frozen=True)
class SourceMapping:
    """A checked mapping: canonical column → :class:`ColumnMap`, and the headers to drop."""

    columns: dict[str, ColumnMap] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    decimal: str | None = None
    delimiter: str | None = None
    quote: str | None = None
    escape: str | None = None


MappingArg = str | os.PathLike[str] | Mapping[str, Any] | None


def load_mapping(mapping: MappingArg, table_spec: TableSpec) -> SourceMapping:
    """Read and check a mapping (YAML path or dict) for ``table_spec``.

    Raises
    ------
    ValueError
        For canonical names the table does not have (all of them named), an entry that is
        neither a header, a list of headers nor ``{source: ..., values: {...}}``, a value map
        on a composite source, or a ``drop`` that is not a header or a list of headers.
    """
    if mapping is None:
        return SourceMapping()
    where = "mapping"
    if isinstance(mapping, str | os.PathLike):
        path = Path(mapping)
        if not path.exists():
            raise MappingError(f"mapping file {path} does not exist")
        where = str(path)
        try:
            raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)
        except yaml.YAMLError as exc:
            raise MappingError(f"{path} is not valid YAML: {exc}") from None
        raw = raw or {}
    else:
        raw = mapping
    if not isinstance(raw, Mapping):
        raise MappingError(f"{where}: expected `canonical_column: source header` lines")
    entries = {str(k): v for k, v in raw.items()}
    drop = _drop(entries.pop(DROP, None), where)
    file_keys = {k: _file_key(k, entries.pop(k), where) for k in FILE_KEYS if k in entries}
    names = set(table_spec.names)
    unknown = [k for k in entries if k not in names]
    if unknown:
        raise MappingError(
            f"{where}: {table_spec.name} has no column(s) {', '.join(unknown)}; "
            f"its columns are {', '.join(table_spec.names)} (and `{DROP}: [headers]`)"
        )
    columns = {canonical: _column(canonical, entry, where) for canonical, entry in entries.items()}
    return SourceMapping(columns, drop, **file_keys)


def _file_key(key: str, entry: Any, where: str) -> str:
    text = entry if isinstance(entry, str) else None
    if key == "decimal" and text not in (".", ","):
        raise MappingError(f'{where}: decimal must be "." or ",", got {entry!r}')
    if text is None or len(text) > 1 or (key == "delimiter" and not text):
        raise MappingError(f"{where}: {key} must be one character, got {entry!r}")
    return text


def _column(canonical: str, entry: Any, where: str) -> ColumnMap:
    values: dict[str, str] = {}
    if isinstance(entry, Mapping):
        extra = set(map(str, entry)) - {"source", "values"}
        if extra or "source" not in entry:
            raise MappingError(
                f"{where}: {canonical} must be `header`, `[header, header]` or `{{source: header, "
                f"values: {{from: to}}}}`; got keys {', '.join(sorted(map(str, entry)))}"
            )
        values_raw = entry.get("values") or {}
        if not isinstance(values_raw, Mapping):
            raise MappingError(f"{where}: values of {canonical} must be a `from: to` map")
        values = {_text(k): _text(v) for k, v in values_raw.items()}
        entry = entry["source"]
    sources = _sources(canonical, entry, where)
    if len(sources) > 1 and values:
        raise MappingError(
            f"{where}: {canonical} joins several source columns ({', '.join(sources)}); a value "
            "map needs a single source column"
        )
    return ColumnMap(canonical, sources, values)


def _sources(canonical: str, entry: Any, where: str) -> tuple[str, ...]:
    if _scalar(entry):
        return (_text(entry),)
    if isinstance(entry, list | tuple) and entry and all(map(_scalar, entry)):
        return tuple(_text(e) for e in entry)
    raise MappingError(
        f"{where}: {canonical} must name a source header or a non-empty list of headers, "
        f"got {entry!r}"
    )


def _drop(entry: Any, where: str) -> tuple[str, ...]:
    if entry is None:
        return ()
    if _scalar(entry):
        return (_text(entry),)
    if isinstance(entry, list | tuple) and all(map(_scalar, entry)):
        return tuple(_text(e) for e in entry)
    raise MappingError(f"{where}: {DROP} must be a header or a list of headers, got {entry!r}")


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def positional_only(colmaps: Mapping[str, ColumnMap]) -> bool:
    """True when every mapped source is a positional name (``column1``...): a headerless file."""
    return bool(colmaps) and all(_POSITIONAL.match(s) for m in colmaps.values() for s in m.sources)


@dataclass(frozen=True)
class Resolved:
    """The mapping applied to one file's headers."""

    columns: dict[str, ColumnMap]
    extras: list[str]
    dropped: list[str] = field(default_factory=list)


def resolve(
    mapping: SourceMapping, headers: list[str], table_spec: TableSpec, file: Path
) -> Resolved:
    """Match the mapping (and canonical names) to the headers found in ``file``.

    Raises
    ------
    ValueError
        A mapped or dropped header missing from the file (naming file, header and the headers
        found), a header both mapped and dropped, or a required canonical column with no source.
    """
    exact = {h: h for h in headers}
    folded: dict[str, str] = {}
    for h in headers:
        folded.setdefault(_fold(h), h)

    def find(name: str, role: str, purpose: str = "") -> str:
        header = exact.get(name) or folded.get(_fold(name))
        if header is None:
            raise MappingError(
                f"{file.name}: {role} header {name!r}{purpose} is not in the file; "
                f"headers found: {', '.join(headers)}"
            )
        return header

    columns: dict[str, ColumnMap] = {}
    for canonical, cmap in mapping.columns.items():
        found = tuple(find(s, "mapped", f" (for {canonical})") for s in cmap.sources)
        columns[canonical] = ColumnMap(canonical, found, cmap.values)
    used = {s: c for c, m in columns.items() for s in m.sources}
    dropped = [find(h, "dropped") for h in mapping.drop]
    both = [h for h in dropped if h in used]
    if both:
        raise MappingError(
            f"{file.name}: header {both[0]!r} is both mapped (for {used[both[0]]}) and dropped; "
            f"remove it from `{DROP}`"
        )
    taken = set(used) | set(dropped)
    for canonical in table_spec.names:
        if canonical in columns:
            continue
        header = folded.get(_fold(canonical))
        if header is not None and header not in taken:
            columns[canonical] = ColumnMap(canonical, (header,))
            taken.add(header)
    missing = [c for c in table_spec.required if c not in columns]
    if missing:
        raise MappingError(
            f"{file.name}: no column for required {table_spec.name} column(s) "
            f"{', '.join(missing)}; headers found: {', '.join(headers)}; "
            f"map them in a mapping file (canonical: source header)"
        )
    extras = [h for h in headers if h not in taken]
    return Resolved(columns, extras, dropped)


def _fold(name: str) -> str:
    return name.strip().casefold()
