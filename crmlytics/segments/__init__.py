"""Customer segmentation: RFM, 80/20 value tiers, lifecycle classes, four degrees, migration.

The relational work is Ibis (runs on DuckDB and Spark); frames that come back are customer grain
or smaller. :func:`customer_segments` puts every segmentation of every customer in one table.
"""

from crmlytics.segments.charts import (
    migration_sankey,
    pareto_chart,
    rf_grid,
    rf_heatmap,
    segment_treemap,
)
from crmlytics.segments.config import SegmentsConfig
from crmlytics.segments.core import (
    SEGMENT_COLUMNS,
    SEGMENTATIONS,
    customer_segments,
    resolve_segment,
    segment_column,
)
from crmlytics.segments.degrees import four_degrees
from crmlytics.segments.labels import label, labels
from crmlytics.segments.lifecycle import lifecycle
from crmlytics.segments.migration import downgrades, migration, transition_matrix
from crmlytics.segments.profiles import segment_profiles
from crmlytics.segments.rfm import rfm, rfm_report
from crmlytics.segments.value import pareto, pareto_summary, value_tiers, value_tiers_as_of

__all__ = [
    "SEGMENTATIONS",
    "SEGMENT_COLUMNS",
    "SegmentsConfig",
    "customer_segments",
    "downgrades",
    "four_degrees",
    "label",
    "labels",
    "lifecycle",
    "migration",
    "migration_sankey",
    "pareto",
    "pareto_chart",
    "pareto_summary",
    "resolve_segment",
    "rf_grid",
    "rf_heatmap",
    "rfm",
    "rfm_report",
    "segment_column",
    "segment_profiles",
    "segment_treemap",
    "transition_matrix",
    "value_tiers",
    "value_tiers_as_of",
]
