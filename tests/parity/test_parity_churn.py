"""Churn labels and features: DuckDB and Spark agree on the same data."""

from __future__ import annotations

import pytest

from crmlytics.churn.features import churn_features, labelled_features
from crmlytics.churn.labels import churn_labels
from crmlytics.demo import generate_demo
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark


@pytest.fixture
def demo_ws(ws):
    """150 demo customers: returns, complaints with every handling step, contacts, campaigns
    and closed accounts."""
    for table, frame in generate_demo(customers=150, seed=5).tables.items():
        ws.insert(table, frame)
    return ws


def test_churn_labels_and_features_equal_on_duckdb_and_spark(demo_ws, to_spark):
    spark_ws = to_spark(demo_ws)
    for cutoff, definition in (("2024-12-31", "purchase"), ("2025-03-31T12:00:00", "contract")):
        duck = churn_labels(demo_ws, cutoff, horizon_days=90, definition=definition).to_pandas()
        spark = churn_labels(spark_ws, cutoff, horizon_days=90, definition=definition).to_pandas()
        assert duck["churned"].nunique() == 2 or definition == "contract"
        assert_same_frame(duck, spark, ["customer_id"])
        duck = churn_features(demo_ws, cutoff, definition=definition, active_days=365)
        spark = churn_features(spark_ws, cutoff, definition=definition, active_days=365)
        duck, spark = duck.to_pandas(), spark.to_pandas()
        assert len(duck) > 30 and duck["complaints"].sum() > 0
        assert_same_frame(duck, spark, ["customer_id"])
        # features and label in one pass (what training runs)
        duck = labelled_features(demo_ws, cutoff, horizon_days=90, definition=definition)
        spark = labelled_features(spark_ws, cutoff, horizon_days=90, definition=definition)
        duck, spark = duck.to_pandas(), spark.to_pandas()
        assert duck["mean_gap_days"].notna().sum() > 10
        assert_same_frame(duck, spark, ["customer_id"])
