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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.clv.fitting import ClvFitError, ClvFitWarning
from crmlytics.clv.models import GammaGamma, _CountModel, count_model
from crmlytics.clv.summary import DAYS_PER_MONTH, AsOfLike, TimeUnit, customer_summary, unit_days
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
        distinct (frequency, recency, T) pattern.
        """
        if horizon_months < 1:
            raise ValueError(f"horizon_months must be at least 1, got {horizon_months}")
        rate = monthly_rate(discount_rate)
        month = DAYS_PER_MONTH / unit_days(self.unit)
        keys = ["frequency", "recency", "T"]
        patterns = summary[keys].drop_duplicates().reset_index(drop=True)
        args = (patterns["frequency"], patterns["recency"], patterns["T"])
        cum = np.column_stack(
            [
                self.purchases.expected_purchases(m * month, *args)
                for m in range(1, horizon_months + 1)
            ]
        )
        patterns["p_alive"] = self.purchases.p_alive(*args)
        patterns["_row"] = np.arange(len(patterns))
        merged = summary.merge(patterns, on=keys, how="left")
        rows = merged["_row"].to_numpy()
        out = pd.DataFrame(
            {c: merged[c] for c in ("customer_id", *keys, "monetary_value") if c in merged}
        )
        out["p_alive"] = merged["p_alive"].to_numpy()
        out["expected_purchases"] = cum[rows, -1]
        if self.spend is None:
            out["expected_order_value"] = np.nan
            out["clv"] = np.nan
            return out
        eov = self.spend.expected_order_value(out["frequency"], out["monetary_value"])
        out["expected_order_value"] = eov
        out["clv"] = clv_from_cumulative(cum[rows], eov, rate_per_period=rate, margin=margin)
        return out


def fit_clv(
    summary: pd.DataFrame,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    penalizer: float | None = None,
) -> ClvModel:
    """Fit the purchase-count ``model`` and Gamma-Gamma on a BTYD summary frame.

    A Gamma-Gamma refusal (e.g. too few repeat buyers) does not stop the count model: the
    reason is kept in ``spend_error`` and warned about. A count-model refusal raises
    :class:`ClvFitError`.
    """
    purchases = count_model(model, unit=unit, penalizer=penalizer).fit(summary)
    spend, spend_error = None, None
    try:
        spend = GammaGamma().fit(summary)
    except ClvFitError as exc:
        spend_error = str(exc)
        warnings.warn(f"no CLV, only purchase predictions: {exc}", ClvFitWarning, stacklevel=2)
    notes = list(purchases.diagnostics_.notes)
    if spend is not None:
        notes.append(spend.independence_note)
    return ClvModel(purchases, spend, unit, summary.attrs.get("as_of"), spend_error, notes)


def fit(
    ws: Workspace,
    as_of: AsOfLike,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    penalizer: float | None = None,
) -> ClvModel:
    """Summarise the warehouse as of ``as_of`` (in ``unit``) and fit :func:`fit_clv` on it."""
    return fit_clv(
        customer_summary(ws, as_of, unit=unit), model=model, unit=unit, penalizer=penalizer
    )


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
) -> pd.DataFrame:
    """Per-customer CLV predictions as of ``as_of`` (see :meth:`ClvModel.predict`).

    With ``artifact`` (a file written by :func:`crmlytics.clv.artifacts.save_model`) the saved
    parameters score the customers as of ``as_of`` in the artifact's unit; otherwise ``model``
    is fitted on the same summary first.
    """
    point = resolve_as_of(as_of)
    if artifact is not None:
        from crmlytics.clv.artifacts import load_model

        fitted = load_model(artifact)
        unit = fitted.unit  # type: ignore[assignment]
        summary = customer_summary(ws, point, unit=unit)
    else:
        summary = customer_summary(ws, point, unit=unit)
        fitted = fit_clv(summary, model=model, unit=unit)
    frame = fitted.predict(
        summary, horizon_months=horizon_months, discount_rate=discount_rate, margin=margin
    )
    frame.insert(0, "as_of", _dt.date.fromisoformat(point.date.isoformat()))
    return frame
