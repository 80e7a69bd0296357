"""Engines behind the warehouse: the embedded DuckDB file (default) or Spark over a lake.

- :mod:`crmlytics.engines.config`: the ``warehouse.spark`` and ``warehouse.tables`` sections of
  ``crmlytics.yaml`` (validated with pydantic, no Spark needed);
- :mod:`crmlytics.engines.mapping`: lake table mappings checked and normalised (the vocabulary of
  ingest mappings: renamed columns, value maps, composite keys), used by
  :meth:`crmlytics.Workspace.attach`;
- :mod:`crmlytics.engines.spark`: starting a quiet Spark session in the warehouse time zone and
  turning Spark's errors into one-line :class:`~crmlytics.errors.CrmlyticsError` s.

Nothing here imports pyspark until a Spark session is asked for.
"""
