"""The demo data set: deterministic, canonical, internally consistent, and its planted truth
recoverable.

Statistical tests compare an observed share or mean with what the planted parameters imply and
allow 4 standard errors: for a correct simulator that fails about once in 16,000 runs, while a
wrong parameter or mechanism (e.g. drop-out before the first repeat, values tied to frequency)
moves the statistic by far more than 4 SE at these sample sizes. Seeds are fixed, so a passing
test keeps passing; the tolerance says how far off the simulator could be and still pass.
"""

from __future__ import annotations

import collections
import datetime as dt
import filecmp
import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.cli import app
from crmlytics.demo import DEFAULT_AS_OF, generate_demo, write_demo
from crmlytics.demo.params import FUNNEL_STAGES
from crmlytics.errors import ConfigError
from crmlytics.schema import CANONICAL

END_OF_AS_OF = pd.Timestamp(DEFAULT_AS_OF) + pd.Timedelta(days=1)  # rows must be before this
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def demo():
    return generate_demo(customers=5000, seed=7)


@pytest.fixture(scope="module")
def sale_orders(demo):
    """One row per order: its customer and gross sale value (the Gamma-Gamma z)."""
    sales = demo.transactions[demo.transactions["kind"] == "sale"]
    return sales.groupby("order_id").agg(
        customer_id=("customer_id", "first"), value=("amount", "sum")
    )


# -- determinism ---------------------------------------------------------------------------------
def test_same_seed_gives_identical_frames_and_another_seed_does_not():
    first, again, other = (generate_demo(300, seed) for seed in (3, 3, 4))
    for name in CANONICAL:
        pd.testing.assert_frame_equal(first.tables[name], again.tables[name])
    pd.testing.assert_frame_equal(first.customer_truth, again.customer_truth)
    assert first.truth.to_dict() == again.truth.to_dict()
    assert not first.customers["name"].equals(other.customers["name"])
    assert not first.transactions["amount"].equals(other.transactions["amount"])


def test_cli_writes_byte_identical_files_to_the_library_for_the_same_seed(tmp_path):
    paths = write_demo(tmp_path / "lib", customers=300, seed=11)
    result = CliRunner().invoke(
        app, ["demo", "--customers", "300", "--seed", "11", "--out", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    truth = generate_demo(300, seed=11).truth
    for name in CANONICAL:  # each table with its row count
        assert re.search(rf"{name}\b.*\b{truth.rows[name]:,}\b", result.output), name
    assert set(paths) == {*CANONICAL, "truth", "truth_customers"}
    for path in paths.values():
        assert filecmp.cmp(path, tmp_path / "cli" / path.name, shallow=False), path.name


def test_cli_refuses_too_few_customers_with_a_one_line_reason(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--customers", "3", "--out", str(tmp_path)])
    assert result.exit_code == 2  # an invalid option
    assert "customers must be at least 10" in result.output


def test_generate_demo_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least 10"):
        generate_demo(customers=0)
    with pytest.raises(ConfigError, match="integer"):
        generate_demo(customers=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        generate_demo(customers=100, seed=-1)
    with pytest.raises(ConfigError, match="datetime.date"):
        generate_demo(customers=100, as_of="2025-01-01")  # type: ignore[arg-type]


# -- canonical shape -----------------------------------------------------------------------------
def test_every_canonical_table_has_exactly_the_canonical_columns_and_inserts(demo, ws):
    for name, table_spec in CANONICAL.items():
        frame = demo.tables[name]
        assert list(frame.columns) == table_spec.names, name
        assert len(frame) > 0, name
        ws.insert(name, frame)
        assert ws.table(name).count().execute() == len(frame), name


def test_natural_keys_are_unique(demo):
    for name, table_spec in CANONICAL.items():
        assert not demo.tables[name].duplicated(list(table_spec.key)).any(), name


def test_written_files_ingest_with_zero_rejects_and_read_back_unchanged(tmp_path, ws):
    ingest = pytest.importorskip("crmlytics.ingest").ingest
    paths = write_demo(tmp_path, customers=200, seed=5)
    expected = generate_demo(200, seed=5)
    for name, table_spec in CANONICAL.items():
        (result,) = ingest(ws, name, paths[name])
        assert (result.rows_read, result.rows_rejected, result.rows_duplicate) == (
            len(expected.tables[name]),
            0,
            0,
        ), name
        got = ws.table(name).execute().drop(columns="attributes")
        assert list(got.columns) == table_spec.names
        pd.testing.assert_frame_equal(
            _comparable(got, table_spec), _comparable(expected.tables[name], table_spec)
        )


def _comparable(frame: pd.DataFrame, table_spec) -> pd.DataFrame:
    frame = frame.sort_values(list(table_spec.key)).reset_index(drop=True)
    out = {}
    for column in table_spec.columns:
        values = frame[column.name]
        if column.dtype in ("date", "timestamp"):
            out[column.name] = pd.to_datetime(values).astype("datetime64[us]")
        elif column.dtype in ("float64", "int64"):
            out[column.name] = values.astype("float64")
        elif column.dtype == "boolean":
            out[column.name] = values.astype(bool)
        else:
            out[column.name] = values.astype(object).where(values.notna(), None)
    return pd.DataFrame(out)


# -- invariants ----------------------------------------------------------------------------------
def test_nothing_is_dated_after_the_as_of_date(demo):
    for name, table_spec in CANONICAL.items():
        frame = demo.tables[name]
        for column in table_spec.columns:
            if (name, column.name) == ("invoices", "due_at"):
                continue  # a due date is set in advance: recent invoices fall due later
            if column.dtype == "timestamp":
                assert (frame[column.name].dropna() < END_OF_AS_OF).all(), (name, column.name)
            if column.dtype == "date":
                assert (frame[column.name].dropna() <= DEFAULT_AS_OF).all(), (name, column.name)


def test_a_later_as_of_moves_the_whole_history():
    later = generate_demo(200, seed=2, as_of=dt.date(2026, 6, 30))
    base = generate_demo(200, seed=2)
    shift = pd.Timedelta(days=365)
    assert (later.transactions["order_ts"] - base.transactions["order_ts"] == shift).all()
    # campaign dates move too: 2023-11-01 + 365 days (across 29 Feb 2024) = 2024-10-31
    assert later.truth.params.campaigns[0].sent == "2024-10-31"


def test_complaint_handling_steps_are_in_order_and_status_matches_them(demo):
    c = demo.complaints
    assert (c["handled_at"].dropna() >= c.loc[c["handled_at"].notna(), "opened_at"]).all()
    for earlier, later in (("handled_at", "resolved_at"), ("resolved_at", "followed_up_at")):
        done = c[later].notna()
        assert c.loc[done, earlier].notna().all(), f"{later} without {earlier}"
        assert (c.loc[done, later] >= c.loc[done, earlier]).all()
    expected_status = np.select(
        [c["followed_up_at"].notna(), c["resolved_at"].notna(), c["handled_at"].notna()],
        ["closed", "resolved", "in_progress"],
        "open",
    )
    assert (c["status"] == expected_status).all()
    assert c["severity"].isin([1, 2, 3]).all()
    assert c["satisfaction"].dropna().between(1, 5).all()
    assert c["satisfaction"].notna().eq(c["followed_up_at"].notna()).all()  # surveyed at follow-up
    assert (c["resolved_at"].isna()).any(), "a backlog of unresolved complaints exists"


def test_complaints_refer_to_existing_customers_orders_and_products(demo):
    c = demo.complaints
    sales = demo.transactions[demo.transactions["kind"] == "sale"]
    pairs = set(zip(sales["order_id"], sales["customer_id"], strict=True))
    with_order = c[c["order_id"].notna()]
    assert all(
        p in pairs for p in zip(with_order["order_id"], with_order["customer_id"], strict=True)
    )
    assert c["product_id"].dropna().isin(demo.products["product_id"]).all()
    first_sale = sales.groupby("order_id")["order_ts"].min()
    assert (
        with_order["opened_at"].to_numpy() > first_sale[with_order["order_id"]].to_numpy()
    ).all()


def test_returns_are_negative_and_reverse_an_earlier_sale_line(demo):
    tx = demo.transactions
    sales = tx[tx["kind"] == "sale"].set_index(["order_id", "line_no"])
    returns = tx[tx["kind"] == "return"].set_index(["order_id", "line_no"])
    assert set(tx["kind"]) == {"sale", "return"}
    assert (sales["amount"] > 0).all() and (returns["amount"] < 0).all()
    sale = sales.loc[returns.index]  # KeyError if a return has no sale line
    assert (returns["amount"] == -sale["amount"]).all()
    assert (returns["cost"] == -sale["cost"]).all()
    assert (returns["product_id"] == sale["product_id"]).all()
    assert (returns["order_ts"] > sale["order_ts"]).all()
    # about 3% of sale lines come back (category rates 1%-7%, see names.CATEGORIES)
    assert 0.015 < len(returns) / len(sales) < 0.045


def test_cost_is_the_planted_share_of_each_line_amount(demo):
    sales = demo.transactions[demo.transactions["kind"] == "sale"]
    ratio = sales["cost"] / sales["amount"]
    assert ratio[sales["amount"] >= 10].between(0.49, 0.86).all()  # 0.5-0.85 before rounding
    planted = demo.truth.to_dict()["categories"]
    by_category = (sales["cost"].groupby(sales["category"]).sum()) / sales["amount"].groupby(
        sales["category"]
    ).sum()
    for category, share in by_category.items():
        assert share == pytest.approx(planted[category]["cost_ratio"], abs=0.01)


def test_orders_have_one_to_four_lines_plus_at_most_a_planted_partner(demo):
    sales = demo.transactions[demo.transactions["kind"] == "sale"]
    lines = sales.groupby("order_id")["line_no"].agg(["count", "max"])
    assert (lines["count"] == lines["max"]).all()  # line numbers 1..n without gaps
    assert lines["count"].between(1, 5).all()
    assert (lines["count"] == 5).mean() < 0.01


def test_referrals_point_to_an_existing_customer_who_signed_up_earlier(demo):
    c = demo.customers.set_index("customer_id")
    referred = c[c["referred_by"].notna()]
    referrer = c.loc[referred["referred_by"]]
    assert (referrer["signup_date"].to_numpy() < referred["signup_date"].to_numpy()).all()
    assert (referred["channel"] == "referral").all()
    assert 0.04 < len(referred) / len(c) < 0.06  # planted 5%: SE 0.3 points at 5,000
    assert referred["referred_by"].nunique() >= 50  # many advocates, some with several


def test_prospects_never_buy_and_make_up_the_planted_share(demo):
    truth = demo.customer_truth
    prospects = truth.loc[truth["prospect"], "customer_id"]
    assert not demo.transactions["customer_id"].isin(prospects).any()
    buyers = set(demo.transactions["customer_id"])
    assert buyers == set(truth.loc[truth["buyer"], "customer_id"])
    share, planted = len(prospects) / len(truth), demo.truth.params.customers.prospect_share
    assert abs(share - planted) < 4 * math.sqrt(planted * (1 - planted) / len(truth))


def test_opted_out_share_and_no_campaign_touches_them(demo):
    c = demo.customers
    planted = demo.truth.params.customers.do_not_contact_share
    assert abs(c["do_not_contact"].mean() - planted) < 4 * math.sqrt(
        planted * (1 - planted) / len(c)
    )
    opted_out = c.loc[c["do_not_contact"], "customer_id"]
    assert not demo.campaign_touches["customer_id"].isin(opted_out).any()


def test_campaign_funnel_timestamps_are_ordered(demo):
    t = demo.campaign_touches
    for earlier, later in (("sent_at", "opened_at"), ("opened_at", "clicked_at")):
        done = t[later].notna()
        assert (
            t.loc[done, earlier].notna().all()
            and (t.loc[done, later] >= t.loc[done, earlier]).all()
        )
    done = t["converted_at"].notna()
    assert (t.loc[done, "converted_at"] >= t.loc[done, "clicked_at"]).all()
    assert t["campaign_id"].nunique() == len(demo.truth.params.campaigns)


def test_every_row_belongs_to_a_known_customer_or_opportunity(demo):
    ids = demo.customers["customer_id"]
    for name in ("transactions", "interactions", "complaints", "opportunities", "campaign_touches"):
        assert demo.tables[name]["customer_id"].isin(ids).all(), name
    assert (
        demo.opportunity_stages["opportunity_id"].isin(demo.opportunities["opportunity_id"]).all()
    )
    assert demo.transactions["product_id"].isin(demo.products["product_id"]).all()


def test_names_and_complaint_texts_are_bilingual(demo):
    names = demo.customers["name"]
    chinese = names.str.contains(CJK)
    assert 0.7 < chinese.mean() < 0.95
    assert names[demo.customers["customer_type"] == "company"].str.endswith("有限公司").mean() > 0.7
    assert demo.products["name"].str.contains(CJK).all()
    assert demo.products["name"].str.contains(r"[A-Za-z]").all()
    text = demo.complaints["description"]
    assert 0.5 < text.str.contains(CJK).mean() < 0.95


def test_complaint_topics_are_findable_by_their_category_keywords(demo):
    keywords = {
        "delivery": r"快递|物流|配送|deliver|courier",
        "quality": r"质量|quality|defective",
        "billing": r"账单|发票|扣款|bill|invoice|charged",
        "service": r"客服|服务|service|support",
    }
    c = demo.complaints
    for category, pattern in keywords.items():
        own = c.loc[c["category"] == category, "description"]
        other = c.loc[c["category"] != category, "description"]
        assert own.str.contains(pattern, case=False).all(), category
        assert not other.str.contains(pattern, case=False).any(), category


# -- planted truth -------------------------------------------------------------------------------
def test_share_of_one_off_buyers_matches_the_bgnbd_parameters(demo, sale_orders):
    # P(no repeat by T) = (alpha / (alpha + T))^r per buyer; the count of one-off buyers is a sum
    # of independent Bernoullis, so its SE is sqrt(sum p (1 - p)) / n (about 0.7 points here).
    truth, bg = demo.customer_truth, demo.truth.params.bgnbd
    t = truth.loc[truth["buyer"], "T_days"].to_numpy()
    p = bg.p_no_repeat(t)
    orders_per_buyer = sale_orders.groupby("customer_id").size()
    observed = (orders_per_buyer == 1).mean()
    assert len(orders_per_buyer) == len(t)
    assert abs(observed - p.mean()) < 4 * math.sqrt((p * (1 - p)).sum()) / len(t)
    assert 0.35 < observed < 0.5  # many one-off buyers
    assert orders_per_buyer.max() >= 50  # and a few heavy ones


def test_buyers_quietly_stop_at_the_planted_dropout_rate(demo):
    # Among buyers with at least one repeat, the drop-out after the first repeat happens with
    # probability E[p] = a / (a + b) = 0.242; the truth records who dropped out.
    truth, bg = demo.customer_truth, demo.truth.params.bgnbd
    expected_mean_p = bg.a / (bg.a + bg.b)
    assert truth.loc[truth["buyer"], "p_dropout"].mean() == pytest.approx(expected_mean_p, abs=0.02)
    dropped = truth["buyer"] & ~truth["alive"]
    assert 0.2 < dropped.sum() / truth["buyer"].sum() < 0.5
    assert (truth.loc[dropped, "repeat_purchases"] >= 1).all()  # only after a repeat purchase


def test_mean_order_value_matches_the_gamma_gamma_parameters(demo, sale_orders):
    # Each customer's average order value has expectation p / nu, and over customers
    # E[p / nu] = p * gamma / (q - 1) = 300 yuan. SE from the sample standard deviation of the
    # customers' averages (heterogeneity plus order noise), about 4 yuan at 4,200 buyers.
    gg = demo.truth.params.gamma_gamma
    per_customer = sale_orders.groupby("customer_id")["value"].mean()
    se = per_customer.std() / math.sqrt(len(per_customer))
    assert abs(per_customer.mean() - gg.mean_order_value) < 4 * se
    assert demo.truth.implied["mean_order_value"] == pytest.approx(6.0 * 200.0 / 4.0)


def test_order_value_is_independent_of_purchase_frequency(demo, sale_orders):
    # Planted independence (the Gamma-Gamma assumption). Under independence the rank correlation
    # of order count and average value over n repeat buyers has SE about 1 / sqrt(n) (~0.025).
    per_customer = sale_orders.groupby("customer_id")["value"].agg(["size", "mean"])
    repeaters = per_customer[per_customer["size"] > 1]
    rho = repeaters["size"].corr(repeaters["mean"], method="spearman")
    assert abs(rho) < 4 / math.sqrt(len(repeaters))


def test_planted_product_pairs_have_the_highest_lift(demo):
    sales = demo.transactions[demo.transactions["kind"] == "sale"]
    baskets = sales.groupby("order_id")["product_id"].agg(frozenset)
    n = len(baskets)
    items = collections.Counter(p for basket in baskets for p in basket)
    pairs = collections.Counter(
        pair for basket in baskets for pair in itertools.combinations(sorted(basket), 2)
    )
    lift = {
        pair: count * n / (items[pair[0]] * items[pair[1]])
        for pair, count in pairs.items()
        if count >= 30
    }
    planted = demo.truth.params.basket.planted_pairs
    top = sorted(lift, key=lift.get, reverse=True)[: len(planted)]
    assert set(top) == {tuple(sorted((head, partner))) for head, partner, _ in planted}
    for head, partner, p_follow in planted:
        # the partner follows the head with probability p_follow, plus chance co-occurrence
        confidence = pairs[tuple(sorted((head, partner)))] / items[head]
        assert confidence > p_follow - 4 * math.sqrt(p_follow * (1 - p_follow) / items[head])
        assert lift[tuple(sorted((head, partner)))] > 5


def test_stage_conversion_rates_match_the_planted_funnel(demo):
    # Opportunities created over a year before the as-of date have all been decided (dwell times
    # are a few weeks) except the stuck ones; among those that left a stage, the share that
    # moved on estimates the planted conversion (binomial SE).
    opp = demo.opportunities
    old = opp[opp["created_at"] < END_OF_AS_OF - pd.Timedelta(days=365)]
    stages = demo.opportunity_stages[
        demo.opportunity_stages["opportunity_id"].isin(old["opportunity_id"])
    ]
    reached = stages.groupby("stage")["opportunity_id"].agg(set)
    last_stage = stages.sort_values("entered_at").groupby("opportunity_id")["stage"].last()
    lost = old.set_index("opportunity_id")["outcome"].eq("lost")
    conversion = demo.truth.params.funnel.conversion
    for i, rate in enumerate(conversion):
        here, nxt = FUNNEL_STAGES[i], FUNNEL_STAGES[i + 1]
        moved = len(reached[here] & reached.get(nxt, set()))
        lost_here = int((lost & last_stage.reindex(lost.index).eq(here)).sum())
        decided = moved + lost_here
        assert decided >= 40, here
        assert abs(moved / decided - rate) < 4 * math.sqrt(rate * (1 - rate) / decided), here


def test_opportunity_histories_follow_the_funnel_order(demo):
    opp = demo.opportunities.set_index("opportunity_id")
    stages = demo.opportunity_stages.copy()
    stages["rank"] = stages["stage"].map({s: i for i, s in enumerate(FUNNEL_STAGES)})
    for _, history in itertools.islice(stages.groupby("opportunity_id"), 500):
        assert list(history["rank"]) == list(range(len(history)))  # no skipped stage
        assert history["entered_at"].is_monotonic_increasing
    last = stages.groupby("opportunity_id").agg(stage=("stage", "last"), at=("entered_at", "max"))
    won = opp["outcome"] == "won"
    assert (last.loc[won[won].index, "stage"] == "won").all()
    assert (opp.loc[won, "closed_at"] == last.loc[won[won].index, "at"]).all()
    lost = opp["outcome"] == "lost"
    assert (opp.loc[lost, "closed_at"] >= last.loc[lost[lost].index, "at"]).all()
    assert opp.loc[lost, "lost_reason"].notna().all() and opp.loc[~lost, "lost_reason"].isna().all()
    assert opp.loc[opp["outcome"] == "open", "closed_at"].isna().all()
    stale = opp["outcome"].eq("open") & (
        last["at"].reindex(opp.index) < END_OF_AS_OF - pd.Timedelta(days=30)
    )
    assert stale.sum() >= 50  # stuck opportunities with no stage change for over 30 days


def test_satisfaction_falls_with_resolution_time(demo):
    # Planted: satisfaction = 5 - 0.9 ln(1 + resolution days) - 0.35 (severity - 1) + noise.
    c = demo.complaints[demo.complaints["satisfaction"].notna()]
    days = (c["resolved_at"] - c["opened_at"]).dt.total_seconds() / 86_400
    rho = days.corr(c["satisfaction"].astype(float), method="spearman")
    assert rho < -0.2


def test_lifetimes_recovers_the_planted_bgnbd_from_the_customer_facts(demo, ws):
    # End to end: demo rows -> warehouse -> crmlytics facts (day grain) -> lifetimes BG/NBD.
    # Each estimate within 4 of its standard errors of the planted value. Whole-day facts merge
    # same-day repeats and round T, a small bias well inside that tolerance at 5,000 customers.
    lifetimes = pytest.importorskip("lifetimes")
    from crmlytics.facts import facts

    ws.insert("transactions", demo.transactions)
    ws.insert("customers", demo.customers)
    f = facts(ws, DEFAULT_AS_OF)
    buyers = f[f["orders"] > 0]
    with np.errstate(all="ignore"):
        fitted = lifetimes.BetaGeoFitter().fit(
            buyers["purchase_days"] - 1,
            buyers["purchase_span_days"],
            buyers["days_since_first_purchase"],
        )
    bg = demo.truth.params.bgnbd
    summary = fitted.summary
    for name, planted in (("r", bg.r), ("alpha", bg.alpha_days), ("a", bg.a), ("b", bg.b)):
        estimate, se = summary.loc[name, "coef"], summary.loc[name, "se(coef)"]
        assert abs(estimate - planted) < 4 * se, (name, estimate, planted, se)


def test_complaints_foreshadow_dropping_out(demo):
    # Planted: the last order of a customer who then drops out draws a complaint 4 times as often
    # as any other order. Compare the two observed complaint rates on orders placed over 60 days
    # before the as-of date (so their complaints have been opened); the log of their ratio has
    # SE sqrt((1 - p1) / (n1 p1) + (1 - p0) / (n0 p0)) (delta method), allowed 4 times.
    sales = demo.transactions[demo.transactions["kind"] == "sale"]
    orders = sales.groupby("order_id").agg(
        customer_id=("customer_id", "first"), ts=("order_ts", "first")
    )
    truth = demo.customer_truth.set_index("customer_id")
    dropped = (truth["buyer"] & ~truth["alive"]).reindex(orders["customer_id"]).to_numpy()
    final = orders.groupby("customer_id")["ts"].transform("max").eq(orders["ts"]).to_numpy()
    complained = orders.index.isin(demo.complaints["order_id"])
    settled = (orders["ts"] < END_OF_AS_OF - pd.Timedelta(days=60)).to_numpy()
    group = settled & dropped & final
    other = settled & ~(dropped & final)
    p1, n1 = complained[group].mean(), group.sum()
    p0, n0 = complained[other].mean(), other.sum()
    se = math.sqrt((1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0))
    planted = demo.truth.params.complaints.final_order_factor
    assert abs(math.log(p1 / p0) - math.log(planted)) < 4 * se
