"""Churn: labels worked by hand around the horizon, features that cannot see the future,
calibration and a planted driver recovered from simulated data, the backtest CLI's columns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.churn import ChurnConfig, churn_labels, feature_frame
from crmlytics.churn.backtest import REPORT_COLUMNS, plan
from crmlytics.churn.features import churn_features, labelled_features
from crmlytics.churn.metrics import calibration_error, pr_auc, roc_auc, top_decile
from crmlytics.churn.model import METHODS, ChurnModel, psi, simulate_snapshots
from crmlytics.churn.reasons import reason_text
from crmlytics.config import Config
from crmlytics.errors import ConfigError

ts = pd.Timestamp


def sale(order, customer, when, amount=10.0, kind="sale"):
    return dict(
        order_id=order, line_no=1, kind=kind, customer_id=customer, order_ts=ts(when),
        amount=amount,
    )  # fmt: skip


@pytest.fixture
def horizon_ws(ws):
    """Cutoff 2024-03-31 (end of day), horizon 10 days: the horizon is 1 to 10 April."""
    ws.insert(
        "customers",
        [
            dict(customer_id=c, signup_date=dt.date(2024, 1, 1), closed_at=closed)
            for c, closed in [
                ("a", ts("2024-04-10 12:00")),  # closed on the horizon's last day
                ("b", ts("2024-04-11 00:00")),  # closed the day after
                ("c", None),
                ("d", None),
                ("e", None),
                ("f", ts("2024-03-20 09:00")),  # closed before the cutoff: lost already
                ("g", None),  # prospect
                ("h", None),
            ]
        ],
    )
    ws.insert(
        "transactions",
        [
            sale("a1", "a", "2024-03-01 10:00"),
            sale("a2", "a", "2024-04-10 23:00"),  # last minute of the horizon: stays
            sale("b1", "b", "2024-03-01 10:00"),
            sale("b2", "b", "2024-04-11 00:00"),  # first instant after it: churned
            sale("c1", "c", "2024-03-31 23:59"),  # on the cutoff day, not in the horizon
            sale("d1", "d", "2024-03-01 10:00"),
            sale("d2", "d", "2024-04-05 10:00"),
            sale("d2", "d", "2024-04-08 10:00", -10.0, "return"),  # fully returned in horizon
            sale("e1", "e", "2024-03-01 10:00"),
            sale("e2", "e", "2024-04-05 10:00"),
            sale("e2", "e", "2024-04-15 10:00", -10.0, "return"),  # returned after the horizon
            sale("f1", "f", "2024-03-01 10:00"),
            sale("h1", "h", "2024-04-02 10:00"),  # first purchase inside the horizon
        ],
    )
    return ws


def test_purchase_on_the_last_day_of_the_horizon_is_not_churn(horizon_ws):
    labels = churn_labels(horizon_ws, "2024-03-31", horizon_days=10).to_pandas()
    got = dict(zip(labels.customer_id, labels.churned, strict=True))
    # f closed before the cutoff, g never bought, h had not bought by the cutoff: not labelled
    assert got == {"a": 0, "b": 1, "c": 1, "d": 1, "e": 0}


def test_contractual_churn_is_closing_the_account_within_the_horizon(horizon_ws):
    labels = churn_labels(horizon_ws, "2024-03-31", horizon_days=10, definition="contract")
    got = dict(labels.to_pandas().itertuples(index=False, name=None))
    # everyone signed up by the cutoff except f (closed on 20 March); a closes on day 10
    assert got == {"a": 1, "b": 0, "c": 0, "d": 0, "e": 0, "g": 0, "h": 0}


def test_a_datetime_cutoff_starts_the_horizon_at_that_instant(horizon_ws):
    labels = churn_labels(horizon_ws, "2024-03-31T23:59:00", horizon_days=10).to_pandas()
    got = dict(zip(labels.customer_id, labels.churned, strict=True))
    # the horizon runs from 31 March 23:59 (excluded) to 10 April 23:59 (included): c's
    # purchase at 23:59 is at the cutoff, not after it; a's at 10 April 23:00 is inside; b's
    # at 11 April 00:00 is one minute past the end
    assert got["c"] == 1 and got["b"] == 1 and got["a"] == 0


@pytest.mark.parametrize(
    ("cutoff", "definition", "expected"),
    [
        ("2024-03-31", "purchase", {"a": 0, "b": 1, "c": 1, "d": 1, "e": 0}),
        ("2024-03-31", "contract", {"a": 1, "b": 0, "c": 0, "d": 0, "e": 0, "g": 0, "h": 0}),
        ("2024-03-31T23:59:00", "purchase", {"a": 0, "b": 1, "c": 1, "d": 1, "e": 0}),
    ],
)
def test_label_read_in_the_features_pass_is_the_label_by_hand(
    horizon_ws, cutoff, definition, expected
):
    # the one-pass training query labels exactly as churn_labels does (cases as above)
    frame = labelled_features(horizon_ws, cutoff, horizon_days=10, definition=definition)
    got = dict(frame.select("customer_id", "churned").to_pandas().itertuples(index=False))
    assert got == expected


def test_purchase_gaps_count_each_purchase_day_once(ws):
    # purchases on 1 March (two orders), 4 March and 10 March; the order of 7 March is fully
    # returned, so no purchase: days 1, 4, 10 give gaps 3 and 6 days
    ws.insert(
        "transactions",
        [
            sale("o1", "x", "2024-03-01 09:00"),
            sale("o2", "x", "2024-03-01 17:00"),
            sale("o3", "x", "2024-03-04 09:00"),
            sale("o4", "x", "2024-03-07 09:00"),
            sale("o4", "x", "2024-03-08 09:00", -10.0, "return"),
            sale("o5", "x", "2024-03-10 09:00"),
        ],
    )
    row = churn_features(ws, "2024-03-20").to_pandas().set_index("customer_id").loc["x"]
    assert row["purchase_days"] == 3 and row["orders"] == 4
    assert row["mean_gap_days"] == pytest.approx(4.5)
    # sample sd of (3, 6) is sqrt(4.5); over the mean 4.5
    assert row["gap_cv"] == pytest.approx(np.sqrt(4.5) / 4.5)
    # 10 days since the last purchase, over the usual 4.5-day gap
    assert row["overdue_ratio"] == pytest.approx(10 / 4.5)


@pytest.fixture(scope="module")
def demo_tables():
    from crmlytics.demo import generate_demo

    return generate_demo(customers=300, seed=21).tables


def test_rows_added_after_a_cutoff_change_no_feature_and_no_label(ws, demo_tables):
    for table, frame in demo_tables.items():
        ws.insert(table, frame)
    cutoff, horizon = dt.date(2024, 12, 31), 90
    config = ChurnConfig(horizon_days=horizon)
    before = feature_frame(ws, cutoff, config, labels=True)
    assert len(before) > 50 and before["churned"].nunique() == 2
    ids = before["customer_id"].iloc[:40].tolist()
    after_horizon = ts(cutoff) + pd.Timedelta(days=horizon + 1, hours=9)
    in_horizon = ts(cutoff) + pd.Timedelta(days=20, hours=9)
    late = [after_horizon, ts(cutoff) + pd.Timedelta(days=1, minutes=1)]
    ws.insert(
        "transactions",
        [sale(f"late{i}", c, after_horizon, 99.0) for i, c in enumerate(ids)]
        + [sale(f"late{i}", c, after_horizon, -5.0, "return") for i, c in enumerate(ids[:5])],
    )
    ws.insert(
        "complaints",
        [dict(complaint_id=f"lk{i}", customer_id=c, opened_at=late[i % 2], satisfaction=1)
         for i, c in enumerate(ids)],
    )  # fmt: skip
    ws.insert(
        "interactions",
        [dict(interaction_id=f"li{i}", customer_id=c, ts=late[i % 2]) for i, c in enumerate(ids)],
    )
    ws.insert(
        "campaign_touches",
        [dict(campaign_id="late", customer_id=c, sent_at=late[i % 2], opened_at=late[i % 2])
         for i, c in enumerate(ids)],
    )  # fmt: skip
    ws.insert("customers", [dict(customer_id="newcomer", signup_date=dt.date(2025, 2, 1))])
    unchanged = feature_frame(ws, cutoff, config, labels=True)
    pd.testing.assert_frame_equal(before, unchanged)
    # a purchase inside the horizon may change a label, never a feature
    churned = before.loc[before["churned"] == 1, "customer_id"].iloc[0]
    ws.insert("transactions", [sale("inside", churned, in_horizon, 50.0)])
    moved = feature_frame(ws, cutoff, config, labels=True)
    pd.testing.assert_frame_equal(before.drop(columns="churned"), moved.drop(columns="churned"))
    assert moved.loc[moved["customer_id"] == churned, "churned"].item() == 0


def test_calibrated_probabilities_match_the_observed_rate_on_a_later_cutoff():
    frame = simulate_snapshots(customers=4000, cutoffs=4, seed=3)
    latest = frame["cutoff"].max()
    train, held_out = frame[frame["cutoff"] < latest], frame[frame["cutoff"] == latest]
    p = ChurnModel().fit(train).predict(held_out)["churn_probability"]
    y = held_out["churned"]
    # 4,000 held-out customers: the observed rate has a standard error of about 0.008, so
    # 0.03 is over three of them; per probability decile (400 customers, s.e. about 0.024)
    # the customer-weighted mean gap stays below 0.05
    assert abs(p.mean() - y.mean()) < 0.03
    assert calibration_error(y, p) < 0.05
    # and the probabilities track the planted ones, not just their average
    assert np.corrcoef(p, held_out["true_probability"])[0, 1] > 0.8


def test_a_planted_driver_is_recovered_as_the_top_feature_and_the_model_beats_the_rules():
    frame = simulate_snapshots(customers=3000, cutoffs=4, seed=2, driver="unresolved_complaints")
    latest = frame["cutoff"].max()
    train, held_out = frame[frame["cutoff"] < latest], frame[frame["cutoff"] == latest]
    model = ChurnModel().fit(train)
    top = model.importance_["feature"].tolist()
    # the two planted features first; every other feature was drawn independently of churn
    assert top[:2] == ["unresolved_complaints", "days_since_last_purchase"]
    auc = {m: roc_auc(held_out["churned"], ChurnModel(method=m).fit(train).score_samples(
        held_out)) for m in METHODS if m != "gbt"}  # fmt: skip
    gbt = roc_auc(held_out["churned"], model.score_samples(held_out))
    assert gbt > max(auc.values())
    # the driver is also the first reason of the customers with an unresolved complaint
    complained = held_out[held_out["unresolved_complaints"] >= 1].head(50)
    drivers = model.drivers(complained)
    assert (drivers["driver_1"] == "unresolved_complaints").mean() > 0.9
    # the exact pushes (each customer scored again with the feature at its median) agree
    exact = model.drivers(complained, exact=True)
    assert (exact["driver_1"] == "unresolved_complaints").mean() > 0.9
    # recent buyers without a complaint: the planted driver never pushes (they sit at its
    # median, 0), and the second planted feature cannot push either (below its threshold)
    calm = held_out[(held_out["unresolved_complaints"] == 0)
                    & (held_out["days_since_last_purchase"] < 30)]  # fmt: skip
    calm_drivers = model.drivers(calm)
    assert not (calm_drivers["driver_1"] == "unresolved_complaints").any()


def test_a_model_fitted_without_explanations_scores_the_same_and_gives_no_drivers(tmp_path):
    # the backtest only scores its methods: explain=False skips the permutation importance
    # and the effect curves, which read the fitted trees and change none of their scores
    frame = simulate_snapshots(customers=1500, cutoffs=3, seed=4)
    latest = frame[frame["cutoff"] == frame["cutoff"].max()]
    for method in ("gbt", "logistic", "overdue"):
        explained = ChurnModel(method=method).fit(frame)
        bare = ChurnModel(method=method, explain=False).fit(frame)
        pd.testing.assert_frame_equal(bare.predict(latest), explained.predict(latest))
        assert bare.importance_.empty and bare.effects_ is None
        assert len(explained.importance_) == len(explained.features_)
        with pytest.raises(ConfigError, match="explain=False"):
            bare.drivers(latest)
        # the summary has the training rows but no importance; a saved copy scores the same
        assert bare.summary()["measure"].tolist() == explained.summary()["measure"].tolist()[:7]
        loaded = ChurnModel.load(bare.save(tmp_path / f"{method}.json"))
        pd.testing.assert_frame_equal(loaded.predict(latest), explained.predict(latest))
        assert loaded.effects_ is None and loaded.importance_.empty


def test_effect_curve_push_of_a_rule_is_the_distance_to_the_median_bin():
    # the days rule scores a customer by days since the last purchase itself, so its effect
    # curve is the identity at each bin's representative value: the push of a customer is
    # that value minus the median's, and zero for a customer in the median's bin
    frame = simulate_snapshots(customers=2000, cutoffs=2, seed=3)
    model = ChurnModel(method="days_since_last_purchase").fit(frame)
    curve = model.effects_["days_since_last_purchase"]
    edges, means = np.array(curve["edges"]), np.array(curve["means"])
    X = frame.head(200)
    pushes = model.drivers(X, top=1)["push_1"].fillna(0.0).to_numpy()
    days = X["days_since_last_purchase"].to_numpy()
    median_mean = means[np.searchsorted(edges, model.medians_["days_since_last_purchase"])]
    expected = np.maximum(means[np.searchsorted(edges, days)] - median_mean, 0.0)
    np.testing.assert_allclose(pushes, expected)
    # and it differs from the exact push (days - median) by less than the widths of the two
    # bins involved (a bin's representative lies inside it)
    exact = model.drivers(X, top=1, exact=True)["push_1"].fillna(0.0).to_numpy()
    inner = (days > edges[0]) & (days <= edges[-1])
    bounds = np.concatenate([[edges[0]], edges])
    width = np.diff(bounds)[np.searchsorted(edges, days[inner])]
    at = np.searchsorted(edges, model.medians_["days_since_last_purchase"])
    median_width = edges[at] - edges[at - 1]
    assert np.all(np.abs(pushes[inner] - exact[inner]) <= width + median_width)


def test_ranking_metrics_worked_by_hand():
    y = np.array([1, 0, 1, 0, 0])
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.1])
    # churner pairs (0.9 beats all 3 stayers, 0.7 beats 2 of 3): 5 of 6
    assert roc_auc(y, score) == pytest.approx(5 / 6)
    # precision at the churners: 1/1 and 2/3; average 5/6
    assert pr_auc(y, score) == pytest.approx((1 + 2 / 3) / 2)
    # top decile of 5 = 1 customer, a churner: rate 1 over 0.4, capture 1 of 2
    assert top_decile(y, score) == pytest.approx((2.5, 0.5))


def test_psi_is_zero_for_the_training_data_and_large_when_it_shifts():
    frame = simulate_snapshots(customers=1500, cutoffs=2, seed=4)
    model = ChurnModel(method="days_since_last_purchase").fit(frame)
    assert psi(model, frame)["psi"].item() == pytest.approx(0.0, abs=1e-12)
    shifted = frame.assign(days_since_last_purchase=frame["days_since_last_purchase"] + 200)
    # every customer lands in the top training bin (a 10% bin): PSI = 0.9 ln(9) ... > 1
    assert psi(model, shifted)["psi"].item() > 1.0


def test_reason_says_days_and_the_customers_own_gap():
    row = pd.Series({"days_since_last_purchase": 142.0, "overdue_ratio": 142 / 67.6})
    assert reason_text("overdue_ratio", row) == "no purchase for 142 days, 2.1× their usual gap"
    assert reason_text("overdue_ratio", row, "zh") == "142 天未购买，为其平常购买间隔的 2.1 倍"
    one_day = pd.Series({"days_since_last_purchase": 30.0, "overdue_ratio": np.nan})
    assert reason_text("days_since_last_purchase", one_day) == "no purchase for 30 days"


def test_backtest_evaluates_the_latest_passed_cutoff_with_earlier_training():
    evaluation, training = plan("2025-06-30", ChurnConfig(cutoffs=3, cutoff_spacing_days=30))
    assert evaluation == dt.date(2025, 4, 1)  # 90 days before
    # labels of the training cutoffs were known by the evaluation cutoff
    assert training == [dt.date(2024, 11, 2), dt.date(2024, 12, 2), dt.date(2025, 1, 1)]
    with pytest.raises(ConfigError, match="not known yet"):
        plan("2025-06-30", ChurnConfig(), [dt.date(2025, 1, 1), dt.date(2025, 5, 1)])


def test_churn_settings_live_in_the_config_file():
    assert Config().churn.horizon_days == 90
    with pytest.raises(ValueError, match="medium"):
        Config.model_validate({"churn": {"risk_tiers": {"high": 0.3, "medium": 0.4}}})
    with pytest.raises(ValueError, match="extra"):
        Config.model_validate({"churn": {"horizon": 30}})


def test_backtest_cli_writes_one_row_per_method_with_the_issue_columns(tmp_path, demo_tables):
    from crmlytics.cli import app
    from crmlytics.workspace import Workspace

    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as ws:
        for table, frame in demo_tables.items():
            ws.insert(table, frame)
    out = tmp_path / "backtest.csv"
    args = ["churn", "backtest", "--as-of", "2025-06-30", "--db", str(db), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--cutoffs", "2024-09-30,2024-12-31,2025-03-31"])
    assert result.exit_code == 0, result.output
    report = pd.read_csv(out, encoding="utf-8-sig")
    assert list(report.columns[:5]) == ["method", "roc_auc", "pr_auc", "top_decile_lift", "brier"]
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert sorted(report["method"]) == sorted(METHODS)
    assert report["roc_auc"].is_monotonic_decreasing


def test_risk_by_segment_chart_shows_mean_probability_and_tier_counts():
    from crmlytics.churn.charts import risk_by_segment

    scores = pd.DataFrame(
        {
            "value_tier": ["gold", "gold", "gold", "bronze"],
            "churn_probability": [0.8, 0.6, 0.1, 0.3],
            "churn_risk_tier": ["high", "high", "low", "medium"],
        }
    )
    fig = risk_by_segment(scores, "value_tier")
    traces = {t.name: t for t in fig.data}
    # gold: (0.8 + 0.6 + 0.1) / 3 = 0.5; bronze 0.3; highest mean first
    assert list(traces["mean churn probability"].x) == ["gold", "bronze"]
    assert list(traces["mean churn probability"].y) == pytest.approx([0.5, 0.3])
    assert list(traces["high"].y) == [2, 0] and list(traces["medium"].y) == [0, 1]


def test_p_alive_fitted_on_a_sample_stays_close_to_the_full_fit():
    from crmlytics.churn.features import p_alive
    from crmlytics.demo import generate_demo
    from crmlytics.workspace import Workspace

    ws = Workspace.memory()
    for table, frame in generate_demo(customers=6000, seed=4).tables.items():
        ws.insert(table, frame)
    full = p_alive(ws, "2025-03-31")
    # a sample as large as the buyers is the full fit, to the last digit
    pd.testing.assert_frame_equal(p_alive(ws, "2025-03-31", len(full)), full)
    # 1,000 of the ~4,300 buyers: the four BG/NBD parameters move by their sampling error
    # only (a few percent from 1,000 customers), so each customer's P(alive) moves by a few
    # points at most, and by about one on average
    sampled = p_alive(ws, "2025-03-31", 1000)
    gap = np.abs(sampled["p_alive"] - full["p_alive"])
    assert len(full) > 4000 and gap.mean() < 0.02 and gap.max() < 0.08


def test_btyd_history_from_the_purchase_aggregate_is_the_clv_summary(ws):
    """P(alive) from the churn pass's per-customer aggregate sees the same histories as the
    CLV summary: free orders count, fully returned orders do not, a horizon's lines are unseen."""
    from crmlytics.churn.features import btyd_history, customer_purchases
    from crmlytics.clv.summary import customer_summary

    ws.insert(
        "transactions",
        [
            sale("p1", "p", "2024-01-01 10:00", 30.0),
            sale("p2", "p", "2024-01-15 09:00", 0.0),  # free order: a purchase occasion
            sale("p3", "p", "2024-02-26 18:00", 20.0),
            sale("q1", "q", "2024-01-03 10:00", 0.0),  # only a free order
            sale("r1", "r", "2024-01-05 10:00", 40.0),
            {**sale("r1", "r", "2024-01-06 10:00", -40.0, "return"), "line_no": 2},
            sale("r2", "r", "2024-02-01 10:00", 15.0),  # r's only purchase
            sale("s1", "s", "2024-01-10 10:00", 25.0),
            {**sale("s1", "s", "2024-01-10 11:00", 0.0, "return"), "line_no": 2},
            sale("s2", "s", "2024-01-24 10:00", 5.0),
            sale("t1", "t", "2024-04-02 10:00", 9.0),  # after the cutoff
        ],
    )
    cutoff = "2024-03-31"
    expected = customer_summary(ws, cutoff).drop(columns="btyd_monetary_value")
    got = btyd_history(customer_purchases(ws, resolve_as_of(cutoff), horizon_days=10), cutoff)
    pd.testing.assert_frame_equal(got, expected)
    # by hand: p bought on 1 Jan, 15 Jan (free) and 26 Feb, so two repeat days, 8 weeks
    # between first and last purchase day and 90 days to the cutoff (2024 is a leap year);
    # q's free order is a first purchase; r's returned order is none, so r starts on 1 Feb
    # (59 days before the cutoff); s1 had a return line of 0.00, so it is no free order but
    # still a purchase (net 25)
    by_id = got.set_index("customer_id")
    assert by_id["btyd_frequency"].to_dict() == {"p": 2, "q": 0, "r": 0, "s": 1}
    assert by_id.loc["p", "btyd_recency_weeks"] == 8.0
    assert by_id.loc["p", "btyd_age_weeks"] == 90 / 7
    assert by_id.loc["r", "btyd_age_weeks"] == 59 / 7


def test_a_feature_missing_throughout_training_is_left_out_not_fatal():
    """No campaign sent: campaign_open_rate is missing for everyone. The trees learn from the
    other features (scikit-learn cannot bin an empty column) and scoring still works."""
    frame = simulate_snapshots(customers=800, cutoffs=3, seed=5)
    frame["campaign_open_rate"] = np.nan
    model = ChurnModel().fit(frame)
    assert "campaign_open_rate" not in model.features_
    assert "complaints_recent" in model.features_
    p = model.predict(frame)["churn_probability"]
    assert p.notna().all() and p.between(0, 1).all()


def test_a_feature_missing_at_the_calibration_cutoff_only_still_fits_and_explains():
    """Satisfaction known at the earlier cutoffs but at none of the latest (the calibration
    cutoff, where effect curves are learnt): its curve is the missing point alone, so it never
    pushes a customer's risk, and fitting does not fail."""
    frame = simulate_snapshots(customers=800, cutoffs=3, seed=6)
    latest = frame["cutoff"] == frame["cutoff"].max()
    frame.loc[latest, "mean_satisfaction"] = np.nan
    model = ChurnModel().fit(frame)
    assert "mean_satisfaction" in model.features_
    drivers = model.drivers(frame, top=3, candidates=len(model.features_))
    named = drivers[["driver_1", "driver_2", "driver_3"]].to_numpy().ravel()
    assert "mean_satisfaction" not in set(named)
