"""Fitting that does not fall over: lifetimes underneath, a ladder of fallbacks around it.

For a purchase-count model (BG/NBD, Pareto/NBD, MBG/NBD) on a compressed summary:

1. **Refuse early** when the data cannot identify the model (no customers, no repeat buyers, every
   customer seen on the as-of day only, too few customers, invalid values) with one
   :class:`ClvFitError` saying what in the data is wrong.
2. **Scale time** so that the longest customer history is 1 (rates then sit near 1 whatever the
   unit; parameters are reported back in the requested unit).
3. **First fit**: for BG/NBD (and Gamma-Gamma) BFGS with the exact gradient of lifetimes'
   likelihood (:mod:`crmlytics.clv.likelihoods`: evaluated per distinct frequency, so half a
   million patterns cost milliseconds, not autograd's tenth of a second), from lifetimes'
   default start, then a moment-based start; for Pareto/NBD and MBG/NBD lifetimes' own fit,
   with warnings and its printout captured.
4. **scipy fallback**: Nelder-Mead restarts on the same negative log-likelihood from
   several start values (lifetimes' default, a moment-based start, seeded perturbations),
   accepted only at an interior point with a near-zero gradient.
5. **Penalty search**: the smallest L2 penalizer (1e-4 … 1e-1) that gives an interior optimum,
   reported in the diagnostics and with a :class:`ClvFitWarning` (estimates are shrunk).
6. Otherwise one :class:`ClvFitError` naming the parameter that runs off to 0 or infinity.

No ``ConvergenceError``, ``print`` output or overflow ``RuntimeWarning`` from lifetimes reaches
the caller; the number of warnings swallowed is kept in :attr:`FitResult.warnings_suppressed`.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from scipy.optimize import minimize

from crmlytics.clv.likelihoods import BgNbdLikelihood, GammaGammaLikelihood
from crmlytics.errors import ConfigError, CrmlyticsWarning, FitError

COUNT_MODELS: dict[str, type] = {
    "bgnbd": BetaGeoFitter,
    "pareto": ParetoNBDFitter,
    "mbgnbd": ModifiedBetaGeoFitter,
}
MODEL_NAMES = {
    "bgnbd": "BG/NBD",
    "pareto": "Pareto/NBD",
    "mbgnbd": "MBG/NBD",
    "gamma_gamma": "Gamma-Gamma",
}
PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "gamma_gamma": ("p", "q", "v"),
}
# parameters measured in time units (scale with 1 / time) or money units (scale with money)
SCALED_PARAMS: dict[str, tuple[str, ...]] = {
    "bgnbd": ("alpha",),
    "pareto": ("alpha", "beta"),
    "mbgnbd": ("alpha",),
    "gamma_gamma": ("v",),
}
MIN_CUSTOMERS = 20
PENALIZERS = (1e-4, 1e-3, 1e-2, 1e-1)
LOG_BOUND = 18.0  # |log parameter| beyond this (in scaled units) is a parameter running off
GRAD_TOL = 1e-3
# smallest eigenvalue of the Hessian of the mean negative log-likelihood (log-parameters) at an
# accepted optimum; below it a parameter runs along a ridge (e.g. BG/NBD a -> 0 with b -> inf)
MIN_CURVATURE = 1e-4


class ClvFitError(FitError):
    """The data cannot support the model; the message says what in the data prevents the fit."""


class ClvFitWarning(CrmlyticsWarning):
    """A fit succeeded only with help (a penalizer) or an assumption looks violated."""


@dataclass
class FitResult:
    """What a robust fit found, parameters in the caller's units.

    ``log_likelihood`` is the total unpenalised log-likelihood of the data in the caller's units;
    ``method`` says which rung of the ladder produced the estimate; ``attempts`` lists every rung
    tried and why it was rejected; ``standard_errors`` are NaN where the Hessian is singular.
    """

    model: str
    params: dict[str, float]
    standard_errors: dict[str, float]
    log_likelihood: float
    converged: bool
    method: str
    penalizer: float
    n_customers: int
    n_patterns: int
    scale: float
    attempts: list[str] = field(default_factory=list)
    warnings_suppressed: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "params": self.params,
            "standard_errors": self.standard_errors,
            "log_likelihood": self.log_likelihood,
            "converged": self.converged,
            "method": self.method,
            "penalizer": self.penalizer,
            "n_customers": self.n_customers,
            "n_patterns": self.n_patterns,
            "scale": self.scale,
            "attempts": list(self.attempts),
            "warnings_suppressed": self.warnings_suppressed,
            "notes": list(self.notes),
        }


class _Quiet:
    """Swallow lifetimes' printout, floating-point warnings and RuntimeWarnings; count them."""

    def __init__(self) -> None:
        self.count = 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with (
            warnings.catch_warnings(record=True) as caught,
            np.errstate(all="ignore"),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("always")
            yield
        self.count += len(caught)


# -- objective functions (lifetimes' likelihoods, mean per customer, log-parameters) -----------
def _count_objective(model: str, data: tuple[np.ndarray, ...]) -> Callable[[np.ndarray], float]:
    """Mean negative log-likelihood per customer of ``model`` at log-parameters ``theta``.

    BG/NBD gets :class:`~crmlytics.clv.likelihoods.BgNbdLikelihood` (lifetimes' likelihood with
    an exact gradient, ``value_and_grad``); the other models call lifetimes' own function.
    """
    cls = COUNT_MODELS[model]
    freq, rec, T, w = data
    if model == "bgnbd":
        return BgNbdLikelihood(freq, rec, T, w)
    if model == "pareto":
        to_mean = float(w.mean() / w.sum())

        def nll(theta: np.ndarray) -> float:
            value = cls._negative_log_likelihood(np.exp(theta), freq, rec, T, w, 0.0)
            return float(value) * to_mean

    else:

        def nll(theta: np.ndarray) -> float:
            return float(cls._negative_log_likelihood(theta, freq, rec, T, w, 0.0))

    return nll


def _spend_objective(data: tuple[np.ndarray, ...]) -> GammaGammaLikelihood:
    freq, m, w = data
    return GammaGammaLikelihood(freq, m, w)


class _Penalised:
    """``nll(theta) + penalizer * sum(params ** 2)`` (lifetimes' L2 penalty), finite-valued.

    When ``nll`` has ``value_and_grad`` the penalised objective has one too (exact gradient).
    """

    def __init__(self, nll: Callable[[np.ndarray], float], penalizer: float) -> None:
        self.nll, self.penalizer = nll, penalizer
        self.has_gradient = hasattr(nll, "value_and_grad")
        self._cache: dict[tuple[str, bytes], np.ndarray] = {}

    def __call__(self, theta: np.ndarray) -> float:
        value = self.nll(theta) + self.penalizer * float(np.sum(np.exp(2 * theta)))
        return value if np.isfinite(value) else 1e300

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self.nll.value_and_grad(theta)  # type: ignore[attr-defined]
        value += self.penalizer * float(np.sum(np.exp(2 * theta)))
        grad = grad + 2 * self.penalizer * np.exp(2 * theta)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros_like(theta)
        return value, grad

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        key = ("gradient", np.asarray(theta, dtype=float).tobytes())
        if key not in self._cache:
            self._cache[key] = (
                self.value_and_grad(theta)[1] if self.has_gradient else _gradient(self, theta)
            )
        return self._cache[key]

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Hessian at ``theta`` (differences of the exact gradient when there is one); cached."""
        key = ("hessian", np.asarray(theta, dtype=float).tobytes())
        if key not in self._cache:
            self._cache[key] = (
                _hessian_from_gradient(self, theta) if self.has_gradient else _hessian(self, theta)
            )
        return self._cache[key]


def _penalised(nll: Callable[[np.ndarray], float], penalizer: float) -> _Penalised:
    return _Penalised(nll, penalizer)


def _gradient(f: Callable[[np.ndarray], float], theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


def _hessian(f: Callable[[np.ndarray], float], theta: np.ndarray, h: float = 1e-4) -> np.ndarray:
    n = theta.size
    H = np.empty((n, n))
    f0 = f(theta)
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h, h
            if i == j:
                H[i, i] = (f(theta + ei) - 2 * f0 + f(theta - ei)) / h**2
            else:
                H[i, j] = H[j, i] = (
                    f(theta + ei + ej)
                    - f(theta + ei - ej)
                    - f(theta - ei + ej)
                    + f(theta - ei - ej)
                ) / (4 * h**2)
    return H


def _hessian_from_gradient(f: _Penalised, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
    n = theta.size
    H = np.empty((n, n))
    for i in range(n):
        step = np.zeros(n)
        step[i] = h
        H[i] = (f.gradient(theta + step) - f.gradient(theta - step)) / (2 * h)
    return (H + H.T) / 2


def _log_standard_errors(f: _Penalised, theta: np.ndarray, n: float) -> np.ndarray:
    """Standard errors of the log-parameters from the observed information (NaN if singular)."""
    H = f.hessian(theta) * n
    try:
        cov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.full(theta.size, np.nan)
    diag = np.diag(cov)
    return np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)


def _acceptable(f: _Penalised, theta: np.ndarray) -> tuple[bool, str]:
    if not np.all(np.isfinite(theta)):
        return False, "non-finite parameters"
    if np.any(np.abs(theta) > LOG_BOUND):
        return False, "a parameter ran off to 0 or infinity"
    if not np.isfinite(f(theta)):
        return False, "non-finite likelihood"
    grad = f.gradient(theta)
    if not np.all(np.abs(grad) < GRAD_TOL):
        return False, f"gradient not zero (max |g| = {np.max(np.abs(grad)):.2g})"
    H = f.hessian(theta)
    curvature = np.linalg.eigvalsh(H).min() if np.all(np.isfinite(H)) else np.nan
    if not curvature > MIN_CURVATURE:
        return (
            False,
            f"not a strict maximum: the likelihood is flat along a ridge ({curvature:.2g})",
        )
    return True, ""


def _nelder_mead(f: Callable[[np.ndarray], float], starts: list[np.ndarray]) -> np.ndarray:
    best_x, best_f = None, np.inf
    for x0 in starts:
        x = np.asarray(x0, dtype=float)
        for _ in range(3):  # restarts re-open a collapsed simplex
            out = minimize(
                f,
                x,
                method="Nelder-Mead",
                options={"xatol": 1e-7, "fatol": 1e-11, "maxiter": 4000, "maxfev": 8000},
            )
            x = out.x
        value = f(x)
        if value < best_f:
            best_x, best_f = x, value
    return best_x


def _polish(f: _Penalised, theta: np.ndarray) -> np.ndarray:
    if f.has_gradient:
        out = minimize(f.value_and_grad, theta, jac=True, method="BFGS", options={"gtol": 1e-9})
    else:
        out = minimize(f, theta, method="BFGS", options={"gtol": 1e-8, "maxiter": 500})
    return out.x if np.isfinite(out.fun) and out.fun <= f(theta) else theta


def _exact_gradient_fit(f: _Penalised, starts: list[np.ndarray]) -> np.ndarray | None:
    """BFGS with the exact gradient from each start in turn; the first acceptable optimum."""
    best = None
    for x0 in starts:
        out = minimize(
            f.value_and_grad,
            np.asarray(x0, dtype=float),
            jac=True,
            method="BFGS",
            options={"gtol": 1e-9, "maxiter": 1000},
        )
        if best is None or (np.isfinite(out.fun) and out.fun < f(best)):
            best = out.x
        if _acceptable(f, out.x)[0]:
            return out.x
    return best


# -- validation --------------------------------------------------------------------------------
def _validate_counts(model: str, freq, rec, T, w) -> None:
    name = MODEL_NAMES[model]
    n = int(w.sum()) if w.size else 0
    if n == 0:
        raise ClvFitError(f"no customers with a purchase: there is nothing to fit {name} on")
    for label, values in (("frequency", freq), ("recency", rec), ("T", T)):
        if not np.all(np.isfinite(values)):
            raise ClvFitError(f"{label} has missing or infinite values; {name} needs numbers")
        if np.any(values < 0):
            raise ClvFitError(f"{label} has negative values; durations and counts are >= 0")
    if np.any(freq != np.round(freq)):
        raise ClvFitError("frequency must be a whole number of repeat purchases")
    if np.any(rec > T + 1e-9):
        bad = int(w[rec > T + 1e-9].sum())
        raise ClvFitError(f"{bad} customers have recency > T (last purchase after the as-of date)")
    if np.any((freq == 0) & (rec != 0)):
        raise ClvFitError("customers without a repeat purchase must have recency 0")
    if n < MIN_CUSTOMERS:
        raise ClvFitError(
            f"only {n} customers: a {len(PARAM_NAMES[model])}-parameter {name} model needs at "
            f"least {MIN_CUSTOMERS}"
        )
    if np.all(T == 0):
        raise ClvFitError(
            f"all {n} customers made their first purchase on the as-of date (T = 0): there is "
            f"no history to fit {name} on; choose a later as-of date"
        )
    if np.all(freq == 0):
        raise ClvFitError(
            f"no repeat buyers: all {n} customers bought on one day only, {name} cannot be "
            f"fitted (it needs repeat purchases to learn purchase rates and dropout)"
        )


def _moment_start(model: str, freq, T, w) -> np.ndarray:
    """Log-parameter start near the data: r = 1, alpha = r / mean rate, a = 1, b = 3 (s, beta)."""
    rate = float(np.sum(w * freq) / max(np.sum(w * T), 1e-12))
    alpha = 1.0 / max(rate, 1e-6)
    if model == "pareto":
        return np.log([1.0, alpha, 1.0, 1.0])
    return np.log([1.0, alpha, 1.0, 3.0])


def _diagnose(names: tuple[str, ...], theta: np.ndarray | None, model: str) -> str:
    name = MODEL_NAMES[model]
    if theta is None or not np.all(np.isfinite(theta)):
        return f"{name}: the likelihood could not be evaluated at any start value"
    off = [
        f"{p} → {'0' if t < 0 else '∞'}"
        for p, t in zip(names, theta, strict=True)
        if abs(t) > LOG_BOUND - 2
    ]
    hint = {
        "bgnbd": "a → 0 means the data show no sign of customers dropping out",
        "mbgnbd": "a → 0 means the data show no sign of customers dropping out",
        "pareto": "s → 0 or beta → ∞ means the data show no dropout",
        "gamma_gamma": "q → ∞ means spend does not vary between customers",
    }[model]
    if off:
        return (
            f"{name} has no maximum-likelihood estimate on this data: {', '.join(off)} "
            f"({hint}); even a penalizer of {PENALIZERS[-1]} did not hold it"
        )
    return f"{name} did not converge from any start value, even with a penalizer"


# -- the ladder ------------------------------------------------------------------------------
@dataclass
class _Found:
    """Outcome of :func:`_search`: the log-parameters (None if every rung failed) and how."""

    theta: np.ndarray | None
    method: str
    penalizer: float
    objective: _Penalised | None
    attempts: list[str]
    last_theta: np.ndarray | None


def _search(
    nll: Callable[[np.ndarray], float],
    penalizer: float | None,
    first_try: Callable[[_Penalised, float], tuple[np.ndarray | None, bool, str, str]],
    starts: list[np.ndarray],
    quiet: _Quiet,
) -> _Found:
    """The fitting ladder: for each penalty (``penalizer`` only, or 0 then :data:`PENALIZERS`),
    ``first_try`` (returns candidate, acceptable, why, method), then a scipy Nelder-Mead +
    BFGS fallback from the failed candidate and ``starts``. The first acceptable fit wins."""
    attempts: list[str] = []
    last = None
    for pen in [penalizer] if penalizer is not None else [0.0, *PENALIZERS]:
        f = _penalised(nll, pen)
        candidate, ok, why, method = first_try(f, pen)
        if ok:
            return _Found(candidate, method, pen, f, attempts, candidate)
        attempts.append(f"{method} (penalizer {pen:g}): {why}")
        with quiet():
            first = [candidate] if candidate is not None and np.all(np.isfinite(candidate)) else []
            candidate = _polish(f, _nelder_mead(f, first + starts))
            ok, why = _acceptable(f, candidate)
        last = candidate
        if ok:
            return _Found(candidate, "scipy Nelder-Mead + BFGS", pen, f, attempts, candidate)
        attempts.append(f"scipy fallback (penalizer {pen:g}): {why}")
    return _Found(None, "", 0.0, None, attempts, last)


def fit_count_model(
    model: str,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    penalizer: float | None = None,
) -> FitResult:
    """Fit purchase-count ``model`` ("bgnbd", "pareto", "mbgnbd") robustly; see the module doc.

    ``recency`` and ``T`` are in any time unit; the returned parameters are in that unit.
    ``penalizer`` fixes the L2 penalty (no search); ``None`` means 0 with a search if needed.
    Raises :class:`ClvFitError` with the reason when no fit is possible.
    """
    if model not in COUNT_MODELS:
        raise ConfigError(f"unknown model {model!r}; use one of {', '.join(COUNT_MODELS)}")
    freq = np.asarray(frequency, dtype=float)
    rec = np.asarray(recency, dtype=float)
    T_ = np.asarray(T, dtype=float)
    w = np.ones_like(freq) if weights is None else np.asarray(weights, dtype=float)
    _validate_counts(model, freq, rec, T_, w)

    scale = 1.0 / float(T_.max())
    data = (freq, rec * scale, T_ * scale, w)
    nll = _count_objective(model, data)
    quiet = _Quiet()
    names = PARAM_NAMES[model]
    default_start = np.full(4, 0.1) if model != "pareto" else np.zeros(4)
    moment = _moment_start(model, freq, T_ * scale, w)
    rng = np.random.default_rng(20240601)
    starts = [default_start, moment] + [moment + rng.normal(0, 0.5, 4) for _ in range(2)]

    def first_try(f: _Penalised, pen: float) -> tuple[np.ndarray | None, bool, str, str]:
        if f.has_gradient:  # BFGS with the exact gradient (lifetimes' start first)
            with quiet():
                candidate = _exact_gradient_fit(f, [default_start, moment])
                ok, why = _acceptable(f, candidate)
            return candidate, ok, why, "exact-gradient BFGS"
        candidate, ok, why = _lifetimes_count_fit(model, data, f, pen, moment, quiet)
        return candidate, ok, why, "lifetimes"

    found = _search(nll, penalizer, first_try, starts, quiet)
    if found.theta is None:
        raise ClvFitError(_diagnose(names, found.last_theta, model))
    return _count_result(model, found, (freq, rec, T_, w), scale, quiet)


def _lifetimes_count_fit(
    model: str,
    data: tuple[np.ndarray, ...],
    f: _Penalised,
    pen: float,
    moment: np.ndarray,
    quiet: _Quiet,
) -> tuple[np.ndarray | None, bool, str]:
    """lifetimes' own fit of ``model`` on scaled ``data``: (log-parameters, acceptable, why)."""
    names = PARAM_NAMES[model]
    freq, rec, T, w = data
    try:
        with quiet():
            fitter = COUNT_MODELS[model](penalizer_coef=pen)
            kwargs = {"initial_params": np.exp(moment)} if model == "pareto" else {}
            fitter.fit(freq.astype(int), rec, T, weights=w.astype(int), **kwargs)
            candidate = np.log(fitter.params_.to_numpy(dtype=float))
            candidate[[names.index(p) for p in SCALED_PARAMS[model]]] += np.log(fitter._scale)
            ok, why = _acceptable(f, candidate)
    except Exception as exc:  # lifetimes raises ConvergenceError, ValueError, LinAlgError …
        return None, False, type(exc).__name__
    return candidate, ok, why


def _count_result(
    model: str, found: _Found, data: tuple[np.ndarray, ...], scale: float, quiet: _Quiet
) -> FitResult:
    """Parameters in the caller's units with standard errors and the total log-likelihood."""
    theta, used_pen = found.theta, found.penalizer
    names = PARAM_NAMES[model]
    freq, rec, T, w = data
    with quiet():
        log_se = _log_standard_errors(found.objective, theta, float(w.sum()))
    params = dict(zip(names, np.exp(theta), strict=True))
    for p in SCALED_PARAMS[model]:
        params[p] = params[p] / scale
    ses = {p: float(params[p] * s) for p, s in zip(names, log_se, strict=True)}
    # log-likelihood in the caller's units, evaluated on the unscaled data
    with quiet():
        user_nll = _count_objective(model, (freq, rec, T, w))
        total = -user_nll(np.log([params[p] for p in names])) * float(w.sum())
    notes = []
    if used_pen > 0:
        notes.append(
            f"fitted with L2 penalizer {used_pen:g}: the unpenalised likelihood has no "
            f"interior maximum on this data, so the estimates are shrunk towards 0"
        )
    return FitResult(
        model=model,
        params={k: float(v) for k, v in params.items()},
        standard_errors=ses,
        log_likelihood=float(total),
        converged=True,
        method=found.method,
        penalizer=used_pen,
        n_customers=int(w.sum()),
        n_patterns=int(freq.size),
        scale=scale,
        attempts=found.attempts,
        warnings_suppressed=quiet.count,
        notes=notes,
    )


def fit_spend_model(
    frequency: np.ndarray,
    monetary_value: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    penalizer: float | None = None,
) -> FitResult:
    """Fit Gamma-Gamma to repeat buyers' mean repeat spend (currency units), robustly.

    Only customers with ``frequency > 0`` and ``monetary_value > 0`` are used. Spend is divided
    by its median before fitting (``v`` is scaled back), which keeps the optimiser in range for
    currencies counted in millions.
    """
    freq = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    w = np.ones_like(freq) if weights is None else np.asarray(weights, dtype=float)
    keep = (freq > 0) & (m > 0) & np.isfinite(m)
    freq, m, w = freq[keep], m[keep], w[keep]
    n = int(w.sum())
    if n == 0:
        raise ClvFitError(
            "no repeat buyers with positive spend: Gamma-Gamma models the spend of repeat "
            "purchases and cannot be fitted"
        )
    if n < MIN_CUSTOMERS:
        raise ClvFitError(
            f"only {n} repeat buyers with spend: Gamma-Gamma needs at least {MIN_CUSTOMERS}"
        )
    if np.allclose(m, m[0]):
        raise ClvFitError(
            f"all {n} repeat buyers have the same mean spend {m[0]:g}: Gamma-Gamma cannot "
            "estimate a spread of spend that does not exist"
        )
    scale = 1.0 / float(np.median(m))
    data = (freq, m * scale, w)
    nll = _spend_objective(data)
    quiet = _Quiet()
    names = PARAM_NAMES["gamma_gamma"]
    starts = [np.full(3, 0.1), np.log([2.0, 3.0, 2.0]), np.log([1.0, 1.5, 0.5])]

    def first_try(f: _Penalised, pen: float) -> tuple[np.ndarray | None, bool, str, str]:
        with quiet():  # BFGS with the exact gradient (lifetimes' start first)
            candidate = _exact_gradient_fit(f, starts[:2])
            ok, why = _acceptable(f, candidate)
        return candidate, ok, why, "exact-gradient BFGS"

    found = _search(nll, penalizer, first_try, starts, quiet)
    if found.theta is None:
        raise ClvFitError(_diagnose(names, found.last_theta, "gamma_gamma"))
    theta, used_pen = found.theta, found.penalizer
    with quiet():
        log_se = _log_standard_errors(found.objective, theta, float(w.sum()))
    params = dict(zip(names, np.exp(theta), strict=True))
    params["v"] = params["v"] / scale
    ses = {p: float(params[p] * s) for p, s in zip(names, log_se, strict=True)}
    with quiet():  # log-likelihood in currency units, on the unscaled spend
        total = -_spend_objective((freq, m, w))(np.log(list(params.values()))) * float(w.sum())
    notes = []
    if used_pen > 0:
        notes.append(f"fitted with L2 penalizer {used_pen:g}; estimates are shrunk towards 0")
    return FitResult(
        model="gamma_gamma",
        params={k: float(v) for k, v in params.items()},
        standard_errors=ses,
        log_likelihood=float(total),
        converged=True,
        method=found.method,
        penalizer=used_pen,
        n_customers=n,
        n_patterns=int(freq.size),
        scale=scale,
        attempts=found.attempts,
        warnings_suppressed=quiet.count,
        notes=notes,
    )
