"""Sales analysis: revenue over time, composition and mix shift, purchase cycles, staff.

The relational work is Ibis (runs on DuckDB and Spark) over ``transactions``, ``products``,
``customers``, the opportunity funnel, ``interactions`` and ``sales_targets``; every function
takes an as-of date and sees only rows at or before it. Results are period, group or owner grain.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use: ``crmlytics.config`` imports this package's config, and the charts
# pull in plotly, which would cost every command start-up time.
_LAZY = {
    "SalesConfig": "crmlytics.sales.config",
    "sales_trend": "crmlytics.sales.trend",
    "period_spine": "crmlytics.sales.trend",
    "TREND_COLUMNS": "crmlytics.sales.trend",
    "sales_mix": "crmlytics.sales.mix",
    "mix_windows": "crmlytics.sales.mix",
    "MIX_COLUMNS": "crmlytics.sales.mix",
    "purchase_cycle": "crmlytics.sales.cycle",
    "purchase_gaps": "crmlytics.sales.cycle",
    "CYCLE_COLUMNS": "crmlytics.sales.cycle",
    "staff_performance": "crmlytics.sales.staff",
    "STAFF_COLUMNS": "crmlytics.sales.staff",
    "revenue_trend_chart": "crmlytics.sales.charts",
    "category_mix_chart": "crmlytics.sales.charts",
    "owner_leaderboard_chart": "crmlytics.sales.charts",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.sales' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
