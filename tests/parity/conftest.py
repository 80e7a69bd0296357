"""Engine parity: the same Ibis expressions on DuckDB and on a local Spark session.

``spark_backend`` starts one ``local[2]`` Spark session for the whole test run (about 10 s).
``to_spark(ws)`` copies every canonical table of a DuckDB workspace into Spark and returns a
workspace attached to the copies, so a test computes ``f(ws)`` and ``f(to_spark(ws))`` and compares
them with ``assert_same_frame``. Conversions between Spark and pandas (timestamps, nulls, decimals)
stay here, in the tests' view, not in the library.
"""

from __future__ import annotations

import itertools
import os
import shutil
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from crmlytics.schema import CANONICAL
from crmlytics.workspace import Workspace

_counter = itertools.count()


def _java_available() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def spark_backend(tmp_path_factory):
    if not _java_available():
        pytest.fail("parity tests need Java (.ci/run installs it)")
    pyspark = pytest.importorskip("pyspark")
    import ibis
    from pyspark.sql import SparkSession

    from crmlytics.engines.spark import local_defaults

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    builder = SparkSession.builder.master("local[2]")
    for key, value in local_defaults("local[2]").items():  # what crmlytics gives local[2]
        builder = builder.config(key, value)
    session = (
        builder.appName("crmlytics-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.memory", "2g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    del pyspark
    yield ibis.pyspark.connect(session)
    session.stop()


@pytest.fixture
def to_spark(spark_backend):
    """Copy a DuckDB workspace's canonical tables into Spark; return the attached workspace."""

    def copy(ws: Workspace) -> Workspace:
        run = next(_counter)
        mapping = {}
        for name, table_spec in CANONICAL.items():
            frame = ws.table(name).to_pyarrow()
            spark_name = f"parity_{run}_{name}"
            spark_backend.create_table(
                spark_name, frame, schema=table_spec.ibis_schema(), overwrite=True
            )
            mapping[name] = spark_name
        # the copies were written by a UTC session: read them in UTC
        return Workspace.attach(spark_backend, mapping, timezone="UTC")

    return copy


def _normalise(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = pd.to_datetime(series).dt.tz_localize(None).astype("datetime64[us]")
        elif series.dtype == object and series.map(lambda v: hasattr(v, "isoformat")).any():
            out[column] = pd.to_datetime(series).astype("datetime64[us]")
        elif (
            pd.api.types.is_numeric_dtype(series)
            or pd.api.types.is_bool_dtype(series)
            or series.dropna().map(lambda v: isinstance(v, (int, float, Decimal, bool))).all()
            and series.notna().any()
        ):
            out[column] = pd.to_numeric(series, errors="coerce").astype("float64")
        else:
            out[column] = series.astype("object").where(series.notna(), None)
    return out.sort_values(key).reset_index(drop=True)


def assert_same_frame(duck: pd.DataFrame, spark: pd.DataFrame, key: list[str]) -> None:
    """Equal up to row order, dtype spelling and floating-point summation order (rel 1e-9)."""
    assert list(duck.columns) == list(spark.columns)
    assert len(duck) == len(spark), f"{len(duck)} rows on DuckDB, {len(spark)} on Spark"
    a, b = _normalise(duck, key), _normalise(spark, key)
    for column in a.columns:
        left, right = a[column], b[column]
        if "float64" in (left.dtype, right.dtype):  # an all-null column has no numeric dtype
            left, right = (
                pd.to_numeric(x, errors="raise").astype("float64") for x in (left, right)
            )
        if left.dtype == "float64":
            np.testing.assert_allclose(
                left.to_numpy(),
                right.to_numpy(),
                rtol=1e-9,
                atol=1e-9,
                equal_nan=True,
                err_msg=f"column {column}",
            )
        else:
            pd.testing.assert_series_equal(left, right, check_names=False, obj=f"column {column}")
