"""Care and follow-up lists from crafted histories: valuable customers not contacted, purchase
cycles overdue, complaints never followed up, birthdays (29 February, December into January).

Every expected row is worked out by hand in the comments next to the data.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics.care import (
    birthdays,
    care_list,
    complaint_follow_up,
    cycle_overdue,
    export_care_list,
    valuable_no_contact,
)
from crmlytics.cli import app
from crmlytics.config import Config
from crmlytics.errors import ConfigError
from crmlytics.workspace import Workspace

T = pd.Timestamp


def sale(order_id, customer, ts, amount):
    return dict(order_id=order_id, customer_id=customer, order_ts=T(ts), amount=amount)


# -- valuable customers not contacted -----------------------------------------------------------
@pytest.fixture
def valued(ws):
    """15 buyers, c01 (1500) .. c15 (100), one order each: gold = the top floor(15 x 0.2) = 3
    (c01, c02, c03), silver the next floor(15 x 0.5) - 3 = 4 (c04 .. c07). As of 30 Jun 2024."""
    ids = [f"c{i:02d}" for i in range(1, 16)]
    ws.insert(
        "transactions",
        [sale(f"o{i}", c, "2024-01-10 10:00", (16 - i) * 100.0) for i, c in enumerate(ids, 1)],
    )
    ws.insert("customers", [dict(customer_id=c, do_not_contact=(c == "c03")) for c in ids])
    ws.insert(
        "interactions",
        [
            dict(interaction_id="x1", customer_id="c01", ts=T("2024-04-01 10:00")),  # 90 days
            dict(interaction_id="x2", customer_id="c01", ts=T("2024-07-05 10:00")),  # future
            dict(interaction_id="x3", customer_id="c02", ts=T("2023-12-01 10:00")),
            dict(interaction_id="x4", customer_id="c02", ts=T("2024-04-02 10:00")),  # 89 days
            # c03 (gold) never contacted; c04 (silver) never contacted either
        ],
    )
    return ws


def test_valuable_customers_not_contacted_for_n_days_or_never(valued):
    got = valuable_no_contact(valued, "2024-06-30").to_pandas().sort_values("customer_id")
    # c01: last visible contact 1 Apr, 90 days >= 90; c02: 89 days; c03: never; c04 not gold
    assert got["customer_id"].tolist() == ["c01", "c03"]
    assert got["value_tier"].tolist() == ["gold", "gold"]
    assert got["days_since_last_contact"].iloc[0] == 90
    assert got["last_contact_at"].iloc[0] == T("2024-04-01 10:00")
    assert pd.isna(got["last_contact_at"].iloc[1])


def test_valuable_tiers_and_days_come_from_the_care_settings(valued):
    conf = Config.model_validate({"care": {"no_contact_days": 89, "valuable_tiers": ["silver"]}})
    got = valuable_no_contact(valued, "2024-06-30", conf).to_pandas()
    assert sorted(got["customer_id"]) == ["c04", "c05", "c06", "c07"]  # silver, never contacted
    conf = Config.model_validate({"care": {"no_contact_days": 89}})
    got = valuable_no_contact(valued, "2024-06-30", conf).to_pandas()
    assert sorted(got["customer_id"]) == ["c01", "c02", "c03"]  # 89 days is now enough


def test_care_and_the_complaint_revisit_list_share_one_rule_and_one_value_window(ws):
    """``old`` spent 5000 in January 2023; r1..r5 300, 200, 100, 50, 40 in June 2024. With
    ``segments.value.window_days: 90`` as of 30 June 2024 the buyers in the window are r1..r5:
    gold is the top floor(5 x 0.2) = 1, r1 (over all history it would be ``old``). r1's last
    contact is 1 May: 60 days."""
    spend = {"r1": 300.0, "r2": 200.0, "r3": 100.0, "r4": 50.0, "r5": 40.0}
    ws.insert(
        "transactions",
        [sale("o0", "old", "2023-01-10 10:00", 5000.0)]
        + [sale(f"o{c}", c, "2024-06-01 10:00", a) for c, a in spend.items()],
    )
    ws.insert(
        "interactions", [dict(interaction_id="i1", customer_id="r1", ts=T("2024-05-01 09:00"))]
    )
    from crmlytics.complaints import revisit_due

    conf = Config.model_validate(
        {"segments": {"value": {"window_days": 90}}, "care": {"no_contact_days": 30}}
    )
    care = valuable_no_contact(ws, "2024-06-30", conf).to_pandas()
    revisit = revisit_due(ws, "2024-06-30", days=30, config=conf).to_pandas()
    for got in (care, revisit):
        assert got["customer_id"].tolist() == ["r1"]
        assert got["days_since_last_contact"].tolist() == [60]
    # without a value window both see all history: gold is old, never contacted
    assert revisit_due(ws, "2024-06-30", days=30).to_pandas()["customer_id"].tolist() == ["old"]
    assert valuable_no_contact(ws, "2024-06-30").to_pandas()["customer_id"].tolist() == ["old"]


def test_a_care_list_leaves_opted_out_customers_out_and_counts_them(valued, tmp_path):
    listed = care_list(valued, "valuable-no-contact", "2024-06-30")
    assert listed.frame["customer_id"].tolist() == ["c01"]  # c03 opted out
    assert (listed.matched, listed.opted_out) == (2, 1)
    result = export_care_list(
        valued, "valuable_no_contact", "2024-06-30", out=tmp_path / "care.csv"
    )
    assert (result.rows, result.excluded_opted_out) == (1, 1)
    frame = pd.read_csv(tmp_path / "care.csv", encoding="utf-8-sig")
    assert frame["list_name"].tolist() == ["valuable-no-contact"]
    assert frame["days_since_last_contact"].tolist() == [90]
    kept = export_care_list(
        valued,
        "valuable-no-contact",
        "2024-06-30",
        out=tmp_path / "all.csv",
        include_opted_out=True,
    )
    assert (kept.rows, kept.excluded_opted_out) == (2, 0)


def test_an_unknown_care_list_is_a_config_error(valued):
    with pytest.raises(ConfigError, match="unknown care list 'vip'"):
        care_list(valued, "vip", "2024-06-30")


# -- purchase cycle overdue ---------------------------------------------------------------------
def test_customers_past_their_own_purchase_cycle(ws):
    ws.insert(
        "transactions",
        [
            # x: every 10 days, last 21 Jan; as of 5 Feb 15 days = 1.5 x 10: listed
            sale("x1", "x", "2024-01-01 10:00", 10.0),
            sale("x2", "x", "2024-01-11 10:00", 10.0),
            sale("x3", "x", "2024-01-21 10:00", 10.0),
            # y: every 10 days, last 25 Jan: 11 days = 1.1 x: not yet
            sale("y1", "y", "2024-01-05 10:00", 10.0),
            sale("y2", "y", "2024-01-15 10:00", 10.0),
            sale("y3", "y", "2024-01-25 10:00", 10.0),
            # z: two purchase days only: no cycle to speak of
            sale("z1", "z", "2024-01-01 10:00", 10.0),
            sale("z2", "z", "2024-01-03 10:00", 10.0),
            # v: gaps 1, 1, 13 (mean 5), last 16 Jan: 20 days = 4 x: listed
            sale("v1", "v", "2024-01-01 10:00", 10.0),
            sale("v2", "v", "2024-01-02 10:00", 10.0),
            sale("v3", "v", "2024-01-03 10:00", 10.0),
            sale("v4", "v", "2024-01-16 10:00", 10.0),
            # w: a regular buyer who stopped two years ago: lost (> 365 days), not a reminder
            sale("w1", "w", "2022-01-01 10:00", 10.0),
            sale("w2", "w", "2022-01-11 10:00", 10.0),
            sale("w3", "w", "2022-01-21 10:00", 10.0),
        ],
    )
    got = cycle_overdue(ws, "2024-02-05").to_pandas().sort_values("customer_id")
    assert got.values.tolist() == [["v", 4, 5.0, 20, 4.0], ["x", 3, 10.0, 15, 1.5]]
    assert got.columns.tolist() == [
        "customer_id",
        "purchase_days",
        "mean_gap_days",
        "days_since_last_purchase",
        "overdue_ratio",
    ]


# -- complaints never followed up ---------------------------------------------------------------
def test_the_cycle_list_reads_the_order_history_once(ws):
    """Every column of the list comes from one per-customer purchase aggregate: the compiled
    query reads only the transactions, and no part of it twice (it built the customer facts,
    with products, complaints and interactions, and the gaps from a shared history)."""
    import re

    import ibis

    sql = str(ibis.to_sql(cycle_overdue(ws, "2024-02-05"), dialect="duckdb"))
    assert re.findall(r'FROM "(\w+)" AS', sql) == ["transactions"]
    assert not sql.lstrip().startswith("WITH")  # no sub-query read by two parts


def test_resolved_complaints_never_followed_up(ws):
    def complaint(cid, customer, resolved, followed=None):
        return dict(
            complaint_id=cid,
            customer_id=customer,
            opened_at=T("2024-05-20"),
            handled_at=T("2024-05-21"),
            resolved_at=T(resolved) if resolved else None,
            followed_up_at=T(followed) if followed else None,
        )

    ws.insert(
        "complaints",
        [
            complaint("k1", "p", "2024-06-20"),  # 10 days ago, not followed up
            complaint("k2", "p", "2024-06-01"),  # 29 days ago, not followed up
            complaint("k3", "q", "2024-06-27"),  # 3 days ago: follow-up not due yet (7 days)
            complaint("k4", "r", "2024-06-01", "2024-06-05"),  # followed up
            complaint("k5", "s", "2024-06-01", "2024-07-03"),  # follow-up after the as-of
            complaint("k6", "t", "2024-06-23"),  # exactly 7 days: due
            complaint("k7", "u", None),  # not resolved yet
        ],
    )
    got = complaint_follow_up(ws, "2024-06-30").to_pandas().sort_values("customer_id")
    assert got.values.tolist() == [
        ["p", 2, T("2024-06-01"), 29],
        ["s", 1, T("2024-06-01"), 29],
        ["t", 1, T("2024-06-23"), 7],
    ]


# -- birthdays ----------------------------------------------------------------------------------
@pytest.fixture
def born(ws):
    ws.insert(
        "customers",
        [
            dict(customer_id="xmas", birth_date=dt.date(1990, 12, 25)),
            dict(customer_id="jan8", birth_date=dt.date(1985, 1, 8)),
            dict(customer_id="jan9", birth_date=dt.date(1985, 1, 9)),
            dict(customer_id="dec24", birth_date=dt.date(1990, 12, 24)),
            dict(customer_id="leap", birth_date=dt.date(2000, 2, 29)),
            dict(customer_id="unborn", birth_date=dt.date(2025, 1, 1)),
            dict(customer_id="unknown"),
        ],
    )
    return ws


def listed(ws, as_of, days=14):
    conf = Config.model_validate({"care": {"important_date_days": days}})
    frame = birthdays(ws, as_of, conf).to_pandas().sort_values("customer_id")
    return {
        r.customer_id: (T(r.next_birthday).date(), r.days_until_birthday, r.age_on_birthday)
        for r in frame.itertuples()
    }


def test_birthdays_across_the_new_year(born):
    # as of 25 Dec 2024, 14 days: 25 Dec 2024 .. 8 Jan 2025 both included
    assert listed(born, "2024-12-25") == {
        "xmas": (dt.date(2024, 12, 25), 0, 34),
        "jan8": (dt.date(2025, 1, 8), 14, 40),
        # jan9 is 15 days away; dec24 was yesterday (next in 364 days); unborn, unknown: none
    }


def test_a_29_february_birthday_is_kept_on_28_february_in_other_years(born):
    # 2025 has no 29 Feb: 28 Feb 2025, 8 days after 20 Feb
    assert listed(born, "2025-02-20")["leap"] == (dt.date(2025, 2, 28), 8, 25)
    # 2024 has one: 29 Feb, 9 days after 20 Feb
    assert listed(born, "2024-02-20")["leap"] == (dt.date(2024, 2, 29), 9, 24)
    # on 1 Mar 2025 it has passed: next on 28 Feb 2026, 364 days on
    assert listed(born, "2025-03-01", days=366)["leap"] == (dt.date(2026, 2, 28), 364, 26)


def test_no_birth_date_column_is_said_out_loud():
    import ibis

    from crmlytics.errors import DataError

    # a warehouse created before customers had a birth_date column
    backend = ibis.duckdb.connect()
    backend.create_table("customers", schema=ibis.schema({"customer_id": "string"}))
    with pytest.raises(DataError, match="no birth_date column"):
        birthdays(Workspace(backend), "2024-12-25")


# -- CLI ----------------------------------------------------------------------------------------
@pytest.fixture
def db(tmp_path, born):
    path = tmp_path / "crm.duckdb"
    target = Workspace.open(path)
    target.insert("customers", born.table("customers").to_pandas().drop(columns="attributes"))
    target.insert("transactions", [sale("o1", "xmas", "2024-12-01 10:00", 10.0)])
    target.close()
    return path


def test_care_command_writes_a_list_and_refuses_an_unknown_one(db, tmp_path):
    out = tmp_path / "birthdays.csv"
    runner = CliRunner()
    result = runner.invoke(
        app, ["care", "birthdays", "--as-of", "2024-12-25", "--db", str(db), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["customer_id"].tolist() == ["xmas", "jan8"]  # soonest first
    assert frame["days_until_birthday"].tolist() == [0, 14]
    result = runner.invoke(app, ["care", "vip", "--as-of", "2024-12-25", "--db", str(db)])
    assert result.exit_code == 2
    assert "unknown care list 'vip'" in result.output


def test_a_birthday_list_looks_forward_from_any_as_of_date(db, tmp_path):
    """The transactions end on 1 Dec 2024; a birthday list as of 25 Dec 2100 (in the future,
    long after them) is still a list: 25 Dec 2100 .. 8 Jan 2101, now with "unborn" (born
    1 Jan 2025) too."""
    out = tmp_path / "later.csv"
    args = ["care", "birthdays", "--as-of", "2100-12-25", "--db", str(db), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["customer_id"].tolist() == ["xmas", "unborn", "jan8"]
    assert frame["days_until_birthday"].tolist() == [0, 7, 14]
    assert frame["age_on_birthday"].tolist() == [110, 76, 116]  # born 1990, 2025, 1985


def test_a_birthday_list_needs_no_transactions(tmp_path, born):
    path = tmp_path / "no_sales.duckdb"
    target = Workspace.open(path)
    target.insert("customers", born.table("customers").to_pandas().drop(columns="attributes"))
    target.close()
    result = CliRunner().invoke(
        app, ["care", "birthdays", "--as-of", "2024-12-25", "--db", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "xmas" in result.output and "jan8" in result.output


def test_a_warehouse_from_before_birth_dates_gains_the_column_when_opened(tmp_path):
    path = tmp_path / "old.duckdb"
    old = Workspace.open(path)
    old.duckdb.execute("ALTER TABLE customers DROP COLUMN birth_date")
    old.duckdb.execute("INSERT INTO customers (customer_id) VALUES ('a')")
    old.close()
    reopened = Workspace.open(path)
    try:
        assert "birth_date" in reopened.table("customers").columns
        assert birthdays(reopened, "2024-12-25").to_pandas().empty  # no birth date known yet
    finally:
        reopened.close()
