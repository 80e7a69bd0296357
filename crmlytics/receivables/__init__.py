"""Receivables (欠款查询, 催款提醒): open balances, ageing, days sales outstanding, credit limits
and the dunning list, as of a date, from the canonical ``invoices`` and ``payments`` tables.

The relational work is Ibis (:mod:`crmlytics.receivables.balances`, runs on DuckDB and Spark);
the dunning list is written like a segment list (:mod:`crmlytics.receivables.lists`); the ageing
bars are in :mod:`crmlytics.receivables.charts` (plotly, loaded on first use).
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use: ``crmlytics.config`` imports this package's config, and the charts
# pull in plotly, which the CLI must not load at start-up.
_LAZY = {
    "BUCKETS": "crmlytics.receivables.balances",
    "ReceivablesConfig": "crmlytics.receivables.config",
    "ageing": "crmlytics.receivables.balances",
    "ageing_bars": "crmlytics.receivables.charts",
    "customer_balances": "crmlytics.receivables.balances",
    "days_sales_outstanding": "crmlytics.receivables.balances",
    "dunning": "crmlytics.receivables.balances",
    "dunning_list": "crmlytics.receivables.lists",
    "export_dunning": "crmlytics.receivables.lists",
    "invoice_balances": "crmlytics.receivables.balances",
    "over_credit_limit": "crmlytics.receivables.balances",
    "unmatched_payments": "crmlytics.receivables.balances",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.receivables' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
