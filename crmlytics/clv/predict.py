"""Per-customer predictions: P(alive), expected purchases, expected order value, discounted CLV.

Discounting (design default: 12 months, 10% a year): the horizon is cut into months of
365.25 / 12 days; the expected margin of month ``t`` is (expected purchases in month ``t``) ×
(expected order value) × ``margin``; CLV is the sum over ``t = 1 … H`` of that margin divided by
``(1 + d_m) ** t``, where ``d_m = (1 + discount_rate) ** (1 / 12) - 1`` is the monthly rate
equivalent to the yearly ``discount_rate``. Money is in the currency of the transactions.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.clv.fitting import ClvFitError, ClvFitWarning
from crmlytics.clv.models import GammaGamma, _CountModel, count_model
from crmlytics.clv.summary import (
    DAYS_PER_MONTH,
    AsOfLike,
    TimeUnit,
    customer_summary,
    fit_inputs,
    pattern_index,
    unit_days,
)
from crmlytics.workspace import Workspace

PREDICTION_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "expected_order_value",
    "clv",
)


def monthly_rate(discount_rate: float) -> float:
    """Monthly discount rate equivalent to the yearly ``discount_rate`` (0.10 = 10% a year)."""
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise ValueError(f"discount rate {discount_rate!r} must be a number above -1 (0.10 = 10%)")
    return (1.0 + discount_rate) ** (1.0 / 12.0) - 1.0


def discounted_value(per_period: np.ndarray, rate_per_period: float) -> np.ndarray:
    """Sum over periods ``t = 1 … H`` of ``per_period[..., t-1] / (1 + rate) ** t``."""
    values = np.asarray(per_period, dtype=float)
    t = np.arange(1, values.shape[-1] + 1)
    return (values / (1.0 + rate_per_period) ** t).sum(axis=-1)


def clv_from_cumulative(
    cumulative_purchases: np.ndarray,
    order_value: np.ndarray,
    *,
    rate_per_period: float,
    margin: float = 1.0,
) -> np.ndarray:
    """Discounted value from cumulative expected purchases at the end of each period.

    ``cumulative_purchases`` has one row per customer and one column per period (expected
    purchases from the as-of date to the end of period ``t``); ``order_value`` is the expected
    value of one purchase per customer; ``margin`` the share of it that is margin.
    """
    cum = np.atleast_2d(np.asarray(cumulative_purchases, dtype=float))
    per_period = np.diff(cum, axis=1, prepend=0.0)
    value = np.asarray(order_value, dtype=float)[:, None] * margin
    return discounted_value(per_period * value, rate_per_period)


@dataclass
class ClvModel:
    """A purchase-count model and (if it could be fitted) a Gamma-Gamma spend model together.

    ``spend`` is ``None`` when Gamma-Gamma could not be fitted; ``spend_error`` then says why,
    and CLV is missing while P(alive) and expected purchases are still predicted.
    """

    purchases: _CountModel
    spend: GammaGamma | None
    unit: str
    as_of: str | None
    spend_error: str | None = None
    notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table of both models (``model`` column: purchases / spend)."""
        parts = [self.purchases.summary.assign(model=self.purchases.model)]
        if self.spend is not None:
            parts.append(self.spend.summary.assign(model="gamma_gamma"))
        return pd.concat(parts).reset_index()

    def predict(
        self,
        summary: pd.DataFrame,
        *,
        horizon_months: int = 12,
        discount_rate: float = 0.10,
        margin: float = 1.0,
    ) -> pd.DataFrame:
        """One row per customer: P(alive), expected purchases and value over the horizon, CLV.

        ``expected_purchases`` counts repeat purchases in the ``horizon_months`` after the
        as-of date; ``expected_order_value`` (currency) comes from Gamma-Gamma; ``clv`` is the
        discounted expected margin (see the module doc). Predictions are computed once per
        distinct (frequency, recency, T) pattern and gathered back to the customers.
        """
        if horizon_months < 1:
            raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
        rate = monthly_rate(discount_rate)
        month = DAYS_PER_MONTH / unit_days(self.unit)
        codes, patterns = pattern_index(summary)
        args = (patterns["frequency"], patterns["recency"], patterns["T"])
        horizons = month * np.arange(1, horizon_months + 1)
        cum = self.purchases.expected_purchases_cumulative(horizons, *args)
        p_alive = self.purchases.p_alive(*args)
        # discounted purchases per pattern; CLV is linear in the order value
        per_month = np.diff(cum, axis=1, prepend=0.0)
        discounted = discounted_value(per_month, rate)
        columns = ("customer_id", "frequency", "recency", "T", "monetary_value")
        out = pd.DataFrame({c: summary[c].to_numpy() for c in columns if c in summary.columns})
        out["p_alive"] = p_alive[codes]
        out["expected_purchases"] = cum[codes, -1]
        if self.spend is None:
            out["expected_order_value"] = np.nan
            out["clv"] = np.nan
            return out
        eov = self.spend.expected_order_value(out["frequency"], out["monetary_value"])
        out["expected_order_value"] = eov
        out["clv"] = eov * margin * discounted[codes]
        return out


Progress = Callable[[str], None] | None
STEPS = ("summary", "fit", "predict")


def notify_step(progress: Progress, name: str) -> None:
    """Tell ``progress`` (if any) that step ``name`` starts."""
    if progress is not None:
        progress(name)


def fit_clv(
    summary: pd.DataFrame,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    penalizer: float | None = None,
    spend: pd.DataFrame | None = None,
) -> ClvModel:
    """Fit the purchase-count ``model`` and Gamma-Gamma on a BTYD summary frame.

    ``summary`` has one row per customer or per (frequency, recency, T) pattern with
    ``weights``; ``spend`` (optional, e.g. from :func:`crmlytics.clv.summary.spend_patterns`)
    is what Gamma-Gamma is fitted on instead of ``summary``. A Gamma-Gamma refusal (e.g. too
    few repeat buyers) does not stop the count model: the reason is kept in ``spend_error`` and
    warned about. A count-model refusal raises :class:`ClvFitError`.
    """
    purchases = count_model(model, unit=unit, penalizer=penalizer).fit(summary)
    spend_model, spend_error = None, None
    try:
        spend_model = GammaGamma().fit(summary if spend is None else spend)
        spend_model.data_hash_ = purchases.data_hash_
    except ClvFitError as exc:
        spend_error = str(exc)
        warnings.warn(f"no CLV, only purchase predictions: {exc}", ClvFitWarning, stacklevel=2)
    notes = list(purchases.diagnostics_.notes)
    if spend_model is not None:
        notes.append(spend_model.independence_note)
    return ClvModel(purchases, spend_model, unit, summary.attrs.get("as_of"), spend_error, notes)


def fit(
    ws: Workspace,
    as_of: AsOfLike,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    penalizer: float | None = None,
    progress: Progress = None,
) -> ClvModel:
    """Fit :func:`fit_clv` on the warehouse as of ``as_of`` (durations in ``unit``).

    Only the compressed summary (:func:`crmlytics.clv.summary.fit_inputs`: distinct
    histories and distinct repeat spends with counts) leaves the warehouse. ``progress`` is
    called with each step's name ("summary", "fit") as it starts.
    """
    notify_step(progress, "summary")
    patterns, spend = fit_inputs(ws, as_of, unit=unit)
    notify_step(progress, "fit")
    return fit_clv(patterns, model=model, unit=unit, penalizer=penalizer, spend=spend)


def predict(
    ws: Workspace,
    as_of: AsOfLike,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    horizon_months: int = 12,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    artifact: str | None = None,
    progress: Progress = None,
) -> pd.DataFrame:
    """Per-customer CLV predictions as of ``as_of`` (see :meth:`ClvModel.predict`).

    With ``artifact`` (a file written by :func:`crmlytics.clv.artifacts.save_model`) the saved
    parameters score the customers as of ``as_of`` in the artifact's unit; otherwise ``model``
    is fitted on the same summary first (compressed in memory: every customer's row is needed
    for the scores anyway). ``progress`` is called with each step's name ("summary", "fit",
    "predict") as it starts.
    """
    point = resolve_as_of(as_of)
    fitted = None
    if artifact is not None:
        from crmlytics.clv.artifacts import load_model

        fitted = load_model(artifact)
        unit = fitted.unit  # type: ignore[assignment]
    notify_step(progress, "summary")
    summary = customer_summary(ws, point, unit=unit)
    if fitted is None:
        notify_step(progress, "fit")
        fitted = fit_clv(summary, model=model, unit=unit)
    notify_step(progress, "predict")
    frame = fitted.predict(
        summary, horizon_months=horizon_months, discount_rate=discount_rate, margin=margin
    )
    frame.insert(0, "as_of", _dt.date.fromisoformat(point.date.isoformat()))
    frame.attrs.update(unit=unit, as_of=point.date.isoformat())
    return frame
