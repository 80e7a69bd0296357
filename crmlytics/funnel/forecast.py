"""Pipeline forecast: open deals weighted by the chance of winning from their stage.

Everything is learned from the deals closed as of the forecast date, never from a fixed table:

- ``win_probability`` of stage *i*: among closed deals that reached stage *i*, the share won
  (``won / (won + lost at stage i or later)``), with its Wilson 95% interval;
- ``days_to_close_median`` of stage *i*: median days (nearest rank) from entering stage *i* to
  closing, over won deals;
- an open deal's ``expected_close_date`` is its entry into its current stage plus that median,
  or the day after the as-of date when that is already past; ``expected_close_month`` its month.

:func:`forecast_backtest` makes the forecast as of an earlier date and sets it against what
happened to the same deals in the ``horizon_days`` that followed.
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.funnel.config import FunnelPreset, funnel_config, opportunity_preset
from crmlytics.funnel.conversion import wilson
from crmlytics.funnel.stages import _days, deals
from crmlytics.percentiles import nearest_rank
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None


def _current_entry(table: ir.Table, preset: FunnelPreset) -> ir.TimestampValue:
    return ibis.cases(
        *((table.stage_index == i, table[f"entered_{k}"]) for i, k in enumerate(preset.stages))
    )


def win_probabilities(
    ws: Workspace, preset: str | FunnelPreset | None = None, as_of: AsOfLike = None, config=None
) -> ir.Table:
    """Per decision stage, learned from deals closed as of ``as_of`` (Ibis table): ``stage``,
    ``stage_index``, ``closed`` (closed deals that reached it), ``won``, ``win_probability``,
    ``win_probability_low``, ``win_probability_high``, ``days_to_close_median`` (won deals,
    from entering the stage to closing)."""
    chosen = opportunity_preset(preset, config, "the forecast")
    table = deals(ws, chosen, as_of, config)
    closed = table.filter(table.outcome != "open")
    parts = []
    for i, key in enumerate(chosen.stages[:-1]):
        here = closed.filter(closed.stage_index >= i)
        won = here.outcome == "won"
        parts.append(
            here.select(
                stage=ibis.literal(key),
                stage_index=ibis.literal(i, "int64"),
                _won=won.cast("int64"),
                _days=ibis.ifelse(
                    won, _days(here.closed_at, here[f"entered_{key}"]), ibis.null("float64")
                ),
            )
        )
    long = ibis.union(*parts, distinct=False)
    ranked, q = nearest_rank(
        long,
        ["stage", "stage_index"],
        "_days",
        {"days_to_close_median": 0.5},
        duckdb=ws.is_duckdb,
    )
    out = ranked.group_by(["stage", "stage_index"]).aggregate(
        closed=ranked.count(), won=ranked._won.sum().cast("int64"), **q
    )
    low, high = wilson(out.won, out.closed)
    return out.mutate(
        win_probability=out.won.cast("float64") / out.closed,
        win_probability_low=low,
        win_probability_high=high,
    ).select(
        "stage",
        "stage_index",
        "closed",
        "won",
        "win_probability",
        "win_probability_low",
        "win_probability_high",
        "days_to_close_median",
    )


def forecast(
    ws: Workspace, preset: str | FunnelPreset | None = None, as_of: AsOfLike = None, config=None
) -> ir.Table:
    """Open deals as of ``as_of`` with their chance of winning and expected close (Ibis table).

    Columns: ``opportunity_id``, ``customer_id``, ``owner``, ``stage``, ``stage_index``,
    ``expected_value``, ``win_probability`` (of the current stage, learned from closed history;
    null when no closed deal reached that stage), ``weighted_value`` (expected value x win
    probability, currency), ``expected_close_date``, ``expected_close_month``.
    """
    chosen = opportunity_preset(preset, config, "the forecast")
    point = resolve_as_of(as_of)
    table = deals(ws, chosen, point, config)
    open_deals = table.filter(table.outcome == "open")
    open_deals = open_deals.mutate(_entry=_current_entry(open_deals, chosen))
    probs = win_probabilities(ws, chosen, point, config)
    probs = probs.select(
        _ix=probs.stage_index,
        win_probability=probs.win_probability,
        _days=probs.days_to_close_median,
    )
    joined = open_deals.left_join(probs, open_deals.stage_index == probs._ix)
    days = joined._days.ceil().cast("int64")
    expected = joined._entry.date() + days.as_interval("D")
    tomorrow = ibis.literal(point.date + _dt.timedelta(days=1))
    expected = ibis.ifelse(expected.isnull() | (expected < tomorrow), tomorrow, expected)
    value = joined.expected_value if "expected_value" in joined.columns else ibis.null("float64")
    out = joined.select(
        "opportunity_id",
        "customer_id",
        owner=joined.owner if "owner" in joined.columns else ibis.null("string"),
        stage=joined.stage,
        stage_index=joined.stage_index,
        expected_value=value,
        win_probability=joined.win_probability,
        weighted_value=(value * joined.win_probability).round(2),
        expected_close_date=expected.cast("date"),
    )
    return out.mutate(expected_close_month=out.expected_close_date.truncate("M"))


def forecast_by_month(
    ws: Workspace, preset: str | FunnelPreset | None = None, as_of: AsOfLike = None, config=None
) -> ir.Table:
    """:func:`forecast` summed per ``expected_close_month``: ``deals``, ``pipeline_value``,
    ``weighted_value`` (currency) and ``expected_wins`` (sum of win probabilities)."""
    f = forecast(ws, preset, as_of, config)
    return f.group_by("expected_close_month").aggregate(
        deals=f.count(),
        pipeline_value=f.expected_value.sum(),
        weighted_value=f.weighted_value.sum(),
        expected_wins=f.win_probability.sum(),
    )


def forecast_backtest(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: AsOfLike = None,
    horizon_days: int | None = None,
    config=None,
) -> ir.Table:
    """The forecast made as of ``as_of`` against what the same deals did in the following
    ``horizon_days`` (default ``funnel.forecast_horizon_days``), per stage at ``as_of``.

    Columns: ``stage``, ``stage_index``, ``deals`` (open at ``as_of``), ``expected_wins`` (sum of
    win probabilities), ``actual_wins`` (won within the horizon), ``actual_losses``,
    ``still_open`` (neither by the end of the horizon), ``expected_won_value`` and
    ``actual_won_value`` (currency). The forecast is of eventual wins: choose a horizon long
    enough for deals to close (``still_open`` shows how many had not).
    """
    chosen = opportunity_preset(preset, config, "the forecast")
    point = resolve_as_of(as_of)
    horizon = horizon_days or funnel_config(config).forecast_horizon_days
    made = forecast(ws, chosen, point, config)
    end = AsOf(
        point.date + _dt.timedelta(days=horizon),
        point.cutoff + _dt.timedelta(days=horizon),
        point.inclusive,
    )
    later = deals(ws, chosen, end, config)
    later = later.select(_id=later.opportunity_id, _outcome=later.outcome, _closed=later.closed_at)
    j = made.left_join(later, made.opportunity_id == later._id)
    within = j._closed.notnull() & point.after(j._closed, horizon)
    won = within & (j._outcome == "won")
    lost = within & (j._outcome == "lost")
    j = j.mutate(_won=won.cast("int64"), _lost=lost.cast("int64"))
    return (
        j.group_by(["stage", "stage_index"])
        .aggregate(
            deals=j.count(),
            expected_wins=j.win_probability.sum(),
            actual_wins=j._won.sum().cast("int64"),
            actual_losses=j._lost.sum().cast("int64"),
            expected_won_value=j.weighted_value.sum(),
            actual_won_value=j.expected_value.sum(where=j._won == 1),
        )
        .mutate(still_open=lambda t: t.deals - t.actual_wins - t.actual_losses)
        .select(
            "stage",
            "stage_index",
            "deals",
            "expected_wins",
            "actual_wins",
            "actual_losses",
            "still_open",
            "expected_won_value",
            "actual_won_value",
        )
    )
