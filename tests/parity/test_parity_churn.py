"""Churn labels and features: DuckDB and Spark agree on the same data."""

from __future__ import annotations

import pytest

from crmlytics.asof import as_of as resolve_as_of
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


def test_training_snapshots_and_saved_model_scores_equal_on_duckdb_and_spark(demo_ws, to_spark):
    # the snapshots a score run trains on (features, P(alive) from the purchase aggregate,
    # labels) and the nightly path with a saved model: the same on both engines
    from crmlytics.churn.backtest import snapshots, train
    from crmlytics.churn.config import ChurnConfig
    from crmlytics.churn.features import customer_purchases
    from crmlytics.churn.score import score_churn

    spark_ws = to_spark(demo_ws)
    point = "2024-12-31"
    duck = customer_purchases(demo_ws, resolve_as_of(point), 90, 90).to_pandas()
    spark = customer_purchases(spark_ws, resolve_as_of(point), 90, 90).to_pandas()
    assert (duck["purchase_days"] < duck["orders"]).any()  # some days hold two purchases
    assert_same_frame(duck, spark, ["customer_id"])
    config = ChurnConfig(cutoffs=2)
    cutoffs = ["2024-09-30", "2024-12-31"]
    duck = snapshots(demo_ws, cutoffs, config)
    spark = snapshots(spark_ws, cutoffs, config)
    assert duck["churned"].nunique() == 2 and duck["p_alive"].notna().all()
    assert_same_frame(duck, spark, ["cutoff", "customer_id"])
    model = train(demo_ws, "2025-06-30", config).model
    duck = score_churn(demo_ws, "2025-06-30", model, config).scores
    spark = score_churn(spark_ws, "2025-06-30", model, config).scores
    assert duck["churn_reason_1"].notna().any()
    assert_same_frame(duck, spark, ["customer_id"])
