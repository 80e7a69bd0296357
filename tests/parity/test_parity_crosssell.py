"""Cross-sell: DuckDB and Spark agree on baskets (returns netted), rules (pairs and triples, both
levels and scopes) and the held-out last orders."""

from __future__ import annotations

import pytest

from crmlytics.crosssell import association_rules, basket_items, bought_lines, holdout_split
from crmlytics.demo import generate_demo
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark

AS_OF = "2025-03-31"


@pytest.fixture
def demo_ws(ws):
    """300 demo customers: planted pairs, returns, categories from products."""
    for table, frame in generate_demo(customers=300, seed=5).tables.items():
        ws.insert(table, frame)
    return ws


def test_baskets_rules_and_holdout_equal_on_duckdb_and_spark(demo_ws, to_spark):
    spark_ws = to_spark(demo_ws)
    for level, scope in (("product", "basket"), ("category", "customer")):
        duck = basket_items(demo_ws, AS_OF, level=level, scope=scope)
        spark = basket_items(spark_ws, AS_OF, level=level, scope=scope)
        assert_same_frame(duck.to_pandas(), spark.to_pandas(), ["basket_id", "item"])
        for max_items in (2, 3):
            kw = dict(min_support=0.002, min_confidence=0.05, max_items=max_items)
            d = association_rules(duck, **kw).to_pandas()
            s = association_rules(spark, **kw).to_pandas()
            assert len(d) > 10
            assert_same_frame(d, s, ["antecedent", "consequent"])
    d_train, d_test = holdout_split(bought_lines(demo_ws, AS_OF))
    s_train, s_test = holdout_split(bought_lines(spark_ws, AS_OF))
    key = ["customer_id", "order_id", "item"]
    assert_same_frame(d_test.to_pandas(), s_test.to_pandas(), key)
    assert_same_frame(d_train.to_pandas(), s_train.to_pandas(), key)
