"""Funnels: DuckDB and Spark agree on deals, conversion, durations, win rates, forecast,
backtest, stale deals, win/loss, collisions and the campaign funnel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlytics.funnel import (
    campaign_funnel,
    collisions,
    deals,
    dimension_segments,
    forecast,
    forecast_backtest,
    funnel,
    lost_reasons,
    stage_conversion,
    stage_durations,
    stale_deals,
    unknown_stages,
    win_loss,
    win_probabilities,
    win_rates,
)
from tests.builders import sale
from tests.funnel_data import crafted, simulate, ts
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark


@pytest.fixture
def pipeline_ws(ws):
    """The crafted deals A-E, 300 simulated deals (ties on values), customers sharing phones
    and emails, interactions and campaign touches."""
    crafted(ws)
    opp, stages = simulate(np.random.default_rng(3), 300, (0.6, 0.7, 0.65, 0.75, 0.6))
    opp["outcome"] = np.where(np.arange(len(opp)) % 10 == 0, "open", opp["outcome"])
    opp.loc[opp["outcome"] == "open", "closed_at"] = pd.NaT
    still_open = stages["opportunity_id"].isin(opp.loc[opp["outcome"] == "open", "opportunity_id"])
    stages = stages[~still_open | stages["stage"].isin(["lead", "needs"])]
    ws.insert("opportunities", opp)
    ws.insert("opportunity_stages", stages)
    ws.insert(
        "customers",
        [
            dict(
                customer_id=f"k{i}",
                phone=f"138 0000 {i % 40:04d}",
                email=f"u{i % 60}@x.cn",
                customer_type=("company", "partner")[i % 2],
            )
            for i in range(500)
        ],
    )
    ws.insert(
        "interactions",
        [
            dict(interaction_id=f"i{i}", customer_id=f"k{i}", ts=ts("2023-12-20"))
            for i in range(0, 500, 3)
        ],
    )
    rng = np.random.default_rng(4)
    ws.insert(
        "campaign_touches",
        [
            dict(
                campaign_id=f"m{i % 3}",
                customer_id=f"k{i}",
                sent_at=ts("2023-11-01"),
                opened_at=ts("2023-11-02") if rng.random() < 0.5 else None,
                clicked_at=ts("2023-11-03") if rng.random() < 0.3 else None,
                converted_at=ts("2023-11-05") if rng.random() < 0.2 else None,
                cost=0.5,
            )
            for i in range(200)
        ],
    )
    return ws


def test_funnel_expressions_equal_on_duckdb_and_spark(pipeline_ws, to_spark):
    spark_ws = to_spark(pipeline_ws)
    as_of = "2024-01-31"
    cases = [
        (lambda w: deals(w, "sales", as_of), ["opportunity_id"]),
        (lambda w: unknown_stages(w, "sales", as_of), ["stage_name"]),
        (
            lambda w: stage_conversion(w, "sales", as_of, ["source", "cohort"]),
            ["source", "cohort", "stage_index"],
        ),
        (
            lambda w: stage_conversion(w, "pipeline", as_of, "customer_type"),
            ["customer_type", "stage_index"],
        ),
        (lambda w: stage_durations(w, "sales", as_of, "owner"), ["owner", "stage_index"]),
        (lambda w: win_rates(w, "sales", as_of, "owner"), ["owner"]),
        (lambda w: win_probabilities(w, "sales", "2023-09-30"), ["stage_index"]),
        (lambda w: forecast(w, "sales", "2023-09-30"), ["opportunity_id"]),
        (lambda w: forecast_backtest(w, "sales", "2023-09-30", 60), ["stage_index"]),
        (lambda w: stale_deals(w, "sales", as_of), ["opportunity_id"]),
        (lambda w: win_loss(w, "sales", as_of, "source"), ["source"]),
        (lambda w: lost_reasons(w, "sales", as_of), ["lost_reason", "stage_index"]),
        (lambda w: collisions(w, "sales", as_of), ["opportunity_id", "other_opportunity_id"]),
        (
            lambda w: campaign_funnel(w, as_of, ["campaign_id", "customer_type"]),
            ["campaign_id", "customer_type"],
        ),
    ]
    for make, key in cases:
        duck = make(pipeline_ws).to_pandas()
        spark = make(spark_ws).to_pandas()
        assert len(duck) > 0, key
        assert_same_frame(duck, spark, key)


def test_funnel_and_win_loss_by_a_segmentation_equal_on_duckdb_and_spark(ws, to_spark):
    """The crafted deals of customers c1..c5: buyers of 1000 down to 100 with a tie at 300,
    c1 a repeat buyer, c5's only purchase two years old. The segments come over facts
    computed once (``dimension_segments``) on both engines."""
    crafted(ws)
    spend = {"c1": 1000.0, "c2": 300.0, "c3": 300.0, "c4": 200.0}
    lines = [sale(f"o{c}", c, "2023-12-01", v) for c, v in spend.items()]
    lines += [sale("o1b", "c1", "2023-11-01", 50.0), sale("o5", "c5", "2022-01-10", 100.0)]
    ws.insert("transactions", lines)
    spark_ws = to_spark(ws)
    as_of = "2024-01-31"
    for by in ("value_tier", "lifecycle"):
        duck = funnel(ws, "sales", as_of, by=by)
        spark = funnel(spark_ws, "sales", as_of, by=by)
        assert duck[by].nunique() >= 2, by
        assert_same_frame(duck, spark, [by, "stage_index"])
    frames = []
    for w in (ws, spark_ws):
        with dimension_segments(w, as_of, "value_tier") as segments:
            frames.append(win_loss(w, "sales", as_of, "value_tier", segments=segments).to_pandas())
    assert_same_frame(*frames, ["value_tier"])
