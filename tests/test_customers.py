"""Customer master quality: duplicates found on crafted records, survivor rules, merges that
move every fact and are undone exactly, incomplete records."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.customers import (
    duplicate_customers,
    incomplete_customers,
    merge_customers,
    merge_log,
    merge_suggestions,
    undo_merge,
)
from crmlytics.errors import DataError
from crmlytics.facts import facts
from crmlytics.schema import CANONICAL
from tests.builders import sale

AS_OF = "2024-03-31"


@pytest.fixture
def crm(ws):
    """a and b share a phone written two ways; a and c an email in different case; d and e the
    same name and region written differently; f stands alone. a has two purchases, b one, c
    none; d signed up before e; g was referred by b."""
    ts = pd.Timestamp
    ws.insert(
        "customers",
        [
            dict(
                customer_id="a",
                name="Li Lei",
                phone="138-1234-5678",
                email="Li@Example.com",
                region="北京",
                signup_date=dt.date(2023, 5, 1),
            ),
            dict(
                customer_id="b",
                name="李雷",
                phone="+86 138 1234 5678",
                signup_date=dt.date(2023, 1, 1),
            ),
            dict(
                customer_id="c",
                name="Lei",
                email=" li@example.COM ",
                signup_date=dt.date(2023, 1, 1),
            ),
            dict(
                customer_id="d",
                name="Wang Fang",
                region="Beijing",
                email="wf@x.cn",
                phone="13900000001",
                signup_date=dt.date(2020, 1, 1),
            ),
            dict(
                customer_id="e",
                name="WANG  FANG",
                region=" beijing",
                email="wf2@x.cn",
                phone="13900000002",
                signup_date=dt.date(2021, 1, 1),
            ),
            dict(
                customer_id="f",
                name="Zhao",
                region="上海",
                phone="13700000000",
                email="z@x.cn",
                signup_date=dt.date(2023, 1, 1),
            ),
            dict(customer_id="g", name="Ma", referred_by="b", signup_date=dt.date(2023, 1, 1)),
        ],
    )
    ws.insert(
        "transactions",
        [
            sale("o1", "a", "2024-01-05", 100.0),
            sale("o2", "a", "2024-02-05", 50.0),
            sale("o3", "b", "2024-01-20", 30.0),
            sale("o3", "b", "2024-01-20", 20.0, line_no=2),
            sale("o3", "b", "2024-03-01", -10.0, kind="return"),
        ],
    )
    ws.insert(
        "interactions",
        [dict(interaction_id="i1", customer_id="b", ts=ts("2024-02-01 10:00"), kind="call")],
    )
    ws.insert(
        "complaints",
        [dict(complaint_id="k1", customer_id="b", opened_at=ts("2024-02-02 10:00"))],
    )
    ws.insert(
        "campaign_touches",
        [
            dict(campaign_id="spring", customer_id="a", sent_at=ts("2024-03-01 08:00")),
            dict(campaign_id="spring", customer_id="b", sent_at=ts("2024-03-01 08:00")),
            dict(campaign_id="summer", customer_id="b", sent_at=ts("2024-03-05 08:00")),
        ],
    )
    return ws


def snapshot(ws) -> dict[str, pd.DataFrame]:
    out = {}
    for name in CANONICAL:
        frame = ws.table(name).to_pandas()
        out[name] = frame.sort_values(list(frame.columns), na_position="first").reset_index(
            drop=True
        )
    return out


def test_duplicates_match_phone_formats_email_case_and_name_region(crm):
    found = duplicate_customers(crm, AS_OF).set_index("drop_id")
    assert sorted(found.index) == ["b", "c", "e"]
    # a survives its group: two purchases against b's one and c's none
    assert found.loc["b", "keep_id"] == "a" and found.loc["c", "keep_id"] == "a"
    assert found.loc["b", "matched_on"] == "phone"
    assert found.loc["b", "evidence"] == "phone +8613812345678"
    assert found.loc["c", "matched_on"] == "email"
    assert found.loc["c", "evidence"] == "email li@example.com"
    assert found.loc["b", "reason"] == "more purchases (2 against 1)"
    # d and e: no purchases, same fields filled: the earlier signup survives
    assert found.loc["e", "keep_id"] == "d" and found.loc["e", "matched_on"] == "name_region"
    assert found.loc["e", "reason"].startswith("signed up earlier")
    assert found.loc["e", "group_id"] == "d"


def test_name_region_matching_can_be_switched_off(crm):
    from crmlytics.config import Config
    from crmlytics.customers.config import CustomersConfig

    conf = Config(customers=CustomersConfig(match_name_region=False))
    assert sorted(duplicate_customers(crm, AS_OF, conf)["drop_id"]) == ["b", "c"]


def test_merge_moves_every_fact_to_the_kept_record(crm):
    before = facts(crm, AS_OF).set_index("customer_id")
    result = merge_customers(crm, "a", "b", reason="same phone")
    after = facts(crm, AS_OF).set_index("customer_id")
    assert "b" not in after.index
    # a: o1, o2 and b's o3 (50, 10 of it returned): 150 + 40
    assert after.loc["a", "orders"] == 3
    assert after.loc["a", "net_revenue"] == before.loc["a", "net_revenue"] + 40.0
    assert (after.loc["a", "contacts"], after.loc["a", "complaints"]) == (1, 1)
    assert crm.table("customers").filter(lambda t: t.customer_id == "g").to_pandas()[
        "referred_by"
    ].tolist() == ["a"]
    # the spring campaign went to both: the merged customer has it once; summer moved
    touches = crm.table("campaign_touches").to_pandas()
    assert sorted(touches["campaign_id"]) == ["spring", "summer"]
    assert set(touches["customer_id"]) == {"a"}
    # 3 lines, 1 interaction, 1 complaint, 1 touch moved (the spring duplicate only kept), g
    assert result.rows_moved == 3 + 1 + 1 + 1 + 1
    log = merge_log(crm)
    assert log[["kept_id", "dropped_id", "reason", "rows_moved"]].values.tolist() == [
        ["a", "b", "same phone", 7]
    ]
    assert log["undone_at"].isna().all()


def test_undo_restores_exactly_the_facts_before_the_merge(crm):
    before = snapshot(crm)
    result = merge_customers(crm, "a", "b")
    undone = undo_merge(crm, result.merge_id)
    assert undone.merge_id == result.merge_id
    after = snapshot(crm)
    for name in CANONICAL:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    assert merge_log(crm)["undone_at"].notna().all()
    with pytest.raises(DataError, match="no applied merge"):
        undo_merge(crm, result.merge_id)


def test_undo_by_dropped_id_and_in_reverse_order_only(crm):
    before = snapshot(crm)
    merge_customers(crm, "a", "b")
    merge_customers(crm, "a", "c")
    with pytest.raises(DataError, match="undo .* first"):
        undo_merge(crm, "b")
    undo_merge(crm, "c")
    undo_merge(crm, "b")
    after = snapshot(crm)
    for name in CANONICAL:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def test_suggestions_are_applied_all_or_none(crm):
    before = snapshot(crm)
    bad = pd.DataFrame({"keep_id": ["a", "a"], "drop_id": ["b", "nobody"]})
    with pytest.raises(DataError, match="nobody"):
        merge_suggestions(crm, bad)
    after = snapshot(crm)
    for name in CANONICAL:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)
    assert merge_log(crm).empty
    results = merge_suggestions(crm, duplicate_customers(crm, AS_OF))
    assert sorted(r.dropped_id for r in results) == ["b", "c", "e"]
    assert sorted(crm.table("customers").to_pandas()["customer_id"]) == ["a", "d", "f", "g"]


def test_a_merged_record_cannot_be_merged_again(crm):
    merge_customers(crm, "a", "b")
    with pytest.raises(DataError, match="merged into a"):
        merge_customers(crm, "f", "b")


def test_incomplete_customers_list_the_missing_fields(crm):
    frame = incomplete_customers(crm).to_pandas().set_index("customer_id").sort_index()
    # a has all three; b lacks email and region; c phone and region; g all three
    assert frame.loc["b", "missing_fields"] == "email,region"
    assert frame.loc["c", "missing_fields"] == "phone,region"
    assert frame.loc["g", "missing_fields"] == "email,phone,region"
    assert frame.loc["g", "missing_count"] == 3
    assert sorted(frame.index) == ["b", "c", "g"]
    only_phone = incomplete_customers(crm, ["phone"]).to_pandas()
    assert sorted(only_phone["customer_id"]) == ["c", "g"]
