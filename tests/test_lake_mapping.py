"""Lake mappings and the engine section of the config, without Spark (an attached DuckDB lake).

The expressions are the ones Spark runs (tests/parity/test_parity_lake.py runs them there); here
the rules are checked on hand-made tables whose canonical values are worked out by eye.
"""

from __future__ import annotations

import re

import ibis
import pandas as pd
import pytest

from crmlytics.complaints.contacts import contact_volume
from crmlytics.config import load_config
from crmlytics.errors import ConfigError, UnknownNameError, WarehouseError
from crmlytics.facts import facts
from crmlytics.workspace import AbsentTableError, Workspace
from tests.test_cli_contract import run


def _config(tmp_path, text: str):
    path = tmp_path / "crmlytics.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


SPARK_YAML = """
ingest: {timezone: Asia/Shanghai}
warehouse:
  engine: spark
  spark:
    master: local[2]
    database: lake
    conf: {spark.sql.shuffle.partitions: 4}
  tables:
    transactions:
      table: lake.orders
      columns:
        order_id: ord_no
        customer_id: [branch, cust_no]
        kind: {source: typ, values: {S: sale, R: return}}
        amount: amt
    products: {absent: true}
    customers: crm_customers
"""


def test_config_describes_a_spark_warehouse_with_its_lake_tables(tmp_path):
    conf = _config(tmp_path, SPARK_YAML)
    assert conf.warehouse.engine == "spark"
    assert conf.warehouse.spark.master == "local[2]"
    assert conf.warehouse.spark.conf == {"spark.sql.shuffle.partitions": 4}
    ws = Workspace(ibis.duckdb.connect(), conf.warehouse.tables, database="lake")
    tx = ws.mapping["transactions"]
    assert (tx.database, tx.table) == ("lake", "orders")
    assert tx.columns["customer_id"].sources == ("branch", "cust_no")
    assert tx.columns["kind"].values == {"S": "sale", "R": "return"}
    assert ws.mapping["products"].absent
    assert ws.mapping["customers"].qualified == "lake.crm_customers"  # the default database
    assert load_config(None).warehouse.engine == "duckdb"  # DuckDB stays the default


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("warehouse: {engine: hive}", "warehouse.engine"),
        ("warehouse: {spark: {master: 'local[2]', remote: 'sc://h:15002'}}", "not both"),
        ("warehouse: {spark: {remote: 'http://h'}}", "warehouse.spark.remote"),
        ("warehouse: {spark: {conf: {spark.sql.session.timeZone: UTC}}}", "ingest.timezone"),
        ("warehouse: {spark: {conf: {shuffle: 4}}}", "start with 'spark.'"),
        ("warehouse: {spark: {master: x, sesion: y}}", "warehouse.spark.sesion"),
        ("warehouse: {tables: {orders: x}}", "unknown table 'orders'"),
        ("warehouse: {tables: {transactions: {columns: {amt: a}}}}", "no column 'amt'"),
        ("warehouse: {tables: {transactions: {table: x, colums: {}}}}", "colums"),
        ("warehouse: {tables: {products: {absent: true, table: p}}}", "absent table"),
        ("warehouse: {tables: {transactions: {table: l.o, database: l}}}", "already names"),
        (
            "warehouse: {tables: {transactions: {columns: {kind: {source: [a, b], "
            "values: {S: sale}}}}}}",
            "value map needs a single source column",
        ),
    ],
)
def test_config_mistakes_in_the_engine_section_name_the_key(tmp_path, text, says):
    with pytest.raises(ConfigError, match=says):
        _config(tmp_path, text)


def _lake() -> ibis.BaseBackend:
    """A lake table written the way lakes are: renamed columns, codes, decimals, text times."""
    lake = ibis.duckdb.connect()
    lake.raw_sql("CREATE SCHEMA lake")
    lake.raw_sql(
        """CREATE TABLE lake.orders AS SELECT * FROM (VALUES
        ('o1', 1, 'S', 'SH', '0001', '2024-01-01 23:30:00', 12.50::DECIMAL(18,2), 8.10),
        ('o1', 1, 'R', 'SH', '0001', '2024-01-02 00:30:00', -2.25::DECIMAL(18,2), -1.50),
        ('o2', 1, 'X', 'BJ', '', '2024-01-03 10:00:00', 7.00::DECIMAL(18,2), NULL))
        AS t(ord_no, line, typ, branch, cust_no, ts_text, amt, cost_amt)"""
    )
    return lake


LAKE = {
    "transactions": {
        "table": "lake.orders",
        "columns": {
            "order_id": "ord_no",
            "line_no": "line",
            "kind": {"source": "typ", "values": {"S": "sale", "R": "return"}},
            "customer_id": ["branch", "cust_no"],
            "order_ts": "ts_text",
            "amount": "amt",
            "cost": "cost_amt",
        },
    },
}


def test_lake_text_is_trimmed_and_a_blank_is_missing_as_ingest_cleans_it():
    lake = ibis.duckdb.connect()
    lake.raw_sql("CREATE SCHEMA lake")
    lake.raw_sql(
        """CREATE TABLE lake.orders AS SELECT * FROM (VALUES
        (' o7 ', 1, ' ', 'SH', '0001', '2024-01-01 10:00:00', 1.00::DECIMAL(18,2), 0.5),
        ('o8', 1, '', 'SH', '0001', '2024-01-01 11:00:00', 2.00::DECIMAL(18,2), 0.5),
        ('o9', 1, ' R ', 'SH', '0001', '2024-01-01 12:00:00', -1.00::DECIMAL(18,2), -0.5))
        AS t(ord_no, line, typ, branch, cust_no, ts_text, amt, cost_amt)"""
    )
    ws = Workspace.attach(lake, LAKE, timezone="UTC")
    tx = ws.table("transactions").to_pandas().sort_values("amount")
    assert tx["order_id"].tolist() == ["o9", "o7", "o8"]  # ' o7 ' trimmed, so it joins
    assert tx["kind"].iloc[0] == "return"
    assert tx["kind"].iloc[1:].isna().all()  # ' ' and '' are missing, not a kind ''


def test_lake_columns_are_renamed_joined_value_mapped_and_cast():
    ws = Workspace.attach(_lake(), LAKE, timezone="UTC")
    tx = ws.table("transactions").to_pandas().sort_values(["order_id", "order_ts"])
    # composite key as ingest builds it: parts joined with "-", missing when a part is empty
    assert tx["customer_id"].tolist()[:2] == ["SH-0001", "SH-0001"]
    assert pd.isna(tx["customer_id"].iloc[2])
    # the value map replaces the codes it lists and keeps the others
    assert tx["kind"].tolist() == ["sale", "return", "X"]
    # decimal(18,2) is read as float64 money, the text times as timestamps
    assert tx["amount"].dtype == "float64"
    assert tx["amount"].tolist() == [12.5, -2.25, 7.0]
    assert tx["order_ts"].tolist() == [
        pd.Timestamp("2024-01-01 23:30"),
        pd.Timestamp("2024-01-02 00:30"),
        pd.Timestamp("2024-01-03 10:00"),
    ]
    assert tx["line_no"].dtype == "int64"
    assert tx["cost"].tolist()[:2] == [8.1, -1.5] and pd.isna(tx["cost"].iloc[2])
    assert tx["category"].isna().all()  # not in the lake: nulls of the canonical type


def test_a_typo_in_an_optional_mapped_column_fails_at_attach_naming_table_and_columns():
    mapping = {"transactions": {**LAKE["transactions"]}}
    mapping["transactions"]["columns"] = {**LAKE["transactions"]["columns"], "cost": "cst"}
    with pytest.raises(UnknownNameError) as caught:
        Workspace.attach(_lake(), mapping, timezone="UTC")
    message = str(caught.value)
    assert "lake.orders" in message and "'cst'" in message and "transactions.cost" in message
    assert "ord_no, line, typ, branch, cust_no, ts_text, amt, cost_amt" in message


def test_a_mapped_table_missing_from_the_lake_fails_at_attach():
    with pytest.raises(WarehouseError, match=r"no table lake\.nothere \(for transactions\)"):
        Workspace.attach(_lake(), {"transactions": "lake.nothere"}, timezone="UTC")


def _lake_of(small_ws, *names: str) -> ibis.BaseBackend:
    lake = ibis.duckdb.connect()
    for name in names:
        lake.create_table(name, small_ws.table(name).to_pyarrow())
    return lake


def test_absent_tables_are_skipped_by_facts_and_refused_by_what_needs_them(small_ws):
    lake = _lake_of(small_ws, "transactions", "customers", "complaints")
    ws = Workspace.attach(
        lake, {"products": {"absent": True}, "interactions": {"absent": True}}, timezone="UTC"
    )
    got = facts(ws, "2024-01-10").set_index("customer_id")
    # a bought tea (line category) and p2 without a category: 'cups' only came from products
    assert got.loc["a", "categories_bought"] == 1
    assert facts(small_ws, "2024-01-10").set_index("customer_id").loc["a", "categories_bought"] == 2
    assert (got["contacts"] == 0).all()  # no interactions table: no contacts counted
    assert got.loc["a", "net_revenue"] == 80.0  # 150 - 100 + 30, as in tests/test_facts.py
    with pytest.raises(AbsentTableError, match=r"interactions is declared absent.*contact_volume"):
        contact_volume(ws, "2024-01-10")


def test_a_table_neither_mapped_nor_in_the_lake_is_named_when_read(small_ws):
    ws = Workspace.attach(_lake_of(small_ws, "transactions"), timezone="UTC")
    with pytest.raises(WarehouseError, match=r"no table products \(for products\).*absent: true"):
        facts(ws, "2024-01-10")


def test_db_on_a_folder_or_a_file_that_is_not_duckdb_is_one_line(tmp_path):
    (tmp_path / "lake").mkdir()
    (tmp_path / "notes.duckdb").write_text("not a warehouse", encoding="utf-8")
    folder = run("facts", "--db", tmp_path / "lake", "--as-of", "2024-01-10")
    assert folder.exit_code == 4
    assert "is a folder, not a DuckDB warehouse file" in folder.output
    other = run("facts", "--db", tmp_path / "notes.duckdb", "--as-of", "2024-01-10")
    assert other.exit_code == 4
    assert "not a valid DuckDB database file" in other.output
    for result in (folder, other):
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_engine_spark_refuses_a_db_file_and_loading_files_before_starting_spark(tmp_path):
    with_db = run("facts", "--engine", "spark", "--db", tmp_path / "x.duckdb")
    assert with_db.exit_code == 2 and "with engine spark the tables come from" in with_db.output
    csv = tmp_path / "tx.csv"
    csv.write_text("order_id,customer_id,order_ts,amount\no1,a,2024-01-01,1\n", encoding="utf-8")
    ingest = run("ingest", "transactions", csv, "--engine", "spark")
    assert ingest.exit_code == 2 and "use --engine duckdb" in ingest.output
    quick = run("quickstart", "--engine", "spark", "--demo-dir", tmp_path / "demo")
    assert quick.exit_code == 2 and "quickstart loads demo files" in quick.output
    bad = run("facts", "--engine", "hive")
    assert bad.exit_code == 2 and "--engine must be duckdb or spark" in bad.output


def test_the_readme_spark_configuration_is_valid(tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "engine: spark" in b]
    conf = _config(tmp_path, block)
    assert conf.warehouse.engine == "spark" and conf.warehouse.spark.database == "lake"
    ws = Workspace(ibis.duckdb.connect(), conf.warehouse.tables, database="lake")
    assert ws.mapping["transactions"].columns["kind"].values == {"S": "sale", "R": "return"}


def test_a_new_spark_session_starts_quiet_in_the_warehouse_time_zone():
    from crmlytics.engines.config import SparkConfig
    from crmlytics.engines.spark import log4j2_file, session_conf

    conf = session_conf(SparkConfig(conf={"spark.ui.enabled": False}), "Asia/Shanghai")
    assert conf["spark.sql.session.timeZone"] == "Asia/Shanghai"
    assert conf["spark.ui.showConsoleProgress"] == "false"
    assert conf["spark.ui.enabled"] == "false"  # a YAML boolean is Spark's word for it
    options = conf["spark.driver.extraJavaOptions"]
    assert "-Dcrmlytics.spark.log.level=ERROR" in options
    assert log4j2_file().as_uri() in options
    assert "rootLogger.level = ${sys:crmlytics.spark.log.level:-ERROR}" in log4j2_file().read_text()
    # the metastore's libraries (stack traces on every failed attempt) are off at ERROR only
    assert "logger.datanucleus.name = DataNucleus" in log4j2_file().read_text()
    assert "-Dcrmlytics.spark.metastore.log.level=OFF" in options
    warn = session_conf(SparkConfig(log_level="WARN"), "UTC")["spark.driver.extraJavaOptions"]
    assert "-Dcrmlytics.spark.metastore.log.level=WARN" in warn
    remote = session_conf(SparkConfig(remote="sc://h:15002"), "UTC")
    assert "spark.driver.extraJavaOptions" not in remote  # no local driver to configure
    # a static setting of the server's: a Connect client that sets it gets a warning
    assert "spark.ui.showConsoleProgress" not in remote


def test_a_local_session_is_sized_for_one_machine_unless_the_config_says_otherwise():
    from crmlytics.engines.config import SparkConfig
    from crmlytics.engines.spark import session_conf

    local = session_conf(SparkConfig(master="local[2]"), "UTC")
    assert local["spark.sql.shuffle.partitions"] == "2"  # not Spark's 200
    assert local["spark.sql.adaptive.enabled"] == "false"
    assert local["spark.sql.codegen.cache.maxEntries"] == "2000"  # not Spark's 100
    assert local["spark.sql.execution.arrow.pyspark.enabled"] == "true"
    # Java options given in the config reach the driver, with crmlytics' log4j2 options after
    own = SparkConfig(master="local[2]", conf={"spark.driver.extraJavaOptions": "-Xss4m"})
    options = session_conf(own, "UTC")["spark.driver.extraJavaOptions"]
    assert options.startswith("-Xss4m -Dlog4j2.configurationFile=")
    assert session_conf(SparkConfig(master="local"), "UTC")["spark.sql.shuffle.partitions"] == "1"
    given = SparkConfig(master="local[2]", conf={"spark.sql.shuffle.partitions": 16})
    assert session_conf(given, "UTC")["spark.sql.shuffle.partitions"] == "16"
    cluster = session_conf(SparkConfig(master="yarn"), "UTC")
    remote = session_conf(SparkConfig(remote="sc://h:15002"), "UTC")
    for conf in (cluster, remote):  # a cluster keeps Spark's own sizing
        assert "spark.sql.shuffle.partitions" not in conf
        assert "spark.sql.adaptive.enabled" not in conf
        assert "spark.sql.codegen.cache.maxEntries" not in conf


class _SparkError(Exception):
    """Stands for pyspark's AnalysisException: its condition and message parameters."""

    __module__ = "pyspark.errors.exceptions.captured"

    def __init__(self, condition: str, params: dict[str, str], message: str) -> None:
        super().__init__(message)
        self.condition, self.params = condition, params

    def getCondition(self) -> str:  # noqa: N802 (pyspark's name)
        return self.condition

    def getMessageParameters(self) -> dict[str, str]:  # noqa: N802
        return self.params


def test_spark_errors_become_one_line_naming_the_table_or_column():
    from crmlytics.engines.spark import translate
    from crmlytics.errors import DataError

    missing = translate(
        _SparkError(
            "TABLE_OR_VIEW_NOT_FOUND",
            {"relationName": "`lake`.`orderz`"},
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view `lake`.`orderz` cannot be found.",
        )
    )
    assert isinstance(missing, WarehouseError)
    assert str(missing).startswith("Spark: no table lake.orderz; map it in warehouse.tables")
    column = translate(
        _SparkError(
            "UNRESOLVED_COLUMN.WITH_SUGGESTION",
            {"objectName": "`cst`", "proposal": "`cost_amt`, `amt`"},
            "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ... `cst` cannot be resolved.",
        )
    )
    assert str(column) == "Spark: no column cst; did you mean one of cost_amt, amt"
    cast = translate(
        _SparkError(
            "CAST_INVALID_INPUT",
            {},
            "[CAST_INVALID_INPUT] The value 'x' of the type \"STRING\" cannot be cast to "
            '"TIMESTAMP" because it is malformed. SQLSTATE: 22018\n== SQL ==',
        )
    )
    assert isinstance(cast, DataError) and "\n" not in str(cast)
    assert "The value 'x' of the type" in str(cast) and "SQLSTATE" not in str(cast)
    assert translate(ValueError("not Spark's")) is None


class _JavaError:
    """Stands for a Java exception through py4j: its text and its cause."""

    def __init__(self, text: str, cause: _JavaError | None = None) -> None:
        self.text, self.cause = text, cause

    def toString(self) -> str:  # noqa: N802 (Java's name)
        return self.text

    def getCause(self) -> _JavaError | None:  # noqa: N802
        return self.cause


def test_a_metastore_held_by_another_process_is_a_busy_warehouse_in_one_line():
    from crmlytics.engines.spark import translate
    from crmlytics.errors import WarehouseBusyError

    # the cause chain Spark 4.0 gave while another process held the Derby metastore (cut)
    chain = None
    for text in reversed(
        [
            "org.apache.spark.sql.AnalysisException: org.apache.hadoop.hive.ql.metadata."
            "HiveException: java.lang.RuntimeException: Unable to instantiate org.apache.hadoop."
            "hive.ql.metadata.SessionHiveMetaStoreClient",
            "java.lang.reflect.InvocationTargetException",
            "MetaException(message:Failed to start database 'metastore_db' with class loader "
            "jdk.internal.loader.ClassLoaders$AppClassLoader@1dbd16a6, see the next exception "
            "for details.)",
            "ERROR XSDB6: Another instance of Derby may have already booted the database "
            "/srv/crm/metastore_db.",
        ]
    ):
        chain = _JavaError(text, chain)
    error = _SparkError("_LEGACY_ERROR_TEMP_3065", {}, "Unable to instantiate ...")
    error._origin = chain
    busy = translate(error, "using database lake")
    assert isinstance(busy, WarehouseBusyError) and busy.exit_code == 5
    assert str(busy).startswith(
        "Spark, using database lake: the Hive metastore /srv/crm/metastore_db is in use by "
        "another process"
    )
    error._origin = _JavaError("java.lang.RuntimeException: something else")
    other = translate(error)
    assert isinstance(other, WarehouseError) and not isinstance(other, WarehouseBusyError)


def test_the_jvm_start_up_notice_is_dropped_and_every_other_stderr_line_passed_on(capfd):
    import os

    from crmlytics.engines.spark import _forward_stderr

    read_end, write_end = os.pipe()
    os.write(
        write_end,
        b"WARNING: Using incubator modules: jdk.incubator.vector\n"
        b"02:37:25 ERROR SparkContext: Error initializing SparkContext.\n"
        b"Exception in thread main: WARNING: Using incubator modules: is quoted here\n",
    )
    os.close(write_end)
    _forward_stderr(read_end)  # returns when the JVM closes its end
    assert capfd.readouterr().err.splitlines() == [
        "02:37:25 ERROR SparkContext: Error initializing SparkContext.",
        "Exception in thread main: WARNING: Using incubator modules: is quoted here",
    ]


def test_the_jvm_stderr_is_drained_to_the_end_when_stderr_cannot_be_written(monkeypatch):
    """A forwarder that died on a closed stderr would leave the pipe to fill and the JVM to
    block at its next line; it reads on to the JVM's end instead."""
    import os

    import crmlytics.engines.spark as spark

    def closed(fd, data):
        raise OSError(9, "Bad file descriptor")

    read_end, write_end = os.pipe()
    os.write(write_end, b"first line\n" * 100 + b"last line\n")
    os.close(write_end)
    monkeypatch.setattr(spark.os, "write", closed)
    spark._forward_stderr(read_end)  # returns at the end of the pipe, no exception
    with pytest.raises(OSError):
        os.fstat(read_end)  # the pipe was read to its end and closed


def test_churn_features_go_without_tables_declared_absent(small_ws):
    from crmlytics.churn.features import churn_features

    lake = _lake_of(small_ws, "transactions", "customers", "complaints")
    ws = Workspace.attach(
        lake,
        {
            "products": {"absent": True},
            "interactions": {"absent": True},
            "campaign_touches": {"absent": True},
        },
        timezone="UTC",
    )
    got = churn_features(ws, "2024-01-10").to_pandas().set_index("customer_id").sort_index()
    full = churn_features(small_ws, "2024-01-10").to_pandas().set_index("customer_id")
    full = full.sort_index()
    assert len(got) == len(full) > 0
    # no sends, no contacts: zero counts and a missing open rate; purchases as before
    assert (got[["campaign_touches", "contacts", "contacts_recent"]] == 0).all().all()
    assert got["campaign_open_rate"].isna().all()
    for column in ("days_since_last_purchase", "orders", "net_revenue", "complaints"):
        pd.testing.assert_series_equal(got[column], full[column])


def test_an_unreachable_spark_connect_server_is_one_error_at_once_not_minutes_of_retries():
    import socket

    from crmlytics.engines.spark import check_reachable

    with socket.socket() as server:  # a listening server is reachable
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        check_reachable(f"sc://127.0.0.1:{port}/;user_id=analyst")
    # the same port, closed now: refused
    with pytest.raises(WarehouseError, match=rf"Spark Connect server 127.0.0.1:{port} .*refused"):
        check_reachable(f"sc://127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(WarehouseError, match="no valid port"):
        check_reachable("sc://127.0.0.1:port")
