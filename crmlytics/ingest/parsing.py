"""Typed conversion of text values, as DuckDB SQL expressions built from the canonical types.

Every source value arrives as text. Each canonical type has one conversion expression that
yields NULL when the text is not a value of that type; the loader rejects a row where a
conversion failed on a non-empty value, or where a required value is missing. The reason
written to ``rejects`` comes from :func:`reason` and names the column, the value and examples of
what is accepted.

Accepted text
-------------
- dates and timestamps: ``2024-03-05``, ``2024-03-05 14:02[:00[.123]]``, ``2024-03-05T14:02:00``,
  ``2024/3/5``, ``2024/3/5 14:02[:00]``, ``20240305``, ``20240305 14:02:00``, ``2024.3.5``,
  ``2024年3月5日``; a date given for a timestamp column means midnight.
- numbers: ``1234.5``, ``1,234.50``, ``¥1,234.50``, ``￥12``, ``$12``, ``€12``, ``£12``,
  ``-12.5``, ``(12.50)`` (accounting negative), ``1e3``. Decimal commas are not accepted.
- whole numbers: as numbers, with no fractional part (``3`` and ``3.0``, not ``3.5``).
- booleans: true/false, t/f, 1/0, yes/no, y/n, 是/否 (case-insensitive).
"""

from __future__ import annotations

from dataclasses import dataclass

DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")
CURRENCY_CHARS = "¥￥$€£"

SQL_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

EXPECTED = {
    "date": "a date (expected e.g. 2024-03-05, 2024/3/5 14:02, 20240305)",
    "timestamp": "a date (expected e.g. 2024-03-05, 2024/3/5 14:02, 20240305)",
    "float64": "a number (expected e.g. 1234.50, 1,234.50, ¥1,234.50, (12.50))",
    "int64": "a whole number (expected e.g. 3, 1,200)",
    "boolean": "a yes/no value (expected true/false, 1/0, yes/no, y/n, 是/否)",
}


@dataclass(frozen=True)
class ParseOptions:
    """How a file writes its values (from the ingest config, overridden by the mapping)."""

    decimal: str = "."
    """The decimal separator of numbers: ``.`` (``1,234.50``) or ``,`` (``1.234,50``)."""


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def clean_text(raw: str, values: dict[str, str] | None = None) -> str:
    """Trimmed text (empty means NULL), with the value map applied to whole values.

    Only values that start or end with a space are trimmed: the two prefix/suffix tests cost a
    third of trimming every value, which allocates a new string.
    """
    trimmed = f"CASE WHEN {raw} LIKE ' %' OR {raw} LIKE '% ' THEN trim({raw}) ELSE {raw} END"
    expr = f"nullif({trimmed}, '')"
    if values:
        cases = " ".join(
            f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in values.items()
        )
        expr = f"(CASE {expr} {cases} ELSE {expr} END)"
    return expr


def _number(text: str) -> str:
    # Each expression appears once: DuckDB hoists repeated subexpressions into a projection of
    # their own, which would run the regexes on every row instead of only on plain casts' misses.
    stripped = f"regexp_replace({text}, '[{CURRENCY_CHARS},\\s]', '', 'g')"
    negated = f"regexp_replace({stripped}, '^\\((.*)\\)$', '-\\1')"  # (12.50) -> -12.50
    return f"coalesce(TRY_CAST({text} AS DOUBLE), TRY_CAST({negated} AS DOUBLE))"


def _timestamp(text: str) -> str:
    formats = ", ".join(quote_literal(f) for f in DATE_FORMATS)
    return f"coalesce(TRY_CAST({text} AS TIMESTAMP), try_strptime({text}, [{formats}]))"


def convert(dtype: str, text: str, options: ParseOptions = ParseOptions()) -> str:
    """SQL turning clean text ``text`` towards ``dtype``; NULL where the text is not such a value.

    Numbers come out as DOUBLE for both number types; :func:`finish` then checks the range.
    """
    if dtype == "string":
        return text
    if dtype in ("float64", "int64"):
        return _number(text)
    if dtype == "boolean":
        low = f"lower({text})"
        yes = ", ".join(map(quote_literal, TRUE_WORDS))
        no = ", ".join(map(quote_literal, FALSE_WORDS))
        return f"(CASE WHEN {low} IN ({yes}) THEN true WHEN {low} IN ({no}) THEN false END)"
    if dtype == "timestamp":
        return _timestamp(text)
    if dtype == "date":
        return f"CAST({_timestamp(text)} AS DATE)"
    raise ValueError(f"no conversion for canonical type {dtype!r}")


def finish(dtype: str, value: str, options: ParseOptions = ParseOptions()) -> str:
    """SQL finishing a :func:`convert` result: finite numbers, whole numbers without a fraction."""
    if dtype == "float64":
        return f"(CASE WHEN isfinite({value}) THEN {value} END)"
    if dtype == "int64":
        return f"(CASE WHEN {value} = trunc({value}) THEN TRY_CAST({value} AS BIGINT) END)"
    return value


def reason(column: str, dtype: str, value: str, options: ParseOptions = ParseOptions()) -> str:
    """Why ``value`` was rejected for ``column`` of type ``dtype`` (for the rejects table)."""
    return f"{column}: {value!r} is not {EXPECTED.get(dtype, dtype)}"


def missing_reason(column: str) -> str:
    """Why a row without a required value was rejected."""
    return f"{column}: required value is missing"
