"""The --where filter: plain comparisons on known columns, everything else refused."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from crmlytics.export.where import WhereError, parse_where, where_predicate

# Hand-made score rows; the expected ids below are worked out from this table by hand.
ROWS = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d", "e"],
        "clv": [250.0, 120.0, 90.0, None, 101.0],
        "r_score": [5, 3, 4, 4, 4],
        "value_tier": ["gold", "gold", "silver", "bronze", "silver"],
        "rfm_segment": ["champions", "loyal", "potential_loyalist", "new", "champions"],
        "net_revenue": [480.0, 100.0, 500.0, 20.0, 501.0],
        "last_purchase_date": [
            dt.date(2024, 3, 1),
            dt.date(2023, 12, 31),
            dt.date(2024, 1, 1),
            dt.date(2024, 2, 15),
            dt.date(2023, 6, 30),
        ],
        "is_company": [True, False, False, True, False],
    }
)


@pytest.fixture(scope="module")
def scores():
    return ibis.memtable(ROWS)


def matching(table, text: str) -> list[str]:
    kept = table.filter(where_predicate(table, text)).order_by("customer_id")
    return kept.customer_id.to_pandas().tolist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clv > 100 and r_score >= 4", ["a", "e"]),
        ("rfm_segment == 'champions'", ["a", "e"]),
        ("value_tier in ('gold', 'silver')", ["a", "b", "c", "e"]),
        ("value_tier not in ['gold']", ["c", "d", "e"]),
        ("100 <= net_revenue <= 500", ["a", "b", "c"]),  # both bounds inclusive; 501 and 20 out
        ("100 < clv", ["a", "b", "e"]),  # literal first: read as clv > 100
        ("clv > -1", ["a", "b", "c", "e"]),  # negative literal; null clv (d) never matches
        ("r_score != 4", ["a", "b"]),
        ("r_score == 4 or clv >= 250", ["a", "c", "d", "e"]),
        ("(clv > 100 or r_score == 4) and value_tier == 'silver'", ["c", "e"]),
        ("clv is None", ["d"]),
        ("clv is not None and not r_score == 4", ["a", "b"]),
        ("last_purchase_date >= '2024-01-01'", ["a", "c", "d"]),
        ("is_company == True", ["a", "d"]),
        ("r_score >= 4.5", ["a"]),  # an int column compared with a float
    ],
)
def test_valid_filter_keeps_hand_worked_rows(scores, text, expected):
    assert matching(scores, text) == expected


def test_not_of_comparison_excludes_null_rows_like_sql(scores):
    # d has a null clv: neither clv > 100 nor not (clv > 100) holds for it (SQL semantics)
    assert matching(scores, "not (clv > 100)") == ["c"]
    assert matching(scores, "clv > 100") == ["a", "b", "e"]


def test_quote_inside_a_string_literal_is_compared_not_injected(scores):
    assert matching(scores, "rfm_segment == \"x' OR '1'='1\"") == []
    assert matching(scores, "rfm_segment == 'champions\\' OR 1=1 --'") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("__import__('os')", "function calls are not allowed"),
        ("__import__('os').system('rm -rf /')", "not allowed"),
        ("clv > 1; DROP TABLE customers", "not a valid expression"),
        ("clv > 1 -- comment", "arithmetic is not allowed"),  # 1 - (-comment)
        ("r_score.__class__", "attribute access is not allowed"),
        ("r_score.__class__ == 1", "attribute access is not allowed"),
        ("1 == 1", "needs a column"),
        ("'a' > 1", "needs a column"),
        ("True", "literal on its own"),
        ("lambda: 1", "lambdas are not allowed"),
        ("clv + 1 > 2", "arithmetic is not allowed"),
        ("clv > 2 * 50", "arithmetic is not allowed"),
        ("clv > 1 & r_score > 1", "arithmetic is not allowed"),
        ("unknown_col > 1", "unknown column 'unknown_col'"),
        ("clv > r_score", "comparing two columns"),
        ("clv > 'abc'", "clv is numeric"),
        ("r_score == '5'", "r_score is numeric"),
        ("r_score == True", "r_score is numeric"),
        ("value_tier == 1", "value_tier is text"),
        ("value_tier > 'gold'", "only ==, != and in"),
        ("is_company == 1", "is_company is true/false"),
        ("last_purchase_date > '2024-13-45'", "not an ISO date"),
        ("clv", "bare column"),
        ("r_score[0] == 1", "subscripts are not allowed"),
        ("clv > float('inf')", "function calls are not allowed"),
        ("clv > 1e999", "numbers must be finite"),
        ("clv > 99999999999999999999999", "64 bits"),
        ("value_tier in {'gold'}", "needs a tuple or list"),
        ("{'gold'} == value_tier", "sets are not allowed"),
        ("value_tier in ()", "at least one value"),
        ("value_tier in 'gold'", "needs a tuple or list"),
        ("value_tier in (rfm_segment,)", "comparing two columns"),
        ("clv == None", "is None"),
        ("clv is 1", "'is' is only allowed"),
        ("f'{clv}' == 'x'", "f-strings are not allowed"),
        ("[x for x in ()]", "comprehensions are not allowed"),
        ("(clv := 1) > 0", "assignment is not allowed"),
        ("clv > 1 if True else 0", "conditional expressions are not allowed"),
        ("clv > b'1'", "bytes literals are not allowed"),
        ("clv > 1j", "complex literals are not allowed"),
        ("clv between 100 and 500", "100 <= net_revenue <= 500"),
        ("", "empty"),
        ("   ", "empty"),
        ("(" * 300 + "clv > 1" + ")" * 300, "--where"),
        ("clv > 1 and " * 300 + "clv > 1", "longer than"),
    ],
)
def test_anything_but_a_plain_comparison_is_rejected(scores, text, reason):
    with pytest.raises(WhereError) as info:
        where_predicate(scores, text)
    assert reason in str(info.value)


def test_unknown_column_error_lists_the_valid_columns(scores):
    with pytest.raises(WhereError) as info:
        where_predicate(scores, "r_scor >= 4")
    message = str(info.value)
    assert "did you mean 'r_score'" in message
    assert "valid columns: clv, customer_id, is_company, last_purchase_date" in message


def test_any_column_of_the_score_table_is_usable_so_clv_joined_later_works():
    schema = ibis.schema({"customer_id": "string", "clv": "float64", "churn_p": "float64"})
    condition = parse_where("clv > 100 and churn_p < 0.2", schema)
    table = ibis.memtable(
        {"customer_id": ["x", "y", "z"], "clv": [150.0, 150.0, 50.0], "churn_p": [0.1, 0.5, 0.1]}
    )
    assert table.filter(condition.to_ibis(table)).customer_id.to_pandas().tolist() == ["x"]
