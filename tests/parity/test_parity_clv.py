"""CLV relational expressions: DuckDB and Spark agree on the same data.

Kept cheap because every parity file shares one local Spark session: thirteen inline lines, one
copy into Spark, one collect per expression. The single as-of point (2024-01-20) and holdout
(to 2024-01-31) see every rule at once: two orders on one day, a partial return before the as-of
point, a fully returned order, a free order, purchases after the calibration end and a customer
whose first purchase falls in the holdout. Days and weeks are both exercised (the unit only
divides whole days by a literal). The pattern groupings are the only rows a fit reads.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlytics.clv.backtest import repeat_purchases_by_period
from crmlytics.clv.summary import (
    btyd_summary,
    calibration_holdout,
    spend_patterns,
    summary_patterns,
)
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark

AS_OF, HOLDOUT_END = "2024-01-20", "2024-01-31"

# name -> (expression builder, key of the result)
EXPRESSIONS = {
    "btyd_summary (weeks)": (
        lambda w: btyd_summary(w, AS_OF, unit="weeks"),
        ["customer_id"],
    ),
    "summary_patterns (days)": (
        lambda w: summary_patterns(btyd_summary(w, AS_OF, unit="days")),
        ["btyd_frequency", "btyd_recency_days", "btyd_age_days"],
    ),
    "spend_patterns": (
        lambda w: spend_patterns(btyd_summary(w, AS_OF, unit="days")),
        ["btyd_frequency", "btyd_monetary_value"],
    ),
    "calibration_holdout (days)": (
        lambda w: calibration_holdout(w, AS_OF, HOLDOUT_END, unit="days"),
        ["customer_id"],
    ),
    "repeat_purchases_by_period (days)": (
        lambda w: repeat_purchases_by_period(w, AS_OF, HOLDOUT_END, "days"),
        ["period"],
    ),
}


def test_every_clv_expression_is_equal_on_duckdb_and_spark(btyd_ws, to_spark):
    ws = btyd_ws
    spark_ws = to_spark(ws)
    for name, (build, key) in EXPRESSIONS.items():
        duck, spark = build(ws), build(spark_ws)
        duck = duck if isinstance(duck, pd.DataFrame) else duck.to_pandas()
        spark = spark if isinstance(spark, pd.DataFrame) else spark.to_pandas()
        assert len(duck) > 0, name  # an empty result would compare equal vacuously
        try:
            assert_same_frame(duck, spark, key)
        except AssertionError as exc:
            raise AssertionError(f"{name} differs between DuckDB and Spark: {exc}") from None
