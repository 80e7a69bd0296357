"""Complaints: volume and rates, handling times and SLA, backlog, customers, cost, topics.

The relational work is Ibis (runs on DuckDB and Spark) over ``complaints``, ``transactions`` and
``customers``; every function takes an as-of date and sees only complaints opened, and step times
recorded, at or before it. Text topics run in scikit-learn on the descriptions.
"""

from crmlytics.complaints.config import ComplaintsConfig
from crmlytics.complaints.durations import (
    STEPS,
    backlog,
    complaint_steps,
    handling_times,
    quality_findings,
    unfollowed,
)
from crmlytics.complaints.volume import complaint_volume, flag_months, monthly_trend

__all__ = [
    "STEPS",
    "ComplaintsConfig",
    "backlog",
    "complaint_steps",
    "complaint_volume",
    "flag_months",
    "handling_times",
    "monthly_trend",
    "quality_findings",
    "unfollowed",
]
