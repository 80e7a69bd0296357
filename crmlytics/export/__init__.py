"""Segment lists for marketing: ``crmlytics export``.

:func:`export_segment` cuts a segment out of the score table, applies a safe ``where`` filter
(:mod:`crmlytics.export.where`), removes opted-out customers, optionally replaces email and phone
by their normalised SHA-256 hashes (:mod:`crmlytics.export.pii`) and writes CSV, Excel or Parquet
with stable column names and order (:mod:`crmlytics.export.lists`).
"""

from crmlytics.export.lists import (
    EXPORT_FORMATS,
    ExportResult,
    candidate_counts,
    export_segment,
    list_columns,
    segment_candidates,
    suppressed,
    write_list,
)
from crmlytics.export.pii import (
    hash_contact_columns,
    hash_email,
    hash_phone,
    normalize_email,
    normalize_phone,
    sha256_hex,
)
from crmlytics.export.where import WhereError, parse_where, where_predicate

__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "WhereError",
    "candidate_counts",
    "export_segment",
    "hash_contact_columns",
    "hash_email",
    "hash_phone",
    "list_columns",
    "normalize_email",
    "normalize_phone",
    "parse_where",
    "segment_candidates",
    "sha256_hex",
    "suppressed",
    "where_predicate",
    "write_list",
]
