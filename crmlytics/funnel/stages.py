"""Stage histories normalised to one row per deal, as of a date.

A *deal* is an opportunity (presets with ``source: opportunities``) or a campaign touch
(``source: campaign_touches``: one message sent to one customer). Its stage events are:

- ``opportunities``: the rows of ``opportunity_stages``, plus the first stage entered at the
  opportunity's ``created_at``, plus the outcome recorded on ``opportunities``: ``outcome = won``
  with a ``closed_at`` is an entry into the won stage (the last stage), ``outcome = lost`` with a
  ``closed_at`` is an entry into the preset's ``lost_stage``;
- ``campaign_touches``: ``sent_at``, ``opened_at``, ``clicked_at``, ``converted_at`` as entries
  into the four stages.

Rules (each deal, only events at or before the as-of point, :meth:`AsOf.visible`):

1. **Stage names** are matched to the preset's keys after trimming, lower-casing and turning
   ``-`` and spaces into ``_``; a stage's Chinese label (``报价``) matches its key too. Names
   that match nothing are *unknown*: they do not move the deal and are listed by
   :func:`unknown_stages` (never dropped silently).
2. **Skipped stages count as passed**: the stage a deal has reached is the furthest stage it has
   an entry for; every earlier stage counts as entered and advanced from.
3. **The first entry time counts**, and **out-of-order events** are ordered by the funnel: the
   entry time of stage *i* is the earliest entry into stage *i* or any later stage
   (``entered_<stage>``), so entry times never decrease along the funnel.
4. **A lost entry closes the deal as lost** at the stage it had reached (if that is the won
   stage, as with the pipeline's ``closed``, at the stage before it), at the time of the first
   lost entry. A lost entry outranks a won one.
5. A deal that reached the won stage and has no lost entry is **won**, closed at its entry into
   the won stage. Otherwise it is **open**; with ``lost_after_days`` set, an open deal whose last
   move is more than that many days before the as-of point counts as lost at its stage, closed
   ``lost_after_days`` after its last move.

Time in a stage (``days_in_<stage>``, days as a float) is measured only for deals that left the
stage (advanced, or were lost there by a lost entry) and have a recorded entry into it: a
skipped stage has no duration, nor has a deal counted lost by ``lost_after_days``.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.funnel.config import STAGE_LABELS, FunnelPreset, resolve_preset
from crmlytics.workspace import Workspace

DAY_SECONDS = 86_400.0

#: Columns of the deal table before the per-stage ``entered_<stage>`` / ``days_in_<stage>``.
DEAL_COLUMNS: tuple[str, ...] = (
    "opportunity_id",
    "customer_id",
    "created_at",
    "stage",
    "stage_index",
    "outcome",
    "closed_at",
    "last_move_at",
)

#: Dimensions carried from the source table onto each deal.
OPPORTUNITY_DIMS = ("source", "region", "owner", "competitor", "expected_value", "lost_reason")
CAMPAIGN_DIMS = ("campaign_id", "cost")


def _normal_name(stage: ir.StringValue) -> ir.StringValue:
    return stage.strip().lower().replace("-", "_").replace(" ", "_")


def stage_index(stage: ir.StringValue, preset: FunnelPreset) -> ir.IntegerValue:
    """Position of a raw stage name in ``preset`` (0 = first stage), ``-1`` for the lost entry,
    null for a name that matches no stage (rule 1)."""
    name = _normal_name(stage)
    branches = []
    for i, key in enumerate(preset.stages):
        branches.append((name == key, i))
        zh = STAGE_LABELS.get(key, (None, None))[1]
        if zh:
            branches.append((stage.strip() == zh, i))
    branches.append((name == preset.lost_stage, -1))
    lost_zh = STAGE_LABELS.get(preset.lost_stage, (None, None))[1]
    if lost_zh:
        branches.append((stage.strip() == lost_zh, -1))
    return ibis.cases(*branches, else_=ibis.null("int64")).cast("int64")


def raw_events(ws: Workspace, preset: FunnelPreset, as_of: AsOf) -> ir.Table:
    """Every stage event visible as of ``as_of``: ``opportunity_id`` (the deal), ``stage_name``
    (as recorded), ``entered_at``. Synthesised events (creation, outcome) carry the key names."""
    if preset.source == "campaign_touches":
        t = _touches(ws)
        parts = [
            t.select(opportunity_id=t.deal_id, stage_name=ibis.literal(key), entered_at=t[column])
            for key, column in zip(
                preset.stages, ("sent_at", "opened_at", "clicked_at", "converted_at"), strict=True
            )
        ]
    else:
        hist = ws.table("opportunity_stages")
        opp = ws.table("opportunities")
        outcome = opp.outcome.strip().lower()
        parts = [
            hist.select("opportunity_id", stage_name=hist.stage, entered_at=hist.entered_at),
            opp.select(
                "opportunity_id",
                stage_name=ibis.literal(preset.stages[0]),
                entered_at=opp.created_at,
            ),
            opp.filter(outcome == "won").select(
                "opportunity_id",
                stage_name=ibis.literal(preset.won_stage),
                entered_at=opp.closed_at,
            ),
            opp.filter(outcome == "lost").select(
                "opportunity_id",
                stage_name=ibis.literal(preset.lost_stage),
                entered_at=opp.closed_at,
            ),
        ]
    events = ibis.union(*parts, distinct=False)
    return events.filter(events.entered_at.notnull() & as_of.visible(events.entered_at))


def _touches(ws: Workspace) -> ir.Table:
    t = ws.table("campaign_touches")
    deal_id = t.campaign_id.concat("|", t.customer_id, "|", t.sent_at.cast("string"))
    return t.mutate(deal_id=deal_id)


def unknown_stages(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """Stage names in the history that match no stage of ``preset`` (rule 1), visible as of
    ``as_of``: ``stage_name``, ``events``, ``deals``. Empty when every name is known."""
    chosen = resolve_preset(preset, config)
    point = resolve_as_of(as_of)
    events = raw_events(ws, chosen, point)
    unknown = events.filter(stage_index(events.stage_name, chosen).isnull())
    return unknown.group_by("stage_name").aggregate(
        events=unknown.count(), deals=unknown.opportunity_id.nunique()
    )


def _days(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.FloatingValue:
    return (later.epoch_seconds() - earlier.epoch_seconds()).cast("float64") / DAY_SECONDS


def _recorded(events: ir.Table, n: int) -> dict[str, ir.Value]:
    """Per-deal aggregates of stage events with an ``ix`` column: ``_recorded_<i>`` (first
    entry into stage i), ``lost_entry_at`` (first lost entry), ``last_move_at``."""
    ts, ix = events.entered_at, events.ix
    metrics: dict[str, ir.Value] = {f"_recorded_{i}": ts.min(where=ix == i) for i in range(n)}
    metrics["lost_entry_at"] = ts.min(where=ix == -1)
    metrics["last_move_at"] = ts.max(where=ix.notnull())
    return metrics


def _opportunity_times(ws: Workspace, preset: FunnelPreset, as_of: AsOf) -> ir.Table:
    """Per opportunity: its dimensions and first entry times, one pass over the history.

    The history is aggregated per opportunity first; the events recorded on ``opportunities``
    (creation, outcome) are then folded in as columns of the same row (an outer join keeps
    opportunities without history and histories without an opportunity row)."""
    n = len(preset.stages)
    hist = ws.table("opportunity_stages")
    hist = hist.filter(hist.entered_at.notnull() & as_of.visible(hist.entered_at))
    hist = hist.select("opportunity_id", "entered_at", ix=stage_index(hist.stage, preset))
    per_deal = hist.group_by("opportunity_id").aggregate(**_recorded(hist, n))
    per_deal = per_deal.rename(_hist_id="opportunity_id")

    opp = ws.table("opportunities")
    outcome = opp.outcome.strip().lower()

    def seen(value: ir.TimestampValue, keep: ir.BooleanValue | None = None) -> ir.Value:
        ok = value.notnull() & as_of.visible(value)
        if keep is not None:
            ok &= keep
        return ibis.ifelse(ok, value, ibis.null("timestamp"))

    opp = opp.select(
        "opportunity_id",
        _customer=opp.customer_id,
        _created=seen(opp.created_at),
        _won=seen(opp.closed_at, outcome == "won"),
        _lost=seen(opp.closed_at, outcome == "lost"),
        **{d: opp[d] for d in OPPORTUNITY_DIMS},
    )
    joined = opp.outer_join(per_deal, opp.opportunity_id == per_deal._hist_id)
    recorded = {f"_recorded_{i}": joined[f"_recorded_{i}"] for i in range(n)}
    recorded["_recorded_0"] = ibis.least(joined._created, joined._recorded_0)
    last = f"_recorded_{n - 1}"
    recorded[last] = ibis.least(joined._won, joined[last])
    return joined.select(
        opportunity_id=ibis.coalesce(joined.opportunity_id, joined._hist_id),
        _customer=joined._customer,
        lost_entry_at=ibis.least(joined._lost, joined.lost_entry_at),
        last_move_at=ibis.greatest(joined._created, joined._won, joined._lost, joined.last_move_at),
        **recorded,
        **{d: joined[d] for d in OPPORTUNITY_DIMS},
    )


def _campaign_times(ws: Workspace, preset: FunnelPreset, as_of: AsOf) -> ir.Table:
    """Per campaign touch: its dimensions and first entry times."""
    events = raw_events(ws, preset, as_of)
    events = events.mutate(ix=stage_index(events.stage_name, preset))
    per_deal = events.group_by("opportunity_id").aggregate(**_recorded(events, len(preset.stages)))
    t = _touches(ws)
    dims = t.select(_deal=t.deal_id, _customer=t.customer_id, **{d: t[d] for d in CAMPAIGN_DIMS})
    joined = per_deal.left_join(dims, per_deal.opportunity_id == dims._deal)
    return joined.drop("_deal")


def deals(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """One row per deal with its normalised stage history as of ``as_of`` (rules in the module
    docstring).

    Returns an Ibis table: :data:`DEAL_COLUMNS` (``stage`` is the stage reached, ``stage_index``
    its position, ``outcome`` won / lost / open, ``closed_at`` null while open, ``last_move_at``
    the latest visible stage event), the dimensions of the source table (opportunities:
    :data:`OPPORTUNITY_DIMS`; campaign touches: :data:`CAMPAIGN_DIMS`), and for every stage
    ``entered_<stage>`` (effective entry time, null if not reached) and, for every stage but the
    last, ``days_in_<stage>`` (days from entering to leaving it; null when not left or skipped).
    A deal is seen only if one of its events is visible as of ``as_of``.
    """
    chosen = resolve_preset(preset, config)
    point = resolve_as_of(as_of)
    n = len(chosen.stages)
    if chosen.source == "campaign_touches":
        per_deal = _campaign_times(ws, chosen, point)
    else:
        per_deal = _opportunity_times(ws, chosen, point)
    recorded = [per_deal[f"_recorded_{i}"] for i in range(n)]
    # rule 3: the entry into stage i is the first entry into it or any later stage
    entered = {
        f"entered_{key}": recorded[i] if i == n - 1 else ibis.least(*recorded[i:])
        for i, key in enumerate(chosen.stages)
    }
    # rule 2: the stage reached is the furthest stage with an entry
    reached_ix = ibis.cases(
        *((recorded[i].notnull(), i) for i in range(n - 1, -1, -1)), else_=ibis.null("int64")
    )
    per_deal = per_deal.mutate(reached=reached_ix.cast("int64"), **entered)
    per_deal = per_deal.filter(per_deal.reached.notnull() | per_deal.lost_entry_at.notnull())

    reached = per_deal.reached.fill_null(0)
    lost = per_deal.lost_entry_at.notnull()
    stage_ix = ibis.ifelse(lost, ibis.least(reached, n - 2), reached)
    won = ~lost & (stage_ix == n - 1)
    outcome = ibis.ifelse(lost, "lost", ibis.ifelse(won, "won", "open"))
    closed_at = ibis.ifelse(
        lost,
        per_deal.lost_entry_at,
        ibis.ifelse(won, per_deal[f"entered_{chosen.won_stage}"], None),
    )
    if chosen.lost_after_days is not None:
        limit = ibis.timestamp(point.cutoff - _dt.timedelta(days=chosen.lost_after_days))
        expired = (outcome == "open") & (per_deal.last_move_at < limit)
        outcome = ibis.ifelse(expired, "lost", outcome)
        closed_at = ibis.ifelse(
            expired,
            per_deal.last_move_at + ibis.interval(days=chosen.lost_after_days),
            closed_at,
        )
    per_deal = per_deal.mutate(stage_index=stage_ix, outcome=outcome, closed_at=closed_at)
    per_deal = per_deal.mutate(
        stage=ibis.cases(*((per_deal.stage_index == i, k) for i, k in enumerate(chosen.stages)))
    )
    durations = {}
    for i, key in enumerate(chosen.stages[:-1]):
        left_at = ibis.ifelse(
            per_deal.stage_index > i,
            per_deal[f"entered_{chosen.stages[i + 1]}"],
            ibis.ifelse(
                per_deal.stage_index == i,
                per_deal.lost_entry_at,
                None,
            ),
        )
        durations[f"days_in_{key}"] = ibis.ifelse(
            per_deal[f"_recorded_{i}"].notnull(), _days(left_at, per_deal[f"entered_{key}"]), None
        )
    per_deal = per_deal.mutate(**durations)
    per_deal = per_deal.mutate(created_at=per_deal[f"entered_{chosen.stages[0]}"])

    joined = per_deal
    stage_columns = [f"entered_{k}" for k in chosen.stages] + [
        f"days_in_{k}" for k in chosen.stages[:-1]
    ]
    dim_names = CAMPAIGN_DIMS if chosen.source == "campaign_touches" else OPPORTUNITY_DIMS
    return joined.select(
        "opportunity_id",
        customer_id=joined._customer,
        created_at=joined.created_at,
        stage=joined.stage,
        stage_index=joined.stage_index,
        outcome=joined.outcome,
        closed_at=joined.closed_at.cast("timestamp"),
        last_move_at=joined.last_move_at,
        **{d: joined[d] for d in dim_names},
        **{c: joined[c] for c in stage_columns},
    )
