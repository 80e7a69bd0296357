"""BTYD customer summaries from the warehouse: repeat purchases, recency, age and spend.

Everything that touches transaction rows is an Ibis expression, so it runs on DuckDB or Spark;
only customer-grain results come into pandas.

Definitions (lifetimes' conventions, on the design's notion of a purchase; ``<unit>`` is
``weeks`` (default) or ``days``):

- a *purchase* is an order whose net (its sale lines minus its returns, up to the as-of point) is
  positive, as in the customer facts, or a free order (net zero and nothing returned: a purchase
  occasion without spend, e.g. a promotional item; BTYD counts occasions, and the CDNOW sample
  has eight customers whose only order is one). A fully returned order is not a purchase. Its
  day is the day of its first sale line (:func:`crmlytics.facts.orders`);
- a *purchase day* is a day on which a customer made at least one purchase; its value is the sum
  of the nets of that day's purchases, so several orders on one day count once;
- ``btyd_frequency``: purchase days − 1 (repeat purchases, free orders included);
- ``btyd_recency_<unit>``: last − first purchase day; ``btyd_age_<unit>`` (lifetimes' ``T``):
  as-of date − first purchase day;
- ``btyd_monetary_value``: mean value of the repeat purchase days (the first day excluded, as
  lifetimes does and Gamma-Gamma needs; currency units); 0 without a repeat purchase.

Durations are whole days divided by the length of the time unit (1 for days, 7 for weeks). So
the weekly summary equals lifetimes' ``summary_data_from_transaction_data(..., freq="D")`` with
``recency`` and ``T`` divided by 7 — not its ``freq="W"`` summary, which counts calendar weeks
with a purchase (two purchases in one week are one there, two here) and rounds the durations
to whole weeks.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable
from typing import Literal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import ConfigError, DataError
from crmlytics.facts import orders, visible_lines
from crmlytics.workspace import Workspace

TimeUnit = Literal["days", "weeks"]
UNIT_DAYS: dict[str, float] = {"days": 1.0, "weeks": 7.0}
DAYS_PER_MONTH = 365.25 / 12
FREQUENCY = "btyd_frequency"
MONETARY_VALUE = "btyd_monetary_value"
HOLDOUT_COLUMNS = ("holdout_purchases", "holdout_spend", "holdout_length")

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None


def unit_days(unit: str) -> float:
    """Length of ``unit`` ("days" or "weeks") in days; a clear error for anything else."""
    try:
        return UNIT_DAYS[unit]
    except KeyError:
        raise ConfigError(
            f"unknown time unit {unit!r}; use one of {', '.join(UNIT_DAYS)}"
        ) from None


def recency_column(unit: str) -> str:
    """``btyd_recency_<unit>``: last − first purchase day in ``unit``."""
    unit_days(unit)
    return f"btyd_recency_{unit}"


def age_column(unit: str) -> str:
    """``btyd_age_<unit>`` (lifetimes' ``T``): as-of date − first purchase day in ``unit``."""
    unit_days(unit)
    return f"btyd_age_{unit}"


def history_columns(unit: str) -> tuple[str, str, str]:
    """The purchase-history columns a count model reads: frequency, recency and age in ``unit``."""
    return (FREQUENCY, recency_column(unit), age_column(unit))


def summary_columns(unit: str) -> tuple[str, ...]:
    """Columns of a :func:`btyd_summary` in ``unit``, in order."""
    return ("customer_id", *history_columns(unit), MONETARY_VALUE)


def columns_unit(columns: Iterable[str]) -> str | None:
    """The unit whose ``btyd_recency_<unit>`` and ``btyd_age_<unit>`` are among ``columns``."""
    present = set(columns)
    units = [u for u in UNIT_DAYS if {recency_column(u), age_column(u)} <= present]
    return units[0] if len(units) == 1 else None


def summary_unit(frame: pd.DataFrame) -> str:
    """Time unit of a summary frame: ``frame.attrs["unit"]`` or, without it, its column names.

    Raises :class:`DataError` naming the expected columns when neither tells.
    """
    unit = frame.attrs.get("unit") or columns_unit(frame.columns)
    if unit is None:
        raise DataError(
            "the summary has no btyd_recency_<unit> / btyd_age_<unit> columns (unit weeks or "
            f"days); it has {', '.join(map(str, frame.columns))}. Build it with "
            "crmlytics.clv.summary.customer_summary"
        )
    unit_days(unit)
    return unit


@ibis.udf.agg.builtin(name="min_by")
def _min_by(arg: dt.float64, key: dt.date) -> dt.float64:  # type: ignore[empty-body]
    """Value of ``arg`` on the row with the smallest ``key`` (DuckDB, Spark 3.3+: ``min_by``).

    Ibis' own ``argmin`` compiles to an ordered ``first(... ORDER BY ...)`` on DuckDB, which
    costs a sort per group; ``min_by`` is a plain hash aggregate on both engines.
    """


def purchase_days(ws: Workspace, as_of: AsOfLike) -> ir.Table:
    """One row per (customer, purchase day) visible as of ``as_of``: ``day`` and ``day_value``.

    ``day_value`` is the summed net (currency units) of that day's purchases (orders with a
    positive net, returns up to the as-of point included, and free orders; see the module doc).
    """
    per_order = orders(visible_lines(ws, resolve_as_of(as_of)))
    free_order = (per_order.order_net == 0) & (per_order.return_lines == 0)
    bought = per_order.filter((per_order.order_net > 0) | free_order)
    return bought.group_by(["customer_id", bought.order_day.name("day")]).aggregate(
        day_value=bought.order_net.sum()
    )


def _summary_from_days(days: ir.Table, as_of_date: _dt.date, unit: str) -> ir.Table:
    """Per-customer summary in one aggregate over purchase days (no self-join).

    The repeat days' spend is the total minus the first day's value (``min_by`` the day).
    """
    t = days.group_by("customer_id").aggregate(
        first_day=days.day.min(),
        last_day=days.day.max(),
        n_days=days.day.count(),
        total_value=days.day_value.sum(),
        first_value=_min_by(days.day_value, days.day),
    )
    repeats = t.n_days - 1
    return t.select(
        customer_id=t.customer_id,
        **history(t.first_day, t.last_day, t.n_days, as_of_date, unit),
        **{
            MONETARY_VALUE: (repeats > 0)
            .ifelse((t.total_value - t.first_value) / repeats.cast("float64"), 0.0)
            .cast("float64"),
        },
    )


def history(
    first_day: ir.DateValue,
    last_day: ir.DateValue,
    n_days: ir.IntegerValue,
    as_of_date: _dt.date,
    unit: str,
) -> dict[str, ir.Value]:
    """The purchase-history columns of a summary (:func:`history_columns`) from each
    customer's first and last purchase day and number of purchase days, as of ``as_of_date``:
    repeat days, and whole days between them (and to the as-of date) over the unit's length."""
    length = unit_days(unit)
    return {
        FREQUENCY: (n_days - 1).cast("int64"),
        recency_column(unit): last_day.delta(first_day, unit="day").cast("float64") / length,
        age_column(unit): ibis.date(as_of_date).delta(first_day, unit="day").cast("float64")
        / length,
    }


def btyd_summary(ws: Workspace, as_of: AsOfLike, *, unit: TimeUnit = "weeks") -> ir.Table:
    """BTYD summary as of ``as_of``: one row per customer with a purchase, as an Ibis expression.

    Parameters
    ----------
    ws : Workspace
    as_of : date, str or AsOf
        Only rows at or before the as-of point are seen; a date means the end of that day.
    unit : "weeks" (default) or "days"
        Time unit of the durations (whole days divided by 7 for weeks).

    Returns
    -------
    ibis.Table
        ``customer_id``; ``btyd_frequency`` (repeat purchase days, free orders included);
        ``btyd_recency_<unit>`` (last − first purchase day); ``btyd_age_<unit>`` (lifetimes'
        ``T``: as-of date − first purchase day); ``btyd_monetary_value`` (mean value of the
        repeat purchase days, currency units; 0 without a repeat).

    Notes
    -----
    In days this is lifetimes' ``summary_data_from_transaction_data(transactions, ...,
    observation_period_end=as_of, freq="D")`` (on crmlytics' purchases: returns netted, fully
    returned orders dropped); in weeks it is that same daily summary with recency and ``T``
    divided by 7, *not* lifetimes' ``freq="W"`` summary (which counts calendar weeks with a
    purchase as repeat purchases and rounds the durations to whole weeks).
    """
    point = resolve_as_of(as_of)
    return _summary_from_days(purchase_days(ws, point), point.date, unit)


def calibration_holdout(
    ws: Workspace,
    calibration_end: AsOfLike,
    holdout_end: AsOfLike,
    *,
    unit: TimeUnit = "weeks",
) -> ir.Table:
    """Calibration summary as of ``calibration_end`` plus what each customer did in the holdout.

    The calibration columns are those of :func:`btyd_summary` (only data up to the end of the
    calibration period, returns made later included neither). Holdout columns:
    ``holdout_purchases`` (distinct purchase days after ``calibration_end`` up to
    ``holdout_end``), ``holdout_spend`` (their summed value, currency units) and
    ``holdout_length`` (holdout end − calibration end, in ``unit``). Customers whose first
    purchase falls in the holdout are not included (they have no calibration history).
    """
    cal, hold = resolve_as_of(calibration_end), resolve_as_of(holdout_end)
    if hold.date <= cal.date:
        raise ConfigError(f"holdout end {hold.date} must be after calibration end {cal.date}")
    summary = btyd_summary(ws, cal, unit=unit)
    later = purchase_days(ws, hold)
    later = later.filter(later.day > ibis.date(cal.date))
    holdout = later.group_by("customer_id").aggregate(
        holdout_purchases=later.day.count(), holdout_spend=later.day_value.sum()
    )
    holdout = holdout.rename(holdout_id="customer_id")
    t = summary.left_join(holdout, summary.customer_id == holdout.holdout_id)
    length = (hold.date - cal.date).days / unit_days(unit)
    return t.select(
        *summary_columns(unit),
        holdout_purchases=t.holdout_purchases.fill_null(0).cast("int64"),
        holdout_spend=t.holdout_spend.fill_null(0.0).cast("float64"),
        holdout_length=ibis.literal(length, type="float64"),
    )


def customer_summary(ws: Workspace, as_of: AsOfLike, *, unit: TimeUnit = "weeks") -> pd.DataFrame:
    """:func:`btyd_summary` as a pandas frame sorted by customer, with ``attrs`` unit and as_of."""
    point = resolve_as_of(as_of)
    frame = btyd_summary(ws, point, unit=unit).order_by("customer_id").to_pandas()
    frame.attrs.update(unit=unit, as_of=point.date.isoformat())
    return frame


def summary_patterns(summary: ir.Table) -> ir.Table:
    """Customers of a :func:`btyd_summary` grouped by identical (frequency, recency, age).

    One row per distinct history with ``weights`` (the number of customers): the input of the
    purchase-count fit, computed where the rows are so only the patterns reach Python.
    """
    columns = _table_history(summary)
    return summary.group_by(list(columns)).aggregate(weights=summary.count())


def _table_history(summary: ir.Table) -> tuple[str, str, str]:
    unit = columns_unit(summary.columns)
    if unit is None:
        raise DataError(
            f"not a BTYD summary: no btyd_recency_<unit> / btyd_age_<unit> among "
            f"{', '.join(summary.columns)}"
        )
    return history_columns(unit)


def spend_patterns(summary: ir.Table) -> ir.Table:
    """Repeat buyers with positive spend grouped by identical (frequency, monetary_value).

    One row per distinct pair with ``weights``: the input of the Gamma-Gamma fit.
    """
    repeat = summary.filter((summary[FREQUENCY] > 0) & (summary[MONETARY_VALUE] > 0))
    return repeat.group_by([FREQUENCY, MONETARY_VALUE]).aggregate(weights=repeat.count())


def fit_inputs(
    ws: Workspace, as_of: AsOfLike, *, unit: TimeUnit = "weeks"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compressed inputs of a CLV fit as of ``as_of``: (:func:`summary_patterns`,
    :func:`spend_patterns`) as sorted pandas frames with ``attrs`` unit and as_of.

    The summary is computed once in the warehouse (:meth:`Workspace.cached`, dropped afterwards)
    and both groupings are read from it.
    """
    point = resolve_as_of(as_of)
    expr = btyd_summary(ws, point, unit=unit)
    with ws.cached(expr) as cached:
        patterns = summary_patterns(cached).order_by(list(history_columns(unit))).to_pandas()
        spend = spend_patterns(cached).order_by([FREQUENCY, MONETARY_VALUE]).to_pandas()
    for frame in (patterns, spend):
        frame["weights"] = frame["weights"].astype("int64")
        frame.attrs.update(unit=unit, as_of=point.date.isoformat())
    return patterns, spend


def pattern_index(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Distinct (frequency, recency, age) of a summary ``frame``, sorted, and each row's number.

    Returns ``(codes, patterns)``: ``patterns`` has the frame's three history columns (in its
    unit, :func:`summary_unit`) and ``weights`` (summed ``weights`` if ``frame`` has them, else
    row counts), one row per distinct history; ``patterns.iloc[codes]`` lines up with
    ``frame``. Hash-based: one pass per column.
    """
    columns = history_columns(summary_unit(frame))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"summary lacks columns {', '.join(missing)}; expected {', '.join(columns)}"
        )
    parts = []
    for column in columns:
        values = frame[column].to_numpy()
        if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
            raise DataError(f"{column} has missing or infinite values; a summary needs numbers")
        if values.dtype.kind not in "iuf":
            raise DataError(f"{column} must be numeric, got {frame[column].dtype}")
        parts.append(pd.factorize(values, sort=True))
    (fc, fu), (rc, ru), (tc, tu) = parts
    combined = (fc.astype(np.int64) * len(ru) + rc) * len(tu) + tc
    codes, uniques = pd.factorize(combined, sort=True)
    weights = (
        frame["weights"].to_numpy(dtype="int64")
        if "weights" in frame.columns
        else np.ones(len(frame), dtype="int64")
    )
    patterns = pd.DataFrame(
        {
            columns[0]: np.asarray(fu)[uniques // (len(ru) * len(tu))],
            columns[1]: np.asarray(ru)[(uniques // len(tu)) % len(ru)],
            columns[2]: np.asarray(tu)[uniques % len(tu)],
            "weights": np.bincount(codes, weights=weights, minlength=len(uniques)).astype("int64"),
        }
    )
    patterns.attrs.update(frame.attrs)
    return codes, patterns


def compress(frame: pd.DataFrame) -> pd.DataFrame:
    """Identical (frequency, recency, age) rows grouped into one with a ``weights`` count.

    The BTYD likelihood of a customer depends only on these three numbers, so fitting the
    compressed frame with weights is exact and its cost independent of the number of customers.
    A frame that already has ``weights`` is grouped with those weights summed. Sorted by
    (frequency, recency, age).
    """
    return pattern_index(frame)[1]


def data_hash(frame: pd.DataFrame) -> str:
    """A short SHA-256 of the compressed (frequency, recency, age, weights) a model is fit on."""
    return patterns_hash(compress(frame))


def patterns_hash(packed: pd.DataFrame) -> str:
    """:func:`data_hash` of a frame that :func:`compress` already produced."""
    digest = hashlib.sha256()
    for column in (*history_columns(summary_unit(packed)), "weights"):
        digest.update(np.ascontiguousarray(packed[column].to_numpy(dtype="float64")).tobytes())
    return digest.hexdigest()[:16]
