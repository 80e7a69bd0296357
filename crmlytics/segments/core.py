"""One row per customer with every segmentation: RFM, value tier, lifecycle, four degrees."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.facts import customer_facts
from crmlytics.joins import with_customer_columns
from crmlytics.segments.config import SegmentsConfig, segments_config
from crmlytics.segments.degrees import degrees_from_facts
from crmlytics.segments.labels import LIFECYCLE_CLASSES, RFM_SEGMENTS, VALUE_TIERS
from crmlytics.segments.lifecycle import lifecycle_from_facts, referrals
from crmlytics.segments.rfm import rfm_as_of
from crmlytics.segments.value import value_tiers
from crmlytics.workspace import Workspace

if TYPE_CHECKING:
    from crmlytics.config import Config

#: Segment keys of each segmentation column, best first (the order used for downgrades).
SEGMENTATIONS: dict[str, list[str]] = {
    "rfm_segment": list(RFM_SEGMENTS),
    "value_tier": list(VALUE_TIERS),
    "lifecycle": list(LIFECYCLE_CLASSES),
}

#: Columns of :func:`customer_segments`, in order.
SEGMENT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "orders",
    "net_revenue",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "rfm_segment",
    "value_tier",
    "lifecycle",
    "satisfaction",
    "loyalty",
    "contribution",
    "dependence",
    "composite",
    "stage",
    "activity",
)


def segment_column(key: str) -> str:
    """The column of :func:`customer_segments` a segment ``key`` belongs to.

    ``rfm_segment`` is checked first, then ``value_tier``, then ``lifecycle``; keys found in two
    (``lost``, ``loyal``, ``prospect``) therefore name the RFM segment. A ``column:key`` form
    (``lifecycle:lost``) picks the column explicitly. Unknown keys raise ``KeyError`` listing
    the valid ones.
    """
    if ":" in key:
        column, _, bare = key.partition(":")
        if column in SEGMENTATIONS and bare in SEGMENTATIONS[column]:
            return column
    else:
        for column, keys in SEGMENTATIONS.items():
            if key in keys:
                return column
    valid = "; ".join(f"{column}: {', '.join(keys)}" for column, keys in SEGMENTATIONS.items())
    raise KeyError(f"unknown segment key {key!r}; valid keys are {valid}")


def customer_segments(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: Config | SegmentsConfig | None = None,
    *,
    history: ir.Table | None = None,
) -> ir.Table:
    """Every segmentation of every customer as of a date, one row per customer (Ibis table).

    Sees only rows at or before ``as_of`` (a date means the end of that day; default today).
    Builds an expression and runs no query; nothing is stored in the backend. To read the
    result more than once, wrap it in :meth:`crmlytics.workspace.Workspace.cached`.
    ``history`` may pass in the all-history facts as of the same date
    (:func:`crmlytics.facts.customer_facts`), e.g. kept by ``Workspace.cached`` when the caller
    computes several things from them; by default they are part of the expression.
    Settings come from ``config.segments`` (or a :class:`SegmentsConfig`).

    Columns, in this order (:data:`SEGMENT_COLUMNS`):

    - ``recency_days``: days from the last purchase to the as-of date (all history);
    - ``frequency``, ``monetary``: the F and M values scored (purchases and net revenue in the
      RFM window by default), ``orders``, ``net_revenue``: purchases and net revenue (currency)
      in the RFM window;
    - ``r_score, f_score, m_score`` (1-5, null without a purchase in the RFM window),
      ``rfm_cell``, ``rfm_segment`` (:func:`crmlytics.segments.rfm`; ``prospect`` for customers
      who never bought, ``lost`` for those who bought only before the RFM window);
    - ``value_tier``: gold / silver / bronze, **null for customers without a purchase** in the
      value window (:func:`crmlytics.segments.value_tiers`);
    - ``lifecycle`` (:func:`crmlytics.segments.lifecycle`);
    - ``satisfaction, loyalty, contribution, dependence, composite`` (0-100,
      :func:`crmlytics.segments.four_degrees`);
    - ``stage`` (future / new / established) and ``activity`` (active / lapsed / prospect).
    """
    c = segments_config(config)
    point = resolve_as_of(as_of)
    if history is None:
        history = customer_facts(ws, point)
    rfm_facts = (
        history
        if c.rfm.window_days is None
        else customer_facts(ws, point, window_days=c.rfm.window_days)
    )
    value_facts = (
        history
        if c.value.window_days is None
        else customer_facts(ws, point, window_days=c.value.window_days)
    )
    scored = rfm_as_of(ws, point, c.rfm, history=history)
    window_money = rfm_facts.select("customer_id", "orders", "net_revenue")
    tiers = value_tiers(
        value_facts, gold=c.value.gold, silver=c.value.silver, measure=c.value.measure
    ).select("customer_id", "value_tier")
    classes = lifecycle_from_facts(history, referrals(ws, point), c.lifecycle).select(
        "customer_id", "lifecycle", "stage", "activity"
    )
    degrees = degrees_from_facts(ws, point, history, c.degrees, measure=c.value.measure)

    t = scored
    for part in (window_money, tiers, classes, degrees):
        t = with_customer_columns(t, part)
    return t.select(
        customer_id=t.customer_id,
        recency_days=t.recency_days,
        frequency=t.frequency,
        monetary=t.monetary,
        orders=t.orders.fill_null(0),
        net_revenue=t.net_revenue.fill_null(0.0),
        r_score=t.r_score,
        f_score=t.f_score,
        m_score=t.m_score,
        rfm_cell=t.rfm_cell,
        rfm_segment=t.rfm_segment,
        value_tier=t.value_tier,
        lifecycle=t.lifecycle,
        satisfaction=t.satisfaction,
        loyalty=t.loyalty,
        contribution=t.contribution,
        dependence=t.dependence,
        composite=t.composite,
        stage=t.stage,
        activity=t.activity,
    )


__all__ = [
    "SEGMENTATIONS",
    "SEGMENT_COLUMNS",
    "customer_segments",
    "segment_column",
    "segments_config",
]
