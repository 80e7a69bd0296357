"""Nearest-rank percentiles: the value at rank ceil(p * n), by DuckDB's aggregate and by the
window path other engines take, on numbers worked out by hand."""

from __future__ import annotations

import math

import ibis
import pandas as pd
import pytest

from crmlytics.percentiles import nearest_rank

# group a: 1..10 (n = 10): p50 -> rank 5 -> 5; p90 -> rank 9 -> 9; p10 -> rank 1 -> 1
# group b: 30, 10, 20 and a null (n = 3): p50 -> rank 2 -> 20; p90 -> rank ceil(2.7) = 3 -> 30;
#          p10 -> rank 1 -> 10
# group c: 7, 7, 8, 9 (n = 4, ties): p50 -> rank 2 -> 7; p90 -> rank 4 -> 9; p10 -> rank 1 -> 7
# group d: only a null: every percentile null
ROWS = (
    [("a", float(v)) for v in range(10, 0, -1)]
    + [("b", 30.0), ("b", 10.0), ("b", None), ("b", 20.0)]
    + [("c", 9.0), ("c", 7.0), ("c", 8.0), ("c", 7.0)]
    + [("d", None)]
)
EXPECTED = {
    "a": (1.0, 5.0, 9.0),
    "b": (10.0, 20.0, 30.0),
    "c": (7.0, 7.0, 9.0),
    "d": (None, None, None),
}
PROBS = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


@pytest.mark.parametrize("aggregate", [True, False], ids=["quantile_disc", "window"])
def test_nearest_rank_per_group_matches_hand_worked_ranks(aggregate):
    con = ibis.duckdb.connect()
    table = con.create_table("v", pd.DataFrame(ROWS, columns=["g", "x"]).astype({"x": "float64"}))
    ranked, metrics = nearest_rank(table, ["g"], "x", PROBS, duckdb=aggregate)
    got = ranked.group_by("g").aggregate(**metrics).to_pandas().set_index("g")
    for group, values in EXPECTED.items():
        row = got.loc[group, ["p10", "p50", "p90"]].tolist()
        assert [None if pd.isna(v) else v for v in row] == list(values), group


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 30, 101, 1000])
def test_duckdb_aggregate_picks_the_same_rank_as_the_formula(n):
    # values n, n-1, ..., 1 so the value at ascending rank k is k itself
    con = ibis.duckdb.connect()
    table = con.create_table("v", pd.DataFrame({"x": [float(v) for v in range(n, 0, -1)]}))
    probs = {"p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}
    _, metrics = nearest_rank(table, [], "x", probs, duckdb=True)
    got = table.aggregate(**metrics).to_pandas().iloc[0]
    for name, p in probs.items():
        # the rank in floating point, as the window path computes it (0.1 * 30 rounds up to 4)
        assert got[name] == math.ceil(n * p), (n, p)


@pytest.mark.parametrize("in_ranges", [False, True], ids=["running-sum", "value-ranges"])
def test_percentiles_over_all_rows_come_from_counts_below_each_value(monkeypatch, in_ranges):
    # no group (one group of all rows): the path other engines take, without a window over all
    # rows; value-ranges is Spark's split of the counting (crmlytics.ranking), run here.
    # All 17 values of ROWS sorted: 1 2 3 4 5 6 7 7 7 8 8 9 9 10 10 20 30 (two nulls ignored):
    # p10 -> rank ceil(1.7) = 2 -> 2; p50 -> rank ceil(8.5) = 9 -> 7; p90 -> rank 16 -> 20
    import crmlytics.ranking

    monkeypatch.setattr(crmlytics.ranking, "scales_out", lambda expr: in_ranges)
    con = ibis.duckdb.connect()
    table = con.create_table("v", pd.DataFrame(ROWS, columns=["g", "x"]).astype({"x": "float64"}))
    ranked, metrics = nearest_rank(table, [], "x", PROBS, duckdb=False)
    got = ranked.aggregate(rows=ranked.count(), **metrics).to_pandas().iloc[0]
    assert (got["rows"], got["p10"], got["p50"], got["p90"]) == (19, 2.0, 7.0, 20.0)
    empty = table.filter(table.x > 100)
    _, none = nearest_rank(empty, [], "x", PROBS, duckdb=False)
    nothing = empty.aggregate(rows=empty.count(), **none).to_pandas().iloc[0]
    assert nothing["rows"] == 0 and nothing[list(PROBS)].isna().all()


@pytest.mark.parametrize("n", [1, 3, 10, 30, 101])
def test_percentiles_over_all_rows_pick_the_same_rank_as_the_formula(monkeypatch, n):
    import crmlytics.ranking

    monkeypatch.setattr(crmlytics.ranking, "scales_out", lambda expr: True)
    con = ibis.duckdb.connect()
    table = con.create_table("v", pd.DataFrame({"x": [float(v) for v in range(n, 0, -1)]}))
    probs = {"p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}
    _, metrics = nearest_rank(table, [], "x", probs, duckdb=False)
    got = table.aggregate(**metrics).to_pandas().iloc[0]
    for name, p in probs.items():
        assert got[name] == math.ceil(n * p), (n, p)
