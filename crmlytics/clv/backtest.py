"""Backtest: fit on a calibration period, predict the holdout, compare with what happened.

Reported next to a naive baseline in which every customer keeps their calibration repeat rate
(``btyd_frequency / btyd_age_<unit>``, 0 for a customer first seen on the calibration end) for the
length of the holdout: totals, a per-frequency-bucket comparison, and the mean absolute error per
customer, plus the cumulative repeat-purchase tracking series (weekly or daily).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.clv.predict import ClvModel, Progress, notify_step
from crmlytics.clv.summary import (
    FREQUENCY,
    AsOfLike,
    TimeUnit,
    age_column,
    calibration_holdout,
    history_columns,
    purchase_days,
    unit_days,
)
from crmlytics.workspace import Workspace

MAX_BUCKET = 7  # frequency buckets 0 … 6 and "7+"


@dataclass
class BacktestResult:
    """Outcome of :func:`backtest` (durations in ``unit``, counts are repeat purchase days).

    ``customers``: per customer calibration summary, ``holdout_purchases`` (actual),
    ``predicted`` (model) and ``naive``. ``totals``: one row per source (actual / model / naive)
    with total holdout purchases and MAE per customer. ``by_frequency``: mean holdout purchases
    per calibration ``btyd_frequency`` bucket ("0" … "6", "7+"). ``tracking``: cumulative
    repeat purchases per period since the first customer's first purchase, actual and expected
    by the model.
    """

    model: ClvModel
    calibration_end: str
    holdout_end: str
    unit: str
    customers: pd.DataFrame
    totals: pd.DataFrame
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame

    @property
    def mae(self) -> float:
        return float(self.totals.loc["model", "mae_per_customer"])

    @property
    def mae_naive(self) -> float:
        return float(self.totals.loc["naive", "mae_per_customer"])


def naive_forecast(frequency: np.ndarray, age: np.ndarray, holdout_length: float) -> np.ndarray:
    """Calibration repeat rate (``frequency / age``, 0 when ``age = 0``) × holdout length.

    ``age`` (lifetimes' ``T``) and ``holdout_length`` in the same time unit.
    """
    f, t = np.asarray(frequency, dtype=float), np.asarray(age, dtype=float)
    rate = np.divide(f, t, out=np.zeros_like(f), where=t > 0)
    return rate * holdout_length


def compare(customers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Totals / MAE and per-frequency-bucket means of actual, model and naive holdout purchases."""
    actual = customers["holdout_purchases"].to_numpy(dtype=float)
    rows = {}
    for source, column in (
        ("actual", "holdout_purchases"),
        ("model", "predicted"),
        ("naive", "naive"),
    ):
        values = customers[column].to_numpy(dtype=float)
        rows[source] = {
            "holdout_purchases": float(values.sum()),
            "mae_per_customer": float(np.mean(np.abs(values - actual))),
        }
    totals = pd.DataFrame.from_dict(rows, orient="index").rename_axis("source")
    bucket = np.minimum(customers[FREQUENCY].to_numpy(), MAX_BUCKET)
    labels = [str(b) if b < MAX_BUCKET else f"{MAX_BUCKET}+" for b in range(MAX_BUCKET + 1)]
    by = (
        customers.assign(bucket=bucket)
        .groupby("bucket")
        .agg(
            customers=("holdout_purchases", "size"),
            actual=("holdout_purchases", "mean"),
            model=("predicted", "mean"),
            naive=("naive", "mean"),
        )
        .reset_index()
    )
    by[FREQUENCY] = [labels[int(b)] for b in by["bucket"]]
    return totals, by[[FREQUENCY, "customers", "actual", "model", "naive"]]


def repeat_purchases_by_period(
    ws: Workspace, calibration_end: AsOfLike, holdout_end: AsOfLike, unit: TimeUnit
) -> pd.DataFrame:
    """Actual repeat purchase days per period (``unit``) of customers first seen by the
    calibration end, counted from the earliest first purchase up to the holdout end (Ibis)."""
    cal, hold = resolve_as_of(calibration_end), resolve_as_of(holdout_end)
    days = purchase_days(ws, hold)
    firsts = days.group_by("customer_id").aggregate(first_day=days.day.min())
    firsts = firsts.filter(firsts.first_day <= ibis.date(cal.date)).rename(first_id="customer_id")
    joined = days.join(firsts, days.customer_id == firsts.first_id)
    start = joined.first_day.min().as_scalar()
    repeat = joined.filter(joined.day > joined.first_day)
    length = unit_days(unit)
    offset = repeat.day.delta(start, unit="day").cast("float64")
    counted = repeat.select(period=(offset / length).floor().cast("int64"))
    per = counted.group_by("period").aggregate(repeat_purchases=counted.count())
    return per.order_by("period").to_pandas()


def tracking_series(
    model: ClvModel, customers: pd.DataFrame, actual: pd.DataFrame, holdout_length: float
) -> pd.DataFrame:
    """Cumulative repeat purchases per period: actual vs the model's expectation.

    The expectation sums, over customers, the unconditional expected repeat purchases of a new
    customer for the time since their first purchase (Fader, Hardie & Lee's tracking plot).
    """
    T = customers[age_column(model.unit)].to_numpy(dtype=float)
    max_T = float(T.max())
    born, counts = np.unique(max_T - T, return_counts=True)
    periods = int(np.ceil(max_T + holdout_length))
    ends = np.arange(1, periods + 1, dtype=float)
    age = np.clip(ends[:, None] - born[None, :], 0.0, None)
    expected = model.purchases_.expected_purchases_new_customer(age.ravel()).reshape(age.shape)
    expected = np.where(age > 0, expected, 0.0) @ counts
    per = np.zeros(periods)
    for period, n in zip(actual["period"], actual["repeat_purchases"], strict=True):
        if 0 <= period < periods:
            per[int(period)] += n
    return pd.DataFrame(
        {
            "period": ends,
            "actual_cumulative": np.cumsum(per),
            "model_cumulative": expected,
            "in_holdout": ends > max_T,
        }
    )


def backtest(
    ws: Workspace,
    calibration_end: AsOfLike,
    holdout_end: AsOfLike,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    penalizer: float | None = None,
    progress: Progress = None,
) -> BacktestResult:
    """Fit ``model`` as of ``calibration_end``; compare its holdout forecast with the truth.

    Customers are those with a purchase by the calibration end; the holdout runs from the day
    after ``calibration_end`` to the end of ``holdout_end``. ``progress`` is called with each
    step's name ("summary", "fit", "predict", "tracking") as it starts.
    """
    cal, hold = resolve_as_of(calibration_end), resolve_as_of(holdout_end)
    notify_step(progress, "summary")
    frame = calibration_holdout(ws, cal, hold, unit=unit).order_by("customer_id").to_pandas()
    frame.attrs.update(unit=unit, as_of=cal.date.isoformat())
    notify_step(progress, "fit")
    fitted = ClvModel(model=model, unit=unit, penalizer=penalizer).fit(frame)
    notify_step(progress, "predict")
    length = (hold.date - cal.date).days / unit_days(unit)
    customers = frame.copy()
    history = [customers[c] for c in history_columns(unit)]
    customers["predicted"] = fitted.purchases_.expected_purchases(length, *history)
    customers["naive"] = naive_forecast(history[0], history[2], length)
    totals, by_frequency = compare(customers)
    notify_step(progress, "tracking")
    actual = repeat_purchases_by_period(ws, cal, hold, unit)
    tracking = tracking_series(fitted, customers, actual, length)
    return BacktestResult(
        fitted,
        cal.date.isoformat(),
        hold.date.isoformat(),
        unit,
        customers,
        totals,
        by_frequency,
        tracking,
    )
