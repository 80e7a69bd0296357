"""A lake-shaped copy of the demo data in a Spark database, as a data engineer would have it.

``write_lake`` writes the demo tables as Parquet tables of a Spark database (default ``lake``),
from a session whose time zone is ``timezone`` (Asia/Shanghai: the wall-clock times of the demo
are that zone's), with the habits of real lakes:

- ``lake.orders`` (transactions): ``ord_no`` for order_id, ``typ`` with ``S`` / ``R`` for the
  kind, ``amt`` and ``cost_amt`` as ``decimal(18,2)``;
- ``lake.customers``: ``signup_date`` as text (``YYYY-MM-DD``), ``credit_limit`` a decimal;
- ``lake.products``, ``lake.interactions``, ``lake.complaints`` under their canonical names.

:data:`LAKE_MAPPING` is the mapping that reads it back as canonical tables. The benchmark
``benchmarks/bench_spark.py`` builds its lake with the same function.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

LAKE_TABLES = ("customers", "products", "transactions", "interactions", "complaints")
KIND_CODES = {"sale": "S", "return": "R"}
LAKE_MAPPING: dict[str, Any] = {
    "transactions": {
        "table": "orders",
        "columns": {
            "order_id": "ord_no",
            "kind": {"source": "typ", "values": {"S": "sale", "R": "return"}},
            "amount": "amt",
            "cost": "cost_amt",
        },
    },
}


def lake_frames(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The demo's canonical frames renamed and recoded as the lake has them (before types)."""
    tx = tables["transactions"].rename(
        columns={"order_id": "ord_no", "kind": "typ", "amount": "amt", "cost": "cost_amt"}
    )
    tx["typ"] = tx["typ"].map(KIND_CODES)
    customers = tables["customers"].copy()
    customers["signup_date"] = pd.to_datetime(customers["signup_date"]).dt.strftime("%Y-%m-%d")
    return {
        "orders": tx,
        "customers": customers,
        "products": tables["products"],
        "interactions": tables["interactions"],
        "complaints": tables["complaints"],
    }


DECIMALS = {"orders": ("amt", "cost_amt"), "customers": ("credit_limit",), "products": ("price",)}


def write_lake(
    session: Any,
    tables: dict[str, pd.DataFrame],
    *,
    database: str = "lake",
    timezone: str = "Asia/Shanghai",
) -> None:
    """Write ``tables`` (the demo's canonical frames) as the Parquet tables of ``database``.

    The session time zone is ``timezone`` while writing (naive wall-clock times are that zone's)
    and is put back afterwards.
    """
    import pyarrow as pa
    from pyspark.sql import functions as F

    key = "spark.sql.session.timeZone"
    before = session.conf.get(key)
    session.conf.set(key, timezone)
    try:
        session.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        for name, frame in lake_frames(tables).items():
            arrow = pa.Table.from_pandas(frame, preserve_index=False)
            df = session.createDataFrame(arrow)
            for column in DECIMALS.get(name, ()):
                df = df.withColumn(column, F.col(column).cast("decimal(18,2)"))
            df.write.format("parquet").mode("overwrite").saveAsTable(f"{database}.{name}")
    finally:
        session.conf.set(key, before)


#: Lake table of each canonical table :func:`lake_frames` writes.
LAKE_NAMES = {"transactions": "orders"}


def write_lake_from_parquet(
    session: Any,
    folder: Any,
    *,
    database: str = "lake",
    timezone: str = "Asia/Shanghai",
) -> None:
    """:func:`write_lake` from ``<folder>/<canonical table>.parquet`` files (e.g. written by
    DuckDB's ``COPY``), renamed and recoded in Spark as :func:`lake_frames` does in pandas, so
    a warehouse of millions of lines never passes through pandas. Naive timestamps are read as
    wall-clock times of ``timezone``, as :func:`write_lake` reads them."""
    from pathlib import Path

    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampNTZType

    renames = {"order_id": "ord_no", "kind": "typ", "amount": "amt", "cost": "cost_amt"}
    key = "spark.sql.session.timeZone"
    before = session.conf.get(key)
    session.conf.set(key, timezone)
    try:
        session.sql(f"CREATE DATABASE IF NOT EXISTS {database}")
        for canonical in LAKE_TABLES:
            name = LAKE_NAMES.get(canonical, canonical)
            df = session.read.parquet(str(Path(folder) / f"{canonical}.parquet"))
            for field in df.schema.fields:  # wall-clock times of the warehouse time zone
                if isinstance(field.dataType, TimestampNTZType):
                    df = df.withColumn(field.name, F.col(field.name).cast("timestamp"))
            if canonical == "transactions":
                codes = F  # kinds without a code become null, as lake_frames' map does
                for kind, code in KIND_CODES.items():
                    codes = codes.when(F.col("kind") == kind, F.lit(code))
                df = df.withColumn("kind", codes)
                df = df.withColumnsRenamed(renames)
            if canonical == "customers":
                df = df.withColumn("signup_date", F.date_format("signup_date", "yyyy-MM-dd"))
            for column in DECIMALS.get(name, ()):
                df = df.withColumn(column, F.col(column).cast("decimal(18,2)"))
            df.write.format("parquet").mode("overwrite").saveAsTable(f"{database}.{name}")
    finally:
        session.conf.set(key, before)
