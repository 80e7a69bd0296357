"""The Spark engine and lake table mappings in ``crmlytics.yaml`` (``warehouse`` section).

.. code-block:: yaml

    warehouse:
      engine: spark                    # duckdb (default) or spark
      spark:
        master: local[2]               # or remote: sc://host:15002 (Spark Connect)
        database: lake                 # where unqualified lake tables are looked up
        conf: {spark.sql.shuffle.partitions: 8}
        log_level: ERROR               # ERROR (default), WARN, INFO or DEBUG
      tables:
        transactions:
          table: orders                # or "lake.orders"
          database: lake
          columns:
            order_id: ord_no                                   # renamed
            customer_id: [branch, cust_no]                     # joined with "-"
            kind: {source: typ, values: {S: sale, R: return}}  # value map
        products: {absent: true}       # not in the lake: analyses go on without it

The time zone of the session is the warehouse time zone, ``ingest.timezone`` (default: this
machine's); it is set by crmlytics, not in ``conf``.

``remote`` (Spark Connect) uses PySpark's Connect client (grpcio and friends), which
``crmlytics[spark]`` installs (``pyspark[connect]``). The server's static settings are its own:
only runtime SQL settings of ``conf`` and the time zone are sent.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TIMEZONE_KEY = "spark.sql.session.timeZone"
Scalar = str | bool | int | float


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkConfig(_Section):
    """How crmlytics starts (or connects to) its Spark session."""

    master: str | None = Field(
        None, description="Spark master, e.g. local[2], yarn, spark://host:7077 (default local[*])"
    )
    remote: str | None = Field(
        None, pattern=r"^sc://", description="Spark Connect URL sc://host:port (instead of master)"
    )
    app_name: str = Field("crmlytics", min_length=1, description="application name")
    database: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="database of lake tables named without one (default: the session's)",
    )
    conf: dict[str, Scalar] = Field(
        default_factory=dict, description="extra session settings (spark.* keys)"
    )
    log_level: Literal["ERROR", "WARN", "INFO", "DEBUG"] = Field(
        "ERROR", description="Spark's own log level (WARN shows its warnings)"
    )

    @model_validator(mode="after")
    def _one_endpoint(self) -> SparkConfig:
        if self.master and self.remote:
            raise ValueError("give master (a Spark master) or remote (Spark Connect), not both")
        return self

    @field_validator("conf")
    @classmethod
    def _spark_keys(cls, conf: dict[str, Scalar]) -> dict[str, Scalar]:
        bad = [k for k in conf if not k.startswith("spark.")]
        if bad:
            raise ValueError(f"session settings start with 'spark.'; not {', '.join(bad)}")
        if TIMEZONE_KEY in conf:
            raise ValueError(
                f"{TIMEZONE_KEY} is the warehouse time zone: set ingest.timezone instead"
            )
        return conf


class ValueMapped(_Section):
    """A lake column with a value map: ``{source: column, values: {from: to}}``."""

    source: str | list[str]
    values: dict[Scalar, Scalar] = Field(default_factory=dict)


ColumnSource = str | list[str] | ValueMapped


class TableMapping(_Section):
    """Where a canonical table lives in the lake and how its columns are named there."""

    table: str | None = Field(
        None, min_length=1, description="lake table name, or database.table (default: canonical)"
    )
    database: str | None = Field(
        None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="its database"
    )
    columns: dict[str, ColumnSource] = Field(
        default_factory=dict, description="canonical column: lake column, [columns] or value map"
    )
    absent: bool = Field(False, description="the lake has no such table")

    @model_validator(mode="after")
    def _consistent(self) -> TableMapping:
        if self.absent and (self.table or self.database or self.columns):
            raise ValueError("an absent table has no table, database or columns")
        if self.database and self.table and "." in self.table:
            raise ValueError(
                f"table {self.table!r} already names a database; drop database or the prefix"
            )
        return self


class LakeConfig(_Section):
    """Mixin of :class:`~crmlytics.config.WarehouseConfig`: the engine and its lake tables."""

    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="duckdb: the embedded file (--db); spark: attached lake tables"
    )
    spark: SparkConfig = SparkConfig()
    tables: dict[str, TableMapping | str] = Field(
        default_factory=dict,
        description="canonical table: lake table name or mapping (engine spark)",
    )

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableMapping | str]) -> dict[str, TableMapping | str]:
        from crmlytics.engines.mapping import normalise_mapping

        for name, mapping in tables.items():
            normalise_mapping(name, mapping, where=f"tables.{name}")
        return tables
