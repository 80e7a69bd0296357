"""Funnels: conversion and durations worked by hand, planted rates recovered, forecast backtest.

The crafted opportunities A-E are described in tests/funnel_data.py; every expected number
below is worked out from that description (as of 2024-01-31 unless a test says otherwise).
"""

from __future__ import annotations

import math
import re

import ibis
import numpy as np
import pandas as pd
import pytest
import yaml

from crmlytics.config import load_config
from crmlytics.errors import ConfigError
from crmlytics.funnel import (
    FunnelPreset,
    campaign_funnel,
    collisions,
    deals,
    dimension_segments,
    forecast,
    forecast_backtest,
    funnel,
    lost_reasons,
    stage_conversion,
    stage_durations,
    stale_deals,
    unknown_stages,
    wilson_interval,
    win_loss,
    win_probabilities,
    win_rates,
)
from tests.builders import sale
from tests.funnel_data import crafted, simulate, ts

AS_OF = "2024-01-31"


@pytest.fixture
def crafted_ws(ws):
    crafted(ws)
    return ws


def by_stage(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("stage")


def test_skipped_repeated_out_of_order_and_open_deals_give_hand_worked_counts(crafted_ws):
    f = by_stage(funnel(crafted_ws, "sales", AS_OF))
    # reached: A won (5), B proposal (2, open), C quote (3, lost there), D and E lead (0, open)
    assert f["entered"].tolist() == [5, 3, 3, 2, 1, 1]
    assert f.loc["lead", ["advanced", "lost", "open"]].tolist() == [3, 0, 2]
    # needs: A skipped it but passed it; B entered it twice; C entered it
    assert f.loc["needs", ["advanced", "lost", "open"]].tolist() == [3, 0, 0]
    assert f.loc["proposal", ["advanced", "lost", "open"]].tolist() == [2, 0, 1]
    assert f.loc["quote", ["advanced", "lost", "open"]].tolist() == [1, 1, 0]
    assert f.loc["quote", "conversion"] == 0.5
    assert f["cumulative_conversion"].tolist()[:5] == [1.0, 1.0, 1.0, 0.5, 0.5]
    assert pd.isna(f.loc["won", "advanced"]) and pd.isna(f.loc["won", "conversion"])


def test_time_in_stage_uses_first_entry_and_funnel_order(crafted_ws):
    f = by_stage(funnel(crafted_ws, "sales", AS_OF))
    # lead: A 3 days (to proposal, needs skipped), B 1, C 2 -> nearest rank median 2, p90 3
    assert f.loc["lead", ["days_in_stage_median", "days_in_stage_p90"]].tolist() == [2.0, 3.0]
    # needs: B from its first entry (3 Jan) to proposal (10 Jan) = 7; C from 5 Jan to quote
    # (7 Jan, which came before its proposal entry) = 2; A skipped needs: no duration
    assert f.loc["needs", ["days_in_stage_median", "days_in_stage_p90"]].tolist() == [2.0, 7.0]
    # proposal: A 4 -> 6 Jan = 2; C entered it (via quote) on 7 Jan and left the same day = 0
    assert f.loc["proposal", ["days_in_stage_median", "days_in_stage_p90"]].tolist() == [0.0, 2.0]
    # quote: A 6 -> 10 Jan = 4; C 7 Jan -> lost 12 Jan = 5
    assert f.loc["quote", ["days_in_stage_median", "days_in_stage_p90"]].tolist() == [4.0, 5.0]
    d = stage_durations(crafted_ws, "sales", AS_OF).to_pandas().set_index("stage")
    assert d.loc["negotiation", ["deals", "median"]].tolist() == [1, 10.0]


def test_deal_table_states_outcome_stage_and_effective_entries(crafted_ws):
    d = deals(crafted_ws, "sales", AS_OF).to_pandas().set_index("opportunity_id")
    assert d["outcome"].to_dict() == dict(A="won", B="open", C="lost", D="open", E="open")
    assert d["stage"].to_dict() == dict(A="won", B="proposal", C="quote", D="lead", E="lead")
    assert d.loc["C", "entered_proposal"] == ts("2024-01-07")  # out of order: quote came first
    assert d.loc["B", "entered_needs"] == ts("2024-01-03")  # the first of two entries
    assert d.loc["A", "entered_needs"] == ts("2024-01-04")  # skipped: passed with proposal
    assert d.loc["C", "closed_at"] == ts("2024-01-12")


def test_as_of_hides_later_stage_events(crafted_ws):
    later = deals(crafted_ws, "sales", "2024-02-15").to_pandas().set_index("opportunity_id")
    assert later.loc["E", "stage"] == "needs"
    early = deals(crafted_ws, "sales", "2024-01-05").to_pandas().set_index("opportunity_id")
    # as of 5 Jan: A was at proposal and open; C had reached needs
    assert early.loc["A", ["stage", "outcome"]].tolist() == ["proposal", "open"]
    assert early.loc["C", ["stage", "outcome"]].tolist() == ["needs", "open"]
    assert sorted(early.index) == ["A", "B", "C", "D", "E"]


def test_unknown_stage_names_are_reported_not_dropped(crafted_ws):
    u = unknown_stages(crafted_ws, "sales", AS_OF).to_pandas()
    assert u.to_dict("records") == [dict(stage_name="Vertrag", events=1, deals=1)]
    # the deal itself is still counted, at the stage it reached
    assert "D" in set(deals(crafted_ws, "sales", AS_OF).to_pandas()["opportunity_id"])


def test_win_rate_and_time_to_close_by_owner(crafted_ws):
    total = win_rates(crafted_ws, "sales", AS_OF).to_pandas().iloc[0]
    assert total[["deals", "won", "lost", "open"]].tolist() == [5, 1, 1, 3]
    assert total["win_rate"] == 0.5
    # closed: C in 9 days, A in 19: nearest-rank median 9, p90 19; won: A 19
    assert total[["days_to_close_median", "days_to_close_p90", "days_to_win_median"]].tolist() == [
        9.0,
        19.0,
        19.0,
    ]
    owners = win_rates(crafted_ws, "sales", AS_OF, by="owner").to_pandas().set_index("owner")
    assert owners.loc["amy", ["won", "lost", "open"]].tolist() == [1, 0, 1]
    assert owners.loc["bob", ["won", "lost", "open"]].tolist() == [0, 1, 1]


def test_funnel_by_dimension_and_cohort(crafted_ws):
    f = funnel(crafted_ws, "sales", AS_OF, by=["source", "cohort"])
    web = f[(f["source"] == "web") & (f["stage"] == "lead")].iloc[0]
    assert web[["entered", "advanced", "open"]].tolist() == [3, 2, 1]  # A, B advanced; E open
    assert set(f["cohort"].astype(str)) == {"2024-01-01"}


def _tables(ws) -> set[tuple[str, bool]]:
    sql = "SELECT table_name, temporary FROM duckdb_tables()"
    return set(ws.duckdb.execute(sql).fetchall())


def _tiered_buyers(ws) -> None:
    """Buyers c1..c5 of 1000, 400, 300, 200, 100 before AS_OF (value tiers gold c1, silver c2,
    bronze c3..c5), and a later purchase of c5 that AS_OF does not see."""
    spend = {"c1": 1000.0, "c2": 400.0, "c3": 300.0, "c4": 200.0, "c5": 100.0}
    lines = [sale(f"o{c}", c, "2023-12-01", amount) for c, amount in spend.items()]
    lines.append(sale("late", "c5", "2024-02-15", 5000.0))  # after AS_OF: not seen
    ws.insert("transactions", lines)


def test_funnel_and_win_loss_by_value_tier_as_of_the_same_date(crafted_ws):
    """Buyers c1..c5 spent 1000, 400, 300, 200, 100 before the as-of date. Five buyers: gold
    is the top floor(0.2 x 5) = 1 (c1), silver up to floor(0.5 x 5) = 2 (c2), bronze the rest
    (c3, c4, c5). Their deals: A (c1, won), B (c2, open past lead), C (c3, lost after lead),
    D and E (c4, c5, open at lead). A purchase after the as-of date changes no tier."""
    _tiered_buyers(crafted_ws)
    before = _tables(crafted_ws)

    f = funnel(crafted_ws, "sales", AS_OF, by="value_tier")
    lead = f[f["stage"] == "lead"].set_index("value_tier")
    assert lead.loc["gold", ["entered", "advanced", "lost", "open"]].tolist() == [1, 1, 0, 0]
    assert lead.loc["silver", ["entered", "advanced", "lost", "open"]].tolist() == [1, 1, 0, 0]
    assert lead.loc["bronze", ["entered", "advanced", "lost", "open"]].tolist() == [3, 1, 0, 2]
    assert _tables(crafted_ws) == before  # the facts stored for the segments are dropped

    inline = win_loss(crafted_ws, "sales", AS_OF, by="value_tier").to_pandas()
    with dimension_segments(crafted_ws, AS_OF, "value_tier") as segments:
        assert {t for t in _tables(crafted_ws) - before if t[1]}  # the facts, stored once
        shared = win_loss(crafted_ws, "sales", AS_OF, by="value_tier", segments=segments)
        shared = shared.to_pandas()
    for w in (inline, shared):
        w = w.set_index("value_tier")
        assert sorted(w.index) == ["bronze", "gold"]  # silver's only deal (B) is open
        assert w.loc["gold", ["won", "lost", "won_value"]].tolist() == [1, 0, 100.0]
        assert w.loc["bronze", ["won", "lost", "lost_value"]].tolist() == [0, 1, 300.0]
    assert _tables(crafted_ws) == before
    with dimension_segments(crafted_ws, AS_OF, ["owner", "source"]) as none:
        assert none is None  # no segmentation asked for: nothing computed


def test_every_funnel_expression_reads_the_segments_passed_in(crafted_ws):
    """Tiers as in the test above: gold c1 (deal A, won), silver c2 (B, open), bronze c3..c5
    (C lost, D and E open). Campaign m1 went to c1 (opened), c3 and c4 (opened) on 10 Jan:
    sent / opened per tier gold 1 / 1 and bronze 2 / 1. Each function gives these counts from
    the segments of ``dimension_segments`` and the same rows as when it computes them inline."""
    _tiered_buyers(crafted_ws)
    crafted_ws.insert(
        "campaign_touches",
        [dict(campaign_id="m1", customer_id=c, sent_at=ts("2024-01-10"),
              opened_at=ts(o) if o else None, cost=1.0)
         for c, o in [("c1", "2024-01-11"), ("c3", None), ("c4", "2024-01-12")]],
    )  # fmt: skip
    tier = "value_tier"
    with dimension_segments(crafted_ws, AS_OF, tier) as segments:
        made = {
            "rates": lambda **s: win_rates(crafted_ws, "sales", AS_OF, tier, **s),
            "stages": lambda **s: stage_conversion(crafted_ws, "sales", AS_OF, tier, **s),
            "durations": lambda **s: stage_durations(crafted_ws, "sales", AS_OF, tier, **s),
            "campaign": lambda **s: campaign_funnel(crafted_ws, AS_OF, tier, **s),
        }
        shared = {k: make(segments=segments).to_pandas() for k, make in made.items()}
        all_gold = segments.mutate(value_tier=ibis.literal("gold"))  # read, not recomputed
        for name, make in made.items():
            assert set(make(segments=all_gold).to_pandas()[tier]) == {"gold"}, name
    for name, make in made.items():  # inline, after the block
        keys = [tier, "stage_index"] if "stage_index" in shared[name] else [tier]
        inline = make().to_pandas().sort_values(keys, ignore_index=True)
        pd.testing.assert_frame_equal(shared[name].sort_values(keys, ignore_index=True), inline)
    rates = shared["rates"].set_index(tier)[["deals", "won", "lost", "open"]]
    assert rates.loc["gold"].tolist() == [1, 1, 0, 0]
    assert rates.loc["silver"].tolist() == [1, 0, 0, 1]
    assert rates.loc["bronze"].tolist() == [3, 0, 1, 2]
    stages = shared["stages"]
    lead = stages[stages["stage"] == "lead"].set_index(tier)
    assert lead.loc["bronze", ["entered", "advanced", "lost", "open"]].tolist() == [3, 1, 0, 2]
    campaign = shared["campaign"].set_index(tier)
    assert campaign.loc["gold", ["sent", "opened"]].tolist() == [1, 1]
    assert campaign.loc["bronze", ["sent", "opened"]].tolist() == [2, 1]
    assert len(shared["durations"]) > 0


def test_wilson_interval_matches_newcombe_1998():
    # Newcombe, Statistics in Medicine 17 (1998) 857-872, Table I, method 3 (score interval)
    for (k, n), (low, high) in {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }.items():
        got = wilson_interval(k, n)
        assert got == pytest.approx((low, high), abs=5e-5)


def test_funnel_interval_is_wilson_of_advanced_over_decided(crafted_ws):
    f = by_stage(funnel(crafted_ws, "sales", AS_OF))
    low, high = wilson_interval(1, 2)
    assert f.loc["quote", "conversion_low"] == pytest.approx(low)
    assert f.loc["quote", "conversion_high"] == pytest.approx(high)
    # by hand: centre 0.5, half = 1.96 * sqrt(0.125 + 1.96^2/16) / (1 + 1.96^2/2) = 0.4055
    assert low == pytest.approx(0.0945, abs=1e-4)


def test_pipeline_closed_and_lost_is_lost_at_follow_up(ws):
    ws.insert(
        "opportunities",
        [
            dict(opportunity_id=o, customer_id="c", created_at=ts("2024-03-01"),
                 outcome=out, closed_at=ts("2024-03-20"))
            for o, out in (("P1", "won"), ("P2", "lost"), ("P3", "open"))
        ],
    )  # fmt: skip
    path = (("entry", "03-01"), ("review", "03-05"), ("follow-up", "03-10"), ("closed", "03-20"))
    rows = [(o, s, d) for o in ("P1", "P2") for s, d in path]
    rows.append(("P3", "审核", "03-04"))
    ws.insert(
        "opportunity_stages",
        [dict(opportunity_id=o, stage=s, entered_at=ts(f"2024-{d}")) for o, s, d in rows],
    )
    f = by_stage(funnel(ws, "pipeline", "2024-03-31"))
    assert f.loc["follow_up", ["entered", "advanced", "lost", "open"]].tolist() == [2, 1, 1, 0]
    assert f.loc["review", ["entered", "advanced", "open"]].tolist() == [3, 2, 1]
    assert f.loc["closed", "entered"] == 1
    assert f.loc["follow_up", "days_in_stage_median"] == 10.0  # 10 Mar -> 20 Mar


def test_planted_stage_conversion_rates_are_recovered(ws):
    # planted: the demo's sales funnel rates. 4,000 simulated deals give ~2,400 decisions at
    # the first stage and ~440 at the last; each estimate must lie within 3 binomial standard
    # errors of the planted rate (a miss by chance has probability ~0.3% per stage).
    planted = (0.60, 0.70, 0.65, 0.75, 0.60)
    opp, stages = simulate(np.random.default_rng(11), 4000, planted)
    ws.insert("opportunities", opp)
    ws.insert("opportunity_stages", stages)
    f = funnel(ws, "sales", "2024-06-30")
    for i, p in enumerate(planted):
        row = f.iloc[i]
        n = row["advanced"] + row["lost"]
        assert row["open"] == 0 and n > 400
        assert abs(row["conversion"] - p) < 3 * math.sqrt(p * (1 - p) / n), (i, row["conversion"])
        assert (
            row["conversion_low"] < p < row["conversion_high"] or abs(row["conversion"] - p) < 0.05
        )


def test_forecast_backtest_on_data_where_the_answer_is_known(ws):
    # planted: P(win | at stage i) = product of the conversions from i on. Deals are decided
    # within days (1-day dwell) and the horizon is 60 days, so every deal open at the as-of date
    # is closed by the end of it (still_open 0). Win probabilities are learned from the ~3,000
    # deals closed by 1 July 2023; each must lie within 3 standard errors of the planted value,
    # and the expected wins within 3 standard deviations of the wins that happened (binomial
    # variance of the open deals plus the estimation error of the probabilities).
    planted = (0.60, 0.70, 0.65, 0.75, 0.60)
    truth = [math.prod(planted[i:]) for i in range(5)]
    opp, stages = simulate(np.random.default_rng(5), 6000, planted, dwell_days=1.0)
    ws.insert("opportunities", opp)
    ws.insert("opportunity_stages", stages)
    probs = win_probabilities(ws, "sales", "2023-07-01").to_pandas().sort_values("stage_index")
    for row, p in zip(probs.itertuples(), truth, strict=True):
        assert abs(row.win_probability - p) < 3 * math.sqrt(p * (1 - p) / row.closed)
    made = forecast(ws, "sales", "2023-07-01").to_pandas()
    assert len(made) >= 30
    bt = forecast_backtest(ws, "sales", "2023-07-01", horizon_days=60).to_pandas()
    assert bt["still_open"].sum() == 0
    assert bt["deals"].sum() == len(made)
    p_true = made["stage_index"].map(dict(enumerate(truth)))
    sd = math.sqrt((p_true * (1 - p_true)).sum() + (0.02 * len(made)) ** 2)
    assert abs(bt["expected_wins"].sum() - bt["actual_wins"].sum()) < 3 * sd
    assert bt["actual_won_value"].sum() == 1000.0 * bt["actual_wins"].sum()


def test_forecast_weights_open_deals_by_stage_win_probability(crafted_ws):
    # as of 31 Jan, closed: A won, C lost at quote. Win probability from lead, needs, proposal
    # and quote = 1/2 (both reached them); B (proposal, 200) weighs 100, D and E (lead) 200, 250
    f = forecast(crafted_ws, "sales", AS_OF).to_pandas().set_index("opportunity_id")
    assert f["win_probability"].to_dict() == dict(B=0.5, D=0.5, E=0.5)
    assert f["weighted_value"].to_dict() == dict(B=100.0, D=200.0, E=250.0)
    # expected close: entry into the stage + median days to close of won deals from it (A: 16
    # days from proposal, 19 from lead); both dates are past, so the day after the as-of date
    assert set(f["expected_close_date"].astype(str)) == {"2024-02-01"}


def test_backtest_counts_what_closed_within_the_horizon(crafted_ws):
    # forecast as of 3 Jan 12:00: no deal closed yet, so no probability (null expected wins);
    # B and C are open then, A too; by 13 Jan A is open, C lost (12 Jan), B open
    bt = forecast_backtest(crafted_ws, "sales", "2024-01-03", horizon_days=10).to_pandas()
    assert bt["deals"].sum() == 3
    assert bt["actual_losses"].sum() == 1 and bt["actual_wins"].sum() == 0
    assert bt["still_open"].sum() == 2


def test_stale_deals_need_no_stage_change_and_no_interaction(crafted_ws):
    crafted_ws.insert(
        "interactions",
        [dict(interaction_id="i1", customer_id="c2", ts=ts("2024-02-01"))],
    )
    s = stale_deals(crafted_ws, "sales", "2024-02-15").to_pandas().set_index("opportunity_id")
    # D: last move 6 Jan? no: 'Vertrag' is unknown but is an event: last move 6 Jan -> 40 days;
    # B: last move 10 Jan but its customer was called 1 Feb -> 14 days, not stale;
    # E: needs on 10 Feb -> 5 days, not stale
    assert sorted(s.index) == ["D"]
    assert s.loc["D", ["days_since_activity", "age_days", "owner"]].tolist() == [42, 42, "amy"]
    assert stale_deals(crafted_ws, "sales", "2024-02-15", stale_days=50).to_pandas().empty


def test_win_loss_by_competitor_and_lost_reasons(crafted_ws):
    w = win_loss(crafted_ws, "sales", AS_OF).to_pandas()
    apex = w[w["competitor"] == "Apex"].iloc[0]
    assert apex[["won", "lost", "win_rate", "lost_value"]].tolist() == [0, 1, 0.0, 300.0]
    none = w[w["competitor"].isna()].iloc[0]
    assert none[["won", "lost", "won_value"]].tolist() == [1, 0, 100.0]
    r = lost_reasons(crafted_ws, "sales", AS_OF).to_pandas()
    assert r.to_dict("records") == [
        dict(lost_reason="price", stage="quote", stage_index=3, lost=1, lost_value=300.0, share=1.0)
    ]


def test_collisions_pair_open_deals_of_one_customer_across_owners(ws):
    ws.insert(
        "customers",
        [
            dict(customer_id="c1", phone="138-1234-5678"),
            dict(customer_id="c2", phone="+86 138 1234 5678"),  # the same phone as c1
            dict(customer_id="c3", email=" Li.Na@Example.com"),
            dict(customer_id="c4", email="li.na@example.com"),  # the same email as c3
            dict(customer_id="c5", phone="139 0000 0000"),
        ],
    )
    opp = [("o1", "c1", "amy"), ("o2", "c2", "bob"), ("o3", "c3", "amy"), ("o4", "c4", "amy"),
           ("o5", "c5", "amy"), ("o6", "c5", "cat"), ("o7", "c4", "dan")]  # fmt: skip
    ws.insert(
        "opportunities",
        [dict(opportunity_id=o, customer_id=c, owner=w, created_at=ts("2024-01-02"),
              outcome="open") for o, c, w in opp]
        + [dict(opportunity_id="o8", customer_id="c1", owner="eve", created_at=ts("2024-01-02"),
                outcome="won", closed_at=ts("2024-01-09"))],
    )  # fmt: skip
    pairs = collisions(ws, "sales", AS_OF).to_pandas()
    got = {(r.opportunity_id, r.other_opportunity_id, r.matched_on) for r in pairs.itertuples()}
    # o3/o4 share an email but one owner (amy): not a collision; o8 is closed
    assert got == {
        ("o1", "o2", "phone"),
        ("o5", "o6", "customer"),
        ("o3", "o7", "email"),
        ("o4", "o7", "customer"),
    }


def test_campaign_funnel_counts_skipped_opens_and_cost_per_conversion(ws):
    rows = [
        # sent, opened, clicked, converted (days of June 2024), cost
        ("m1", "a", "01", "01", "02", "03", 0.5),
        ("m1", "b", "01", None, "02", None, 0.5),  # clicked without a recorded open
        ("m1", "c", "01", "02", None, None, 0.5),
        ("m1", "d", "01", None, None, None, 0.5),
        ("m2", "a", "10", "11", "11", "28", 1.0),  # converts after the as-of date
    ]
    ws.insert(
        "campaign_touches",
        [dict(campaign_id=m, customer_id=c, sent_at=ts(f"2024-06-{s}"),
              opened_at=ts(f"2024-06-{o}") if o else None,
              clicked_at=ts(f"2024-06-{k}") if k else None,
              converted_at=ts(f"2024-06-{v}") if v else None, cost=cost)
         for m, c, s, o, k, v, cost in rows],
    )  # fmt: skip
    out = campaign_funnel(ws, "2024-06-20").to_pandas().set_index("campaign_id")
    assert out.loc["m1", ["sent", "opened", "clicked", "converted"]].tolist() == [4, 3, 2, 1]
    assert out.loc["m1", "cost_per_conversion"] == 2.0
    assert out.loc["m1", "click_rate"] == pytest.approx(2 / 3)
    assert out.loc["m2", ["converted"]].tolist() == [0] and pd.isna(
        out.loc["m2", "cost_per_conversion"]
    )
    # funnel view: a touch not opened within 30 days counts as lost; m1-d sent 1 June, as of
    # 10 July it is lost at sent; as of 20 June it is still open
    f = by_stage(funnel(ws, "campaign", "2024-06-20"))
    assert f.loc["sent", ["entered", "advanced", "lost", "open"]].tolist() == [5, 4, 0, 1]
    g = by_stage(funnel(ws, "campaign", "2024-07-10"))
    assert g.loc["sent", ["lost", "open"]].tolist() == [1, 0]


def test_funnel_section_of_the_config_file(tmp_path):
    path = tmp_path / "crmlytics.yaml"
    path.write_text(
        yaml.safe_dump(
            {"funnel": {"stale_days": 45, "presets": {"short": {"stages": ["a", "b", "c"]}}}}
        )
    )
    conf = load_config(path)
    assert conf.funnel.stale_days == 45
    assert conf.funnel.preset("short").stages == ("a", "b", "c")
    assert conf.funnel.preset("sales").stages[-1] == "won"  # built-in presets stay
    path.write_text(yaml.safe_dump({"funnel": {"stale_day": 45}}))
    with pytest.raises(ConfigError, match="stale_day"):
        load_config(path)
    with pytest.raises(ValueError, match="lost_stage"):
        FunnelPreset(stages=("a", "lost"))
    with pytest.raises(ConfigError, match="unknown funnel preset 'nope'"):
        conf.funnel.preset("nope")


def test_unknown_dimension_is_a_config_error(crafted_ws):
    with pytest.raises(ConfigError, match="unknown funnel dimension colour"):
        funnel(crafted_ws, "sales", AS_OF, by="colour")


def test_charts_draw_the_numbers_of_the_tables(crafted_ws):
    from crmlytics.funnel import duration_box_chart, funnel_chart, win_rate_chart

    fig = funnel_chart(funnel(crafted_ws, "sales", AS_OF), locale="zh")
    assert list(fig.data[0].x) == [5, 3, 3, 2, 1, 1]
    assert list(fig.data[0].y)[:2] == ["获取机会", "了解需求"]
    assert fig.layout.title.text == "销售漏斗"
    boxes = duration_box_chart(stage_durations(crafted_ws, "sales", AS_OF).to_pandas())
    quote = next(b for b in boxes.data if b.name == "Quote")
    assert (quote.median[0], quote.lowerfence[0], quote.upperfence[0]) == (4.0, 4.0, 5.0)
    rates = win_rates(crafted_ws, "sales", AS_OF, by="owner").to_pandas()
    bars = win_rate_chart(rates, "owner")
    amy = list(bars.data[0].x).index("amy")
    low, high = wilson_interval(1, 1)
    assert bars.data[0].error_y.arrayminus[amy] == pytest.approx(1.0 - low)
    assert bars.data[0].error_y.array[amy] == pytest.approx(high - 1.0, abs=1e-12)


def test_funnel_command_prints_the_stage_table_and_warns_of_unknown_stages(crafted_ws, tmp_path):
    from typer.testing import CliRunner

    from crmlytics.cli import app
    from crmlytics.workspace import Workspace
    from tests.builders import sale

    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as ws:
        crafted(ws)
        ws.insert("transactions", [sale("o1", "c1", "2024-01-30", 10.0)])
    out = tmp_path / "funnel.csv"
    result = CliRunner().invoke(
        app, ["funnel", "--db", str(db), "--as-of", AS_OF, "--by", "owner", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Vertrag" in result.output
    frame = pd.read_csv(out)
    bob = frame[(frame["owner"] == "bob") & (frame["stage"] == "quote")].iloc[0]
    assert bob[["entered", "advanced", "lost", "open"]].tolist() == [1, 0, 1, 0]
    stale = CliRunner().invoke(
        app, ["pipeline", "stale", "--db", str(db), "--as-of", "2024-01-31", "--stale-days", "20"]
    )
    assert stale.exit_code == 0, stale.output
    assert re.search(r"^\s*D\s", stale.output, re.MULTILINE), stale.output


def test_opportunity_views_refuse_the_campaign_funnel(crafted_ws):
    with pytest.raises(ConfigError, match="the forecast needs an opportunity funnel"):
        forecast(crafted_ws, "campaign", AS_OF)
    with pytest.raises(ConfigError, match="stale deals needs an opportunity funnel"):
        stale_deals(crafted_ws, "campaign", AS_OF)
