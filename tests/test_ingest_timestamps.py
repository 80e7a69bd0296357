"""The cheap guard in front of the UTC-offset regular expression changes no converted value.

:func:`crmlytics.ingest.parsing._timestamp` runs the offset regular expression only on texts
that end in ``Z``/``z``, hold a ``+``, or hold a ``-`` from their 11th character on. The rule:
every text converts to the same timestamp (or NULL) with and without the guard.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlytics.ingest import parsing
from crmlytics.ingest.parsing import ParseOptions, convert

SHANGHAI = ParseOptions(timezone="Asia/Shanghai")


def converted(texts: list[str], options: ParseOptions) -> list[dt.datetime | None]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE v (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(texts)))
    expr = convert("timestamp", "x", options)
    out = [r[0] for r in con.execute(f"SELECT {expr} FROM v ORDER BY i").fetchall()]
    con.close()
    return out


def unguarded(texts: list[str], options: ParseOptions) -> list[dt.datetime | None]:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(parsing, "_may_have_offset", lambda text: "true")
        return converted(texts, options)


@pytest.mark.parametrize(
    ("text", "shanghai"),
    [
        # one instant, 2024-03-05 06:02 UTC = 14:02 in Shanghai, in the shortest spellings
        ("2024-3-5 1:02-05:00", dt.datetime(2024, 3, 5, 14, 2)),
        ("2024-03-05 01:02-05", dt.datetime(2024, 3, 5, 14, 2)),
        ("2024-03-05T06:02z", dt.datetime(2024, 3, 5, 14, 2)),
        ("2024-03-05 06:02 Z", dt.datetime(2024, 3, 5, 14, 2)),
        ("2024/3/5 14:02+08:00", dt.datetime(2024, 3, 5, 14, 2)),
        ("2024-03-05 14:02", dt.datetime(2024, 3, 5, 14, 2)),  # naive: in the warehouse zone
        ("2024-03-05", dt.datetime(2024, 3, 5)),
        ("1:02-05:00", None),  # a time without a date
    ],
)
def test_offsets_of_the_shortest_dates_still_reach_the_zoned_branch(text, shanghai):
    assert converted([text], SHANGHAI) == [shanghai]
    assert unguarded([text], SHANGHAI) == [shanghai]


PIECES = st.sampled_from(
    ["2024", "-", "/", "3", "03", "5", " ", "T", "1", ":", "02", "00", "+", "08", "Z", "z", "."]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=12).map("".join), min_size=1, max_size=20))
def test_the_guard_changes_no_value(texts):
    # texts near the accepted formats: dates, times, signs and zone letters in any order
    texts = [t for t in texts if t.strip() == t]  # ingest trims before converting
    if texts:
        assert converted(texts, SHANGHAI) == unguarded(texts, SHANGHAI)
