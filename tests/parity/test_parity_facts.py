"""Customer facts: DuckDB and Spark agree on the same data."""

from __future__ import annotations

import pytest

from crmlytics.facts import customer_facts
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark


def test_customer_facts_equal_on_duckdb_and_spark(small_ws, to_spark):
    spark_ws = to_spark(small_ws)
    for as_of in ("2024-01-10", "2024-01-10T08:59:59", "2023-12-31"):
        duck = customer_facts(small_ws, as_of).to_pandas()
        spark = customer_facts(spark_ws, as_of).to_pandas()
        assert_same_frame(duck, spark, ["customer_id"])
