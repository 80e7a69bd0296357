"""Validation rules from the schema, as SQL: typed conversion, allowed values, bounds, defaults
and signs of every canonical column, read from its :class:`crmlytics.schema.Column`.

Nothing here knows a table by name: a new table (or a new rule on a column) declared in
:mod:`crmlytics.schema` is enforced by the same queries. The staging query
(:func:`stage_sql`) yields one row per source record with the canonical columns typed, a
``__raw:<column>`` text for each value that failed its type or rule, and ``__bad``; the reason
written to ``rejects`` comes from :func:`describe`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmlytics.ingest.formats import JSONL, Source
from crmlytics.ingest.mapping import SEPARATOR, ColumnMap, Resolved
from crmlytics.ingest.parsing import (
    SQL_TYPES,
    ParseOptions,
    clean_text,
    convert,
    finish,
    missing_reason,
    quote_ident,
    quote_literal,
    reason,
)
from crmlytics.schema import ATTRIBUTES, Column, TableSpec


def _literal(value: Any) -> str:
    return quote_literal(value) if isinstance(value, str) else repr(value)


def _bound(value: float) -> str:
    return f"{value:g}"


def _typed(col: Column, conv: str, options: ParseOptions) -> str:
    """The converted value finished to the column's type (NULL when not such a value)."""
    return finish(col.dtype, conv, options)


def _rule(col: Column, value: str) -> str | None:
    """SQL true when a typed, non-NULL ``value`` meets the column's declared rules."""
    conditions = []
    if col.allowed is not None:
        conditions.append(f"{value} IN ({', '.join(_literal(v) for v in col.allowed)})")
    if col.minimum is not None:
        conditions.append(f"{value} >= {_bound(col.minimum)}")
    if col.maximum is not None:
        conditions.append(f"{value} <= {_bound(col.maximum)}")
    return " AND ".join(conditions) or None


def _row_rule(col: Column, value: str, plain: dict[str, str]) -> str | None:
    """SQL true when ``value`` meets the column's rules that look beyond the value itself: not
    before another column of the row (when that one holds a value), and present in the
    referenced table as loaded so far."""
    conditions = []
    if col.not_before is not None:
        other = plain[col.not_before]
        if col.dtype == "timestamp":  # by calendar day: a date due on the day of issue is fine
            value, other = f"CAST({value} AS DATE)", f"CAST({other} AS DATE)"
        conditions.append(f"({other} IS NULL OR {value} >= {other})")
    if col.references is not None:
        table, column = col.references
        conditions.append(f"{value} IN (SELECT {quote_ident(column)} FROM {quote_ident(table)})")
    return " AND ".join(conditions) or None


def _convert(col: Column, raw: str, options: ParseOptions) -> str:
    if col.dtype == "string" and col.allowed is not None:
        return f"lower({raw})"  # allowed words are matched case-insensitively
    return convert(col.dtype, raw, options)


def _default(col: Column, value: str | None) -> str:
    if col.default is None:
        return value or f"CAST(NULL AS {SQL_TYPES[col.dtype]})"
    default = f"CAST({_literal(col.default)} AS {SQL_TYPES[col.dtype]})"
    return f"coalesce({value}, {default})" if value else default


NUL_REASON = "a value holds a NUL byte (\\x00): not text; fix the export and load it again"


def stage_sql(
    source: Source,
    resolved: Resolved,
    table_spec: TableSpec,
    options: ParseOptions,
    *,
    check_nul: bool = False,
) -> str:
    """The staging query: canonical columns typed, failed raw values kept, and ``__bad``.

    ``check_nul`` makes a record with a NUL byte in any value a row error (the caller asks
    for it when the file holds one, so that clean files pay nothing).
    """
    mapped = resolved.columns
    raw = {c: quote_ident(f"r:{c}") for c in mapped}
    conv = {c: quote_ident(f"t:{c}") for c in mapped}
    fin = {c: quote_ident(f"f:{c}") for c in mapped}
    rowerr = "__rowerr" if source.kind == JSONL else "CAST(NULL AS VARCHAR) AS __rowerr"
    if resolved.extras:
        pairs = ", ".join(
            f"{quote_literal(h)}, nullif(trim({quote_ident(h)}), '')" for h in resolved.extras
        )
        attributes = f"CAST(json_object({pairs}) AS VARCHAR)"
    else:
        attributes = "CAST(NULL AS VARCHAR)"
    columns = {c: table_spec.column(c) for c in mapped}
    level1 = ", ".join(
        [f"{_source_text(m)} AS {raw[c]}" for c, m in mapped.items()]
        + [f"{attributes} AS __attributes", rowerr]
    )
    level2 = ", ".join(
        [f"{raw[c]}, {_convert(columns[c], raw[c], options)} AS {conv[c]}" for c in mapped]
        + ["__attributes", "__rowerr"]
    )
    level3 = ", ".join(
        [f"{raw[c]}, {_typed(columns[c], conv[c], options)} AS {fin[c]}" for c in mapped]
        + ["__attributes", "__rowerr"]
    )
    # values before signs: what a sign rule compares (defaults applied)
    plain = {col.name: _default(col, fin.get(col.name)) for col in table_spec.columns}
    finals, checks, bad = [], [], ["__rowerr IS NOT NULL"]
    for col in table_spec.columns:
        sql_type = SQL_TYPES[col.dtype]
        value = plain[col.name]
        if col.negative_when is not None:
            other, when = col.negative_when
            value = (
                f"CASE WHEN {plain[other]} = {_literal(when)} THEN -abs({value}) ELSE {value} END"
            )
        finals.append(f"CAST({value} AS {sql_type}) AS {quote_ident(col.name)}")
        if col.name in mapped and col.checked:
            typed = fin[col.name]
            rule = " AND ".join(r for r in (_rule(col, typed), _row_rule(col, typed, plain)) if r)
            ok = f"{typed} IS NOT NULL" + (f" AND {rule}" if rule else "")
            checks.append(
                f"CASE WHEN {raw[col.name]} IS NOT NULL AND NOT coalesce({ok}, false) THEN "
                f"{raw[col.name]} END AS {quote_ident('__raw:' + col.name)}"
            )
            if rule:  # the type was right: the declared rule failed
                checks.append(f"{typed} IS NOT NULL AS {quote_ident('__rule:' + col.name)}")
            bad.append(f"{quote_ident('__raw:' + col.name)} IS NOT NULL")
    rowerr_out = "__rowerr"
    if check_nul:
        nul = [f"contains({raw[c]}, chr(0))" for c in mapped]
        nul.append("contains(__attributes, '\\u0000')")
        rowerr_out = (
            f"CASE WHEN {' OR '.join(nul)} THEN {quote_literal(NUL_REASON)} ELSE __rowerr END "
            "AS __rowerr"
        )
    level4 = ", ".join([*finals, f"__attributes AS {ATTRIBUTES}", *checks, rowerr_out])
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


def bad_rows_sql(stage: str, stage_columns: Sequence[str], table_spec: TableSpec) -> str:
    """Bad staged rows: position, row error, failed raw values and missing required values."""
    failed = [quote_ident(c) for c in stage_columns if c.startswith(("__raw:", "__rule:"))]
    missing = [
        f"{quote_ident(c)} IS NULL AS {quote_ident('__missing:' + c)}" for c in table_spec.required
    ]
    columns = ", ".join(["rowid + 1 AS __ord", "__rowerr", *failed, *missing])
    return f"SELECT {columns} FROM {stage} WHERE __bad"


def rule_reason(col: Column, value: str) -> str:
    """Why ``value``, of the right type, breaks the rules declared on ``col``."""
    if col.references is not None:
        table, column = col.references
        return (
            f"{col.name}: {value!r} is not in {table}.{column} (no such row loaded; load "
            f"{table} before this table)"
        )
    if col.not_before is not None:
        return f"{col.name}: {value!r} is before {col.not_before} of the same row"
    if col.allowed is not None:
        words = [str(v) for v in col.allowed]
        listed = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]
        return f"{col.name}: {value!r} is not {listed} (map values in the mapping file)"
    if col.minimum is not None and col.maximum is not None:
        span = f"between {_bound(col.minimum)} and {_bound(col.maximum)}"
    elif col.minimum is not None:
        span = f"at least {_bound(col.minimum)}"
    else:
        span = f"at most {_bound(col.maximum or 0)}"
    return f"{col.name}: {value!r} is not {span}"


def describe(
    table_spec: TableSpec, columns: Sequence[str], row: Sequence[Any], options: ParseOptions
) -> tuple[str | None, str]:
    """Column and reason of one bad row from :func:`bad_rows_sql`'s ``columns``."""
    values = dict(zip(columns, row, strict=True))
    reasons: list[tuple[str | None, str]] = []
    if values.get("__rowerr"):  # the record itself is unreadable: nothing else to say
        return None, values["__rowerr"]
    for col in table_spec.columns:
        raw = values.get(f"__raw:{col.name}")
        if raw is not None:
            if values.get(f"__rule:{col.name}") or (
                col.dtype == "string" and col.allowed is not None
            ):
                reasons.append((col.name, rule_reason(col, raw)))
            else:
                reasons.append((col.name, reason(col.name, col.dtype, raw, options)))
        elif values.get(f"__missing:{col.name}"):
            reasons.append((col.name, missing_reason(col.name)))
    return reasons[0][0], "; ".join(r for _, r in reasons)


def unnumbered_sql(table_spec: TableSpec, alias: str = "f") -> str:
    """SQL counting rows whose numbered key column is missing (0 when the table has none)."""
    if table_spec.numbered is None:
        return "0"
    column, within = table_spec.numbered
    present = " AND ".join(f"{alias}.{quote_ident(w)} IS NOT NULL" for w in within)
    return f"count_if({alias}.{quote_ident(column)} IS NULL AND {present})"
