"""Customer master quality (客户合并): likely duplicate records with a merge suggestion and its
evidence, merges applied on request and reversible, customers missing the fields lists need.

Finding duplicates and incomplete records only reads; merging writes the warehouse (DuckDB) and
records every merge in ``customer_merges`` so that it can be undone exactly.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "CustomersConfig": "crmlytics.customers.config",
    "DUPLICATE_COLUMNS": "crmlytics.customers.duplicates",
    "duplicate_customers": "crmlytics.customers.duplicates",
    "match_keys": "crmlytics.customers.duplicates",
    "incomplete_customers": "crmlytics.customers.duplicates",
    "merge_customers": "crmlytics.customers.merge",
    "merge_suggestions": "crmlytics.customers.merge",
    "undo_merge": "crmlytics.customers.merge",
    "merge_log": "crmlytics.customers.merge",
    "fact_references": "crmlytics.customers.merge",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.customers' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
