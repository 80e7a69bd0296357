"""Complaints: step durations, SLA, data-quality findings, backlog and rates worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlytics.complaints import (
    ComplaintsConfig,
    backlog,
    complaint_steps,
    complaint_volume,
    flag_months,
    handling_times,
    quality_findings,
    unfollowed,
)
from crmlytics.complaints.customers import (
    open_complaints_by_tier,
    repeat_complainers,
    satisfaction_by_resolution,
)
from crmlytics.errors import ConfigError

ts = pd.Timestamp
NaT = pd.NaT


def crafted_complaints() -> list[dict]:
    """Five complaints, as of 2024-03-10:

    - K1 (sev 1, delivery): opened 03-01 08:00, handled 10:00 (2 h), resolved 03-02 08:00
      (22 h handling, 24 h end to end), followed up 03-04 08:00 (48 h). SLA met.
    - K2 (sev 3, delivery): opened 03-01 00:00, handled 03-02 06:00 (30 h: misses 24 h),
      resolved 03-03 06:00 (24 h handling, 54 h end to end), never followed up.
    - K3 (sev 2, quality): opened 03-05 12:00, still open as of 03-10 (no step): waited more
      than 24 h, so the SLA is breached; backlog age 5 days. Its handling on 03-12 is after
      the as-of, not yet seen.
    - K4 (sev 1, quality): resolved 03-03 but never handled: missing step "handled".
    - K5 (sev 2, billing): handled 03-06 09:00 before it was opened 03-06 10:00: out of order.
    """
    return [
        dict(
            complaint_id="K1",
            customer_id="c1",
            opened_at=ts("2024-03-01 08:00"),
            category="delivery",
            severity=1,
            channel="phone",
            handled_at=ts("2024-03-01 10:00"),
            resolved_at=ts("2024-03-02 08:00"),
            followed_up_at=ts("2024-03-04 08:00"),
            satisfaction=4,
        ),
        dict(
            complaint_id="K2",
            customer_id="c2",
            opened_at=ts("2024-03-01 00:00"),
            category="delivery",
            severity=3,
            channel="web",
            handled_at=ts("2024-03-02 06:00"),
            resolved_at=ts("2024-03-03 06:00"),
        ),
        dict(
            complaint_id="K3",
            customer_id="c1",
            opened_at=ts("2024-03-05 12:00"),
            category="quality",
            severity=2,
            channel="phone",
            handled_at=ts("2024-03-12 09:00"),
        ),
        dict(
            complaint_id="K4",
            customer_id="c3",
            opened_at=ts("2024-03-02 09:00"),
            category="quality",
            severity=1,
            channel="web",
            resolved_at=ts("2024-03-03 09:00"),
        ),
        dict(
            complaint_id="K5",
            customer_id="c3",
            opened_at=ts("2024-03-06 10:00"),
            category="billing",
            severity=2,
            channel="web",
            handled_at=ts("2024-03-06 09:00"),
        ),
    ]


@pytest.fixture
def cws(ws):
    ws.insert("complaints", crafted_complaints())
    return ws


def _steps(ws, as_of="2024-03-10", config=None) -> pd.DataFrame:
    frame = complaint_steps(ws, as_of, config).to_pandas()
    return frame.set_index("complaint_id").sort_index()


def test_step_durations_in_hours_worked_by_hand(cws):
    s = _steps(cws)
    assert s.loc[
        "K1", ["first_response_hours", "handling_hours", "resolution_hours", "follow_up_hours"]
    ].tolist() == [2.0, 22.0, 24.0, 48.0]
    assert s.loc["K2", ["first_response_hours", "handling_hours", "resolution_hours"]].tolist() == [
        30.0,
        24.0,
        54.0,
    ]
    assert pd.isna(s.loc["K2", "follow_up_hours"])
    assert s["state"].to_dict() == {
        "K1": "closed",
        "K2": "resolved",
        "K3": "open",
        "K4": "resolved",
        "K5": "in_progress",
    }


def test_a_step_after_the_as_of_is_not_yet_seen(cws):
    s = _steps(cws, "2024-03-10")
    assert pd.isna(s.loc["K3", "handled_at"]) and s.loc["K3", "age_days"] == 5
    later = _steps(cws, "2024-03-12")
    assert later.loc["K3", "state"] == "in_progress"
    # handled 03-12 09:00, opened 03-05 12:00: 6 days 21 h = 165 h
    assert later.loc["K3", "first_response_hours"] == 165.0
    # as of 03-01 only K1 (08:00) and K2 (00:00) are open, with nothing handled yet
    early = _steps(cws, "2024-03-01")
    assert sorted(early.index) == ["K1", "K2"]
    # the whole day 03-01 is visible: K1 was handled at 10:00 and resolved only on 03-02
    assert early["state"].to_dict() == {"K1": "in_progress", "K2": "open"}


def test_missing_and_out_of_order_steps_are_findings_not_averaged(cws):
    s = _steps(cws)
    assert s.loc["K4", "missing_step"] == "handled"
    assert s.loc["K5", "out_of_order_step"] == "handled"
    for k in ("K4", "K5"):
        assert s.loc[k, ["first_response_hours", "resolution_hours"]].isna().all()
        assert pd.isna(s.loc[k, "sla_met"])
    found = quality_findings(cws, "2024-03-10").to_pandas().sort_values("complaint_id")
    assert found[["complaint_id", "finding", "step"]].values.tolist() == [
        ["K4", "missing_step", "handled"],
        ["K5", "out_of_order", "handled"],
    ]


def test_sla_first_response_within_24_hours_by_hand(cws):
    s = _steps(cws)
    # K1 2 h: met; K2 30 h: breached; K3 unhandled for 4.5 days: breached
    verdicts = {k: (None if pd.isna(v) else bool(v)) for k, v in s["sla_met"].items()}
    assert verdicts == {"K1": True, "K2": False, "K3": False, "K4": None, "K5": None}
    total = handling_times(cws, "2024-03-10", by=None).to_pandas().iloc[0]
    assert total["complaints"] == 5 and total["quality_findings"] == 2
    assert (total["sla_met"], total["sla_breached"]) == (1, 2)
    assert total["sla_met_share"] == pytest.approx(1 / 3)
    # first responses 2 and 30 h: nearest-rank median = rank ceil(0.5*2)=1 -> 2 h, p90 -> 30 h
    assert (total["first_response_median_hours"], total["first_response_p90_hours"]) == (2.0, 30.0)
    # a severity-3 target of 36 h makes K2 (30 h) meet it
    conf = ComplaintsConfig(first_response_hours_by_severity={3: 36})
    again = handling_times(cws, "2024-03-10", by="severity", config=conf).to_pandas()
    sev3 = again.set_index("severity").loc[3]
    assert (sev3["sla_met"], sev3["sla_breached"]) == (1, 0)


def test_a_complaint_still_within_its_target_has_no_verdict(cws):
    # as of 03-05 13:00 K3 (opened 12:00) has waited 1 h of its 24
    s = _steps(cws, "2024-03-05T13:00")
    assert pd.isna(s.loc["K3", "sla_met"])


def test_backlog_age_buckets_and_unfollowed(cws):
    b = backlog(cws, "2024-03-10").to_pandas()
    # open (not resolved) as of 03-10: K3 (5 days) and K5 (4 days): both in bucket 3-6d
    assert b[["age_bucket", "complaints", "oldest_days"]].values.tolist() == [["3-6d", 2, 5]]
    u = unfollowed(cws, "2024-03-10").to_pandas().sort_values("complaint_id")
    # K2 resolved 03-03 (7 days), K4 resolved 03-03: both due (7 days); K1 was followed up
    assert u[["complaint_id", "days_since_resolved"]].values.tolist() == [["K2", 7], ["K4", 7]]


def test_rates_per_1000_orders_by_hand(cws):
    # 4 orders by 3 customers; product p1 in orders o1, o2; p2 in o3, o4; one return line
    lines = [
        dict(
            order_id="o1",
            line_no=1,
            kind="sale",
            customer_id="c1",
            order_ts=ts("2024-02-01"),
            product_id="p1",
            amount=10.0,
        ),
        dict(
            order_id="o2",
            line_no=1,
            kind="sale",
            customer_id="c2",
            order_ts=ts("2024-02-02"),
            product_id="p1",
            amount=10.0,
        ),
        dict(
            order_id="o3",
            line_no=1,
            kind="sale",
            customer_id="c3",
            order_ts=ts("2024-02-03"),
            product_id="p2",
            amount=10.0,
        ),
        dict(
            order_id="o4",
            line_no=1,
            kind="sale",
            customer_id="c3",
            order_ts=ts("2024-03-03"),
            product_id="p2",
            amount=10.0,
        ),
        dict(
            order_id="o4",
            line_no=1,
            kind="return",
            customer_id="c3",
            order_ts=ts("2024-03-04"),
            product_id="p2",
            amount=-10.0,
        ),
    ]
    cws.insert("transactions", lines)
    v = complaint_volume(cws, "2024-03-10", by="category").to_pandas().set_index("category")
    # delivery: 2 complaints / 4 orders = 500 per 1,000; / 3 active customers = 666.67
    assert v.loc["delivery", "complaints_per_1000_orders"] == 500.0
    assert v.loc["delivery", "complaints_per_1000_active_customers"] == pytest.approx(2000 / 3)
    m = complaint_volume(cws, "2024-03-10", by="month").to_pandas().set_index("month")
    # March: 5 complaints, 1 order (o4) by 1 customer: 5,000 per 1,000
    assert m.iloc[0]["complaints_per_1000_orders"] == 5000.0
    with pytest.raises(ConfigError):
        complaint_volume(cws, "2024-03-10", by="colour")


def test_a_month_well_above_the_usual_level_is_flagged():
    monthly = pd.DataFrame({"complaints": [100, 104, 96, 101, 99, 180, 102]})
    flagged = flag_months(monthly, 3.0)
    # median 101, MAD 2 -> 2.97, floor sqrt(101) = 10.05; 180 > 101 + 30.15 only
    assert flagged["flagged"].tolist() == [False] * 5 + [True, False]


def test_repeat_complainers_gold_tier_first(cws):
    # c3 spends 500 (gold: top 20% of 3 buyers = 1), c1 100, c2 50; c1 and c3 complain twice
    cws.insert(
        "transactions",
        [
            dict(
                order_id=f"o{c}",
                line_no=1,
                kind="sale",
                customer_id=c,
                order_ts=ts("2024-02-01"),
                amount=a,
            )
            for c, a in (("c1", 100.0), ("c2", 50.0), ("c3", 500.0))
        ],
    )
    r = repeat_complainers(cws, "2024-03-10").to_pandas()
    assert r["customer_id"].tolist() == ["c3", "c1"]
    # 3 buyers: gold = floor(0.2 * 3) -> at least 1 (c3), silver up to floor(0.5 * 3) = 1: none
    assert r["value_tier"].tolist() == ["gold", "bronze"]
    c1 = r.set_index("customer_id").loc["c1"]
    # K1 (closed, satisfaction 4) and K3 (open)
    assert (c1["complaints"], c1["open_complaints"], c1["mean_satisfaction"]) == (2, 1, 4.0)
    o = open_complaints_by_tier(cws, "2024-03-10").to_pandas()
    # unresolved: K5 (c3, gold) before K3 (c1)
    assert o["complaint_id"].tolist() == ["K5", "K3"]


def test_satisfaction_against_resolution_time(cws):
    s = satisfaction_by_resolution(cws, "2024-03-10", bands_hours=(24, 48)).to_pandas()
    s = s.sort_values("band_index")
    # K1 resolved in 24 h (band 24-48h, satisfaction 4), K2 in 54 h (>=48h, not rated)
    assert s[["resolution_band", "complaints", "rated"]].values.tolist() == [
        ["24-48h", 1, 1],
        [">=48h", 1, 0],
    ]
    assert s["mean_satisfaction"].iloc[0] == 4.0


def test_complaints_section_of_the_config_file(tmp_path):
    import yaml

    from crmlytics.config import load_config

    path = tmp_path / "crmlytics.yaml"
    path.write_text(yaml.safe_dump({"complaints": {"first_response_hours_by_severity": {3: 4}}}))
    conf = load_config(path)
    assert [conf.complaints.target_hours(s) for s in (1, 2, 3)] == [24.0, 24.0, 4.0]
    path.write_text(yaml.safe_dump({"complaints": {"first_response_hour": 12}}))
    with pytest.raises(ConfigError, match="first_response_hour"):
        load_config(path)
    with pytest.raises(ValueError, match="severity 4"):
        ComplaintsConfig(first_response_hours_by_severity={4: 1})
    with pytest.raises(ValueError, match="increasing"):
        ComplaintsConfig(age_buckets_days=(7, 3))


def test_sla_command_writes_one_row_per_category_in_chinese(tmp_path):
    from typer.testing import CliRunner

    from crmlytics.cli import app
    from crmlytics.workspace import Workspace

    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as w:
        w.insert("complaints", crafted_complaints())
    out = tmp_path / "sla.csv"
    result = CliRunner().invoke(
        app,
        [
            "complaints",
            "sla",
            "--db",
            str(db),
            "--as-of",
            "2024-03-10",
            "--out",
            str(out),
            "--locale",
            "zh",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out).set_index("类别")
    # delivery: K1 met (2 h), K2 breached (30 h)
    assert frame.loc["物流配送", "SLA 达标率"] == 0.5
    assert frame.loc["物流配送", "投诉次数"] == 2
    bad = CliRunner().invoke(
        app, ["complaints", "sla", "--db", str(db), "--as-of", "2024-03-10", "--by", "colour"]
    )
    assert bad.exit_code == 2 and "colour" in bad.output


def test_charts_draw_the_numbers_of_the_tables(cws):
    from crmlytics.complaints import (
        category_month_heatmap,
        satisfaction_chart,
        step_duration_box,
    )

    steps = complaint_steps(cws, "2024-03-10").to_pandas()
    heat = category_month_heatmap(steps, locale="zh")
    # March 2024: billing 1, delivery 2, quality 2
    assert list(heat.data[0].y) == ["账单收费", "物流配送", "产品质量"]
    assert heat.data[0].z.ravel().tolist() == [1, 2, 2]
    boxes = step_duration_box(steps)
    first = next(b for b in boxes.data if b.name == "Handled")
    assert sorted(first.y) == [2.0, 30.0]
    bands = satisfaction_by_resolution(cws, "2024-03-10", bands_hours=(24, 48)).to_pandas()
    bars = satisfaction_chart(bands, locale="zh")
    assert list(bars.data[0].x) == ["24-48h", ">=48h"] and bars.data[0].y[0] == 4.0


def test_building_complaint_expressions_runs_no_query(cws, monkeypatch):
    from crmlytics.complaints.impact import impact_panel
    from crmlytics.schema import CANONICAL
    from tests.test_no_hidden_work import _NoQueries

    tables = {name: cws.table(name) for name in CANONICAL}
    monkeypatch.setattr(cws, "table", tables.__getitem__)
    real = cws.backend.con
    monkeypatch.setattr(cws.backend, "con", _NoQueries())
    built = [
        complaint_steps(cws, "2024-03-10"),
        handling_times(cws, "2024-03-10", "channel"),
        backlog(cws, "2024-03-10", "severity"),
        complaint_volume(cws, "2024-03-10", "product_id", 30),
        repeat_complainers(cws, "2024-03-10"),
        impact_panel(cws, "2024-03-10", 30),
    ]
    monkeypatch.setattr(cws.backend, "con", real)
    # as of 03-10: 5 steps rows; channels phone and web
    assert [len(e.to_pandas()) for e in built[:2]] == [5, 2]


def test_contacts_by_channel_and_gold_customers_due_a_revisit(cws):
    from crmlytics.complaints import contact_volume, revisit_due

    cws.insert(
        "transactions",
        [
            dict(
                order_id=f"o{c}",
                line_no=1,
                kind="sale",
                customer_id=c,
                order_ts=ts("2024-01-01"),
                amount=a,
            )
            for c, a in (
                ("g1", 900.0),
                ("g2", 800.0),
                ("s1", 10.0),
                ("s2", 9.0),
                ("s3", 8.0),
                ("s4", 7.0),
                ("s5", 6.0),
                ("s6", 5.0),
                ("s7", 4.0),
                ("s8", 3.0),
            )
        ],
    )
    cws.insert(
        "interactions",
        [
            dict(
                interaction_id="i1",
                customer_id="g1",
                ts=ts("2024-03-01"),
                channel="phone",
                kind="care",
            ),
            dict(
                interaction_id="i2",
                customer_id="g1",
                ts=ts("2024-01-15"),
                channel="phone",
                kind="care",
            ),
            dict(
                interaction_id="i3",
                customer_id="s1",
                ts=ts("2024-03-02"),
                channel="visit",
                kind="visit",
            ),
            dict(
                interaction_id="i4",
                customer_id="g2",
                ts=ts("2024-03-20"),
                channel="phone",
                kind="care",
            ),
        ],
    )
    v = contact_volume(cws, "2024-03-10").to_pandas().set_index(["channel", "kind"])
    # i4 is after the as-of; phone/care: 2 contacts by g1
    assert v.loc[("phone", "care"), ["contacts", "customers"]].tolist() == [2, 1]
    # 10 buyers: gold = 2 (g1, g2). g1 contacted 9 days ago, g2 not yet (03-20 is later)
    due = revisit_due(cws, "2024-03-10", days=7).to_pandas()
    assert due["customer_id"].tolist() == ["g2", "g1"]
    assert pd.isna(due["days_since_last_contact"].iloc[0])
    assert due["days_since_last_contact"].iloc[1] == 9
    assert revisit_due(cws, "2024-03-10", days=10).to_pandas()["customer_id"].tolist() == ["g2"]
