"""Robust fitting: planted parameters recovered, lifetimes' failures fitted, clear refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter

from crmlytics.clv.fitting import ClvFitError, ClvFitWarning, _count_objective
from crmlytics.clv.models import BetaGeo, GammaGamma, NotFittedError
from crmlytics.clv.summary import history_columns
from crmlytics.errors import DataError
from tests.clv_data import simulate_bgnbd


def frame(x, recency, T, unit="weeks", **attrs) -> pd.DataFrame:
    out = pd.DataFrame(dict(zip(history_columns(unit), (x, recency, T), strict=True)))
    out.attrs.update(attrs)
    return out


def spend(x, m) -> pd.DataFrame:
    return pd.DataFrame({"btyd_frequency": x, "btyd_monetary_value": m})


def within_3_se(model: BetaGeo, truth: dict[str, float]) -> dict[str, float]:
    return {k: abs(model.params_[k] - v) / model.standard_errors_[k] for k, v in truth.items()}


def test_bgnbd_recovers_planted_parameters_within_three_standard_errors():
    # 5,000 customers simulated from BG/NBD with CDNOW-like parameters (weeks, T 30-40).
    # The MLE is asymptotically normal, so each estimate lies within 3 of its standard errors
    # of the truth with probability ~0.997; the seed is fixed, so the test is deterministic.
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    x, rec, T = simulate_bgnbd(5000, *truth.values(), 30, 40, seed=11)
    model = BetaGeo(unit="weeks").fit(frame(x, rec, T))
    assert max(within_3_se(model, truth).values()) < 3
    # and the standard errors are informative (not huge): r to within ~10%
    assert model.standard_errors_["r"] / model.params_["r"] < 0.1


def test_heavy_buyers_over_long_histories_in_days_are_fitted_and_recover_truth():
    # Heavy repeat buyers over long histories in days (T 100-2500 days, up to ~450 repeat
    # purchases): a badly scaled likelihood on which plain BFGS (e.g. lifetimes' own, in some
    # releases) stops with "precision loss". crmlytics' claim is tested on its own: it converges
    # without a penalizer or a warning and the estimate is an MLE within 3 standard errors.
    truth = {"r": 1.83, "alpha": 42.07, "a": 0.29, "b": 18.22}
    x, rec, T = simulate_bgnbd(5000, *truth.values(), 100, 2500, seed=35)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = BetaGeo(unit="days").fit(frame(x, rec, T, "days"))
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert model.diagnostics_.converged and model.diagnostics_.penalizer == 0.0
    assert max(within_3_se(model, truth).values()) < 3
    # an MLE: at least as likely as the planted truth
    nll = _count_objective("bgnbd", (x.astype(float), rec, T, np.ones_like(rec)))
    assert -nll(np.log(model.params_.to_numpy())) >= -nll(np.log(list(truth.values())))


def test_no_repeat_buyers_is_refused_with_the_reason():
    data = frame(np.zeros(500), np.zeros(500), np.full(500, 30.0))
    with pytest.raises(ClvFitError, match="no repeat buyers: all 500 customers bought on one day"):
        BetaGeo().fit(data)


def test_too_few_customers_and_zero_history_are_refused():
    with pytest.raises(ClvFitError, match="only 4 customers"):
        BetaGeo().fit(frame([0, 1, 0, 2], [0, 5.0, 0, 10], [20.0] * 4))
    with pytest.raises(ClvFitError, match=r"first purchase on the as-of date \(T = 0\)"):
        BetaGeo().fit(frame(np.zeros(30), np.zeros(30), np.zeros(30)))
    with pytest.raises(ClvFitError, match="recency > T"):
        BetaGeo().fit(frame(np.ones(30), np.full(30, 5.0), np.full(30, 4.0)))


def test_data_without_dropout_is_refused_naming_the_runaway_parameter():
    # Poisson buyers who never drop out: the BG/NBD likelihood keeps rising as a -> 0.
    rng = np.random.default_rng(0)
    T = rng.uniform(300, 3000, 2000)
    k = rng.poisson(rng.gamma(2, 1 / 20, 2000) * T)
    rec = np.where(k > 0, T * rng.beta(np.maximum(k, 1), 1), 0.0)
    with pytest.raises(ClvFitError, match="a → 0"):
        BetaGeo(unit="days").fit(frame(k, rec, T, "days"))


def test_fitting_in_days_gives_seven_times_the_weekly_alpha_and_the_same_shape():
    x, rec, T = simulate_bgnbd(3000, 0.5, 5.0, 0.6, 3.0, 30, 50, seed=3)
    weeks = BetaGeo(unit="weeks").fit(frame(x, rec, T))
    days = BetaGeo(unit="days").fit(frame(x, rec * 7, T * 7, "days"))
    assert days.params_["alpha"] == pytest.approx(7 * weeks.params_["alpha"], rel=1e-4)
    for p in ("r", "a", "b"):
        assert days.params_[p] == pytest.approx(weeks.params_[p], rel=1e-4)
    # the purchase-timing density gains 1/7 per repeat purchase: LL_days = LL_weeks - x log 7
    assert days.log_likelihood_ == pytest.approx(
        weeks.log_likelihood_ - x.sum() * np.log(7), abs=1e-3
    )


def test_summary_unit_must_match_the_models_unit():
    x, rec, T = simulate_bgnbd(100, 0.5, 5.0, 0.6, 3.0, 30, 50, seed=3)
    days = frame(x, rec * 7, T * 7, "days")
    message = (
        r"summary is in days \(btyd_recency_days, btyd_age_days\) but the model is in weeks "
        r"\(btyd_recency_weeks, btyd_age_weeks\); use BetaGeo\(unit='days'\)"
    )
    with pytest.raises(DataError, match=message):
        BetaGeo(unit="weeks").fit(days)  # told by the column names
    days.attrs["unit"] = "days"
    with pytest.raises(DataError, match=message):
        BetaGeo(unit="weeks").fit(days)  # and by the frame's unit


def test_prediction_before_fit_is_refused():
    with pytest.raises(NotFittedError, match=r"call \.fit"):
        BetaGeo().p_alive([1], [1.0], [2.0])
    with pytest.raises(NotFittedError):
        GammaGamma().expected_order_value([1], [10.0])


def test_gamma_gamma_in_cents_scales_v_by_100_and_keeps_p_q():
    rng = np.random.default_rng(4)
    x = rng.integers(1, 10, 800)
    nu = rng.gamma(3.0, 1 / 20.0, 800)  # q = 3, gamma = 20
    m = rng.gamma(6.0 * x, 1 / (nu * x))  # mean of x spends, each Gamma(p = 6, nu)
    dollars = GammaGamma().fit(spend(x, m))
    cents = GammaGamma().fit(spend(x, m * 100))
    assert cents.params_["v"] == pytest.approx(100 * dollars.params_["v"], rel=1e-4)
    assert cents.params_[["p", "q"]].to_numpy() == pytest.approx(
        dollars.params_[["p", "q"]].to_numpy(), rel=1e-4
    )
    # planted p = 6, q = 3, gamma = 20 within 3 standard errors
    for k, v in {"p": 6.0, "q": 3.0, "v": 20.0}.items():
        assert abs(dollars.params_[k] - v) < 3 * dollars.standard_errors_[k]


def test_gamma_gamma_warns_when_spend_rises_with_frequency():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 20, 500)
    m = 5.0 * x + rng.gamma(2.0, 2.0, 500)  # spend grows with frequency
    with pytest.warns(ClvFitWarning, match="Gamma-Gamma assumes they are independent"):
        model = GammaGamma().fit(spend(x, m))
    assert model.correlation_ == pytest.approx(np.corrcoef(x, m)[0, 1])
    assert model.summary().loc["corr(btyd_frequency, btyd_monetary_value)", "estimate"] > 0.3


@pytest.mark.parametrize(
    "theta", [np.log([0.4, 4.0, 0.8, 2.0]), np.log([2.0, 0.1, 50.0, 0.01])], ids=["near", "far"]
)
def test_bgnbd_likelihood_and_gradient_equal_lifetimes_and_finite_differences(theta):
    from crmlytics.clv.likelihoods import BgNbdLikelihood

    x, rec, T = simulate_bgnbd(3000, 0.3, 5.0, 0.7, 2.5, 10, 50, seed=11)
    w = np.random.default_rng(11).integers(1, 4, x.size).astype(float)
    nll = BgNbdLikelihood(x, rec, T, w)
    with np.errstate(all="ignore"):
        value, grad = nll.value_and_grad(theta)
        theirs = BetaGeoFitter._negative_log_likelihood(theta, x, rec, T, w, 0.0)
        h = 1e-6
        numeric = [(nll(theta + h * e) - nll(theta - h * e)) / (2 * h) for e in np.eye(4)]
    assert value == pytest.approx(theirs, rel=1e-12)
    assert grad == pytest.approx(np.array(numeric), rel=1e-5, abs=1e-8)


def test_gamma_gamma_likelihood_and_gradient_equal_lifetimes_and_finite_differences():
    from lifetimes import GammaGammaFitter

    from crmlytics.clv.likelihoods import GammaGammaLikelihood

    rng = np.random.default_rng(12)
    x = rng.integers(1, 20, 2000).astype(float)
    m = rng.gamma(3.0, 10.0, 2000)
    w = rng.integers(1, 4, 2000).astype(float)
    nll = GammaGammaLikelihood(x, m, w)
    theta = np.log([6.0, 3.5, 15.0])
    value, grad = nll.value_and_grad(theta)
    h = 1e-6
    numeric = [(nll(theta + h * e) - nll(theta - h * e)) / (2 * h) for e in np.eye(3)]
    theirs = GammaGammaFitter._negative_log_likelihood(theta, x, m, w, 0.0)
    assert value == pytest.approx(theirs, rel=1e-12)
    assert grad == pytest.approx(np.array(numeric), rel=1e-5, abs=1e-8)


def test_fit_on_weighted_patterns_equals_fit_on_the_customers_they_stand_for():
    # whole-week histories repeat a lot: the compressed fit must give the same estimates
    x, rec, T = simulate_bgnbd(4000, 0.5, 5.0, 0.6, 3.0, 20, 40, seed=5)
    rec, T = np.floor(rec), np.floor(T)
    rec = np.where(x > 0, np.minimum(rec, T), 0.0)
    customers = BetaGeo().fit(frame(x, rec, T))
    packed = frame(x, rec, T).groupby(list(history_columns("weeks")), as_index=False).size()
    patterns = BetaGeo().fit(packed.rename(columns={"size": "weights"}))
    assert patterns.diagnostics_.n_patterns < 4000 / 2
    assert patterns.params_.to_numpy() == pytest.approx(customers.params_.to_numpy(), rel=1e-6)
    assert patterns.log_likelihood_ == pytest.approx(customers.log_likelihood_, rel=1e-9)
    assert patterns.data_hash_ == customers.data_hash_
