"""Ingest: files into the canonical tables of the DuckDB warehouse (the staging layer).

>>> from crmlytics.ingest import ingest                                   # doctest: +SKIP
>>> ingest(ws, "transactions", ["orders.csv"], mapping="map.yaml")        # doctest: +SKIP

See :func:`ingest` for the contract, :mod:`crmlytics.ingest.formats` for formats, headers and
line numbers, :mod:`crmlytics.ingest.mapping` for the mapping file, and
:mod:`crmlytics.ingest.parsing` for the accepted date, number and boolean texts.
"""

from crmlytics.ingest.commit import load_summary
from crmlytics.ingest.loading import IngestError, LoadResult, ingest

__all__ = ["IngestError", "LoadResult", "ingest", "load_summary"]
