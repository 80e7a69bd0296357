"""Scale-safe ranking and score runs on Spark: exact ties ranked as on DuckDB, no window over
all customers, score runs all-or-nothing on a lake (docs/patterns.md)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from crmlytics.facts import customer_facts
from crmlytics.segments import customer_segments, four_degrees
from crmlytics.segments.rfm import rfm
from crmlytics.segments.value import value_tiers
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark
AS_OF = "2024-03-31"
START = pd.Timestamp("2024-03-01 10:00")


@pytest.fixture
def tied(ws):
    """Groups of customers with exactly equal money reached by different float sums
    (0.1 + 0.2 vs 0.3; 823.33 as one line or three), in customer_id orders that disagree with
    the float noise, plus distinct values and repeat purchases for R and F."""
    lines = []
    for g in range(6):  # six tie groups of three customers each
        base = 100.0 * g
        parts = {
            f"t{g}a": [base + 0.3],
            f"t{g}b": [base + 0.1, 0.2],
            f"t{g}c": [0.2, base + 0.1],
        }
        for c, amounts in parts.items():
            lines += [(c, n, a, 1 + g) for n, a in enumerate(amounts, 1)]
    lines += [("m1", 1, 800.0, 3), ("m1", 2, 23.33, 3), ("m2", 1, 823.33, 3)]
    lines += [("m3", 1, 23.33, 3), ("m3", 2, 800.0, 3), ("solo", 1, 999.99, 9)]
    ws.insert(
        "transactions",
        [
            dict(order_id=f"o-{c}-{day}", line_no=n, kind="sale", customer_id=c, amount=a,
                 cost=round(a * 0.4, 2), order_ts=START + pd.Timedelta(days=day))
            for c, n, a, day in lines
        ],
    )  # fmt: skip
    return ws


def test_exact_ties_rank_identically_on_both_engines_and_by_customer_id(tied, to_spark):
    spark_ws = to_spark(tied)
    outputs = {}
    for name, ws in (("duck", tied), ("spark", spark_ws)):
        facts = customer_facts(ws, AS_OF)
        outputs[name] = (
            value_tiers(facts, measure="profit").to_pandas(),
            rfm(facts).to_pandas(),
            four_degrees(ws, AS_OF).to_pandas(),
        )
    for duck, spark in zip(outputs["duck"], outputs["spark"], strict=True):
        assert_same_frame(duck, spark, ["customer_id"])
    tiers = outputs["spark"][0].set_index("customer_id")
    # within each tie group the rank follows customer_id: a, b, c consecutive ranks
    for g in range(6):
        ranks = [tiers.loc[f"t{g}{x}", "value_rank"] for x in "abc"]
        assert ranks == [ranks[0], ranks[0] + 1, ranks[0] + 2]
    assert [tiers.loc[c, "value_rank"] for c in ("m1", "m2", "m3")] == [2, 3, 4]  # solo is 1
    scores = outputs["spark"][1].set_index("customer_id")
    for g in range(6):  # ties share their M score
        assert scores.loc[[f"t{g}a", f"t{g}b", f"t{g}c"], "m_score"].nunique() == 1


def _unpartitioned_windows(backend, expr) -> list[str]:
    """Window operators of Spark's physical plan for ``expr`` without a partition (each one
    would log "No Partition Defined for Window operation" and run on a single task)."""
    backend._run_pre_execute_hooks(expr)
    plan = backend._session.sql(backend.compile(expr))._jdf.queryExecution().executedPlan()
    if plan.getClass().getSimpleName() == "AdaptiveSparkPlanExec":
        plan = plan.inputPlan()
    found, stack = [], [plan]
    while stack:
        node = stack.pop()
        if node.getClass().getSimpleName() == "WindowExec" and node.partitionSpec().isEmpty():
            found.append(node.toString()[:300])
        for children in (node.children(), node.subqueries()):
            stack.extend(children.apply(i) for i in range(children.size()))
    return found


def test_a_full_segments_run_on_spark_has_no_window_over_all_customers(tied, to_spark):
    spark_ws = to_spark(tied)
    expr = customer_segments(spark_ws, AS_OF)
    assert _unpartitioned_windows(spark_ws.backend, expr) == []
    # the check can fail: a plain global window is found
    facts = customer_facts(spark_ws, AS_OF)
    ranked = facts.mutate(r=facts.net_revenue.rank())
    assert len(_unpartitioned_windows(spark_ws.backend, ranked)) == 1


def _scores(clv_b: float = 80.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ["a", "b"], "clv": [120.5, clv_b], "rfm_segment": ["champions", "lost"]}
    )


def test_score_runs_on_a_lake_are_all_or_nothing(spark_backend, monkeypatch):
    import crmlytics.runs as runs
    from crmlytics.workspace import Workspace

    for table in (runs.SCORES_TABLE, runs.RUNS_TABLE):
        spark_backend.raw_sql(f"DROP TABLE IF EXISTS {table}")
    lake = Workspace.attach(spark_backend, {})
    first = runs.record_scores(lake, _scores(), as_of="2024-01-10")
    second = runs.record_scores(lake, _scores().assign(p_alive=[0.9, 0.1]), as_of="2024-01-11")
    assert runs.latest_run_id(lake) == second
    assert runs.latest_scores(lake).p_alive.tolist() == [0.9, 0.1]  # a new column was added
    assert "p_alive" not in runs.run_scores(lake, first).columns

    def fail(ws, run):
        raise RuntimeError("killed before the run was marked")

    monkeypatch.setattr(runs, "_mark_succeeded", fail)
    with pytest.raises(RuntimeError, match="killed"):
        runs.record_scores(lake, _scores(clv_b=1.0).assign(p_alive=0.5), as_of="2024-01-12")
    # its rows went in, but the run is not: the previous run is still the latest
    assert spark_backend.table(runs.SCORES_TABLE).count().execute() == 6
    assert runs.latest_run_id(lake) == second
    assert runs.latest_scores(lake).clv.tolist() == [120.5, 80.0]
    assert runs.latest_run_id(lake, "2024-01-12") is None


def test_a_missing_score_is_stored_as_null_on_a_lake_not_nan(spark_backend):
    import pyarrow as pa

    import crmlytics.runs as runs
    from crmlytics.export import where_predicate
    from crmlytics.workspace import Workspace

    for table in (runs.SCORES_TABLE, runs.RUNS_TABLE):
        spark_backend.raw_sql(f"DROP TABLE IF EXISTS {table}")
    lake = Workspace.attach(spark_backend, {})
    # as a real run's frame: columns read back from Spark arrive as chunked Arrow arrays, and
    # a prospect (c) has neither a value tier nor a churn probability
    frame = pa.table(
        {
            "customer_id": pa.chunked_array([["a", "b"], ["c"]]),
            "value_tier": pa.chunked_array([["gold", "bronze"], [None]]),
            "churn_probability": pa.chunked_array([[0.9, 0.2], [None]]),
        }
    ).to_pandas()
    assert frame["churn_probability"].isna().tolist() == [False, False, True]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_id = runs.record_scores(lake, frame, as_of="2024-01-10")
    # no fallback from Arrow to converting row by row ("attempted Arrow optimization")
    assert not [w for w in caught if "Arrow optimization" in str(w.message)]
    stored = spark_backend.table(runs.SCORES_TABLE)
    stored = stored.filter(stored.run_id == run_id)
    nulls = stored.aggregate(
        tier=stored.value_tier.isnull().sum(),
        churn=stored.churn_probability.isnull().sum(),
        nan=stored.churn_probability.isnan().fill_null(False).sum(),
    ).to_pandas()
    assert nulls.iloc[0].tolist() == [1, 1, 0]  # c's two nulls, no NaN
    # Spark orders NaN above every number: stored as NaN, c would pass this filter
    kept = stored.filter(where_predicate(stored, "churn_probability >= 0.7")).to_pandas()
    assert kept["customer_id"].tolist() == ["a"]
