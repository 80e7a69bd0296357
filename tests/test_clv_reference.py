"""Published reference results on CDNOW, ingested from the raw file through crmlytics' ingest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlytics.clv.backtest import backtest
from crmlytics.clv.models import BetaGeo, GammaGamma, ParetoNBD
from crmlytics.clv.summary import customer_summary
from tests.clv_data import CDNOW, cdnow_workspace


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def cdnow():
    ws = cdnow_workspace()
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def weekly(cdnow):
    return customer_summary(cdnow, "1997-09-30", unit="weeks")


def test_cdnow_summary_has_the_papers_2357_customers_and_946_repeat_buyers(weekly):
    assert len(weekly) == 2357
    assert int((weekly["btyd_frequency"] > 0).sum()) == 946
    assert int(weekly["btyd_frequency"].sum()) == 2457  # repeat transactions in weeks 1-39
    # every customer of the sample made the first purchase in the first quarter of 1997
    assert weekly["btyd_age_weeks"].max() == pytest.approx(272 / 7)
    assert weekly["btyd_age_weeks"].min() >= (272 - 89) / 7


def test_bgnbd_reproduces_fader_hardie_lee_2005_to_three_digits(weekly):
    model = BetaGeo(unit="weeks").fit(weekly)
    got = {k: sig3(v) for k, v in model.params_.items()}
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way": r, alpha, a, b
    assert got == {"r": 0.243, "alpha": 4.41, "a": 0.793, "b": 2.43}
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)  # LL reported there


def test_gamma_gamma_reproduces_fader_hardie_2013_to_three_digits(weekly):
    model = GammaGamma().fit(weekly)
    got = {k: sig3(v) for k, v in model.params_.items()}
    # Fader & Hardie (2013) note 025: p = 6.25, q = 3.74, gamma = 15.44
    assert got == {"p": 6.25, "q": 3.74, "v": sig3(15.44)}
    assert model.n_customers_ == 946
    assert abs(model.correlation_) < 0.3  # the paper reports a weak correlation (0.11)


def test_pareto_nbd_reproduces_the_published_cdnow_estimates(weekly):
    model = ParetoNBD(unit="weeks").fit(weekly)
    got = {k: round(v, 2) for k, v in model.params_.items()}
    # Fader, Hardie & Lee (2005) "A note on implementing the Pareto/NBD model in MATLAB"
    assert got == pytest.approx({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}, abs=0.011)
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)


def test_backtest_counts_the_holdout_repeat_purchases_of_the_raw_file(cdnow):
    result = backtest(cdnow, "1997-09-30", "1998-06-30", unit="weeks")
    raw = pd.read_csv(CDNOW, sep=r"\s+", header=None, dtype=str, names=["c", "i", "d", "n", "x"])
    raw["d"] = pd.to_datetime(raw["d"], format="%Y%m%d")
    holdout = raw[(raw["d"] > "1997-09-30") & (raw["d"] <= "1998-06-30")]
    expected = holdout.drop_duplicates(["c", "d"]).shape[0]  # distinct customer-days
    assert result.totals.loc["actual", "holdout_purchases"] == expected
    assert result.customers["holdout_length"].iloc[0] == pytest.approx(273 / 7)
    # the model beats the naive "keep your calibration rate" baseline per customer
    assert result.mae < result.mae_naive
    # tracking: the actual cumulative count at the end equals all repeat days by 1998-06-30
    first = raw[raw["d"] <= "1998-06-30"].groupby("c")["d"].transform("min")
    repeat_days = raw[(raw["d"] <= "1998-06-30") & (raw["d"] > first)]
    assert (
        result.tracking["actual_cumulative"].iloc[-1]
        == repeat_days.drop_duplicates(["c", "d"]).shape[0]
    )
    assert np.all(np.diff(result.tracking["model_cumulative"]) >= 0)
