"""A lake as a data engineer has it, read on Spark: the README example, the time zone, mapping
checks at attach, absent tables and a CLI command from a Spark-configured crmlytics.yaml.

The lake (tests/parity/lake.py) is the demo data (2,000 customers) written as Parquet tables of a
Spark database ``lake`` by a session in Asia/Shanghai, with renamed columns, ``decimal(18,2)``
amounts and ``S`` / ``R`` kind codes; the reference is the same data in a DuckDB warehouse.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import UnknownNameError
from crmlytics.facts import facts, sold_categories
from crmlytics.schema import CANONICAL
from crmlytics.workspace import AbsentTableError, Workspace
from tests.parity.conftest import assert_same_frame
from tests.parity.lake import LAKE_MAPPING, LAKE_TABLES, write_lake

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
TIMEZONE = "Asia/Shanghai"
AS_OF = "2025-06-30"
TZ_KEY = "spark.sql.session.timeZone"


@pytest.fixture(scope="module")
def demo_tables():
    from crmlytics.demo import generate_demo

    return generate_demo(customers=2000, seed=11).tables


@pytest.fixture(scope="module")
def duck_path(demo_tables, tmp_path_factory):
    """The reference: the same tables in a DuckDB warehouse in the same time zone."""
    path = tmp_path_factory.mktemp("lake-ref") / "crm.duckdb"
    with Workspace.open(path, timezone=TIMEZONE) as ws:
        for name in LAKE_TABLES:
            ws.insert(name, demo_tables[name])
    return path


@pytest.fixture(scope="module")
def duck_facts(duck_path):
    with Workspace.open(duck_path, read_only=True, timezone=TIMEZONE) as ws:
        return facts(ws, AS_OF)


@pytest.fixture(scope="module")
def spark(spark_backend, demo_tables):
    """The shared session with the lake written; its time zone and database put back after."""
    session = spark_backend._session
    write_lake(session, demo_tables, database="lake", timezone=TIMEZONE)
    yield session
    session.conf.set(TZ_KEY, "UTC")
    session.catalog.setCurrentDatabase("default")


def _visible(ts: pd.Series, point) -> pd.Series:
    cutoff = pd.Timestamp(point.cutoff)
    return ts <= cutoff if point.inclusive else ts < cutoff


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    (example,) = [b for b in blocks if "Workspace.attach(" in b and "lake.orders" in b]
    return example


@pytest.fixture(scope="module")
def readme_ws(spark):
    import ibis

    import crmlytics as crm

    namespace = {"crm": crm, "ibis": ibis, "spark": spark}
    exec(_readme_example(), namespace)  # the README's own words, against lake.orders
    return namespace["ws"]


@pytest.fixture(scope="module")
def spark_facts(readme_ws):
    return facts(readme_ws, AS_OF)


def test_readme_example_reads_a_database_qualified_lake_table(readme_ws, spark_facts, duck_facts):
    assert readme_ws.lake_table("transactions").qualified == "lake.orders"
    assert readme_ws.table("transactions").amount.type().is_floating()  # decimal(18,2) → money
    assert_same_frame(duck_facts, spark_facts, ["customer_id"])


def test_purchase_dates_of_early_morning_buyers_are_the_same_day_on_both_engines(
    demo_tables, spark_facts, duck_facts
):
    # Orders placed before 08:00 in Shanghai fall on the previous day in UTC: the day Spark
    # would give them if its session stayed in UTC, as ibis.pyspark.connect leaves it.
    tx = demo_tables["transactions"]
    sales = tx[(tx.kind == "sale") & _visible(tx.order_ts, resolve_as_of(AS_OF))]
    first = sales.sort_values("order_ts").groupby("customer_id").order_ts.first()
    early = first[first.dt.hour < 8].index
    assert len(early) >= 20, "the demo should have early-morning first purchases"
    duck = duck_facts.set_index("customer_id").loc[early]
    spark = spark_facts.set_index("customer_id").loc[early]
    for column in ("first_purchase_date", "last_purchase_date"):
        pd.testing.assert_series_equal(
            pd.to_datetime(duck[column]), pd.to_datetime(spark[column]), check_names=False
        )
    # the local day of the first order, not the UTC one (a day earlier for these customers)
    # (a customer whose first order was fully returned has a later first purchase: hence 0.9)
    local_days = first.loc[early].dt.normalize()
    assert (pd.to_datetime(spark["first_purchase_date"]) == local_days).mean() > 0.9


def test_a_typo_in_an_optional_lake_column_fails_at_attach(spark):
    import ibis

    mapping = {"transactions": {"table": "lake.orders", "columns": {"cost": "cst"}}}
    with pytest.raises(UnknownNameError) as caught:
        Workspace.attach(ibis.pyspark.connect(spark), mapping, timezone=TIMEZONE)
    message = str(caught.value)
    assert "lake.orders" in message and "'cst'" in message and "transactions.cost" in message
    assert "cost_amt" in message  # the columns the lake table has


def test_absent_tables_are_declared_and_analyses_say_what_they_cannot_compute(spark, demo_tables):
    import ibis

    from crmlytics.complaints.contacts import contact_volume

    mapping = {
        **LAKE_MAPPING,
        "products": {"absent": True},
        "interactions": {"absent": True},
    }
    ws = Workspace.attach(ibis.pyspark.connect(spark), mapping, database="lake", timezone=TIMEZONE)
    point = resolve_as_of(AS_OF)
    got = sold_categories(ws, point).to_pandas().set_index("customer_id").categories_bought
    # without products, only the categories written on the sale lines count
    tx = demo_tables["transactions"]
    lines = tx[(tx.kind == "sale") & (tx.amount >= 0) & _visible(tx.order_ts, point)]
    expected = lines.dropna(subset=["category"]).groupby("customer_id").category.nunique()
    pd.testing.assert_series_equal(
        got.sort_index().astype("int64"), expected.sort_index().astype("int64"), check_names=False
    )
    with pytest.raises(AbsentTableError, match="interactions is declared absent.*contact_volume"):
        contact_volume(ws, AS_OF)


def test_facts_command_on_a_spark_configured_warehouse_writes_the_duckdb_csv(
    spark, duck_path, tmp_path
):
    import yaml

    from tests.test_cli_contract import run

    config = tmp_path / "crmlytics.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "ingest": {"timezone": TIMEZONE},
                "warehouse": {
                    "engine": "spark",
                    "spark": {"master": "local[2]", "database": "lake"},
                    "tables": LAKE_MAPPING,
                },
            }
        ),
        encoding="utf-8",
    )
    duck_config = tmp_path / "duck.yaml"
    duck_config.write_text(f"ingest: {{timezone: {TIMEZONE}}}\n", encoding="utf-8")
    on_spark = run("facts", "--as-of", AS_OF, "--config", config, "--out", tmp_path / "s.csv")
    assert on_spark.exit_code == 0, on_spark.output
    on_duck = run(
        "facts", "--as-of", AS_OF, "--db", duck_path, "--config", duck_config,
        "--out", tmp_path / "d.csv",
    )  # fmt: skip
    assert on_duck.exit_code == 0, on_duck.output
    duck, sparked = (pd.read_csv(tmp_path / f) for f in ("d.csv", "s.csv"))
    assert len(duck) == 2000
    assert_same_frame(duck, sparked, ["customer_id"])
    assert set(CANONICAL) >= set(LAKE_TABLES)
