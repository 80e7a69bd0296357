"""BTYD models in scikit-learn shape over lifetimes (BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma).

Each follows the model contract of :mod:`crmlytics.base` and is registered with it:
``__init__`` only stores parameters; ``fit(summary)`` does the work (on the compressed summary,
through :mod:`crmlytics.clv.fitting`) and returns ``self``; learnt values end in ``_``;
prediction before ``fit`` raises :class:`NotFittedError`; ``summary()`` returns the estimates
with standard errors and 95% intervals (computed on the log scale, so they stay positive);
``save`` / ``load`` keep a fitted model in a JSON file.

A summary frame (:func:`crmlytics.clv.summary.customer_summary`) has ``btyd_frequency``,
``btyd_recency_<unit>``, ``btyd_age_<unit>`` (and ``btyd_monetary_value`` for Gamma-Gamma),
optionally ``weights``, with ``<unit>`` weeks or days; a count model reads the columns of its
own ``unit`` and refuses a summary in another unit. ``frame.attrs`` carries the unit and as-of.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from scipy.special import hyp2f1

from crmlytics.base import (
    ContractData,
    Model,
    ModelMismatchError,
    NotFittedError,
    frame_hash,
    missing_columns,
    register_model,
)
from crmlytics.clv.fitting import (
    MODEL_NAMES,
    ClvFitError,
    ClvFitWarning,
    FitResult,
    fit_count_model,
    fit_spend_model,
)
from crmlytics.clv.summary import (
    FREQUENCY,
    MONETARY_VALUE,
    age_column,
    columns_unit,
    compress,
    history_columns,
    patterns_hash,
    recency_column,
    summary_unit,
    unit_days,
)
from crmlytics.errors import ConfigError, DataError

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


def _require(frame: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = missing_columns(frame, needed)
    if missing:
        raise DataError(
            f"summary lacks columns {', '.join(missing)} (it has "
            f"{', '.join(map(str, frame.columns))}); build it with "
            "crmlytics.clv.summary.customer_summary"
        )


def unit_mismatch(frame: pd.DataFrame, unit: str) -> str | None:
    """A sentence if ``frame`` is a summary in another unit than ``unit``, else ``None``."""
    frame_unit = frame.attrs.get("unit") or columns_unit(frame.columns)
    if frame_unit is None or frame_unit == unit:
        return None
    return (
        f"the summary is in {frame_unit} ({recency_column(frame_unit)}, "
        f"{age_column(frame_unit)}) but the model is in {unit} ({recency_column(unit)}, "
        f"{age_column(unit)})"
    )


def _pair_index(x: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, age) pairs and each row's pair number (hash-based, no sort of the rows)."""
    xc, xu = pd.factorize(x)
    tc, tu = pd.factorize(age)
    codes, uniques = pd.factorize(xc.astype(np.int64) * max(len(tu), 1) + tc)
    width = max(len(tu), 1)
    return codes, np.asarray(xu)[uniques // width], np.asarray(tu)[uniques % width]


def contract_summary(unit: str = "weeks", n: int = 400, seed: int = 7) -> pd.DataFrame:
    """A small seeded BTYD summary for the model contract test, indexed by ``customer_id``.

    ``n`` customers drawn from a BG/NBD process with CDNOW-like parameters (r = 0.25,
    alpha = 4 weeks, a = 0.8, b = 2.5, ages 20-40 weeks) with whole-day histories and
    Gamma(6, 3) repeat spend; in ``unit``.
    """
    rng = np.random.default_rng(seed)
    age_days = np.floor(rng.uniform(140, 280, n))
    rate = rng.gamma(0.25, 1 / 4.0, n) / 7  # purchases per day
    p = rng.beta(0.8, 2.5, n)
    arrivals = rng.poisson(rate * age_days)
    x = np.minimum(arrivals, rng.geometric(p))
    last = age_days * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1))
    recency_days = np.where(x > 0, np.floor(last), 0.0)
    x = np.where((x > 0) & (recency_days == 0), 0, x)
    length = unit_days(unit)
    frame = pd.DataFrame(
        {
            FREQUENCY: x.astype("int64"),
            recency_column(unit): recency_days / length,
            age_column(unit): age_days / length,
            MONETARY_VALUE: np.where(x > 0, rng.gamma(6.0, 3.0, n), 0.0),
        },
        index=pd.Index([f"c{i:04d}" for i in range(n)], name="customer_id"),
    )
    frame.attrs.update(unit=unit, as_of="2024-06-30")
    return frame


def summary_mismatches(frame: pd.DataFrame, unit: str) -> tuple[tuple[pd.DataFrame, str], ...]:
    """Two summaries a model fitted on ``frame`` (in ``unit``) must refuse: ``frame`` in the
    other unit, and ``frame`` without its age column (with the regex their message matches)."""
    other = "days" if unit == "weeks" else "weeks"
    factor = unit_days(unit) / unit_days(other)
    converted = frame.rename(
        columns={recency_column(unit): recency_column(other), age_column(unit): age_column(other)}
    )
    for column in (recency_column(other), age_column(other)):
        converted[column] = converted[column] * factor
    converted.attrs.update(unit=other)
    no_age = frame.drop(columns=[age_column(unit)])
    return (
        (converted, f"summary is in {other}.*model is in {unit}"),
        (no_age, f"lacks column\\(s\\) {age_column(unit)}"),
    )


class _CountModel(Model):
    """Shared machinery of the purchase-count models (BG/NBD family and Pareto/NBD).

    Parameters
    ----------
    unit : "weeks" (default) or "days"
        Time unit of the summary columns read (``btyd_recency_<unit>``, ``btyd_age_<unit>``);
        the time-scale parameter (``alpha``, ``beta``) is reported in it.
    penalizer : float, optional
        Fixed L2 penalty; ``None`` fits unpenalised and searches a penalty only if needed.

    Attributes
    ----------
    params_ : pandas.Series
        The estimates (time-scale parameters in ``unit_``).
    standard_errors_, log_likelihood_, diagnostics_ (:class:`FitResult`), unit_, n_customers_,
    max_frequency_, max_age_ (largest age in ``unit_``), as_of_, data_hash_, features_, fitter_.
    """

    model: ClassVar[str]
    _lifetimes: ClassVar[type]

    def __init__(self, unit: str = "weeks", penalizer: float | None = None) -> None:
        self.unit = unit
        self.penalizer = penalizer

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, summary: pd.DataFrame) -> _CountModel:
        """Fit on a BTYD summary (``btyd_frequency``, ``btyd_recency_<unit>``,
        ``btyd_age_<unit>`` in ``self.unit``; optional ``weights``).

        Identical histories are grouped with weights first (exact). Raises
        :class:`ClvFitError` naming what in the data prevents the fit, and
        :class:`DataError` for a summary in another unit or without the columns.
        """
        columns = history_columns(self.unit)
        problem = unit_mismatch(summary, self.unit)
        if problem is not None:
            raise DataError(f"{problem}; use {type(self).__name__}(unit={summary_unit(summary)!r})")
        _require(summary, columns)
        packed = compress(summary)
        result = fit_count_model(
            self.model,
            *(packed[c].to_numpy() for c in columns),
            packed["weights"].to_numpy(),
            penalizer=self.penalizer,
        )
        self._set_result(result)
        self.as_of_ = summary.attrs.get("as_of")
        self.data_hash_ = patterns_hash(packed)
        self.features_ = list(columns)
        self.max_frequency_ = int(packed[columns[0]].max())
        self.max_age_ = float(packed[columns[2]].max())
        for note in result.notes:
            warnings.warn(f"{MODEL_NAMES[self.model]}: {note}", ClvFitWarning, stacklevel=2)
        return self

    def _set_result(self, result: FitResult) -> None:
        self.standard_errors_ = pd.Series(result.standard_errors, dtype=float)
        self.log_likelihood_ = result.log_likelihood
        self.diagnostics_ = result
        self.unit_ = self.unit
        self.n_customers_ = result.n_customers
        params = pd.Series(result.params, dtype=float)
        fitter = self._lifetimes()
        fitter.params_ = params.copy()
        self.fitter_ = fitter
        self.params_ = params

    def _get_state(self) -> dict[str, Any]:
        return {
            "fit": self.diagnostics_.as_dict(),
            "max_frequency": self.max_frequency_,
            "max_age": self.max_age_,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._set_result(_fit_result(state["fit"]))
        self.max_frequency_ = int(state["max_frequency"])
        self.max_age_ = float(state["max_age"])

    @classmethod
    def _contract_data(cls) -> ContractData:
        frame = contract_summary("weeks")
        return ContractData(
            fit_args=(frame,),
            predict_input=frame.sample(frac=0.2, random_state=1),
            predict_kwargs={"horizon": 13.0},
            mismatches=summary_mismatches(frame, "weeks"),
        )

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals (time parameters in ``unit_``)."""
        self._check_fitted()
        return _summary_table(self.params_.to_dict(), self.standard_errors_.to_dict())

    def _mismatches(self, X: pd.DataFrame) -> list[str]:
        problem = unit_mismatch(X, self.unit_)
        return [problem] if problem is not None else super()._mismatches(X)

    # -- prediction (durations in the model's unit) -------------------------------------------
    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Probability that a customer with this history is still active at the as-of date.

        ``frequency`` (repeat purchases), ``recency`` and ``T`` (age) in the model's unit.
        """
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
        """P(alive) and expected repeat purchases over ``horizon`` units (the model's unit).

        One row per summary row, with the summary's index (and its ``customer_id`` column, if
        any). A summary in another unit or without the history columns is refused with
        :class:`ModelMismatchError`.
        """
        self._check_compatible(summary)
        out = pd.DataFrame(index=summary.index)
        if "customer_id" in summary.columns:
            out["customer_id"] = summary["customer_id"]
        args = tuple(summary[c] for c in self.features_)
        out["p_alive"] = self.p_alive(*args)
        out["expected_purchases"] = self.expected_purchases(horizon, *args)
        return out

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"{type(self).__name__}(unit={self.unit!r}, penalizer={self.penalizer!r})"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({values}; unit={self.unit_}, n={self.n_customers_:,})"


def _fit_result(d: dict[str, Any]) -> FitResult:
    keys = FitResult.__dataclass_fields__
    return FitResult(**{k: v for k, v in d.items() if k in keys})


@register_model
class BetaGeo(_CountModel):
    """BG/NBD purchase-count model (the default CLV model).

    Parameters
    ----------
    unit : "weeks" (default) or "days"
        Time unit of the summary columns read; ``alpha`` is reported in this unit.
    penalizer : float, optional
        Fixed L2 penalty; ``None`` fits unpenalised and searches a penalty only if needed.

    Attributes
    ----------
    params_ : pandas.Series
        r, alpha (time unit), a, b.
    standard_errors_, log_likelihood_, diagnostics_ (:class:`FitResult`), as_of_, data_hash_,
    features_, unit_, n_customers_, max_frequency_, max_age_.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers the Easy
    Way: An Alternative to the Pareto/NBD Model." Marketing Science 24(2), 275-284.
    """

    kind = "bgnbd"
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


@register_model
class ParetoNBD(_CountModel):
    """Pareto/NBD purchase-count model; params r, alpha, s, beta (alpha, beta in time units).

    Parameters and attributes as :class:`BetaGeo`.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). "Counting Your Customers: Who
    Are They and What Will They Do Next?" Management Science 33(1), 1-24.
    """

    kind = "pareto"
    model = "pareto"
    _lifetimes = ParetoNBDFitter


@register_model
class ModifiedBetaGeo(_CountModel):
    """MBG/NBD purchase-count model (customers may drop out at time 0); params r, alpha, a, b.

    Parameters and attributes as :class:`BetaGeo`.

    References
    ----------
    Batislam, E. P., Denizel, M. and Filiztekin, A. (2007). "Empirical validation and
    comparison of models for customer base analysis." IJRM 24(3), 201-209.
    """

    kind = "mbgnbd"
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
        raise ConfigError(
            f"unknown model {model!r}; use one of {', '.join(COUNT_MODEL_CLASSES)}"
        ) from None


def _weighted_correlation(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Pearson correlation of ``x`` and ``y`` with each row counted ``w`` times."""
    mx, my = np.average(x, weights=w), np.average(y, weights=w)
    cov = np.average((x - mx) * (y - my), weights=w)
    sx = np.sqrt(np.average((x - mx) ** 2, weights=w))
    sy = np.sqrt(np.average((y - my) ** 2, weights=w))
    return float(cov / (sx * sy)) if sx > 0 and sy > 0 else float("nan")


CORRELATION_ROW = f"corr({FREQUENCY}, {MONETARY_VALUE})"


@register_model
class GammaGamma(Model):
    """Gamma-Gamma spend model: expected value of a customer's future purchases (currency units).

    Fitted on repeat buyers' mean repeat spend (``btyd_monetary_value`` of customers with
    ``btyd_frequency > 0``; rows may carry ``weights``, e.g. from
    :func:`crmlytics.clv.summary.spend_patterns`). The model assumes spend is independent of
    purchase frequency: ``correlation_`` (Pearson, among the customers fitted on) is reported
    in ``summary()`` and a :class:`ClvFitWarning` is raised when ``|correlation_| > 0.3``.

    Parameters
    ----------
    penalizer : float, optional
        Fixed L2 penalty; ``None`` fits unpenalised and searches a penalty only if needed.

    Attributes
    ----------
    params_ : pandas.Series
        p, q, v (v in currency units; ``gamma`` in the paper).
    standard_errors_, log_likelihood_, correlation_, diagnostics_, n_customers_, as_of_,
    data_hash_, features_, fitter_.

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2013). "The Gamma-Gamma Model of Monetary Value."
    http://www.brucehardie.com/notes/025/
    """

    kind = "gamma_gamma"

    def __init__(self, penalizer: float | None = None) -> None:
        self.penalizer = penalizer

    def fit(self, summary: pd.DataFrame) -> GammaGamma:
        """Fit on ``btyd_frequency`` and ``btyd_monetary_value`` of the repeat buyers."""
        features = (FREQUENCY, MONETARY_VALUE)
        _require(summary, features)
        weights = summary["weights"] if "weights" in summary.columns else None
        x = summary[FREQUENCY].to_numpy(dtype=float)
        m = summary[MONETARY_VALUE].to_numpy(dtype=float)
        result = fit_spend_model(
            x, m, None if weights is None else weights.to_numpy(), penalizer=self.penalizer
        )
        keep = (x > 0) & (m > 0)
        w = np.ones(keep.sum()) if weights is None else weights.to_numpy(dtype=float)[keep]
        self._set_result(result, _weighted_correlation(x[keep], m[keep], w))
        self.as_of_ = summary.attrs.get("as_of")
        hashed = [*features, "weights"] if weights is not None else list(features)
        self.data_hash_ = frame_hash(summary, hashed)
        self.features_ = list(features)
        for note in result.notes:
            warnings.warn(f"Gamma-Gamma: {note}", ClvFitWarning, stacklevel=2)
        if abs(self.correlation_) > CORRELATION_WARNING:
            warnings.warn(self.independence_note, ClvFitWarning, stacklevel=2)
        return self

    def _set_result(self, result: FitResult, correlation: float) -> None:
        self.correlation_ = float(correlation)
        self.standard_errors_ = pd.Series(result.standard_errors, dtype=float)
        self.log_likelihood_ = result.log_likelihood
        self.diagnostics_ = result
        self.n_customers_ = result.n_customers
        params = pd.Series(result.params, dtype=float)
        fitter = GammaGammaFitter()
        fitter.params_ = params.copy()
        self.fitter_ = fitter
        self.params_ = params

    def _get_state(self) -> dict[str, Any]:
        return {"fit": self.diagnostics_.as_dict(), "correlation": self.correlation_}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._set_result(_fit_result(state["fit"]), state["correlation"])

    @classmethod
    def _contract_data(cls) -> ContractData:
        frame = contract_summary("weeks")
        return ContractData(
            fit_args=(frame,),
            predict_input=frame.sample(frac=0.2, random_state=1),
            mismatches=(
                (frame.drop(columns=[MONETARY_VALUE]), f"lacks column\\(s\\) {MONETARY_VALUE}"),
            ),
        )

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

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% intervals, plus the independence check row."""
        self._check_fitted()
        table = _summary_table(self.params_.to_dict(), self.standard_errors_.to_dict())
        table.loc[CORRELATION_ROW] = [self.correlation_, np.nan, np.nan, np.nan]
        return table

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

    def predict(self, summary: pd.DataFrame) -> pd.DataFrame:
        """``expected_order_value`` (currency) per summary row, with the summary's index."""
        self._check_compatible(summary)
        out = pd.DataFrame(index=summary.index)
        if "customer_id" in summary.columns:
            out["customer_id"] = summary["customer_id"]
        out["expected_order_value"] = self.expected_order_value(
            summary[FREQUENCY], summary[MONETARY_VALUE]
        )
        return out

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"GammaGamma(penalizer={self.penalizer!r})"
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"GammaGamma({values}; n={self.n_customers_:,}, corr={self.correlation_:.2f})"


__all__ = [
    "BetaGeo",
    "ClvFitError",
    "GammaGamma",
    "ModelMismatchError",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "count_model",
]
