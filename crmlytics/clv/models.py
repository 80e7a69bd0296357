"""BTYD models in scikit-learn shape over lifetimes.

BetaGeo, ParetoNBD, ModifiedBetaGeo and GammaGamma:

``__init__`` only stores parameters; ``fit(summary)`` does the work (on the compressed summary,
through :mod:`crmlytics.clv.fitting`) and returns ``self``; learnt values end in ``_``;
prediction before ``fit`` raises :class:`NotFittedError`. ``summary`` holds the estimates with
standard errors and 95% intervals (computed on the log scale, so they stay positive).

A summary frame has ``frequency``, ``recency``, ``T`` (and ``monetary_value`` for Gamma-Gamma),
optionally ``weights``; :func:`crmlytics.clv.summary.customer_summary` makes one from the warehouse
and records its time unit and as-of date in ``frame.attrs``.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from scipy.special import hyp2f1

from crmlytics.base import NotFittedError
from crmlytics.clv.fitting import (
    MODEL_NAMES,
    ClvFitError,
    ClvFitWarning,
    FitResult,
    fit_count_model,
    fit_spend_model,
)
from crmlytics.clv.summary import compress, patterns_hash, unit_days

Z95 = 1.959963984540054
CORRELATION_WARNING = 0.3


def _summary_table(params: dict[str, float], ses: dict[str, float]) -> pd.DataFrame:
    est = pd.Series(params, dtype=float)
    se = pd.Series(ses, dtype=float).reindex(est.index)
    log_se = se / est
    return pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "lower_95": est * np.exp(-Z95 * log_se),
            "upper_95": est * np.exp(Z95 * log_se),
        }
    ).rename_axis("param")


def _columns(frame: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"summary lacks columns {missing}; build it with crmlytics.clv.customer_summary"
        )


def _pair_index(x: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, age) pairs and each row's pair number (hash-based, no sort of the rows)."""
    xc, xu = pd.factorize(x)
    tc, tu = pd.factorize(age)
    codes, uniques = pd.factorize(xc.astype(np.int64) * max(len(tu), 1) + tc)
    width = max(len(tu), 1)
    return codes, np.asarray(xu)[uniques // width], np.asarray(tu)[uniques % width]


class _CountModel:
    """Shared machinery of the purchase-count models (BG/NBD family and Pareto/NBD)."""

    model: ClassVar[str]
    _lifetimes: ClassVar[type]

    def __init__(self, unit: str = "weeks", penalizer: float | None = None) -> None:
        self.unit = unit
        self.penalizer = penalizer

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame) -> _CountModel:
        """Fit on a BTYD summary (``frequency``, ``recency``, ``T`` in ``self.unit``).

        Identical (frequency, recency, T) rows are grouped with weights first (exact). Raises
        :class:`ClvFitError` naming what in the data prevents the fit.
        """
        unit_days(self.unit)
        _columns(summary, ("frequency", "recency", "T"))
        frame_unit = summary.attrs.get("unit")
        if frame_unit is not None and frame_unit != self.unit:
            raise ValueError(
                f"the summary is in {frame_unit} but the model was set up for {self.unit}; "
                f"use {type(self).__name__}(unit={frame_unit!r})"
            )
        packed = compress(summary)
        result = fit_count_model(
            self.model,
            packed["frequency"].to_numpy(),
            packed["recency"].to_numpy(),
            packed["T"].to_numpy(),
            packed["weights"].to_numpy(),
            penalizer=self.penalizer,
        )
        self._set_result(result)
        self.as_of_ = summary.attrs.get("as_of")
        self.data_hash_ = patterns_hash(packed)
        self.max_frequency_ = int(packed["frequency"].max())
        self.max_T_ = float(packed["T"].max())
        for note in result.notes:
            warnings.warn(f"{MODEL_NAMES[self.model]}: {note}", ClvFitWarning, stacklevel=2)
        return self

    def _set_result(self, result: FitResult) -> None:
        self.params_ = pd.Series(result.params, dtype=float)
        self.standard_errors_ = pd.Series(result.standard_errors, dtype=float)
        self.log_likelihood_ = result.log_likelihood
        self.diagnostics_ = result
        self.unit_ = self.unit
        self.n_customers_ = result.n_customers
        fitter = self._lifetimes()
        fitter.params_ = self.params_.copy()
        self.fitter_ = fitter

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals (time parameters in ``unit_``)."""
        self._check_fitted()
        return _summary_table(self.params_.to_dict(), self.standard_errors_.to_dict())

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call .fit(summary) first"
            )

    # -- prediction (durations in the model's unit) -------------------------------------------
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Probability that a customer with this history is still active at the as-of date."""
        self._check_fitted()
        x, tx, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = np.asarray(self.fitter_.conditional_probability_alive(x, tx, age), dtype=float)
        return np.clip(np.broadcast_to(p, x.shape).astype(float), 0.0, 1.0)

    def expected_purchases(self, t: float, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` units for customers with this history."""
        self._check_fitted()
        x, tx, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = np.asarray(
                self.fitter_.conditional_expected_number_of_purchases_up_to_time(t, x, tx, age),
                dtype=float,
            )
        e = np.broadcast_to(e, x.shape).astype(float)
        # an overflowing P(dead) odds means the customer is certainly gone: expectation 0
        return np.where(np.isfinite(e), np.maximum(e, 0.0), 0.0)

    def expected_purchases_new_customer(self, t: Any) -> np.ndarray:
        """Expected repeat purchases in ``t`` units since first purchase, for a new customer."""
        self._check_fitted()
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(
                self.fitter_.expected_number_of_purchases_up_to_time(np.asarray(t, dtype=float)),
                dtype=float,
            )

    def expected_purchases_cumulative(
        self, horizons: Any, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """Expected repeat purchases up to each of ``horizons`` (one column per horizon)."""
        return np.column_stack(
            [self.expected_purchases(t, frequency, recency, T) for t in np.atleast_1d(horizons)]
        )

    def predict(self, summary: pd.DataFrame, horizon: float) -> pd.DataFrame:
        """P(alive) and expected purchases over ``horizon`` units, one row per summary row."""
        self._check_fitted()
        _columns(summary, ("frequency", "recency", "T"))
        out = pd.DataFrame(index=summary.index)
        if "customer_id" in summary.columns:
            out["customer_id"] = summary["customer_id"]
        args = (summary["frequency"], summary["recency"], summary["T"])
        out["p_alive"] = self.p_alive(*args)
        out["expected_purchases"] = self.expected_purchases(horizon, *args)
        return out

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}(unit={self.unit!r}, penalizer={self.penalizer!r})"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({values}; unit={self.unit_}, n={self.n_customers_:,})"


class BetaGeo(_CountModel):
    """BG/NBD purchase-count model (the default CLV model).

    Parameters
    ----------
    unit : "days" or "weeks"
        Time unit of ``recency`` / ``T``; ``alpha`` is reported in this unit.
    penalizer : float, optional
        Fixed L2 penalty; ``None`` fits unpenalised and searches a penalty only if needed.

    Attributes
    ----------
    params_ : pandas.Series
        r, alpha (time unit), a, b.
    standard_errors_, log_likelihood_, diagnostics_ (:class:`FitResult`), as_of_, data_hash_.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers the Easy
    Way: An Alternative to the Pareto/NBD Model." Marketing Science 24(2), 275-284.
    """

    model = "bgnbd"
    _lifetimes = BetaGeoFitter

    def expected_purchases_cumulative(
        self, horizons: Any, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """lifetimes' conditional expectation (FHL 2005 eq. 10) for several horizons at once.

        The expectation is ``N(x, T, t) / D(x, t_x, T)``: the numerator (with the Gaussian
        hypergeometric function, the costly part) does not depend on recency, so it is
        evaluated once per distinct (frequency, T) and horizon, then gathered.
        """
        self._check_fitted()
        r, alpha, a, b = (float(self.params_[k]) for k in ("r", "alpha", "a", "b"))
        x, tx, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        t = np.atleast_1d(np.asarray(horizons, dtype=float))
        inverse, ux, uT = _pair_index(x, age)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            xx, TT, tt = ux[:, None], uT[:, None], t[None, :]
            _a, _b, _c = r + xx, b + xx, a + b + xx - 1
            z = tt / (alpha + TT + tt)
            ln_hyp = np.log(hyp2f1(_a, _b, _c, z))
            alt = np.log(hyp2f1(_c - _a, _c - _b, _c, z)) + (_c - _a - _b) * np.log(1 - z)
            ln_hyp = np.where(np.isinf(ln_hyp), alt, ln_hyp)
            numerator = (
                (a + b + xx - 1)
                / (a - 1)
                * (1 - np.exp(ln_hyp + (r + xx) * np.log((alpha + TT) / (alpha + tt + TT))))
            )
            denominator = 1 + (x > 0) * (a / (b + x - 1)) * ((alpha + age) / (alpha + tx)) ** (
                r + x
            )
            e = numerator[inverse] / denominator[:, None]
        return np.where(np.isfinite(e), np.maximum(e, 0.0), 0.0)


class ParetoNBD(_CountModel):
    """Pareto/NBD purchase-count model; params r, alpha, s, beta (alpha, beta in time units).

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). "Counting Your Customers: Who
    Are They and What Will They Do Next?" Management Science 33(1), 1-24.
    """

    model = "pareto"
    _lifetimes = ParetoNBDFitter


class ModifiedBetaGeo(_CountModel):
    """MBG/NBD purchase-count model (customers may drop out at time 0); params r, alpha, a, b.

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). "Empirical validation and
    comparison of models for customer base analysis." IJRM 24(3), 201-209.
    """

    model = "mbgnbd"
    _lifetimes = ModifiedBetaGeoFitter


COUNT_MODEL_CLASSES: dict[str, type[_CountModel]] = {
    "bgnbd": BetaGeo,
    "pareto": ParetoNBD,
    "mbgnbd": ModifiedBetaGeo,
}


def count_model(model: str, unit: str = "weeks", penalizer: float | None = None) -> _CountModel:
    """An unfitted purchase-count model by name: "bgnbd", "pareto" or "mbgnbd"."""
    try:
        return COUNT_MODEL_CLASSES[model](unit=unit, penalizer=penalizer)
    except KeyError:
        raise ValueError(
            f"unknown model {model!r}; use one of {', '.join(COUNT_MODEL_CLASSES)}"
        ) from None


def _weighted_correlation(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Pearson correlation of ``x`` and ``y`` with each row counted ``w`` times."""
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    sx = np.sqrt(np.average((x - mx) ** 2, weights=w))
    sy = np.sqrt(np.average((y - my) ** 2, weights=w))
    return float(cov / (sx * sy)) if sx > 0 and sy > 0 else float("nan")


class GammaGamma:
    """Gamma-Gamma spend model: expected value of a customer's future purchases (currency units).

    Fitted on repeat buyers' mean repeat spend (``monetary_value`` of customers with
    ``frequency > 0``; rows may carry ``weights``, e.g. from
    :func:`crmlytics.clv.summary.spend_patterns`). The model assumes spend is independent of
    purchase frequency: ``correlation_`` (Pearson, among the customers fitted on) is reported
    in ``summary`` and a :class:`ClvFitWarning` is raised when ``|correlation_| > 0.3``.

    Attributes
    ----------
    params_ : pandas.Series
        p, q, v (v in currency units; ``gamma`` in the paper).
    standard_errors_, log_likelihood_, correlation_, diagnostics_, data_hash_.

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2013). "The Gamma-Gamma Model of Monetary Value."
    http://www.brucehardie.com/notes/025/
    """

    def __init__(self, penalizer: float | None = None) -> None:
        self.penalizer = penalizer

    def fit(self, summary: pd.DataFrame) -> GammaGamma:
        """Fit on ``frequency`` and ``monetary_value`` of the repeat buyers in ``summary``."""
        _columns(summary, ("frequency", "monetary_value"))
        weights = summary["weights"] if "weights" in summary.columns else None
        result = fit_spend_model(
            summary["frequency"].to_numpy(),
            summary["monetary_value"].to_numpy(),
            None if weights is None else weights.to_numpy(),
            penalizer=self.penalizer,
        )
        x = summary["frequency"].to_numpy(dtype=float)
        m = summary["monetary_value"].to_numpy(dtype=float)
        keep = (x > 0) & (m > 0)
        w = np.ones(keep.sum()) if weights is None else weights.to_numpy(dtype=float)[keep]
        self.correlation_ = _weighted_correlation(x[keep], m[keep], w)
        self.params_ = pd.Series(result.params, dtype=float)
        self.standard_errors_ = pd.Series(result.standard_errors, dtype=float)
        self.log_likelihood_ = result.log_likelihood
        self.diagnostics_ = result
        self.n_customers_ = result.n_customers
        self.data_hash_ = None  # set by fit_clv to the hash of the data of the count model
        fitter = GammaGammaFitter()
        fitter.params_ = self.params_.copy()
        self.fitter_ = fitter
        for note in result.notes:
            warnings.warn(f"Gamma-Gamma: {note}", ClvFitWarning, stacklevel=2)
        if abs(self.correlation_) > CORRELATION_WARNING:
            warnings.warn(self.independence_note, ClvFitWarning, stacklevel=2)
        return self

    @property
    def independence_note(self) -> str:
        """A sentence on the frequency–spend correlation and what it means for the model."""
        self._check_fitted()
        strong = abs(self.correlation_) > CORRELATION_WARNING
        return (
            f"correlation of frequency and mean spend among repeat buyers is "
            f"{self.correlation_:.2f}"
            + (
                f" (|corr| > {CORRELATION_WARNING}): Gamma-Gamma assumes they are independent, "
                "so expected order values are biased"
                if strong
                else f" (|corr| <= {CORRELATION_WARNING}: independence assumption plausible)"
            )
        )

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals, plus the independence check row."""
        self._check_fitted()
        table = _summary_table(self.params_.to_dict(), self.standard_errors_.to_dict())
        table.loc["corr(frequency, monetary_value)"] = [self.correlation_, np.nan, np.nan, np.nan]
        return table

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError("this GammaGamma is not fitted yet; call .fit(summary) first")

    def expected_order_value(self, frequency: Any, monetary_value: Any) -> np.ndarray:
        """Expected value of a future purchase (currency units) given a customer's history.

        A weighted mean of the customer's own mean repeat spend and the population mean
        ``p v / (q - 1)``; customers without a repeat purchase get the population mean.
        """
        self._check_fitted()
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        if q <= 1:
            raise ClvFitError(
                f"Gamma-Gamma q = {q:.3g} <= 1: the population mean spend is infinite, so no "
                "expected order value exists; spend is too heavy-tailed for this model"
            )
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        m = np.where((x > 0) & (m > 0), m, 0.0)
        weight = p * x / (p * x + q - 1)
        return (1 - weight) * (p * v / (q - 1)) + weight * m

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"GammaGamma(penalizer={self.penalizer!r})"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"GammaGamma({values}; n={self.n_customers_:,}, corr={self.correlation_:.2f})"


__all__ = [
    "BetaGeo",
    "ClvFitError",
    "GammaGamma",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "count_model",
]
