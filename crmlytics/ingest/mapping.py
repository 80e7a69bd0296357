"""Column mappings: which source header feeds which canonical column, and value maps.

A mapping file is YAML written by hand, one canonical column per line::

    order_id: 订单编号                                        # canonical: source header
    kind: {source: 单据类型, values: {销售: sale, 退货: return}}  # or with a value map

Every scalar is read as text (YAML's ``yes``/``no`` stay the words ``yes``/``no``), so value
maps match the file's text exactly. Headerless files name their columns ``column1``,
``column2``, ... (1-based). Canonical columns the mapping does not name are still taken from a
header with the same name (case-insensitive, trimmed); source columns that feed no canonical
column are kept in ``attributes`` as a JSON object.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crmlytics.schema import TableSpec

_POSITIONAL = re.compile(r"^column([1-9][0-9]*)$")


@dataclass(frozen=True)
class ColumnMap:
    """One canonical column fed by one source column, with an optional value map."""

    canonical: str
    source: str
    values: dict[str, str] = field(default_factory=dict)


MappingArg = str | os.PathLike[str] | Mapping[str, Any] | None


def load_mapping(mapping: MappingArg, table_spec: TableSpec) -> dict[str, ColumnMap]:
    """Read and check a mapping (YAML path or dict) for ``table_spec``.

    Raises
    ------
    ValueError
        For canonical names the table does not have (all of them named), or an entry that is
        neither a header nor ``{source: header, values: {...}}``.
    """
    if mapping is None:
        return {}
    where = "mapping"
    if isinstance(mapping, str | os.PathLike):
        path = Path(mapping)
        if not path.exists():
            raise FileNotFoundError(f"mapping file {path} does not exist")
        where = str(path)
        try:
            raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader)
        except yaml.YAMLError as exc:
            raise ValueError(f"{path} is not valid YAML: {exc}") from None
        raw = raw or {}
    else:
        raw = mapping
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected `canonical_column: source header` lines")
    names = set(table_spec.names)
    unknown = [str(k) for k in raw if str(k) not in names]
    if unknown:
        raise ValueError(
            f"{where}: {table_spec.name} has no column(s) {', '.join(unknown)}; "
            f"its columns are {', '.join(table_spec.names)}"
        )
    result: dict[str, ColumnMap] = {}
    sources: dict[str, str] = {}
    for canonical, entry in raw.items():
        canonical = str(canonical)
        if isinstance(entry, Mapping):
            extra = set(map(str, entry)) - {"source", "values"}
            if extra or "source" not in entry:
                raise ValueError(
                    f"{where}: {canonical} must be `header` or `{{source: header, values: "
                    f"{{from: to}}}}`; got keys {', '.join(sorted(map(str, entry)))}"
                )
            source = _text(entry["source"])
            values_raw = entry.get("values") or {}
            if not isinstance(values_raw, Mapping):
                raise ValueError(f"{where}: values of {canonical} must be a `from: to` map")
            values = {_text(k): _text(v) for k, v in values_raw.items()}
        elif isinstance(entry, str | int | float):
            source, values = _text(entry), {}
        else:
            raise ValueError(f"{where}: {canonical} must name a source header, got {entry!r}")
        if source in sources:
            raise ValueError(
                f"{where}: source column {source!r} is mapped twice "
                f"({sources[source]}, {canonical})"
            )
        sources[source] = canonical
        result[canonical] = ColumnMap(canonical, source, values)
    return result


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def positional_only(colmaps: Mapping[str, ColumnMap]) -> bool:
    """True when every mapped source is a positional name (``column1``...): a headerless file."""
    return bool(colmaps) and all(_POSITIONAL.match(m.source) for m in colmaps.values())


@dataclass(frozen=True)
class Resolved:
    """The mapping applied to one file's headers."""

    columns: dict[str, ColumnMap]
    extras: list[str]


def resolve(
    colmaps: Mapping[str, ColumnMap], headers: list[str], table_spec: TableSpec, file: Path
) -> Resolved:
    """Match the mapping (and canonical names) to the headers found in ``file``.

    Raises
    ------
    ValueError
        A mapped header missing from the file (naming file, header and the headers found), or a
        required canonical column with no source.
    """
    exact = {h: h for h in headers}
    folded: dict[str, str] = {}
    for h in headers:
        folded.setdefault(_fold(h), h)
    columns: dict[str, ColumnMap] = {}
    for canonical, cmap in colmaps.items():
        header = exact.get(cmap.source) or folded.get(_fold(cmap.source))
        if header is None:
            raise ValueError(
                f"{file.name}: mapped header {cmap.source!r} (for {canonical}) is not in the file; "
                f"headers found: {', '.join(headers)}"
            )
        columns[canonical] = ColumnMap(canonical, header, cmap.values)
    used = {m.source for m in columns.values()}
    for canonical in table_spec.names:
        if canonical in columns:
            continue
        header = folded.get(_fold(canonical))
        if header is not None and header not in used:
            columns[canonical] = ColumnMap(canonical, header)
            used.add(header)
    missing = [c for c in table_spec.required if c not in columns]
    if missing:
        raise ValueError(
            f"{file.name}: no column for required {table_spec.name} column(s) "
            f"{', '.join(missing)}; headers found: {', '.join(headers)}; "
            f"map them in a mapping file (canonical: source header)"
        )
    extras = [h for h in headers if h not in used]
    return Resolved(columns, extras)


def _fold(name: str) -> str:
    return name.strip().casefold()
