"""Complaints: volume and rates, handling times and SLA, backlog, customers, cost, topics.

The relational work is Ibis (runs on DuckDB and Spark) over ``complaints``, ``transactions`` and
``customers``; every function takes an as-of date and sees only complaints opened, and step times
recorded, at or before it. Text topics run in scikit-learn on the descriptions.
"""

from crmlytics.complaints.charts import (
    category_month_heatmap,
    satisfaction_chart,
    sla_trend,
    step_duration_box,
    top_terms_chart,
)
from crmlytics.complaints.config import ComplaintsConfig
from crmlytics.complaints.contacts import contact_volume, revisit_due
from crmlytics.complaints.customers import (
    open_complaints_by_tier,
    repeat_complainers,
    satisfaction_by_resolution,
)
from crmlytics.complaints.durations import (
    STEPS,
    backlog,
    complaint_steps,
    handling_times,
    quality_findings,
    unfollowed,
)
from crmlytics.complaints.impact import OBSERVATIONAL_NOTE, ComplaintImpact, complaint_impact
from crmlytics.complaints.topics import (
    category_terms,
    complaint_texts,
    fit_topics,
    rising_terms,
    suggest_categories,
    terms,
    topic_alignment,
)
from crmlytics.complaints.volume import complaint_volume, flag_months, monthly_trend

__all__ = [
    "OBSERVATIONAL_NOTE",
    "STEPS",
    "ComplaintImpact",
    "ComplaintsConfig",
    "backlog",
    "category_month_heatmap",
    "category_terms",
    "complaint_impact",
    "contact_volume",
    "complaint_steps",
    "complaint_texts",
    "complaint_volume",
    "fit_topics",
    "flag_months",
    "handling_times",
    "monthly_trend",
    "open_complaints_by_tier",
    "quality_findings",
    "repeat_complainers",
    "revisit_due",
    "rising_terms",
    "satisfaction_by_resolution",
    "satisfaction_chart",
    "sla_trend",
    "step_duration_box",
    "suggest_categories",
    "terms",
    "top_terms_chart",
    "topic_alignment",
    "unfollowed",
]
