"""Discounting worked by hand; predictions, saved models and the CLI on a small fitted model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.base import ModelMismatchError
from crmlytics.cli import app
from crmlytics.clv.backtest import compare, naive_forecast
from crmlytics.clv.predict import ClvModel, clv_from_cumulative, discounted_value, monthly_rate
from crmlytics.clv.summary import DAYS_PER_MONTH, history_columns
from crmlytics.errors import ConfigError
from tests.clv_data import simulate_bgnbd


def test_two_period_discounting_worked_by_hand():
    # 2 purchases expected in month 1, 1 more in month 2 (cumulative 2, 3), order value 50,
    # monthly rate 10%: 2*50/1.1 + 1*50/1.1**2 = 90.909… + 41.322… = 132.2314…
    rate = monthly_rate(1.1**12 - 1)
    assert rate == pytest.approx(0.10)
    got = clv_from_cumulative(np.array([[2.0, 3.0]]), np.array([50.0]), rate_per_period=rate)
    assert got[0] == pytest.approx(100 / 1.1 + 50 / 1.21)
    assert got[0] == pytest.approx(132.2314, abs=1e-4)
    # with a 40% margin the value scales linearly
    half = clv_from_cumulative(
        np.array([[2.0, 3.0]]), np.array([50.0]), rate_per_period=rate, margin=0.4
    )
    assert half[0] == pytest.approx(0.4 * got[0])


def test_ten_percent_a_year_is_about_0_797_percent_a_month():
    assert monthly_rate(0.10) == pytest.approx(1.1 ** (1 / 12) - 1)
    assert discounted_value(np.full(12, 1.0), monthly_rate(0.10)) == pytest.approx(
        sum(1.1 ** (-t / 12) for t in range(1, 13))
    )
    with pytest.raises(ConfigError, match="above -1"):
        monthly_rate(-1.5)


def test_naive_baseline_keeps_the_calibration_rate_by_hand():
    got = naive_forecast(np.array([2, 0, 3]), np.array([10.0, 5.0, 0.0]), 20.0)
    assert got.tolist() == [4.0, 0.0, 0.0]  # 2/10 * 20; no repeats; T = 0 -> 0
    customers = pd.DataFrame(
        {
            "btyd_frequency": [0, 1, 9],
            "holdout_purchases": [1, 2, 4],
            "predicted": [0.5, 2.0, 5.0],
            "naive": [0.0, 3.0, 4.0],
        }
    )
    totals, by = compare(customers)
    assert totals.loc["model", "mae_per_customer"] == pytest.approx((0.5 + 0 + 1) / 3)
    assert totals.loc["naive", "mae_per_customer"] == pytest.approx((1 + 1 + 0) / 3)
    assert by["btyd_frequency"].tolist() == ["0", "1", "7+"]


@pytest.fixture(scope="module")
def fitted_summary():
    x, rec, T = simulate_bgnbd(2000, 0.5, 5.0, 0.6, 3.0, 20, 40, seed=8)
    rng = np.random.default_rng(8)
    m = np.where(x > 0, rng.gamma(6.0, 3.0, x.size), 0.0)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(x.size)],
            "btyd_frequency": x,
            "btyd_recency_weeks": rec,
            "btyd_age_weeks": T,
            "btyd_monetary_value": m,
        }
    )
    frame.attrs.update(unit="weeks", as_of="2024-06-30")
    return frame


def test_one_month_clv_is_one_months_purchases_times_order_value_discounted(fitted_summary):
    model = ClvModel().fit(fitted_summary)
    out = model.predict(fitted_summary, horizon_months=1, discount_rate=0.10)
    one_month = model.purchases_.expected_purchases(
        DAYS_PER_MONTH / 7, *(fitted_summary[c] for c in history_columns("weeks"))
    )
    assert out["expected_purchases"].to_numpy() == pytest.approx(one_month)
    expected = one_month * out["expected_order_value"] / (1.1 ** (1 / 12))
    assert out["clv"].to_numpy() == pytest.approx(expected.to_numpy())
    assert out["p_alive"].between(0, 1).all()


def test_saved_model_predicts_the_same_and_records_provenance(fitted_summary, tmp_path):
    model = ClvModel().fit(fitted_summary)
    path = model.save(tmp_path / "clv.json")
    record = json.loads(path.read_text())
    assert record["params"]["unit"] == "weeks" and record["as_of"] == "2024-06-30"
    assert record["data_hash"] == model.purchases_.data_hash_
    assert record["features"] == [
        "btyd_frequency",
        "btyd_recency_weeks",
        "btyd_age_weeks",
        "btyd_monetary_value",
    ]
    assert set(record["state"]["purchases"]["fit"]["params"]) == {"r", "alpha", "a", "b"}
    loaded = ClvModel.load(path)
    pd.testing.assert_frame_equal(loaded.predict(fitted_summary), model.predict(fitted_summary))
    # the same customers in days: the weekly model refuses them, naming both units
    days = fitted_summary.rename(
        columns={"btyd_recency_weeks": "btyd_recency_days", "btyd_age_weeks": "btyd_age_days"}
    )
    days.attrs["unit"] = "days"
    with pytest.raises(ModelMismatchError, match="summary is in days .* model is in weeks"):
        loaded.predict(days)


def test_cli_fit_predict_and_refusal(tmp_path):
    from crmlytics.workspace import Workspace

    db = tmp_path / "crm.duckdb"
    x, rec, T = simulate_bgnbd(300, 0.8, 20.0, 0.5, 3.0, 60, 200, seed=2)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for i, (xi, ri, ti) in enumerate(zip(x, rec, T, strict=True)):
        first = start + pd.Timedelta(days=int(200 - ti))
        days = sorted({0, *np.linspace(0, int(ri), int(xi) + 1).astype(int).tolist()})
        rows += [(f"o{i}-{d}", f"c{i}", first + pd.Timedelta(days=d), 10.0 + d) for d in days]
    with Workspace.open(db) as ws:
        ws.insert(
            "transactions",
            pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "amount"]),
        )
    runner = CliRunner()
    artifact = tmp_path / "m.json"
    args = ["clv", "fit", "--db", str(db), "--as-of", "2024-07-18", "--unit", "days"]
    result = runner.invoke(app, [*args, "--artifact", str(artifact)])
    assert result.exit_code == 0, result.output
    # the steps are shown one line each, ticked when done
    assert "✓ summary (warehouse)" in result.output
    assert "✓ fit purchase and spend models" in result.output
    assert json.loads(artifact.read_text())["params"]["unit"] == "days"
    out = tmp_path / "p.csv"
    args = ["clv", "predict", "--db", str(db), "--as-of", "2024-07-18"]
    result = runner.invoke(app, [*args, "--artifact", str(artifact), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert len(scores) == 300 and {"p_alive", "clv"} <= set(scores.columns)
    result = runner.invoke(app, ["clv", "fit", "--db", str(db), "--as-of", "2023-12-31"])
    assert result.exit_code == 1
    assert "no customers with a purchase" in result.output


def test_bgnbd_expectations_for_all_horizons_equal_lifetimes_one_horizon_at_a_time(
    fitted_summary,
):
    model = ClvModel().fit(fitted_summary).purchases_
    args = tuple(fitted_summary[c] for c in history_columns("weeks"))
    horizons = [1.0, 4.35, 26.0, 52.18]
    ours = model.expected_purchases_cumulative(horizons, *args)
    theirs = np.column_stack(
        [
            model.fitter_.conditional_expected_number_of_purchases_up_to_time(t, *args)
            for t in horizons
        ]
    )
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_predictions_are_the_same_for_customers_with_the_same_history(fitted_summary):
    twins = pd.concat(
        [fitted_summary, fitted_summary.assign(customer_id=lambda f: f.customer_id + "b")]
    )
    out = ClvModel().fit(fitted_summary).predict(twins.reset_index(drop=True))
    n = len(fitted_summary)
    assert list(out["customer_id"][:3]) == list(fitted_summary["customer_id"][:3])
    for column in ("p_alive", "expected_purchases", "clv"):
        assert out[column].to_numpy()[:n] == pytest.approx(out[column].to_numpy()[n:], rel=0)
    assert not any(out[c].dtype == object for c in out.columns)
