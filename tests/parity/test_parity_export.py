"""Segment lists: the list expression (segment, --where, join, suppression) on DuckDB and Spark."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from crmlytics.export import candidate_counts, segment_candidates, suppressed
from crmlytics.facts import customer_facts
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark

AS_OF = "2024-01-31"
WHERES = (
    None,
    "clv > 100 and lifecycle in ('repeat', 'first_time')",
    "not (net_revenue <= 150) or orders is None",
    "50 <= clv <= 400 and rfm_segment != 'lost'",
)


@pytest.fixture
def export_ws(ws):
    ts = pd.Timestamp
    ws.insert(
        "transactions",
        [
            dict(order_id=f"o{i}", line_no=1, customer_id=c, order_ts=ts(day), amount=amount)
            for i, (c, day, amount) in enumerate(
                [
                    ("a", "2024-01-02 10:00", 120.0),
                    ("a", "2024-01-20 10:00", 80.0),
                    ("b", "2024-01-05 09:00", 300.0),
                    ("c", "2024-01-06 09:00", 40.0),
                    ("d", "2024-01-07 09:00", 150.0),
                    ("d", "2024-01-08 09:00", 10.0),
                    ("f", "2024-01-09 09:00", 500.0),  # buyer missing from customers
                ]
            )
        ],
    )
    ws.insert(
        "customers",
        [
            dict(customer_id="a", name="张三", email="A@x.cn", region="华东", do_not_contact=False),
            dict(customer_id="b", name="李四", phone="13812345678", do_not_contact=True),
            dict(customer_id="c", name="王五", region="华南", do_not_contact=None),
            dict(customer_id="d", name="赵六", channel="web", do_not_contact=False),
            dict(customer_id="e", name="钱七", signup_date=dt.date(2023, 5, 1)),  # prospect
        ],
    )
    return ws


def scores(ws) -> ibis.Table:
    """A score table built in Ibis from the facts (stands in for customer_segments)."""
    f = customer_facts(ws, AS_OF)
    return f.select(
        customer_id=f.customer_id,
        orders=f.orders.nullif(0),
        net_revenue=f.net_revenue,
        r_score=ibis.cases((f.days_since_last_purchase <= 15, 5), else_=3),
        rfm_segment=ibis.cases(
            (f.orders == 0, "prospect"), (f.net_revenue >= 200, "champions"), else_="loyal"
        ),
        value_tier=(f.net_revenue >= 100).ifelse("gold", "silver"),
        lifecycle=ibis.cases(
            (f.orders == 0, "prospect"), (f.orders > 1, "repeat"), else_="first_time"
        ),
        clv=f.net_revenue * 2,
    )


def lists(ws, where):
    candidates = segment_candidates(
        ws.table("customers"),
        scores(ws),
        column="value_tier",
        segment="gold",
        where=where,
        rfm_labels={"champions": "冠军客户", "loyal": "忠诚客户"},
    )
    return (
        suppressed(candidates).to_pandas(),
        suppressed(candidates, include_opted_out=True).to_pandas(),
        candidate_counts(candidates).to_pandas(),
    )


def test_segment_list_equal_on_duckdb_and_spark(export_ws, to_spark):
    spark_ws = to_spark(export_ws)
    for where in WHERES:
        duck, spark = lists(export_ws, where), lists(spark_ws, where)
        for d, s in zip(duck[:2], spark[:2], strict=True):
            assert_same_frame(d, s, ["customer_id"])
        assert_same_frame(duck[2], spark[2], ["matched"])


def test_parity_fixture_lists_are_the_hand_worked_ones(export_ws):
    # gold (net >= 100): a 200, b 300 (opted out), d 160, f 500 (not in customers)
    assert lists(export_ws, None)[0]["customer_id"].tolist() == ["a", "d", "f"]
    # 50 <= clv <= 400 with clv = 2 x net: a 400, d 320 (b 600 and f 1000 fall outside)
    assert lists(export_ws, WHERES[3])[0]["customer_id"].tolist() == ["a", "d"]
    counts = lists(export_ws, None)[2].iloc[0]
    assert (int(counts["matched"]), int(counts["opted_out"])) == (4, 1)
