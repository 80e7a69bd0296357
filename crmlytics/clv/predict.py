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
from typing import Any

import numpy as np
import pandas as pd

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.base import ContractData, Model, register_model
from crmlytics.clv.fitting import ClvFitError, ClvFitWarning
from crmlytics.clv.models import (
    GammaGamma,
    contract_summary,
    count_model,
    summary_mismatches,
    unit_mismatch,
)
from crmlytics.clv.summary import (
    DAYS_PER_MONTH,
    FREQUENCY,
    MONETARY_VALUE,
    AsOfLike,
    TimeUnit,
    customer_summary,
    fit_inputs,
    history_columns,
    pattern_index,
    summary_columns,
    unit_days,
)
from crmlytics.errors import ConfigError
from crmlytics.workspace import Workspace

PREDICTED = ("p_alive", "expected_purchases", "expected_order_value", "clv")
"""What :meth:`ClvModel.predict` adds to the summary columns (see :func:`prediction_columns`)."""


def prediction_columns(unit: str) -> tuple[str, ...]:
    """Columns of :meth:`ClvModel.predict` for a summary in ``unit``, in order."""
    return (*summary_columns(unit), *PREDICTED)


def monthly_rate(discount_rate: float) -> float:
    """Monthly discount rate equivalent to the yearly ``discount_rate`` (0.10 = 10% a year)."""
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise ConfigError(
            f"discount rate {discount_rate!r} must be a number above -1 (0.10 = 10% a year)"
        )
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


@register_model
class ClvModel(Model):
    """A purchase-count model and (if it can be fitted) Gamma-Gamma together: CLV per customer.

    Parameters
    ----------
    model : "bgnbd" (default), "pareto" or "mbgnbd"
        The purchase-count model (:func:`crmlytics.clv.models.count_model`).
    unit : "weeks" (default) or "days"
        Time unit of the summary columns read (``btyd_recency_<unit>``, ``btyd_age_<unit>``).
    penalizer : float, optional
        Fixed L2 penalty of both fits; ``None`` searches one only if needed.

    Attributes
    ----------
    purchases_ : BetaGeo, ParetoNBD or ModifiedBetaGeo
        The fitted purchase-count model.
    spend_ : GammaGamma or None
        ``None`` when Gamma-Gamma could not be fitted; ``spend_error_`` then says why, and CLV
        is missing while P(alive) and expected purchases are still predicted.
    spend_error_ : str or None
    notes_ : list of str
        What the fits needed (a penalty) and the frequency–spend independence check.
    as_of_, data_hash_ (of the purchase histories), features_.
    """

    kind = "clv"
    _fitted_marker = "purchases_"

    def __init__(
        self, model: str = "bgnbd", unit: str = "weeks", penalizer: float | None = None
    ) -> None:
        self.model = model
        self.unit = unit
        self.penalizer = penalizer

    def fit(self, summary: pd.DataFrame, spend: pd.DataFrame | None = None) -> ClvModel:
        """Fit the purchase-count model and Gamma-Gamma on a BTYD summary frame.

        ``summary`` has one row per customer, or per (frequency, recency, age) pattern with
        ``weights``; ``spend`` (optional, e.g. from :func:`crmlytics.clv.summary.spend_patterns`)
        is what Gamma-Gamma is fitted on instead of ``summary``. A Gamma-Gamma refusal (e.g. too
        few repeat buyers) does not stop the count model: the reason is kept in
        ``spend_error_`` and warned about. A count-model refusal raises :class:`ClvFitError`.
        """
        purchases = count_model(self.model, unit=self.unit, penalizer=self.penalizer)
        purchases.fit(summary)
        spend_model, spend_error = None, None
        try:
            spend_model = GammaGamma(penalizer=self.penalizer).fit(
                summary if spend is None else spend
            )
        except ClvFitError as exc:
            spend_error = str(exc)
            warnings.warn(f"no CLV, only purchase predictions: {exc}", ClvFitWarning, stacklevel=2)
        notes = list(purchases.diagnostics_.notes)
        if spend_model is not None:
            notes.append(spend_model.independence_note)
        self.spend_ = spend_model
        self.spend_error_ = spend_error
        self.notes_ = notes
        self.as_of_ = purchases.as_of_
        self.data_hash_ = purchases.data_hash_
        self.features_ = [*history_columns(self.unit), MONETARY_VALUE]
        self.purchases_ = purchases
        return self

    def summary(self) -> pd.DataFrame:
        """Parameter table of both models (``model`` column: the count model / gamma_gamma)."""
        self._check_fitted()
        parts = [self.purchases_.summary().assign(model=self.purchases_.model)]
        if self.spend_ is not None:
            parts.append(self.spend_.summary().assign(model="gamma_gamma"))
        return pd.concat(parts).reset_index()

    def _mismatches(self, X: pd.DataFrame) -> list[str]:
        problem = unit_mismatch(X, self.unit)
        return [problem] if problem is not None else super()._mismatches(X)

    def _get_state(self) -> dict[str, Any]:
        spend = self.spend_
        return {
            "purchases": self.purchases_._get_state(),
            "spend": None
            if spend is None
            else spend._get_state() | {"data_hash": spend.data_hash_, "as_of": spend.as_of_},
            "spend_error": self.spend_error_,
            "notes": list(self.notes_),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        purchases = count_model(self.model, unit=self.unit, penalizer=self.penalizer)
        purchases._set_state(state["purchases"])
        purchases.as_of_, purchases.data_hash_ = self.as_of_, self.data_hash_
        purchases.features_ = list(history_columns(self.unit))
        spend = None
        if state["spend"] is not None:
            spend = GammaGamma(penalizer=self.penalizer)
            spend._set_state(state["spend"])
            spend.as_of_, spend.data_hash_ = state["spend"]["as_of"], state["spend"]["data_hash"]
            spend.features_ = [FREQUENCY, MONETARY_VALUE]
        self.spend_ = spend
        self.spend_error_ = state["spend_error"]
        self.notes_ = list(state["notes"])
        self.purchases_ = purchases

    @classmethod
    def _contract_data(cls) -> ContractData:
        frame = contract_summary("weeks")
        return ContractData(
            fit_args=(frame,),
            predict_input=frame.sample(frac=0.2, random_state=1),
            predict_kwargs={"horizon_months": 3},
            mismatches=summary_mismatches(frame, "weeks"),
        )

    def predict(
        self,
        summary: pd.DataFrame,
        *,
        horizon_months: int = 12,
        discount_rate: float = 0.10,
        margin: float = 1.0,
    ) -> pd.DataFrame:
        """One row per customer: P(alive), expected purchases and value over the horizon, CLV.

        Parameters
        ----------
        summary : pandas.DataFrame
            A BTYD summary in the model's unit (:func:`crmlytics.clv.summary.customer_summary`);
            a summary in another unit or without the model's columns is refused with
            :class:`crmlytics.base.ModelMismatchError`.
        horizon_months : int
            Months of 365.25 / 12 days after the as-of date.
        discount_rate : float
            Compound yearly rate (0.10 = 10% a year), applied monthly as
            ``(1 + discount_rate) ** (1 / 12) - 1``.
        margin : float
            Share of spend that is margin.

        Returns
        -------
        pandas.DataFrame
            With ``summary``'s index: its ``customer_id`` (if a column) and BTYD columns, then
            ``p_alive``, ``expected_purchases`` (repeat purchases in the horizon),
            ``expected_order_value`` (currency, Gamma-Gamma) and ``clv`` (the discounted
            expected margin, see the module doc). Computed once per distinct history pattern.
        """
        self._check_compatible(summary)
        if horizon_months < 1:
            raise ConfigError(f"horizon_months must be at least 1, got {horizon_months}")
        rate = monthly_rate(discount_rate)
        month = DAYS_PER_MONTH / unit_days(self.unit)
        codes, patterns = pattern_index(summary)
        args = tuple(patterns[c] for c in history_columns(self.unit))
        horizons = month * np.arange(1, horizon_months + 1)
        cum = self.purchases_.expected_purchases_cumulative(horizons, *args)
        p_alive = self.purchases_.p_alive(*args)
        # discounted purchases per pattern; CLV is linear in the order value
        per_month = np.diff(cum, axis=1, prepend=0.0)
        discounted = discounted_value(per_month, rate)
        out = pd.DataFrame(
            {c: summary[c].to_numpy() for c in summary_columns(self.unit) if c in summary.columns},
            index=summary.index,
        )
        out["p_alive"] = p_alive[codes]
        out["expected_purchases"] = cum[codes, -1]
        if self.spend_ is None:
            out["expected_order_value"] = np.nan
            out["clv"] = np.nan
            return out
        eov = self.spend_.expected_order_value(out[FREQUENCY], out[MONETARY_VALUE])
        out["expected_order_value"] = eov
        out["clv"] = eov * margin * discounted[codes]
        return out

    def __repr__(self) -> str:
        if not hasattr(self, "purchases_"):
            return f"ClvModel(model={self.model!r}, unit={self.unit!r})"
        spend = "no spend model" if self.spend_ is None else repr(self.spend_)
        return f"ClvModel({self.purchases_!r}; {spend})"


Progress = Callable[[str], None] | None
STEPS = ("summary", "fit", "predict")


def notify_step(progress: Progress, name: str) -> None:
    """Tell ``progress`` (if any) that step ``name`` starts."""
    if progress is not None:
        progress(name)


def fit_clv(
    ws: Workspace,
    as_of: AsOfLike,
    *,
    model: str = "bgnbd",
    unit: TimeUnit = "weeks",
    penalizer: float | None = None,
    progress: Progress = None,
) -> ClvModel:
    """Fit a :class:`ClvModel` on the warehouse as of ``as_of`` (the one way to fit CLV).

    Parameters
    ----------
    ws : Workspace
    as_of : date, str or AsOf
        Only transactions at or before it are seen (a date means the end of that day).
    model : "bgnbd" (default), "pareto" or "mbgnbd"
    unit : "weeks" (default) or "days"
        Time unit of the durations and of the time-scale parameters.
    penalizer : float, optional
    progress : callable, optional
        Called with each step's name ("summary", "fit") as it starts.

    Only the compressed summary (:func:`crmlytics.clv.summary.fit_inputs`: distinct
    histories and distinct repeat spends with counts) leaves the warehouse. To fit on a
    summary frame instead, use ``ClvModel(model=..., unit=...).fit(summary)``.
    """
    notify_step(progress, "summary")
    patterns, spend = fit_inputs(ws, as_of, unit=unit)
    notify_step(progress, "fit")
    return ClvModel(model=model, unit=unit, penalizer=penalizer).fit(patterns, spend=spend)


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

    With ``artifact`` (a file written by :meth:`ClvModel.save`) the saved parameters score the
    customers as of ``as_of`` in the artifact's unit; otherwise ``model`` is fitted on the same
    summary first (compressed in memory: every customer's row is needed
    for the scores anyway). ``progress`` is called with each step's name ("summary", "fit",
    "predict") as it starts.
    """
    point = resolve_as_of(as_of)
    fitted: ClvModel | None = None
    if artifact is not None:
        fitted = ClvModel.load(artifact)  # type: ignore[assignment]
        unit = fitted.unit  # type: ignore[union-attr]
    notify_step(progress, "summary")
    summary = customer_summary(ws, point, unit=unit)
    if fitted is None:
        notify_step(progress, "fit")
        fitted = ClvModel(model=model, unit=unit).fit(summary)
    notify_step(progress, "predict")
    frame = fitted.predict(
        summary, horizon_months=horizon_months, discount_rate=discount_rate, margin=margin
    )
    frame.insert(0, "as_of", _dt.date.fromisoformat(point.date.isoformat()))
    frame.attrs.update(unit=unit, as_of=point.date.isoformat())
    return frame
