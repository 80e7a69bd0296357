"""Customer segmentation: DuckDB and Spark agree on the same data (ties included)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crmlytics.facts import customer_facts
from crmlytics.segments import customer_segments, pareto
from crmlytics.segments.config import RfmConfig, SegmentsConfig, ValueConfig
from crmlytics.segments.core import computed_segments, shared_facts
from crmlytics.segments.migration import moves
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark


@pytest.fixture
def crowd(ws):
    """40 customers, 6 prospects, with many tied values (amounts on a 10-unit grid, purchases
    on shared days), returns, costs for some lines, categories, complaints and referrals."""
    rng = np.random.default_rng(7)
    ids = [f"k{i:02d}" for i in range(40)]
    ws.insert(
        "customers",
        [
            dict(
                customer_id=c,
                signup_date=dt.date(2023, 1, 1),
                referred_by=ids[(i * 7) % 40] if i % 5 == 0 else None,
            )
            for i, c in enumerate(ids)
        ],
    )
    rows = []
    days = pd.date_range("2023-01-05", "2024-06-25", freq="7D")
    for i, c in enumerate(ids[:34]):
        for j in range(int(rng.integers(1, 6))):
            ts = days[int(rng.integers(0, len(days)))] + pd.Timedelta(hours=10)
            amount = float(rng.integers(1, 6) * 10)
            rows.append(
                dict(
                    order_id=f"{c}-{j}",
                    line_no=1,
                    kind="sale",
                    customer_id=c,
                    order_ts=ts,
                    amount=amount,
                    cost=amount * 0.6 if i % 2 else None,
                    category=["tea", "cups", "pots"][int(rng.integers(0, 3))],
                )
            )
            if rng.random() < 0.1:
                rows.append(
                    dict(
                        order_id=f"{c}-{j}",
                        line_no=1,
                        kind="return",
                        customer_id=c,
                        order_ts=ts + pd.Timedelta(days=2),
                        amount=-amount,
                        category=rows[-1]["category"],
                    )
                )
    ws.insert("transactions", rows)
    ws.insert(
        "complaints",
        [
            dict(
                complaint_id=f"q{i}",
                customer_id=ids[i],
                satisfaction=(i % 5) + 1 if i % 3 else None,
                opened_at=pd.Timestamp("2024-03-01") + pd.Timedelta(days=i),
            )
            for i in range(0, 40, 3)
        ],
    )
    return ws


def test_segments_pareto_and_moves_equal_on_duckdb_and_spark(crowd, to_spark):
    spark_ws = to_spark(crowd)
    windowed = SegmentsConfig(rfm=RfmConfig(window_days=180))
    profit = SegmentsConfig(value=ValueConfig(measure="profit"))  # chosen inside the expression
    for as_of, config in (("2024-06-30", None), ("2024-01-31", windowed), ("2024-06-30", profit)):
        duck = customer_segments(crowd, as_of, config).to_pandas()
        spark = customer_segments(spark_ws, as_of, config).to_pandas()
        assert duck["r_score"].notna().sum() >= 15  # the data really exercises the scores
        assert_same_frame(duck, spark, ["customer_id"])
    # the Pareto curve and the migration moves, on the same Spark copy (one copy per test file)
    duck_curve = pareto(customer_facts(crowd, "2024-06-30"), "revenue")
    spark_curve = pareto(customer_facts(spark_ws, "2024-06-30"), "revenue")
    assert_same_frame(duck_curve, spark_curve, ["rank"])
    duck = moves(crowd, "2023-12-31", "2024-06-30", "value_tier").to_pandas()
    spark = moves(spark_ws, "2023-12-31", "2024-06-30", "value_tier").to_pandas()
    assert_same_frame(duck, spark, ["customer_id"])


def test_segments_over_facts_computed_once_on_spark_equal_duckdb(crowd, to_spark):
    """The score run's path: on Spark the all-history and RFM-window facts are cached once
    (``shared_facts``) and passed in; the result is DuckDB's, customer by customer, with an RFM
    window (both caches) and without one (history only), value tiers and contribution included
    (the four degrees read the tiers' ranking)."""
    spark_ws = to_spark(crowd)
    windowed = SegmentsConfig(rfm=RfmConfig(window_days=180))
    for config in (None, windowed):
        duck = customer_segments(crowd, "2024-06-30", config).to_pandas()
        with shared_facts(spark_ws, "2024-06-30", config) as facts:
            assert set(facts) == ({"history"} if config is None else {"history", "window_facts"})
            spark = customer_segments(spark_ws, "2024-06-30", config, **facts).to_pandas()
        assert duck["contribution"].gt(0).sum() >= 10  # the data really ranks value
        assert_same_frame(duck, spark, ["customer_id"])


def test_segments_computed_again_compile_no_new_query_code(crowd, to_spark):
    """Spark compiles the generated code of every query stage (about 300 classes for one
    ``customer_segments``) and keeps the classes for reuse. Spark's default room, 100
    classes, cannot hold one segments query, so a score run after ``crmlytics segments``
    compiled every class again; a local session crmlytics starts keeps 2,000
    (``engines.spark.local_defaults``, which the parity session uses), so the same query run
    again compiles nothing."""
    spark_ws = to_spark(crowd)
    jvm = spark_ws.backend._session._jvm
    compilations = jvm.org.apache.spark.metrics.source.CodegenMetrics.METRIC_COMPILATION_TIME()
    windowed = SegmentsConfig(rfm=RfmConfig(window_days=180))
    compiled = []
    for _ in range(2):
        before = compilations.getCount()
        with computed_segments(spark_ws, "2024-06-30", windowed) as segments:
            segments.to_pandas()
        compiled.append(compilations.getCount() - before)
    assert compiled[1] == 0, compiled
