"""Receivables and care lists: DuckDB and Spark agree on balances, ageing, DSO, credit limits,
unmatched payments, the dunning rule and the members of every care list."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.care.lists import CARE_LISTS, care_members
from crmlytics.config import Config
from crmlytics.demo import generate_demo
from crmlytics.receivables import (
    ageing,
    customer_balances,
    days_sales_outstanding,
    dunning,
    invoice_balances,
    over_credit_limit,
    unmatched_payments,
)
from tests.parity.conftest import assert_same_frame

pytestmark = pytest.mark.spark

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo():
    return generate_demo(customers=300, seed=4)


@pytest.fixture
def books(ws, demo):
    """The demo's 300 customers (invoices with partial, late and over-payments, birth dates,
    complaints, contacts), one payment for an invoice that does not exist, and a credit limit
    low enough for some customers to be over it."""
    for table, frame in demo.tables.items():
        if table == "customers":
            frame = frame.assign(
                credit_limit=frame["credit_limit"].where(frame.index % 3 != 0, 100.0)
            )
        ws.insert(table, frame)
    ws.insert(
        "payments",
        [dict(payment_id="PX", invoice_id="NOPE", paid_at=pd.Timestamp("2025-01-02"), amount=9.0)],
    )
    return ws


RELATIONAL = {
    "invoice_balances": (invoice_balances, ["invoice_id"]),
    "customer_balances": (customer_balances, ["customer_id"]),
    "ageing": (ageing, ["ageing_bucket"]),
    "days_sales_outstanding": (days_sales_outstanding, ["receivables"]),
    "over_credit_limit": (over_credit_limit, ["customer_id"]),
    "unmatched_payments": (unmatched_payments, ["payment_id"]),
    "dunning": (dunning, ["customer_id"]),
}


@pytest.mark.parametrize("name", sorted(RELATIONAL))
def test_receivables_agree_on_both_engines(books, to_spark, name):
    func, key = RELATIONAL[name]
    duck = func(books, AS_OF).to_pandas()
    assert len(duck) > 0, name  # the data exercises the computation
    spark = func(to_spark(books), AS_OF).to_pandas()
    assert_same_frame(duck, spark, key)


@pytest.mark.parametrize("name", sorted(CARE_LISTS))
def test_care_list_members_agree_on_both_engines(books, to_spark, name):
    conf = Config.model_validate({"care": {"important_date_days": 60}})
    duck = care_members(books, name, AS_OF, conf).to_pandas()
    assert len(duck) > 0, name
    spark = care_members(to_spark(books), name, AS_OF, conf).to_pandas()
    assert_same_frame(duck, spark, ["customer_id"])
