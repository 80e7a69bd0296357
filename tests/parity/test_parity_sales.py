"""Sales and customer master: DuckDB and Spark agree on the trend (period spine, changes, by
dimension), the mix shift, the purchase cycle, staff performance and incomplete customers."""

from __future__ import annotations

import datetime as dt

import pytest

from crmlytics.customers import incomplete_customers
from crmlytics.sales import purchase_cycle, sales_mix, sales_trend, staff_performance
from tests.parity.conftest import assert_same_frame
from tests.sales_data import cycles, shop, staff

pytestmark = pytest.mark.spark


@pytest.fixture
def sales_ws(ws):
    """The hand-made shop, cycles and staff histories of tests/sales_data.py together."""
    shop(ws)
    cycles(ws)
    staff(ws)
    return ws


WHEN = "2024-04-15"


def same_on_both(ws, spark_ws, cases) -> None:
    for build, key in cases:
        duck = build(ws).to_pandas()
        spark = build(spark_ws).to_pandas()
        assert len(duck) > 0
        assert_same_frame(duck, spark, key)


def test_staff_and_incomplete_customers_equal_on_duckdb_and_spark(sales_ws, to_spark):
    cases = [
        (lambda w: staff_performance(w, "2024-03-31", "month"), ["owner", "period"]),
        (lambda w: staff_performance(w, "2024-03-31", "quarter"), ["owner", "period"]),
        (lambda w: staff_performance(w, "2024-03-31", "year"), ["owner", "period"]),
        (lambda w: incomplete_customers(w), ["customer_id"]),
    ]
    same_on_both(sales_ws, to_spark(sales_ws), cases)


def test_mix_and_cycle_equal_on_duckdb_and_spark(sales_ws, to_spark):
    when = WHEN
    cases = [
        (lambda w: sales_mix(w, when, "category", 45), ["category"]),
        (lambda w: sales_mix(w, when, "product_id", 400), ["product_id"]),
        (lambda w: purchase_cycle(w, when, "category"), ["category"]),
        (lambda w: purchase_cycle(w, when, "product_id", 60), ["product_id"]),
    ]
    same_on_both(sales_ws, to_spark(sales_ws), cases)


def test_trend_equal_on_duckdb_and_spark(sales_ws, to_spark):
    when = WHEN
    cases = [
        (lambda w: sales_trend(w, when, "month"), ["period"]),
        (lambda w: sales_trend(w, when, "quarter"), ["period"]),
        (lambda w: sales_trend(w, when, "week", start=dt.date(2024, 1, 1)), ["period"]),
        (lambda w: sales_trend(w, when, "day", start=dt.date(2024, 3, 1)), ["period"]),
        (lambda w: sales_trend(w, when, "month", "region"), ["period", "region"]),
        (lambda w: sales_trend(w, when, "month", "product_id"), ["period", "product_id"]),
        (
            lambda w: sales_trend(w, when, "month", ["category", "channel"]),
            ["period", "category", "channel"],
        ),
    ]
    same_on_both(sales_ws, to_spark(sales_ws), cases)
