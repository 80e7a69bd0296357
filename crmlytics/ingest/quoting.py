"""Stray quotes: a quote character inside a field that is not quoted.

DuckDB's reader keeps ``Bo"b`` or ``Bob "the" Builder`` as text, but in a file that uses quotes
such a value is a broken record (the writer forgot to quote and double it), and in an otherwise
unquoted file it is a ``"`` that does not belong in an id. The loader asks this module about the
few records whose loaded text holds the quote character and rejects those with a stray quote.
"""

from __future__ import annotations


def stray_quote(record: str, delimiter: str, quote: str, escape: str) -> int | None:
    """The 1-based field of ``record`` with a quote outside proper quoting, or None.

    A properly quoted field starts with ``quote`` (after spaces), doubles (or escapes) the
    quotes inside, and ends with ``quote`` followed only by spaces before the delimiter.
    """
    field, i, n = 1, 0, len(record)
    while i <= n:
        while i < n and record[i] == " ":
            i += 1
        if i < n and record[i] == quote:  # a quoted field
            i += 1
            while True:
                if i >= n:
                    return field  # never closed
                ch = record[i]
                if ch == escape and escape != quote and i + 1 < n:
                    i += 2
                    continue
                if ch == quote:
                    if i + 1 < n and record[i + 1] == quote:
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
            while i < n and record[i] in " \r":
                i += 1
            if i < n and record[i] != delimiter:
                return field  # text after the closing quote
        else:
            end = record.find(delimiter, i)
            end = n if end < 0 else end
            if quote in record[i:end]:
                return field
            i = end
        field += 1
        i += 1
    return None


def stray_quote_reason(field: int, quote: str) -> str:
    """Why a record with a stray quote in ``field`` is rejected."""
    return (
        f"stray quote ({quote}) in field {field}: a field holding a quote must be quoted, with "
        f"the quote doubled inside it ({quote}a {quote}{quote}b{quote}{quote} c{quote})"
    )
