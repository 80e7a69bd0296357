"""Segment migration between two as-of dates: transition matrices and downgrades."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.facts import customer_facts
from crmlytics.segments.config import SegmentsConfig
from crmlytics.segments.core import SEGMENTATIONS, customer_segments
from crmlytics.workspace import Workspace

if TYPE_CHECKING:
    from crmlytics.config import Config

#: Segment of a customer who did not exist yet at the earlier date (or has no tier).
ABSENT = "none"

#: Valuable segments whose loss counts as a downgrade by default.
VALUABLE: dict[str, tuple[str, ...]] = {
    "rfm_segment": ("champions", "loyal", "potential_loyalist", "cant_lose_them"),
    "value_tier": ("gold", "silver"),
    "lifecycle": ("advocate", "loyal", "repeat"),
}

#: Best-first order of each segmentation; a move to a later position is a downgrade.
#: RFM: champions, loyal, potential loyalist, new, promising, need attention, about to sleep,
#: at risk, can't lose them, hibernating, lost, prospect. Value: gold > silver > bronze > none.
#: Lifecycle: advocate > loyal > repeat > first_time > prospect > dormant > lost.
ORDER: dict[str, tuple[str, ...]] = {
    "rfm_segment": (*SEGMENTATIONS["rfm_segment"], ABSENT),
    "value_tier": (*SEGMENTATIONS["value_tier"], ABSENT),
    "lifecycle": (
        "advocate",
        "loyal",
        "repeat",
        "first_time",
        "prospect",
        "dormant",
        "lost",
        ABSENT,
    ),
}


def _check_by(by: str) -> None:
    if by not in SEGMENTATIONS:
        raise ConfigError(f"by must be one of {', '.join(SEGMENTATIONS)}, not {by!r}")


def _dates(as_of_from: object, as_of_to: object) -> tuple[AsOf, AsOf]:
    start, end = resolve_as_of(as_of_from), resolve_as_of(as_of_to)  # type: ignore[arg-type]
    if end.date <= start.date:
        raise ConfigError(f"as_of_to ({end}) must be a later day than as_of_from ({start})")
    return start, end


def moves(
    ws: Workspace,
    as_of_from: str | _dt.date | _dt.datetime | AsOf,
    as_of_to: str | _dt.date | _dt.datetime | AsOf,
    by: str = "rfm_segment",
    config: Config | SegmentsConfig | None = None,
    *,
    histories: tuple[ir.Table, ir.Table] | None = None,
) -> ir.Table:
    """Per customer: ``from_segment``, ``to_segment`` and ``revenue`` (net revenue, currency,
    of purchases after ``as_of_from`` up to ``as_of_to``). Customers unknown at the earlier
    date, or without a value tier, are in segment ``"none"``.

    Builds an expression; runs no query. ``histories`` may pass in the all-history customer
    facts as of the two dates (see :func:`crmlytics.segments.customer_segments`)."""
    _check_by(by)
    start, end = _dates(as_of_from, as_of_to)
    early, late = histories or (None, None)
    before = customer_segments(ws, start, config, history=early).select(
        before_id=ibis._.customer_id, from_segment=ibis._[by]
    )
    after = customer_segments(ws, end, config, history=late).select(
        "customer_id", to_segment=ibis._[by]
    )
    days = (end.date - start.date).days
    between = customer_facts(ws, end, window_days=days).select(
        between_id=ibis._.customer_id, revenue=ibis._.net_revenue
    )
    t = after.left_join(before, after.customer_id == before.before_id)
    t = t.left_join(between, t.customer_id == between.between_id)
    return t.select(
        customer_id=t.customer_id,
        from_segment=t.from_segment.fill_null(ABSENT),
        to_segment=t.to_segment.fill_null(ABSENT),
        revenue=t.revenue.fill_null(0.0),
    )


@contextmanager
def _stored_moves(
    ws: Workspace,
    as_of_from: str | _dt.date | _dt.datetime | AsOf,
    as_of_to: str | _dt.date | _dt.datetime | AsOf,
    by: str,
    config: Config | SegmentsConfig | None,
) -> Iterator[ir.Table]:
    """:func:`moves` on the facts of both dates, each computed once (:meth:`Workspace.cached`)
    and dropped when the block ends."""
    start, end = _dates(as_of_from, as_of_to)
    with (
        ws.cached(customer_facts(ws, start)) as early,
        ws.cached(customer_facts(ws, end)) as late,
    ):
        yield moves(ws, start, end, by, config, histories=(early, late))


def migration(
    ws: Workspace,
    as_of_from: str | _dt.date | _dt.datetime | AsOf,
    as_of_to: str | _dt.date | _dt.datetime | AsOf,
    by: str = "rfm_segment",
    config: Config | SegmentsConfig | None = None,
) -> pd.DataFrame:
    """Transition matrix of segmentation ``by`` between two as-of dates, in long form.

    One row per (``from_segment``, ``to_segment``) pair that occurs: ``customers`` (count) and
    ``revenue`` (their net revenue, currency, from after ``as_of_from`` to ``as_of_to``).
    Customers are those known at ``as_of_to``; those unknown at ``as_of_from`` come from
    ``"none"``. Pivot with :func:`transition_matrix`.
    """
    _check_by(by)
    with _stored_moves(ws, as_of_from, as_of_to, by, config) as m:
        frame = (
            m.group_by(["from_segment", "to_segment"])
            .aggregate(customers=m.count(), revenue=m.revenue.sum())
            .to_pandas()
        )
    order = {key: i for i, key in enumerate(ORDER[by])}
    frame = frame.sort_values(
        ["from_segment", "to_segment"], key=lambda s: s.map(order).fillna(len(order))
    )
    frame["customers"] = frame["customers"].astype("int64")
    frame.attrs["by"] = by
    return frame.reset_index(drop=True)


def transition_matrix(frame: pd.DataFrame, values: str = "customers") -> pd.DataFrame:
    """Square matrix (rows: from, columns: to) of ``customers`` or ``revenue`` from
    :func:`migration`, in best-first segment order, zeros where no one moved."""
    if values not in ("customers", "revenue"):
        raise ConfigError(f"values must be customers or revenue, not {values!r}")
    by = frame.attrs.get("by")
    present = set(frame["from_segment"]) | set(frame["to_segment"])
    keys = [k for k in ORDER.get(by, ())] if by else []
    keys = [k for k in keys if k in present] + sorted(present - set(keys))
    matrix = frame.pivot_table(
        index="from_segment", columns="to_segment", values=values, aggfunc="sum", fill_value=0
    )
    return matrix.reindex(index=keys, columns=keys, fill_value=0)


def downgrades(
    ws: Workspace,
    as_of_from: str | _dt.date | _dt.datetime | AsOf,
    as_of_to: str | _dt.date | _dt.datetime | AsOf,
    by: str = "rfm_segment",
    config: Config | SegmentsConfig | None = None,
    *,
    valuable: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Customers who moved from a valuable segment to a worse one between two as-of dates.

    "Worse" is a later position in :data:`ORDER`; ``valuable`` defaults to :data:`VALUABLE`.
    Returns ``customer_id, from_segment, to_segment, steps`` (positions lost) and ``revenue``
    (net revenue between the dates), largest fall first, then customer_id.
    """
    _check_by(by)
    keep = tuple(valuable) if valuable is not None else VALUABLE[by]
    unknown = set(keep) - set(ORDER[by])
    if unknown:
        raise ConfigError(f"unknown {by} keys {sorted(unknown)}; valid: {', '.join(ORDER[by])}")
    position = {key: i for i, key in enumerate(ORDER[by])}
    with _stored_moves(ws, as_of_from, as_of_to, by, config) as m:
        rank_from = m.from_segment.substitute(position, else_=ibis.null("int64"))
        rank_to = m.to_segment.substitute(position, else_=ibis.null("int64"))
        m = m.mutate(steps=(rank_to - rank_from).cast("int64"))
        m = m.filter(m.from_segment.isin(list(keep)) & (m.steps > 0))
        frame = m.to_pandas()
    frame = frame.sort_values(["steps", "customer_id"], ascending=[False, True])
    return frame[["customer_id", "from_segment", "to_segment", "steps", "revenue"]].reset_index(
        drop=True
    )
