"""Complaints: volume and rates, handling times and SLA, backlog, customers, cost, topics.

The relational work is Ibis (runs on DuckDB and Spark) over ``complaints``, ``transactions`` and
``customers``; every function takes an as-of date and sees only complaints opened, and step times
recorded, at or before it. Text topics run in scikit-learn on the descriptions.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use: ``crmlytics.config`` imports this package's config, and the text
# topics pull in scikit-learn, which would cost every command seconds of start-up.
_LAZY = {
    "ComplaintImpact": "crmlytics.complaints.impact",
    "ComplaintsConfig": "crmlytics.complaints.config",
    "OBSERVATIONAL_NOTE": "crmlytics.complaints.impact",
    "STEPS": "crmlytics.complaints.durations",
    "backlog": "crmlytics.complaints.durations",
    "category_month_heatmap": "crmlytics.complaints.charts",
    "category_terms": "crmlytics.complaints.topics",
    "complaint_impact": "crmlytics.complaints.impact",
    "complaint_steps": "crmlytics.complaints.durations",
    "complaint_texts": "crmlytics.complaints.topics",
    "complaint_volume": "crmlytics.complaints.volume",
    "contact_volume": "crmlytics.complaints.contacts",
    "fit_topics": "crmlytics.complaints.topics",
    "flag_months": "crmlytics.complaints.volume",
    "handling_times": "crmlytics.complaints.durations",
    "monthly_trend": "crmlytics.complaints.volume",
    "open_complaints_by_tier": "crmlytics.complaints.customers",
    "quality_findings": "crmlytics.complaints.durations",
    "repeat_complainers": "crmlytics.complaints.customers",
    "revisit_due": "crmlytics.complaints.contacts",
    "rising_terms": "crmlytics.complaints.topics",
    "satisfaction_by_resolution": "crmlytics.complaints.customers",
    "satisfaction_chart": "crmlytics.complaints.charts",
    "sla_trend": "crmlytics.complaints.charts",
    "step_duration_box": "crmlytics.complaints.charts",
    "suggest_categories": "crmlytics.complaints.topics",
    "terms": "crmlytics.complaints.topics",
    "top_terms_chart": "crmlytics.complaints.charts",
    "topic_alignment": "crmlytics.complaints.topics",
    "unfollowed": "crmlytics.complaints.durations",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.complaints' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
