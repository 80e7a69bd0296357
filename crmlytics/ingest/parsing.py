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
  ``2024年3月5日``; a date given for a timestamp column means midnight. Words (``epoch``,
  ``infinity``) are not dates, and a date outside the plausible range (``min_date`` to
  ``max_date`` of the ingest config, default 1900-01-01 to 2100-12-31) is rejected, so a
  two-digit year (``24-03-05``) is too.
- time zones: a time with an offset (``14:02+08:00``, ``14:02:00Z``, ``14:02-0500``) is
  converted into the warehouse time zone (``timezone`` of the ingest config); a time without
  one is taken as already in it. Parquet times with a zone follow the same rule. Timestamps are
  stored as naive wall-clock times of the warehouse zone.
- numbers: ``1234.5``, ``1,234.50``, ``¥1,234.50``, ``￥12``, ``$12``, ``€12``, ``£12``,
  ``-12.5``, ``(12.50)`` (accounting negative), ``1e3``. A thousands separator stands only
  between groups of exactly three digits (``1,234,567.5``); anything else with a comma
  (``33,70``, ``1,2,3``) is rejected. With ``decimal: ","`` (ingest config or mapping file)
  the roles swap: ``1.234,50`` is 1234.5, ``0,99`` is 0.99 and ``1.5`` is rejected.
- whole numbers: as numbers, with no fractional part (``3`` and ``3.0``, not ``3.5``).
- booleans: true/false, t/f, 1/0, yes/no, y/n, 是/否 (case-insensitive).
"""

from __future__ import annotations

import datetime as dt
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
    min_date: dt.date = dt.date(1900, 1, 1)
    max_date: dt.date = dt.date(2100, 12, 31)
    """Dates outside ``min_date`` .. ``max_date`` (inclusive) are rejected as implausible."""
    timezone: str = "UTC"
    """The warehouse time zone: offsets are converted into it, naive times are taken as in it."""


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


def _number(text: str, decimal: str) -> str:
    # Each function call appears once per branch: DuckDB hoists repeated subexpressions into a
    # projection of their own, which would run the regexes on every row instead of only on the
    # plain cast's misses.
    cur = f"[{CURRENCY_CHARS}]"
    group, point = (",", "\\.") if decimal == "." else ("\\.", ",")
    digits = f"(\\d{{1,3}}({group}\\d{{3}})+|\\d+)?({point}\\d+)?"
    plain = f"^\\s*[-+]?\\s*{cur}?\\s*[-+]?\\s*{digits}\\s*$"
    paren = f"^\\s*\\(\\s*{cur}?\\s*{digits}\\s*\\)\\s*$"  # (12.50) -> -12.50
    strip = f"[{CURRENCY_CHARS}{group}\\s]"
    if decimal == ".":
        value, negated = (
            f"regexp_replace({text}, {quote_literal(strip)}, '', 'g')",
            f"regexp_replace({text}, {quote_literal(strip[:-1] + '()]')}, '', 'g')",
        )
        fast = f"TRY_CAST({text} AS DOUBLE)"
    else:
        value, negated = (
            f"replace(regexp_replace({text}, {quote_literal(strip)}, '', 'g'), ',', '.')",
            f"replace(regexp_replace({text}, {quote_literal(strip[:-1] + '()]')}, '', 'g'), "
            "',', '.')",
        )
        fast = f"TRY_CAST(CASE WHEN regexp_full_match({text}, '-?\\d+') THEN {text} END AS DOUBLE)"
    slow = (
        f"CASE WHEN regexp_full_match({text}, {quote_literal(plain)}) "
        f"THEN TRY_CAST({value} AS DOUBLE) "
        f"WHEN regexp_full_match({text}, {quote_literal(paren)}) "
        f"THEN -TRY_CAST({negated} AS DOUBLE) END"
    )
    return f"coalesce({fast}, {slow})"


_OFFSET = r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$"
"""A time followed by a UTC offset (``14:02+08:00``, ``14:02:00Z``, ``14:02:00-0500``)."""
ZONED_FORMATS = (
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y/%m/%d %H:%M:%S%z",
    "%Y/%m/%d %H:%M%z",
)


def _timestamp(text: str, timezone: str) -> str:
    """Naive wall-clock time of the warehouse zone; NULL for words (``epoch``, ``infinity``)."""
    formats = ", ".join(quote_literal(f) for f in DATE_FORMATS)
    naive = f"coalesce(TRY_CAST({text} AS TIMESTAMP), try_strptime({text}, [{formats}]))"
    utc = f"regexp_replace(regexp_replace({text}, '\\s*[Zz]$', '+00:00'), '\\s+([+-])', '\\1')"
    zoned_formats = ", ".join(quote_literal(f) for f in ZONED_FORMATS)
    zoned = (
        f"timezone({quote_literal(timezone)}, coalesce(TRY_CAST({utc} AS TIMESTAMPTZ), "
        f"try_strptime({utc}, [{zoned_formats}])))"
    )
    return (
        f"(CASE WHEN NOT (ascii({text}) BETWEEN 48 AND 57) THEN CAST(NULL AS TIMESTAMP) "
        f"WHEN {_may_have_offset(text)} AND regexp_matches({text}, {quote_literal(_OFFSET)}) "
        f"THEN {zoned} ELSE {naive} END)"
    )


def _may_have_offset(text: str) -> str:
    """SQL true for every text that may end in a UTC offset, cheap enough for every row.

    A text matching :data:`_OFFSET` ends in ``Z``/``z`` or has a ``+`` or ``-`` before its last
    digits. That sign follows a date and a time, which take at least 10 characters
    (``1-1-1 1:00``), so a ``-`` offset of anything either branch reads as a time is at the 11th
    character or later, where the guard looks; the dashes of a date end by its 10th. A text that
    matches the regular expression but not the guard is no date on either branch (NULL). The
    regular expression alone costs about a fifth of the whole conversion of a file.
    """
    return (
        f"(suffix({text}, 'Z') OR suffix({text}, 'z') OR contains({text}, '+') "
        f"OR contains(substr({text}, 11), '-'))"
    )


def convert(dtype: str, text: str, options: ParseOptions = ParseOptions()) -> str:
    """SQL turning clean text ``text`` towards ``dtype``; NULL where the text is not such a value.

    Numbers come out as DOUBLE for both number types; :func:`finish` then checks the range.
    """
    if dtype == "string":
        return text
    if dtype in ("float64", "int64"):
        return _number(text, options.decimal)
    if dtype == "boolean":
        low = f"lower({text})"
        yes = ", ".join(map(quote_literal, TRUE_WORDS))
        no = ", ".join(map(quote_literal, FALSE_WORDS))
        return f"(CASE WHEN {low} IN ({yes}) THEN true WHEN {low} IN ({no}) THEN false END)"
    if dtype == "timestamp":
        return _timestamp(text, options.timezone)
    if dtype == "date":
        return f"CAST({_timestamp(text, options.timezone)} AS DATE)"
    raise ValueError(f"no conversion for canonical type {dtype!r}")


def finish(dtype: str, value: str, options: ParseOptions = ParseOptions()) -> str:
    """SQL finishing a :func:`convert` result: finite numbers, whole numbers without a fraction,
    dates within the plausible range."""
    if dtype == "float64":
        return f"(CASE WHEN isfinite({value}) THEN {value} END)"
    if dtype == "int64":
        return f"(CASE WHEN {value} = trunc({value}) THEN TRY_CAST({value} AS BIGINT) END)"
    if dtype in ("date", "timestamp"):
        lo = f"DATE '{options.min_date.isoformat()}'"
        hi = f"DATE '{(options.max_date + dt.timedelta(days=1)).isoformat()}'"
        return f"(CASE WHEN {value} >= {lo} AND {value} < {hi} THEN {value} END)"
    return value


def reason(column: str, dtype: str, value: str, options: ParseOptions = ParseOptions()) -> str:
    """Why ``value`` was rejected for ``column`` of type ``dtype`` (for the rejects table)."""
    expected = EXPECTED.get(dtype, dtype)
    if dtype in ("date", "timestamp"):
        span = f"from {options.min_date.isoformat()} to {options.max_date.isoformat()}"
        expected = expected.replace("a date ", f"a date {span} ")
    elif dtype in ("float64", "int64") and options.decimal == ",":
        expected = (
            "a number with a decimal comma (expected e.g. 1234,50, 1.234,50, (12,50))"
            if dtype == "float64"
            else "a whole number (expected e.g. 3, 1.200)"
        )
    return f"{column}: {value!r} is not {expected}"


def missing_reason(column: str) -> str:
    """Why a row without a required value was rejected."""
    return f"{column}: required value is missing"
