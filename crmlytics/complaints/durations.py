"""Handling steps 受理 → 处理 → 处理完成 → 日后追踪: durations, SLA, backlog, data quality.

As of D a complaint is seen when it was opened at or before D, and each of its step times only
when that time is at or before D (a complaint open as of D may be resolved later; the later step
is not yet seen). Durations are in hours between visible step times.

A step missing while a later one is recorded, or a step time earlier than the step before it, is
a *data-quality finding* (:func:`quality_findings`): such a complaint gets no durations and no SLA
verdict, so it is reported, never averaged in.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.complaints.config import complaints_config
from crmlytics.errors import ConfigError
from crmlytics.percentiles import nearest_rank
from crmlytics.workspace import Workspace

#: The handling steps in order, with the timestamp column of each.
STEPS: tuple[tuple[str, str], ...] = (
    ("opened", "opened_at"),
    ("handled", "handled_at"),
    ("resolved", "resolved_at"),
    ("followed_up", "followed_up_at"),
)
#: Dimensions a complaint result may be grouped by.
DIMENSIONS: tuple[str, ...] = ("category", "severity", "channel", "product_id", "month")

STEP_COLUMNS: tuple[str, ...] = (
    "complaint_id",
    "customer_id",
    "opened_at",
    "category",
    "severity",
    "channel",
    "product_id",
    "month",
    "handled_at",
    "resolved_at",
    "followed_up_at",
    "satisfaction",
    "state",
    "missing_step",
    "out_of_order_step",
    "first_response_hours",
    "handling_hours",
    "resolution_hours",
    "follow_up_hours",
    "age_days",
    "sla_target_hours",
    "sla_met",
)


def check_by(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of known dimensions; :class:`ConfigError` for an unknown one."""
    keys = [by] if isinstance(by, str) else list(by or [])
    for key in keys:
        if key not in DIMENSIONS:
            raise ConfigError(f"--by {key!r} is not one of {', '.join(DIMENSIONS)}")
    return keys


def _hours(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / 3600.0


def visible_complaints(ws: Workspace, point: AsOf) -> ir.Table:
    """Complaints opened at or before ``point``, each later step time nulled unless visible,
    with ``month`` (first day of the month opened). ``satisfaction`` is surveyed at follow-up,
    so it is null until the follow-up (日后追踪) is visible."""
    c = ws.table("complaints")
    c = c.filter(point.visible(c.opened_at))
    masked = {
        col: ibis.ifelse(c[col].notnull() & point.visible(c[col]), c[col], ibis.null(c[col].type()))
        for _, col in STEPS[1:]
    }
    return c.mutate(
        month=c.opened_at.truncate("M").date(),
        satisfaction=ibis.ifelse(
            masked["followed_up_at"].notnull(), c.satisfaction, ibis.null("int64")
        ),
        **masked,
    )


def complaint_steps(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """One row per complaint visible as of ``as_of`` (:data:`STEP_COLUMNS`).

    - ``state``: ``open`` (not handled), ``in_progress`` (handled, not resolved), ``resolved``
      (not followed up) or ``closed`` (followed up), from the step times visible as of.
    - ``missing_step``: the first step that is missing while a later one is recorded (else null);
      ``out_of_order_step``: the first step whose time is earlier than the step before it.
    - durations in hours (null when a step is not reached or the complaint has a finding):
      ``first_response_hours`` 受理→处理, ``handling_hours`` 处理→处理完成,
      ``resolution_hours`` 受理→处理完成 (end to end), ``follow_up_hours`` 处理完成→日后追踪.
    - ``age_days``: whole days from the day opened to the as-of date.
    - ``sla_met``: first response within ``sla_target_hours`` (per severity); false when not
      handled and the target has passed by the as-of point; null when still within it or the
      complaint has a finding.
    """
    conf = complaints_config(config)
    point = resolve_as_of(as_of)
    c = visible_complaints(ws, point)
    t = [c[col] for _, col in STEPS]
    names = [name for name, _ in STEPS]

    missing_cases = []
    for k in range(1, 3):
        any_later = ibis.or_(*(t[j].notnull() for j in range(k + 1, 4)))
        missing_cases.append((t[k].isnull() & any_later, names[k]))
    missing = ibis.cases(*missing_cases, else_=ibis.null("string"))

    order_cases = []
    for k in range(1, 4):
        # the latest recorded step before k
        previous = ibis.coalesce(*(t[j] for j in range(k - 1, -1, -1)))
        order_cases.append((t[k].notnull() & (t[k] < previous), names[k]))
    out_of_order = ibis.cases(*order_cases, else_=ibis.null("string"))
    c = c.mutate(missing_step=missing, out_of_order_step=out_of_order)
    ok = c.missing_step.isnull() & c.out_of_order_step.isnull()

    def dur(a: str, b: str) -> ir.FloatingValue:
        return ibis.ifelse(ok, _hours(c[a], c[b]), ibis.null("float64"))

    severities = conf.first_response_hours_by_severity
    target = (
        ibis.cases(
            *((c.severity == s, ibis.literal(float(h))) for s, h in sorted(severities.items())),
            else_=ibis.literal(float(conf.first_response_hours)),
        )
        if severities
        else ibis.literal(float(conf.first_response_hours))
    )
    first = _hours(c.opened_at, c.handled_at)
    waited = _hours(c.opened_at, ibis.timestamp(point.cutoff))
    sla = ibis.cases(
        (~ok, ibis.null("boolean")),
        (c.handled_at.notnull(), first <= target),
        (waited > target, ibis.literal(False)),
        else_=ibis.null("boolean"),
    )
    state = ibis.cases(
        (c.followed_up_at.notnull(), "closed"),
        (c.resolved_at.notnull(), "resolved"),
        (c.handled_at.notnull(), "in_progress"),
        else_="open",
    )
    return c.select(
        "complaint_id",
        "customer_id",
        "opened_at",
        "category",
        "severity",
        "channel",
        "product_id",
        "month",
        "handled_at",
        "resolved_at",
        "followed_up_at",
        "satisfaction",
        state=state,
        missing_step=c.missing_step,
        out_of_order_step=c.out_of_order_step,
        first_response_hours=dur("opened_at", "handled_at"),
        handling_hours=dur("handled_at", "resolved_at"),
        resolution_hours=dur("opened_at", "resolved_at"),
        follow_up_hours=dur("resolved_at", "followed_up_at"),
        age_days=ibis.literal(point.date).delta(c.opened_at.date(), unit="day").cast("int64"),
        sla_target_hours=target.cast("float64"),
        sla_met=sla,
    )


SLA_COLUMNS: tuple[str, ...] = (
    "complaints",
    "first_response_median_hours",
    "first_response_p90_hours",
    "handling_median_hours",
    "handling_p90_hours",
    "resolution_median_hours",
    "resolution_p90_hours",
    "follow_up_median_hours",
    "follow_up_p90_hours",
    "sla_met",
    "sla_breached",
    "sla_met_share",
    "quality_findings",
)


def handling_times(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: str | Sequence[str] | None = "category",
    config: object | None = None,
) -> ir.Table:
    """Step durations (median, p90 in hours, nearest rank) and SLA compliance per group.

    Columns: ``by``..., :data:`SLA_COLUMNS`. ``sla_met_share`` is met / (met + breached):
    complaints still within their target and complaints with a data-quality finding have no
    verdict. ``quality_findings`` counts complaints with a missing or out-of-order step.
    """
    keys = check_by(by)
    steps = complaint_steps(ws, as_of, config)
    table = steps
    metrics: dict[str, ir.Value] = {}
    for step in ("first_response", "handling", "resolution", "follow_up"):
        table, more = nearest_rank(
            table,
            keys,
            f"{step}_hours",
            {f"{step}_median_hours": 0.5, f"{step}_p90_hours": 0.9},
            duckdb=ws.is_duckdb,
        )
        metrics.update(more)
    grouped = table.group_by(keys) if keys else table
    out = grouped.aggregate(
        complaints=table.count(),
        sla_met=table.sla_met.cast("int64").sum().fill_null(0),
        sla_breached=(~table.sla_met).cast("int64").sum().fill_null(0),
        quality_findings=(
            (table.missing_step.notnull() | table.out_of_order_step.notnull()).cast("int64").sum()
        ),
        **metrics,
    )
    decided = out.sla_met + out.sla_breached
    out = out.mutate(
        sla_met_share=ibis.ifelse(
            decided > 0, out.sla_met.cast("float64") / decided, ibis.null("float64")
        )
    )
    return out.select(*keys, *SLA_COLUMNS)


def quality_findings(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """Complaints with a data-quality finding as of ``as_of``: ``complaint_id``, ``finding``
    (``missing_step`` or ``out_of_order``), ``step`` (the step at fault), the step times."""
    s = complaint_steps(ws, as_of, config)
    cols = ["complaint_id", "opened_at", "handled_at", "resolved_at", "followed_up_at"]
    missing = s.filter(s.missing_step.notnull()).select(
        *cols, finding=ibis.literal("missing_step"), step=s.missing_step
    )
    order = s.filter(s.out_of_order_step.notnull()).select(
        *cols, finding=ibis.literal("out_of_order"), step=s.out_of_order_step
    )
    out = missing.union(order)
    return out.select("complaint_id", "finding", "step", *cols[1:])


def _bucket_labels(bounds: Sequence[int]) -> list[str]:
    labels, lo = [], 0
    for hi in bounds:
        labels.append(f"{lo}-{hi - 1}d" if hi - 1 > lo else f"{lo}d")
        lo = hi
    labels.append(f"{lo}d+")
    return labels


def backlog(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: str | Sequence[str] | None = None,
    config: object | None = None,
) -> ir.Table:
    """Complaints not resolved as of ``as_of``, by age bucket (whole days since opened).

    Columns: ``by``..., ``age_bucket`` (e.g. ``0d``, ``1-2d``, ``30d+`` from
    ``complaints.age_buckets_days``), ``bucket_index``, ``complaints``, ``oldest_days``.
    """
    keys = check_by(by)
    bounds = complaints_config(config).age_buckets_days
    s = complaint_steps(ws, as_of, config)
    s = s.filter(s.resolved_at.isnull())
    labels = _bucket_labels(bounds)
    index = ibis.cases(*((s.age_days < b, i) for i, b in enumerate(bounds)), else_=len(bounds))
    name = ibis.cases(
        *((s.age_days < b, labels[i]) for i, b in enumerate(bounds)), else_=labels[-1]
    )
    s = s.mutate(bucket_index=index.cast("int64"), age_bucket=name)
    return s.group_by([*keys, "bucket_index", "age_bucket"]).aggregate(
        complaints=s.count(), oldest_days=s.age_days.max()
    )


def unfollowed(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """Complaints resolved at least ``complaints.follow_up_due_days`` days before the as-of date
    and not followed up (日后追踪) as of it: ``complaint_id``, ``customer_id``, ``category``,
    ``severity``, ``resolved_at``, ``days_since_resolved``."""
    due = complaints_config(config).follow_up_due_days
    point = resolve_as_of(as_of)
    s = complaint_steps(ws, point, config)
    days = ibis.literal(point.date).delta(s.resolved_at.date(), unit="day").cast("int64")
    s = s.mutate(days_since_resolved=days)
    s = s.filter(
        s.resolved_at.notnull() & s.followed_up_at.isnull() & (s.days_since_resolved >= due)
    )
    return s.select(
        "complaint_id", "customer_id", "category", "severity", "resolved_at", "days_since_resolved"
    )
