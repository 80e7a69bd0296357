"""Scale-safe ranking: money in whole cents, ties by customer_id, exact counts without a window
over all customers (crmlytics.ranking; docs/patterns.md)."""

from __future__ import annotations

import math

import ibis
import pandas as pd

from crmlytics.facts import customer_facts
from crmlytics.ranking import RANGE_LIMIT, _bucketed_before, bucket_of, cents, tally
from crmlytics.segments import four_degrees
from crmlytics.segments.rfm import rfm
from crmlytics.segments.value import value_tiers

AS_OF = "2024-03-31"


def tied_money(ws):
    """c1 spends 0.30 in one line; c2 and c3 spend 0.1 + 0.2 and 0.2 + 0.1 (0.30000000000000004
    as floats: more than c1's 0.3 by float noise only); c4 spends 0.31."""
    lines = [("c1", 1, 0.3), ("c2", 1, 0.1), ("c2", 2, 0.2), ("c3", 1, 0.2), ("c3", 2, 0.1)]
    lines.append(("c4", 1, 0.31))
    ws.insert(
        "transactions",
        [
            dict(order_id=f"o-{c}", line_no=n, kind="sale", customer_id=c, amount=a,
                 order_ts=pd.Timestamp("2024-03-01 10:00"))
            for c, n, a in lines
        ],
    )  # fmt: skip
    return ws


def test_money_equal_up_to_float_noise_is_a_tie_broken_by_customer_id(ws):
    facts = customer_facts(tied_money(ws), AS_OF)
    net = facts.to_pandas().set_index("customer_id")["net_revenue"]
    assert net["c2"] > net["c1"]  # the noise is really there: 0.1 + 0.2 > 0.3 as floats
    tiers = value_tiers(facts, measure="revenue").to_pandas().set_index("customer_id")
    # by hand: c4 (0.31) first, then the tie at 0.30 in customer_id order c1, c2, c3;
    # 4 buyers: gold = max(1, floor(0.2 x 4)) = 1, silver up to floor(0.5 x 4) = 2
    assert tiers["value_rank"].to_dict() == {"c1": 2, "c2": 3, "c3": 4, "c4": 1}
    assert tiers["value_tier"].to_dict() == {
        "c1": "silver", "c2": "bronze", "c3": "bronze", "c4": "gold",
    }  # fmt: skip


def test_tied_money_shares_its_quantile_score_and_contribution(ws):
    facts = customer_facts(tied_money(ws), AS_OF)
    scores = rfm(facts).to_pandas().set_index("customer_id")
    # 4 buyers; the three at 30 cents have k = 0 worse: 1 + floor(5 x 0 / 4) = 1; c4 has
    # k = 3: 1 + floor(15 / 4) = 4 (without cents c2 and c3 would get k = 1, score 2)
    assert scores["m_score"].to_dict() == {"c1": 1, "c2": 1, "c3": 1, "c4": 4}
    degrees = four_degrees(ws, AS_OF, measure="revenue").to_pandas().set_index("customer_id")
    # contribution = 100 x share of buyers worth no more: 3/4 for the tie, 4/4 for c4
    assert degrees["contribution"].round(9).to_dict() == {
        "c1": 75.0, "c2": 75.0, "c3": 75.0, "c4": 100.0,
    }  # fmt: skip


def test_cents_round_float_noise_away():
    t = ibis.memtable({"x": [0.1 + 0.2, 0.3, 823.3299999999999, 823.3300000000001, -0.015]})
    assert t.select(c=cents(t.x)).to_pandas()["c"].tolist() == [30, 30, 82333, 82333, -2]


def test_bucketed_counts_used_on_spark_are_exact():
    # the Spark path of tally, run here on DuckDB: keys spread over many value ranges,
    # negative, repeated and huge; n_before and cents_before counted by hand
    keys = [-5, -5, 0, 3, 3, 3, 7, 1000, 10**6, 10**6 + 1, 10**12]
    t = ibis.memtable({"k": keys, "w": [1] * len(keys)})
    levels = t.group_by("k").aggregate(n=t.count(), w=t.w.sum())
    got = _bucketed_before(levels, "k", ["n", "w"]).to_pandas().sort_values("k")
    assert got["n_before"].tolist() == [0, 2, 3, 6, 7, 8, 9, 10]
    assert got["w_before"].tolist() == got["n_before"].tolist()
    assert got["n"].tolist() == [2, 1, 3, 1, 1, 1, 1, 1]
    # the same as the DuckDB path (a running sum over all distinct keys)
    exact = tally(t, "k", sums=["w"]).to_pandas().sort_values("k")
    assert exact["n_before"].tolist() == got["n_before"].tolist()


def test_value_ranges_are_monotone_and_split_the_keys():
    # ranges by hand: sign(k) * floor(ln(|k| + 1) / ln(1.25)); ln(2) / ln(1.25) = 3.1,
    # ln(3) / ln(1.25) = 4.9, ln(101) / ln(1.25) = 20.7, ln(126) / ln(1.25) = 21.7
    big = 2**63 - 1
    keys = [-big, -(10**12), -7, -1, 0, 1, 2, 100, 125, 10**12, big]
    t = ibis.memtable({"k": keys}, schema={"k": "int64"})
    buckets = t.select(b=bucket_of(t.k)).to_pandas()["b"].tolist()
    assert buckets[4:9] == [0, 3, 4, 20, 21] and buckets[2:4] == [-9, -3]
    assert buckets == sorted(buckets) and len(set(buckets)) == len(keys)
    assert buckets[0] >= -RANGE_LIMIT and buckets[-1] <= RANGE_LIMIT
    # neighbouring keys at the range edges keep their order
    edges = [math.ceil(1.25**i) + d for i in range(1, 180, 7) for d in (-1, 0, 1)]
    e = ibis.memtable({"k": edges}, schema={"k": "int64"})
    got = e.select(k=e.k, b=bucket_of(e.k)).to_pandas().sort_values("k")["b"].tolist()
    assert got == sorted(got)
