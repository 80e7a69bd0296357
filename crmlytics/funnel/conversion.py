"""Stage conversion, time in stage, win rate and time to close: overall, by dimension, by cohort.

Definitions (deals as normalised by :func:`crmlytics.funnel.stages.deals`, as of a date):

- ``entered``: deals that reached the stage or a later one;
- ``advanced``: deals that reached a later stage; ``lost``: deals lost at the stage;
  ``open``: deals still open at the stage (``entered = advanced + lost + open``);
- ``conversion = advanced / (advanced + lost)``: open deals are left out, not counted as
  failures; ``conversion_low`` / ``conversion_high``: the Wilson score 95% interval
  (Wilson 1927), so a small group is not over-read; null when no deal was decided;
- ``cumulative_conversion``: the product of the conversions from the first stage to this one,
  the estimated share of new deals that get past this stage;
- ``days_in_stage_median`` / ``days_in_stage_p90``: days from entering the stage to leaving it,
  over deals that left it and recorded an entry into it, nearest-rank percentiles (the value at
  rank ``ceil(p * n)``: exact and identical on DuckDB and Spark);
- ``win_rate = won / (won + lost)`` with its Wilson interval; ``days_to_close_*``: days from
  creation to close of closed deals.

Dimensions (``by``): any column of the deal table (``source``, ``region``, ``owner``,
``competitor``, ``campaign_id``, ...), ``cohort`` (first day of the month the deal was created),
any column of ``customers`` (``customer_type``, ``channel``, ...; joined on ``customer_id``), or a
customer segmentation as of the same date (``rfm_segment``, ``value_tier``, ``lifecycle``).
A segmentation is computed inline unless ``segments=`` passes it in: :func:`dimension_segments`
gives it over customer facts computed once, as :func:`funnel` does (docs/patterns.md,
section 4).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError
from crmlytics.funnel.config import FunnelPreset, Locale, resolve_preset, stage_label
from crmlytics.funnel.stages import _days, deals
from crmlytics.percentiles import nearest_rank
from crmlytics.workspace import Workspace

#: z for a two-sided 95% interval.
Z95 = 1.959963984540054

SEGMENT_DIMS = ("rfm_segment", "value_tier", "lifecycle")

STAGE_COLUMNS: tuple[str, ...] = (
    "stage",
    "stage_index",
    "entered",
    "advanced",
    "lost",
    "open",
    "conversion",
    "conversion_low",
    "conversion_high",
    "days_in_stage_median",
    "days_in_stage_p90",
)


def wilson(successes: ir.NumericValue, trials: ir.NumericValue, z: float = Z95) -> tuple:
    """Wilson score interval ``(low, high)`` of ``successes / trials`` (null when no trials)."""
    n = trials.cast("float64")
    p = successes.cast("float64") / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)).sqrt() / denominator
    valid = trials > 0
    return (
        ibis.ifelse(valid, centre - half, ibis.null("float64")),
        ibis.ifelse(valid, centre + half, ibis.null("float64")),
    )


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval in plain Python (for checks and small tables)."""
    if trials <= 0:
        return (math.nan, math.nan)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return centre - half, centre + half


def per_stage(table: ir.Table, preset: FunnelPreset, *, decision_only: bool = False) -> ir.Table:
    """``table`` (deals) crossed with the stages each deal entered: one row per deal and stage
    with ``_ix`` (stage position), ``_stage`` (key) and ``_days`` (days in that stage)."""
    stages = preset.stages[:-1] if decision_only else preset.stages
    grid = ibis.memtable(
        {"_ix": list(range(len(stages))), "_stage": list(stages)},
        schema={"_ix": "int64", "_stage": "string"},
    )
    crossed = table.cross_join(grid)
    crossed = crossed.filter(crossed.stage_index >= crossed._ix)
    days = ibis.cases(
        *((crossed._ix == i, crossed[f"days_in_{k}"]) for i, k in enumerate(preset.stages[:-1])),
        else_=ibis.null("float64"),
    )
    return crossed.mutate(_days=days.cast("float64"))


def _keys(by: Sequence[str] | str | None) -> list[str]:
    return [by] if isinstance(by, str) else list(by or ())


@contextmanager
def dimension_segments(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: Sequence[str] | str | None = None,
    config: object | None = None,
) -> Iterator[ir.Table | None]:
    """The customer segments as of ``as_of`` for a funnel grouped ``by`` a segmentation, for
    the duration of a ``with`` block; ``None`` when ``by`` names none. Pass the same as-of
    date to the funnel function that reads them.

    The segments read customer facts computed once
    (:func:`crmlytics.segments.core.computed_segments`) instead of again for every reference
    in the query. Pass the table as ``segments=`` to :func:`stage_conversion`, :func:`win_rates`,
    :func:`stage_durations`, :func:`crmlytics.funnel.win_loss` or
    :func:`crmlytics.funnel.campaign_funnel` inside the block.

    >>> with dimension_segments(ws, "2024-06-30", "value_tier") as segs:  # doctest: +SKIP
    ...     rates = win_rates(ws, "sales", "2024-06-30", "value_tier", segments=segs).to_pandas()
    """
    if not any(k in SEGMENT_DIMS for k in _keys(by)):
        yield None
        return
    from crmlytics.segments.core import computed_segments

    with computed_segments(ws, as_of, config) as segments:
        yield segments


def with_dimensions(
    ws: Workspace,
    table: ir.Table,
    by: Sequence[str],
    as_of: AsOf,
    config: object | None = None,
    *,
    segments: ir.Table | None = None,
) -> ir.Table:
    """``table`` (a deal table) with the dimension columns ``by`` added where missing;
    segmentations from ``segments`` (:func:`dimension_segments`), computed inline if None."""
    missing = [d for d in by if d not in table.columns]
    if "cohort" in missing:
        table = table.mutate(cohort=table.created_at.truncate("M").cast("date"))
        missing.remove("cohort")
    segment_dims = [d for d in missing if d in SEGMENT_DIMS]
    customer_dims = [d for d in missing if d not in SEGMENT_DIMS]
    if customer_dims:
        customers = ws.table("customers")
        unknown = [d for d in customer_dims if d not in customers.columns]
        if unknown:
            known = sorted({*table.columns, *customers.columns, "cohort", *SEGMENT_DIMS})
            raise ConfigError(
                f"unknown funnel dimension {', '.join(unknown)}; use a column of the deals or "
                f"customers, cohort or a segmentation: {', '.join(known)}"
            )
        right = customers.select(
            _cid=customers.customer_id, **{d: customers[d] for d in customer_dims}
        )
        table = table.left_join(right, table.customer_id == right._cid).drop("_cid")
    if segment_dims:
        from crmlytics.segments import customer_segments

        segs = segments if segments is not None else customer_segments(ws, as_of, config)
        right = segs.select(_cid=segs.customer_id, **{d: segs[d] for d in segment_dims})
        table = table.left_join(right, table.customer_id == right._cid).drop("_cid")
    return table


def _prepared(
    ws: Workspace,
    preset: str | FunnelPreset | None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None,
    by: Sequence[str] | str | None,
    config: object | None,
    segments: ir.Table | None,
) -> tuple[FunnelPreset, AsOf, list[str], ir.Table]:
    chosen = resolve_preset(preset, config)
    point = resolve_as_of(as_of)
    keys = _keys(by)
    table = deals(ws, chosen, point, config)
    table = with_dimensions(ws, table, keys, point, config, segments=segments)
    return chosen, point, keys, table


def _stage_counts(
    ws: Workspace, table: ir.Table, preset: FunnelPreset, keys: list[str]
) -> ir.Table:
    """Counts and time-in-stage percentiles per group and stage, from one aggregation of the
    deal table by ``keys`` (one wide row per group, a column per stage and measure), turned
    into one row per group and stage entered by some deal of the group."""
    stages = preset.stages
    metrics: dict[str, ir.Value] = {}
    for i, key in enumerate(stages[:-1]):
        table, more = nearest_rank(
            table,
            keys,
            f"days_in_{key}",
            {f"_median_{i}": 0.5, f"_p90_{i}": 0.9},
            duckdb=ws.is_duckdb,
        )
        metrics.update(more)
    ix, outcome = table.stage_index, table.outcome
    for i in range(len(stages)):
        metrics[f"_entered_{i}"] = table.count(where=ix >= i)
        metrics[f"_advanced_{i}"] = table.count(where=ix > i)
        metrics[f"_lost_{i}"] = table.count(where=(ix == i) & (outcome == "lost"))
        metrics[f"_open_{i}"] = table.count(where=(ix == i) & (outcome == "open"))
    wide = (table.group_by(keys) if keys else table).aggregate(**metrics)
    grid = ibis.memtable(
        {"stage_index": list(range(len(stages))), "stage": list(stages)},
        schema={"stage_index": "int64", "stage": "string"},
    )
    long = wide.cross_join(grid)

    def pick(measure: str, dtype: str) -> ir.Value:
        present = [i for i in range(len(stages)) if f"_{measure}_{i}" in wide.columns]
        return ibis.cases(
            *((long.stage_index == i, long[f"_{measure}_{i}"]) for i in present),
            else_=ibis.null(dtype),
        ).cast(dtype)

    long = long.select(
        *keys,
        "stage",
        "stage_index",
        entered=pick("entered", "int64"),
        advanced=pick("advanced", "int64"),
        lost=pick("lost", "int64"),
        open=pick("open", "int64"),
        days_in_stage_median=pick("median", "float64"),
        days_in_stage_p90=pick("p90", "float64"),
    )
    return long.filter(long.entered > 0)


def stage_conversion(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: Sequence[str] | str | None = None,
    config: object | None = None,
    *,
    segments: ir.Table | None = None,
) -> ir.Table:
    """Per stage (and per group of ``by``): :data:`STAGE_COLUMNS` as an Ibis table.

    Sees only stage events at or before ``as_of``. Definitions in the module docstring; the
    won (last) stage has ``entered`` only. Rows exist for stages some deal of the group entered.
    ``segments``: the segmentations ``by`` names, from :func:`dimension_segments`.
    """
    chosen, _, keys, table = _prepared(ws, preset, as_of, by, config, segments)
    counts = _stage_counts(ws, table, chosen, keys)
    n = len(chosen.stages)
    decided = counts.advanced + counts.lost
    low, high = wilson(counts.advanced, decided)
    last = counts.stage_index == n - 1
    out = counts.mutate(
        advanced=ibis.ifelse(last, ibis.null("int64"), counts.advanced),
        lost=ibis.ifelse(last, ibis.null("int64"), counts.lost),
        open=ibis.ifelse(last, ibis.null("int64"), counts.open),
        conversion=ibis.ifelse(
            decided > 0, counts.advanced.cast("float64") / decided, ibis.null("float64")
        ),
        conversion_low=ibis.ifelse(last, ibis.null("float64"), low),
        conversion_high=ibis.ifelse(last, ibis.null("float64"), high),
    )
    out = out.mutate(conversion=ibis.ifelse(last, ibis.null("float64"), out.conversion))
    return out.select(*keys, *STAGE_COLUMNS)


def funnel(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: Sequence[str] | str | None = None,
    config: object | None = None,
    *,
    locale: Locale | None = None,
) -> pd.DataFrame:
    """The funnel table: :func:`stage_conversion` plus ``cumulative_conversion``, one row per
    stage (per group with ``by``) in funnel order.

    With ``locale`` a ``stage_label`` column (that locale's label) follows the ``stage`` key.
    ``cumulative_conversion`` of a stage is the product of the conversions of it and the
    stages before it (null once a stage has no decided deal). A segmentation in ``by`` is
    computed over customer facts computed once (:func:`dimension_segments`).
    """
    chosen = resolve_preset(preset, config)
    point = resolve_as_of(as_of)
    keys = _keys(by)
    with dimension_segments(ws, point, keys, config) as segments:
        expr = stage_conversion(ws, chosen, point, keys, config, segments=segments)
        frame = expr.to_pandas()
    frame = frame.sort_values([*keys, "stage_index"], kind="stable").reset_index(drop=True)
    frame = frame.astype({"advanced": "Int64", "lost": "Int64", "open": "Int64"})
    conversion = frame["conversion"].astype("float64")
    if keys:
        groups = frame[keys].astype("object").where(frame[keys].notna(), "\0null")
        cumulative = conversion.groupby([groups[k] for k in keys], sort=False).cumprod()
    else:
        cumulative = conversion.cumprod()
    frame.insert(frame.columns.get_loc("conversion_high") + 1, "cumulative_conversion", cumulative)
    if locale is not None:
        labels = frame["stage"].map(lambda k: stage_label(k, locale))
        frame.insert(frame.columns.get_loc("stage") + 1, "stage_label", labels)
    return frame


def win_rates(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: Sequence[str] | str | None = None,
    config: object | None = None,
    *,
    segments: ir.Table | None = None,
) -> ir.Table:
    """Win rate and time to close per group of ``by`` (Ibis table), as of ``as_of``.

    Columns: ``by``..., ``deals``, ``won``, ``lost``, ``open``, ``win_rate`` (won / closed),
    ``win_rate_low``, ``win_rate_high`` (Wilson 95%), ``days_to_close_median``,
    ``days_to_close_p90`` (closed deals, creation to close), ``days_to_win_median`` (won deals).
    ``segments``: the segmentations ``by`` names, from :func:`dimension_segments`.
    """
    _, _, keys, table = _prepared(ws, preset, as_of, by, config, segments)
    closed = table.closed_at.notnull()
    table = table.mutate(
        _close_days=ibis.ifelse(closed, _days(table.closed_at, table.created_at), None),
        _win_days=ibis.ifelse(
            table.outcome == "won", _days(table.closed_at, table.created_at), None
        ),
    )
    ranked, quantiles = nearest_rank(
        table,
        keys,
        "_close_days",
        {"days_to_close_median": 0.5, "days_to_close_p90": 0.9},
        duckdb=ws.is_duckdb,
    )
    ranked2, win_q = nearest_rank(
        ranked, keys, "_win_days", {"days_to_win_median": 0.5}, duckdb=ws.is_duckdb
    )
    out = (ranked2.group_by(keys) if keys else ranked2).aggregate(
        deals=ranked2.count(),
        won=(ranked2.outcome == "won").cast("int64").sum().cast("int64"),
        lost=(ranked2.outcome == "lost").cast("int64").sum().cast("int64"),
        open=(ranked2.outcome == "open").cast("int64").sum().cast("int64"),
        **quantiles,
        **win_q,
    )
    decided = out.won + out.lost
    low, high = wilson(out.won, decided)
    out = out.mutate(
        win_rate=ibis.ifelse(decided > 0, out.won.cast("float64") / decided, ibis.null("float64")),
        win_rate_low=low,
        win_rate_high=high,
    )
    return out.select(
        *keys,
        "deals",
        "won",
        "lost",
        "open",
        "win_rate",
        "win_rate_low",
        "win_rate_high",
        "days_to_close_median",
        "days_to_close_p90",
        "days_to_win_median",
    )


def stage_durations(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    by: Sequence[str] | str | None = None,
    config: object | None = None,
    *,
    segments: ir.Table | None = None,
) -> ir.Table:
    """Distribution of days in each decision stage (Ibis table): ``by``..., ``stage``,
    ``stage_index``, ``deals`` (with a measured duration), ``p10``, ``p25``, ``median``,
    ``p75``, ``p90`` (nearest-rank percentiles, days), over deals that left the stage.
    ``segments``: the segmentations ``by`` names, from :func:`dimension_segments`."""
    chosen, _, keys, table = _prepared(ws, preset, as_of, by, config, segments)
    here = per_stage(table, chosen, decision_only=True)
    long = here.select(*keys, stage=here._stage, stage_index=here._ix, days=here._days)
    long = long.filter(long.days.notnull())
    groups = [*keys, "stage", "stage_index"]
    probs = {"p10": 0.1, "p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}
    ranked, quantiles = nearest_rank(long, groups, "days", probs, duckdb=ws.is_duckdb)
    return ranked.group_by(groups).aggregate(deals=ranked.count(), **quantiles)
