"""The warehouse: where it lives, its tables, and attaching to data that lives elsewhere."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from crmlytics.errors import WarehouseError
from crmlytics.facts import facts
from crmlytics.schema import CANONICAL, SYSTEM
from crmlytics.workspace import Workspace, resolve_db_path


def test_open_creates_every_canonical_and_bookkeeping_table(tmp_path):
    with Workspace.open(tmp_path / "crm.duckdb") as ws:
        tables = set(ws.backend.list_tables())
    assert set(CANONICAL) | set(SYSTEM) <= tables


def test_db_path_comes_from_argument_then_environment_then_default(monkeypatch):
    monkeypatch.setenv("CRMLYTICS_DB", "/tmp/elsewhere.duckdb")
    assert str(resolve_db_path("mine.duckdb")) == "mine.duckdb"
    assert str(resolve_db_path()) == "/tmp/elsewhere.duckdb"
    monkeypatch.delenv("CRMLYTICS_DB")
    assert str(resolve_db_path()) == "data/crm.duckdb"


def test_reading_a_missing_warehouse_says_how_to_create_one(tmp_path):
    with pytest.raises(WarehouseError, match="crmlytics ingest"):
        Workspace.open(tmp_path / "missing.duckdb", read_only=True)
    with pytest.raises(WarehouseError, match="no warehouse at"):
        Workspace.open(tmp_path / "missing.duckdb", create=False)
    assert not (tmp_path / "missing.duckdb").exists()


def test_attach_maps_a_lake_table_with_its_own_column_names(small_ws):
    lake = ibis.duckdb.connect()
    tx = small_ws.table("transactions").to_pandas()
    lake.create_table(
        "orders_lake",
        tx.rename(columns={"order_id": "ord_no", "amount": "amt", "customer_id": "cust"}).drop(
            columns=["channel", "attributes"]
        ),
    )
    for name in ("customers", "products", "complaints", "interactions"):
        lake.create_table(name, small_ws.table(name).to_pyarrow())
    attached = Workspace.attach(
        lake,
        {
            "transactions": {
                "table": "orders_lake",
                "columns": {"order_id": "ord_no", "amount": "amt", "customer_id": "cust"},
            }
        },
    )
    assert attached.table("transactions").columns == small_ws.table("transactions").columns
    pd.testing.assert_frame_equal(facts(attached, "2024-01-10"), facts(small_ws, "2024-01-10"))


def test_attach_refuses_a_mapping_for_an_unknown_table_or_column():
    lake = ibis.duckdb.connect()
    with pytest.raises(ValueError, match="unknown table 'orders'"):
        Workspace.attach(lake, {"orders": "x"})
    with pytest.raises(KeyError, match="no column 'amt'"):
        Workspace.attach(lake, {"transactions": {"table": "x", "columns": {"amt": "a"}}})


def test_attached_table_without_a_required_column_fails_at_attach_naming_it():
    lake = ibis.duckdb.connect()
    lake.create_table("orders_lake", pd.DataFrame({"order_id": ["o1"], "customer_id": ["a"]}))
    with pytest.raises(KeyError, match=r"transactions\.order_ts.*are order_id, customer_id"):
        Workspace.attach(lake, {"transactions": "orders_lake"})


def test_the_package_exposes_every_step_under_one_import():
    import crmlytics as crm
    import crmlytics.clv.predict
    import crmlytics.segments

    assert all(callable(getattr(crm, name)) for name in crm.__all__ if name != "__version__")
    assert crm.customer_segments is crmlytics.segments.customer_segments
    assert crm.predict_clv is crmlytics.clv.predict.predict
    # one public way to fit CLV from the warehouse (a summary frame: ClvModel().fit)
    assert crm.fit_clv is crmlytics.clv.fit_clv is crmlytics.clv.predict.fit_clv
    assert not hasattr(crmlytics.clv.predict, "fit")
    assert "fit" not in crmlytics.clv.__all__


def test_a_table_is_looked_up_once_until_its_definition_changes(tmp_path):
    ws = Workspace.open(tmp_path / "w.duckdb")
    first = ws.table("transactions")
    assert ws.table("transactions") is first  # same definition: the schema is not asked again
    ws.duckdb.execute("INSERT INTO transactions (order_id, customer_id) VALUES ('o1', 'c1')")
    assert ws.table("transactions") is first  # rows are no change of definition
    ws.duckdb.execute("ALTER TABLE transactions ADD COLUMN region VARCHAR")
    changed = ws.table("transactions")
    assert "region" in changed.columns and "region" not in first.columns
    ws.duckdb.execute("DROP TABLE customers")
    ws.duckdb.execute("CREATE TABLE customers (customer_id VARCHAR, tier VARCHAR)")
    assert ws.table("customers").columns == ("customer_id", "tier")
    assert ws.table("transactions").to_pyarrow().num_rows == 1
    ws.close()


def test_results_reach_pandas_as_ibis_converts_them_for_every_type_with_nulls(tmp_path):
    # the warehouse's fast conversion (crmlytics.engines.duckdb) against Ibis' own, column by
    # column: each type with a null and without one, nested and decimal types included
    from ibis.backends.duckdb import Backend

    with Workspace.open(tmp_path / "crm.duckdb") as ws:
        assert type(ws.backend).__name__ == "_FastResultsBackend"
        ws.duckdb.execute(
            """CREATE TABLE t AS SELECT * FROM (VALUES
            ('a', 1, 1.5, true, DATE '2024-02-29', TIMESTAMP '2024-01-01 10:00:00',
             TIMESTAMPTZ '2024-01-01 10:00:00+00', 1.25::DECIMAL(18, 2), [1, 2],
             {'k': 1}, 7::TINYINT, INTERVAL 2 DAY, NULL, 'x'),
            (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'y'),
            ('c', -3, -0.0, false, DATE '1970-01-01', TIMESTAMP '1999-12-31 23:59:59',
             TIMESTAMPTZ '1999-12-31 23:59:59+08', -0.01::DECIMAL(18, 2), [], {'k': NULL},
             -1::TINYINT, INTERVAL 1 HOUR, NULL, 'z')
            ) v(s, i, f, b, d, ts, tz, dec, l, st, ti, iv, nothing, full_text)"""
        )
        expr = ws.backend.table("t")
        fast = expr.to_pandas()
        ibis_own = Backend.execute(ws.backend, expr)
        pd.testing.assert_frame_equal(fast, ibis_own)
        assert fast["s"].isna().tolist() == [False, True, False]
        assert fast["i"].tolist()[::2] == [1, -3] and pd.isna(fast["i"][1])
        # a column and a scalar come back as Ibis gives them too
        pd.testing.assert_series_equal(expr.d.to_pandas(), Backend.execute(ws.backend, expr.d))
        assert expr.i.sum().to_pandas() == -2
