"""Segment profiles: size, shares of customers and revenue, and mean facts per segment."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.errors import ConfigError
from crmlytics.segments.config import SegmentsConfig
from crmlytics.segments.core import SEGMENTATIONS, computed_segments
from crmlytics.segments.labels import Locale, label
from crmlytics.workspace import Workspace

if TYPE_CHECKING:
    from crmlytics.config import Config

#: Columns averaged per segment.
PROFILE_MEANS = (
    "days_since_last_purchase",
    "rfm_frequency",
    "rfm_monetary",
    "orders",
    "net_revenue",
    "satisfaction",
    "loyalty",
    "contribution",
    "dependence",
    "composite",
)
NO_SEGMENT = "none"


def profile_frame(segments: ibis.Table, by: str) -> ibis.Table:
    """Per value of column ``by`` of a :func:`customer_segments` table: ``customers``,
    ``customer_share``, ``revenue``, ``revenue_share`` and ``mean_<fact>`` for each fact."""
    key = segments[by].fill_null(NO_SEGMENT)
    grouped = (
        segments.mutate(segment=key)
        .group_by("segment")
        .aggregate(
            customers=ibis._.count(),
            revenue=ibis._.net_revenue.sum(),
            **{f"mean_{c}": ibis._[c].mean() for c in PROFILE_MEANS},
        )
    )
    totals = grouped.aggregate(_customers=grouped.customers.sum(), _revenue=grouped.revenue.sum())
    t = grouped.cross_join(totals)  # totals joined on: no window over all rows
    return t.mutate(
        customer_share=t.customers / t._customers,
        revenue_share=t.revenue / t._revenue.nullif(0.0),
    ).drop("_customers", "_revenue")


def segment_profiles(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: str = "rfm_segment",
    config: Config | SegmentsConfig | None = None,
    *,
    locale: Locale = "en",
) -> pd.DataFrame:
    """Profile of each segment of ``by`` (``rfm_segment``, ``value_tier`` or ``lifecycle``).

    Built on :func:`customer_segments` as of ``as_of``. One row per segment with customers, in
    best-first order: ``segment`` (key), ``label`` (in ``locale``), ``customers``,
    ``customer_share`` (0..1), ``revenue`` (net revenue in the RFM window, currency),
    ``revenue_share`` (0..1) and ``mean_<fact>`` for days_since_last_purchase, rfm_frequency,
    rfm_monetary, orders, net_revenue and the four degrees (means over customers with a
    value). Customers without a value tier form the segment ``"none"``.
    """
    if by not in SEGMENTATIONS:
        raise ConfigError(f"by must be one of {', '.join(SEGMENTATIONS)}, not {by!r}")
    with computed_segments(ws, as_of, config) as segments:
        frame = profile_frame(segments, by).to_pandas()
    order = {key: i for i, key in enumerate(SEGMENTATIONS[by])}
    frame = frame.sort_values("segment", key=lambda s: s.map(order).fillna(len(order))).reset_index(
        drop=True
    )
    frame.insert(1, "label", [_label(k, locale, by) for k in frame["segment"]])
    first = ["segment", "label", "customers", "customer_share", "revenue", "revenue_share"]
    frame["customers"] = frame["customers"].astype("int64")
    frame = frame[first + [c for c in frame.columns if c not in first]]
    frame.attrs["by"] = by
    return frame


def _label(key: str, locale: Locale, by: str) -> str:
    if key == NO_SEGMENT:
        return "No purchase" if locale == "en" else "无购买"
    try:
        return label(key, locale, segmentation=by)
    except KeyError:  # a key from a custom RFM segment map
        return key
