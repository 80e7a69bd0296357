"""Expression builders build expressions: no query runs and nothing is stored until asked for.

Two checks: (1) while expressions are built, the DuckDB connection is replaced by one that fails
on any use, so a builder that runs a query (a count, a temp table) fails the test; (2) the
backend's tables, temporary ones included, are the same before and after repeated calls.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.clv.summary import btyd_summary, fit_inputs
from crmlytics.config import Config
from crmlytics.export import export_segment
from crmlytics.facts import customer_facts
from crmlytics.schema import CANONICAL, SYSTEM
from crmlytics.segments import customer_segments, four_degrees, lifecycle, value_tiers
from crmlytics.segments.config import SegmentsConfig
from crmlytics.segments.migration import migration, moves
from crmlytics.segments.rfm import rfm_as_of
from crmlytics.segments.value import resolve_measure
from crmlytics.workspace import Workspace
from tests.builders import sale

AS_OF = "2024-06-30"


@pytest.fixture
def shop(ws: Workspace) -> Workspace:
    """Three buyers with costs on every line (a: 2 orders, b: 1, c: 1) and a prospect d.

    Net revenue a 150, b 80, c 30; profit a 150 - 100 = 50, b 80 - 10 = 70, c 30 - 25 = 5.
    """
    ws.insert(
        "transactions",
        [
            sale("o1", "a", "2024-03-01", 100.0, cost=60.0),
            sale("o2", "a", "2024-05-01", 50.0, cost=40.0),
            sale("o3", "b", "2024-04-01", 80.0, cost=10.0),
            sale("o4", "c", "2024-06-01", 30.0, cost=25.0),
        ],
    )
    ws.insert(
        "customers",
        [
            dict(customer_id=c, name=f"n{c}", signup_date=dt.date(2024, 1, 1))
            for c in ("a", "b", "c", "d")
        ],
    )
    return ws


class _NoQueries:
    """Stands in for the DuckDB connection: any use of it is a query run while building."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"a query ran while an expression was being built (con.{name})")


@pytest.fixture
def building(shop: Workspace, monkeypatch: pytest.MonkeyPatch):
    """``shop`` with table lookups resolved up front and the connection unusable; yields a
    function that gives the connection back."""
    tables = {name: shop.table(name) for name in (*CANONICAL, *SYSTEM)}
    monkeypatch.setattr(shop, "table", tables.__getitem__)
    real = shop.backend.con
    monkeypatch.setattr(shop.backend, "con", _NoQueries())

    def give_back() -> None:
        monkeypatch.setattr(shop.backend, "con", real)

    return give_back


def _all_tables(ws: Workspace) -> set[tuple[str, str, bool]]:
    """Every table and view in the DuckDB connection, temporary ones included."""
    rows = ws.duckdb.execute(
        "SELECT schema_name, table_name, temporary FROM duckdb_tables() "
        "UNION ALL SELECT schema_name, view_name, temporary FROM duckdb_views() "
        "WHERE NOT internal"
    ).fetchall()
    return set(rows)


def test_the_guard_catches_a_query(shop, building):
    # the check can fail: running an expression while the connection is replaced fails
    with pytest.raises(AssertionError, match="a query ran"):
        customer_facts(shop, AS_OF).to_pandas()


def test_building_segment_expressions_runs_no_query(shop, building):
    profit = SegmentsConfig.model_validate(
        {"value": {"measure": "profit", "window_days": 90}, "rfm": {"window_days": 60}}
    )
    built = {
        "facts": customer_facts(shop, AS_OF),
        "rfm": rfm_as_of(shop, AS_OF),
        "tiers_auto": value_tiers(customer_facts(shop, AS_OF), gold=0.34, silver=0.33),
        "tiers_profit": value_tiers(customer_facts(shop, AS_OF), measure="profit"),
        "degrees": four_degrees(shop, AS_OF),
        "lifecycle": lifecycle(shop, AS_OF),
        "segments": customer_segments(shop, AS_OF),
        "segments_profit": customer_segments(shop, AS_OF, profit),
        "btyd": btyd_summary(shop, AS_OF),
        "moves": moves(shop, "2024-03-31", AS_OF),
    }
    building()  # the connection is back: every expression runs
    rows = {name: len(expr.to_pandas()) for name, expr in built.items()}
    assert rows == {
        "facts": 4,
        "rfm": 4,
        "tiers_auto": 4,
        "tiers_profit": 4,
        "degrees": 4,
        "lifecycle": 4,
        "segments": 4,
        "segments_profit": 4,
        "btyd": 3,
        "moves": 4,
    }
    # auto chose profit inside the expression (every buyer has a cost): b 70 > a 50 > c 5;
    # gold = floor(0.34 x 3) = 1 buyer, silver up to floor(0.67 x 3) = 2
    tiers = built["tiers_auto"].to_pandas().set_index("customer_id")
    assert tiers.value_measure.tolist() == ["profit"] * 4
    assert tiers.value_tier.fillna("none").to_dict() == {
        "a": "silver",
        "b": "gold",
        "c": "bronze",
        "d": "none",
    }
    assert tiers.value.to_dict() == pytest.approx(
        {"a": 50.0, "b": 70.0, "c": 5.0, "d": float("nan")}, nan_ok=True
    )


def test_the_measure_chosen_in_the_expression_is_the_one_resolve_measure_names(shop):
    facts = customer_facts(shop, AS_OF)
    expected = resolve_measure(facts, "auto")
    assert expected == "profit"
    chosen = value_tiers(facts).to_pandas()["value_measure"]
    assert set(chosen) == {expected}


def test_profit_asked_for_without_any_cost_gives_no_tier_instead_of_a_ranking_of_zeros(ws):
    ws.insert(
        "transactions", [sale("o1", "a", "2024-03-01", 100.0), sale("o2", "b", "2024-03-02", 80.0)]
    )
    facts = customer_facts(ws, AS_OF)
    with pytest.raises(ValueError, match="no transaction line has a cost"):
        resolve_measure(facts, "profit")  # the eager check refuses
    tiers = value_tiers(facts, measure="profit").to_pandas()
    assert tiers["value_tier"].isna().all() and tiers["value_measure"].isna().all()
    degrees = four_degrees(ws, AS_OF, measure="profit").to_pandas()
    assert degrees["contribution"].isna().all()


def test_calling_customer_segments_many_times_leaves_no_table_behind(shop):
    before = _all_tables(shop)
    assert ("main", "transactions", False) in before
    frames = [customer_segments(shop, AS_OF).order_by("customer_id").to_pandas() for _ in range(5)]
    assert _all_tables(shop) == before
    assert all(len(frame) == 4 for frame in frames)
    pd.testing.assert_frame_equal(frames[0], frames[-1])


def test_export_migration_and_fit_inputs_drop_what_they_cached(shop, tmp_path):
    before = _all_tables(shop)
    for k in range(3):
        export_segment(shop, "gold", as_of=AS_OF, out=tmp_path / f"gold{k}.csv", config=Config())
    patterns, spend = fit_inputs(shop, AS_OF)
    assert int(patterns["weights"].sum()) == 3  # a, b, c
    # all four signed up in January, so each is known on 31 March: no one comes from "none"
    moved = migration(shop, "2024-03-31", AS_OF, by="lifecycle")
    assert int(moved["customers"].sum()) == 4
    assert int(moved.loc[moved.from_segment == "none", "customers"].sum()) == 0
    assert _all_tables(shop) == before


def test_workspace_cached_reads_one_result_and_drops_it_on_exit(shop):
    before = _all_tables(shop)
    expr = customer_segments(shop, AS_OF)
    with shop.cached(expr) as stored:
        inside = _all_tables(shop) - before
        assert len(inside) == 1 and next(iter(inside))[2]  # one temporary table
        assert stored.count().to_pyarrow().as_py() == 4
    assert _all_tables(shop) == before
