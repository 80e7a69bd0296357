"""CLV summaries: DuckDB and Spark agree on the same data."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlytics.clv.backtest import repeat_purchases_by_period
from crmlytics.clv.summary import btyd_summary, calibration_holdout
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark


@pytest.fixture
def clv_ws(ws):
    ts = pd.Timestamp
    rows = [
        ("o1", 1, "sale", "a", ts("2024-01-01 09:00"), 10.0),
        ("o2", 1, "sale", "a", ts("2024-01-01 18:00"), 20.0),
        ("o3", 1, "sale", "a", ts("2024-01-05 10:00"), 30.0),
        ("o4", 1, "sale", "a", ts("2024-01-12 10:00"), 40.0),
        ("o4", 1, "return", "a", ts("2024-01-13 10:00"), -10.0),
        ("o5", 1, "sale", "b", ts("2024-01-03 10:00"), 25.0),
        ("o6", 1, "sale", "b", ts("2024-01-08 10:00"), 15.0),
        ("o6", 1, "return", "b", ts("2024-01-09 10:00"), -15.0),
        ("o7", 1, "sale", "c", ts("2024-01-02 10:00"), 0.0),
        ("o8", 1, "sale", "c", ts("2024-01-09 10:00"), 50.0),
        ("o9", 1, "sale", "c", ts("2024-01-25 10:00"), 70.0),
        ("o10", 1, "sale", "c", ts("2024-01-28 10:00"), 30.0),
        ("o11", 1, "sale", "d", ts("2024-01-22 10:00"), 5.0),
    ]
    columns = ["order_id", "line_no", "kind", "customer_id", "order_ts", "amount"]
    ws.insert("transactions", pd.DataFrame(rows, columns=columns))
    return ws


def test_btyd_summary_and_holdout_equal_on_duckdb_and_spark(clv_ws, to_spark):
    spark_ws = to_spark(clv_ws)
    for unit in ("days", "weeks"):
        for as_of in ("2024-01-12", "2024-01-20"):
            duck = btyd_summary(clv_ws, as_of, unit=unit).to_pandas()
            spark = btyd_summary(spark_ws, as_of, unit=unit).to_pandas()
            assert_same_frame(duck, spark, ["customer_id"])
        duck = calibration_holdout(clv_ws, "2024-01-20", "2024-01-31", unit=unit).to_pandas()
        spark = calibration_holdout(spark_ws, "2024-01-20", "2024-01-31", unit=unit).to_pandas()
        assert_same_frame(duck, spark, ["customer_id"])
        duck = repeat_purchases_by_period(clv_ws, "2024-01-20", "2024-01-31", unit)
        spark = repeat_purchases_by_period(spark_ws, "2024-01-20", "2024-01-31", unit)
        assert_same_frame(duck, spark, ["period"])
