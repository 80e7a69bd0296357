"""Sales trend, mix shift, purchase cycle and staff performance on hand-made histories
(tests/sales_data.py); every expected number is worked out in the comments."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crmlytics.asof import as_of
from crmlytics.errors import ConfigError
from crmlytics.sales import purchase_cycle, sales_mix, sales_trend, staff_performance
from crmlytics.sales.mix import mix_windows
from tests.builders import sale
from tests.sales_data import cycles, shop, staff


def trend(ws, when="2024-04-15", period="month", by=None, start=None) -> pd.DataFrame:
    frame = sales_trend(ws, when, period, by, start).to_pandas()
    keys = ["period", *([by] if isinstance(by, str) else (by or []))]
    frame = frame.sort_values(keys).reset_index(drop=True)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    return frame


def row(frame: pd.DataFrame, day: str, **keys: str) -> pd.Series:
    hit = frame[frame["period"] == dt.date.fromisoformat(day)]
    for column, value in keys.items():
        hit = hit[hit[column] == value]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_a_month_without_sales_is_a_row_of_zeros_and_the_spine_runs_to_the_as_of_month(ws):
    frame = trend(shop(ws))
    # March 2023 (first sale) to April 2024 (as-of month): 14 months, none missing
    assert len(frame) == 14
    assert frame["period"].iloc[0] == dt.date(2023, 3, 1)
    assert frame["period"].iloc[-1] == dt.date(2024, 4, 1)
    feb = row(frame, "2024-02-01")
    assert (feb["orders"], feb["customers"], feb["gross_revenue"], feb["returns"]) == (0, 0, 0, 0)
    assert feb["net_revenue"] == 0 and pd.isna(feb["avg_order_value"])
    assert (row(frame, "2023-07-01")[["orders", "net_revenue"]] == 0).all()


def test_period_over_period_change_through_an_empty_month(ws):
    frame = trend(shop(ws))
    jan, feb, mar, apr = (row(frame, f"2024-0{m}-01") for m in (1, 2, 3, 4))
    # January: o1 100 + o2 50; a bought in 2023 (returning), b is new
    assert (jan["orders"], jan["customers"], jan["net_revenue"]) == (2, 2, 150.0)
    assert (jan["new_customers"], jan["returning_customers"], jan["returning_share"]) == (1, 1, 0.5)
    assert pd.isna(jan["net_revenue_pop_change"])  # December 2023 had 0: no ratio
    # February: nothing, so -100% on January in revenue, orders and customers
    assert feb["net_revenue_pop_change"] == -1.0
    assert feb["orders_pop_change"] == -1.0 and feb["customers_pop_change"] == -1.0
    # March: gross o3 80 + o4 40 = 120, o3's return 30 on 10 March; net 90
    # o4 is returned in full on 2 April (visible as of 15 April): one purchase, a's
    assert (mar["gross_revenue"], mar["returns"], mar["net_revenue"]) == (120.0, 30.0, 90.0)
    assert (mar["orders"], mar["customers"], mar["avg_order_value"]) == (1, 1, 90.0)
    assert pd.isna(mar["net_revenue_pop_change"])  # after an empty month
    # April: only o4's return, counted when it happened: net -40; -40 on 90 = -1.444
    assert (apr["gross_revenue"], apr["returns"], apr["net_revenue"]) == (0.0, 40.0, -40.0)
    assert apr["net_revenue_pop_change"] == pytest.approx(-130 / 90)


def test_year_over_year_change_against_the_same_month_a_year_before(ws):
    frame = trend(shop(ws))
    mar = row(frame, "2024-03-01")
    # March 2023: o0 60, one order, one customer; March 2024: 90, one order, one customer
    assert mar["net_revenue_yoy_change"] == pytest.approx(0.5)
    assert mar["orders_yoy_change"] == 0.0 and mar["customers_yoy_change"] == 0.0
    assert pd.isna(row(frame, "2024-01-01")["net_revenue_yoy_change"])  # before the first row
    assert pd.isna(row(frame, "2024-04-01")["net_revenue_yoy_change"])  # April 2023 was 0


def test_quarters_add_up_their_months_and_compare_with_the_quarter_a_year_before(ws):
    frame = trend(shop(ws), period="quarter")
    q1 = row(frame, "2024-01-01")
    # Q1 2024: gross 150 + 120, returns 30, net 240; orders o1 o2 o3; customers a, b
    assert (q1["gross_revenue"], q1["returns"], q1["net_revenue"]) == (270.0, 30.0, 240.0)
    assert (q1["orders"], q1["customers"], q1["new_customers"]) == (3, 2, 1)
    # Q1 2023 net 60: (240 - 60) / 60 = 3
    assert q1["net_revenue_yoy_change"] == pytest.approx(3.0)
    assert len(frame) == 6  # 2023-Q1 .. 2024-Q2


def test_a_return_not_yet_visible_leaves_the_order_a_purchase(ws):
    frame = trend(shop(ws), when="2024-03-31")
    mar = row(frame, "2024-03-01")
    # as of 31 March o4 is not yet returned: two purchases, c is new, a returning
    assert (mar["orders"], mar["customers"], mar["new_customers"]) == (2, 2, 1)
    assert len(frame) == 13


def test_by_region_gives_every_region_every_month(ws):
    frame = trend(shop(ws), by="region")
    assert len(frame) == 28  # 14 months x north, south
    south_mar = row(frame, "2024-03-01", region="south")
    assert (south_mar["orders"], south_mar["net_revenue"]) == (0, 0.0)
    north_mar = row(frame, "2024-03-01", region="north")
    assert (north_mar["gross_revenue"], north_mar["returns"], north_mar["orders"]) == (
        120.0,
        30.0,
        1,
    )
    assert row(frame, "2024-01-01", region="south")["new_customers"] == 1


def test_by_category_counts_lines_of_the_category(ws):
    frame = trend(shop(ws), by="category")
    tea = row(frame, "2024-03-01", category="tea")
    cups = row(frame, "2024-03-01", category="cups")
    assert (tea["gross_revenue"], tea["returns"], tea["orders"]) == (80.0, 30.0, 1)
    assert (cups["gross_revenue"], cups["net_revenue"], cups["orders"]) == (40.0, 40.0, 0)


def two_products(ws):
    """p1: a, 5 Jan 2024, web, line 1 t1 30 and line 2 c1 20; line 2 returned on 3 Feb
    (net 30, still a purchase); p2: b, 6 Jan, store, t1 10."""
    web, store = dict(channel="web"), dict(channel="store")
    ws.insert(
        "transactions",
        [
            sale("p1", "a", "2024-01-05", 30.0, product_id="t1", **web),
            sale("p1", "a", "2024-01-05", 20.0, product_id="c1", line_no=2, **web),
            sale("p1", "a", "2024-02-03", -20.0, kind="return", product_id="c1", line_no=2, **web),
            sale("p2", "b", "2024-01-06", 10.0, product_id="t1", **store),
        ],
    )
    return ws


def test_by_product_each_product_has_its_own_lines_and_orders(ws):
    frame = trend(two_products(ws), when="2024-02-15", by="product_id")
    assert len(frame) == 4  # January, February x t1, c1
    t1, c1 = row(frame, "2024-01-01", product_id="t1"), row(frame, "2024-01-01", product_id="c1")
    # t1: 30 (p1) + 10 (p2); both orders, both customers new
    assert (t1["gross_revenue"], t1["orders"], t1["customers"], t1["new_customers"]) == (
        40.0,
        2,
        2,
        2,
    )
    # c1: p1's line 2 only; its return counts in February, when it happened
    assert (c1["gross_revenue"], c1["returns"], c1["orders"], c1["customers"]) == (20.0, 0.0, 1, 1)
    feb_c1 = row(frame, "2024-02-01", product_id="c1")
    assert (feb_c1["returns"], feb_c1["net_revenue"], feb_c1["orders"]) == (20.0, -20.0, 0)
    assert row(frame, "2024-02-01", product_id="t1")["net_revenue"] == 0.0


def test_by_channel_uses_the_channel_of_the_line(ws):
    frame = trend(two_products(ws), when="2024-02-15", by="channel")
    web, store = row(frame, "2024-01-01", channel="web"), row(frame, "2024-01-01", channel="store")
    assert (web["gross_revenue"], web["orders"], web["new_customers"]) == (50.0, 1, 1)
    assert (store["gross_revenue"], store["orders"], store["new_customers"]) == (10.0, 1, 1)
    assert row(frame, "2024-02-01", channel="web")["net_revenue"] == -20.0


def test_start_cuts_the_rows_not_who_is_new(ws):
    frame = trend(shop(ws), start="2024-01-10")
    assert frame["period"].iloc[0] == dt.date(2024, 1, 1) and len(frame) == 4
    assert row(frame, "2024-01-01")["returning_customers"] == 1  # a bought in March 2023


def test_weeks_start_on_monday_and_compare_with_52_weeks_before(ws):
    frame = trend(shop(ws), when="2024-01-21", period="week", start="2024-01-01")
    # 2024-01-01 is a Monday: weeks of 1, 8, 15 January; o1 (5 Jan) and o2 (20 Jan)
    assert list(frame["period"]) == [dt.date(2024, 1, d) for d in (1, 8, 15)]
    assert list(frame["net_revenue"]) == [100.0, 0.0, 50.0]


def test_unknown_period_or_dimension_is_a_config_error(ws):
    with pytest.raises(ConfigError, match="period"):
        sales_trend(ws, "2024-01-01", "year")
    with pytest.raises(ConfigError, match="region"):
        sales_trend(ws, "2024-01-01", "month", "colour")


def test_mix_shift_between_two_months_worked_by_hand(ws):
    frame = sales_mix(
        shop(ws),
        "2024-04-15",
        start=dt.date(2024, 3, 1),
        end=dt.date(2024, 3, 31),
        base_start=dt.date(2024, 1, 1),
        base_end=dt.date(2024, 1, 31),
    ).to_pandas()
    tea = frame.set_index("category").loc["tea"]
    cups = frame.set_index("category").loc["cups"]
    # March: tea 80 - 30 = 50, cups 40 (its return is in April): total 90
    assert (tea["net_revenue"], cups["net_revenue"]) == (50.0, 40.0)
    assert tea["net_revenue_share"] == pytest.approx(5 / 9)
    # January: tea 100, cups 50: shares 2/3 and 1/3
    assert tea["base_net_revenue_share"] == pytest.approx(2 / 3)
    assert tea["share_change"] == pytest.approx(5 / 9 - 2 / 3)  # -11 points
    assert cups["share_change"] == pytest.approx(4 / 9 - 1 / 3)  # +11 points
    assert tea["net_revenue_change"] == pytest.approx(-0.5)  # 50 on 100
    assert cups["net_revenue_change"] == pytest.approx(-0.2)  # 40 on 50
    assert (tea["orders"], cups["orders"], cups["customers"]) == (1, 1, 1)


def test_default_mix_windows_are_back_to_back():
    current, base = mix_windows(as_of("2024-04-15"), 30)
    assert current == (dt.date(2024, 3, 17), dt.date(2024, 4, 15))
    assert base == (dt.date(2024, 2, 16), dt.date(2024, 3, 16))
    with pytest.raises(ConfigError, match="after the as-of"):
        mix_windows(as_of("2024-04-15"), 30, end=dt.date(2024, 5, 1))


def test_purchase_cycle_worked_by_hand(ws):
    frame = purchase_cycle(cycles(ws), "2024-03-31").to_pandas().set_index("category")
    tea = frame.loc["tea"]
    # x: gaps 10, 20; y: 45 (two orders on 15 Feb are one day; the returned order is none)
    assert (tea["buyers"], tea["repeat_buyers"], tea["repeat_purchases"]) == (3, 2, 3)
    # gaps 10, 20, 45: nearest rank ceil(0.5*3)=2 -> 20, ceil(0.75)=1 -> 10, ceil(2.25)=3 -> 45
    assert (tea["median_gap_days"], tea["p25_gap_days"], tea["p75_gap_days"]) == (20, 10, 45)
    assert tea["mean_gap_days"] == pytest.approx(25.0)
    cups = frame.loc["cups"]
    assert (cups["buyers"], cups["repeat_buyers"]) == (1, 0) and pd.isna(cups["median_gap_days"])


def test_purchase_cycle_as_of_sees_only_earlier_purchases(ws):
    frame = purchase_cycle(cycles(ws), "2024-01-31").to_pandas().set_index("category")
    # as of 31 January: x's gaps 10 and 20 only
    assert frame.loc["tea", "repeat_purchases"] == 2
    assert frame.loc["tea", "median_gap_days"] == 10  # ceil(0.5*2) = rank 1


def staff_frame(ws, when="2024-03-31", grain="month") -> pd.DataFrame:
    frame = staff_performance(ws, when, grain).to_pandas()
    return frame.set_index(["owner", "period"]).sort_index()


def test_staff_attainment_worked_by_hand(ws):
    frame = staff_frame(staff(ws))
    a_feb = frame.loc[("A", "2024-02")]
    # won o1 1000 + o2 500, lost o3: win rate 2/3; target 2000 -> 0.75
    assert (a_feb["deals_won"], a_feb["deals_lost"], a_feb["won_value"]) == (2, 1, 1500.0)
    assert a_feb["win_rate"] == pytest.approx(2 / 3)
    assert a_feb["attainment"] == pytest.approx(0.75) and a_feb["target_amount"] == 2000.0
    # cycles 36 and 41 days: nearest-rank median is the first
    assert a_feb["median_cycle_days"] == pytest.approx(36.0)
    # February: o3 created; interactions with c1, c2; deals closed with c1, c2, c4
    assert (a_feb["deals_created"], a_feb["activities"], a_feb["customers_covered"]) == (1, 2, 3)
    assert a_feb["customers_assigned"] == 2  # c1 and c2 carry owner A
    b_mar = frame.loc[("B", "2024-03")]
    assert (b_mar["won_value"], b_mar["attainment"]) == (800.0, 2.0)  # 800 / 400
    assert b_mar["median_cycle_days"] == pytest.approx(33.0)
    b_feb = frame.loc[("B", "2024-02")]
    # a target and no deal won: attainment 0; created o4 and o5, contacted c3
    assert (b_feb["won_value"], b_feb["attainment"], b_feb["customers_covered"]) == (0.0, 0.0, 3)
    assert pd.isna(b_feb["win_rate"]) and pd.isna(b_feb["customers_assigned"])
    a_jan = frame.loc[("A", "2024-01")]
    assert a_jan["deals_created"] == 2 and pd.isna(a_jan["target_amount"])
    assert pd.isna(a_jan["attainment"])
    assert ("B", "2024-05") not in frame.index  # a target after the as-of month


def test_staff_by_quarter_sums_the_monthly_targets_of_each_quarter(ws):
    frame = staff_frame(staff(ws), grain="quarter")
    a = frame.loc[("A", "2024-Q1")]
    assert (a["deals_won"], a["deals_lost"], a["won_value"], a["deals_created"]) == (
        2,
        1,
        1500.0,
        3,
    )
    # A's target: February 2000 only; won 1500 -> 0.75
    assert (a["target_amount"], a["attainment"]) == (2000.0, 0.75)
    # B: February 1000 + March 400 = 1400; won o4 800 in March -> 800 / 1400
    b = frame.loc[("B", "2024-Q1")]
    assert b["target_amount"] == 1400.0 and b["attainment"] == pytest.approx(800 / 1400)
    # May's target is in Q2, after the as-of quarter; no month label is left as a row
    assert sorted(frame.index) == [("A", "2024-Q1"), ("B", "2024-Q1")]


def test_staff_by_year_sums_every_target_of_the_year(ws):
    frame = staff_frame(staff(ws), grain="year")
    # B: 1000 + 400 + 900 (May is in 2024, the as-of year) = 2300; A: 2000
    assert frame.loc[("B", "2024"), "target_amount"] == 2300.0
    assert frame.loc[("A", "2024"), "attainment"] == 0.75  # 1500 / 2000


def test_quarter_targets_do_not_split_into_months(ws):
    from crmlytics.errors import DataError

    staff(ws, targets=False)
    ws.insert(
        "sales_targets",
        [
            dict(owner="A", period="2024-Q1", target_amount=6000.0),
            dict(owner="B", period="2024-Q1", target_amount=3000.0),
        ],
    )
    with pytest.raises(ConfigError, match=r"targets by quarter \(2024-Q1 \(A\).*quarter or year"):
        staff_performance(ws, "2024-03-31", "month")
    # by quarter they are used as they are: A won 1500 of 6000
    frame = staff_frame(ws, grain="quarter")
    assert frame.loc[("A", "2024-Q1"), "attainment"] == 0.25
    # a month's and its quarter's target for one owner would be counted twice
    ws.insert("sales_targets", [dict(owner="A", period="2024-02", target_amount=2000.0)])
    with pytest.raises(DataError, match="A for 2024-Q1 \\(2024-02 .. 2024-Q1\\)"):
        staff_performance(ws, "2024-03-31", "quarter")


def test_a_target_period_that_is_no_label_is_a_data_error(ws):
    from crmlytics.errors import DataError

    staff(ws, targets=False)
    ws.insert("sales_targets", [dict(owner="A", period="Feb 2024", target_amount=1.0)])
    with pytest.raises(DataError, match="'Feb 2024' \\(A\\) is not a month"):
        staff_performance(ws, "2024-03-31", "month")


def test_staff_without_targets_has_empty_attainment(ws):
    frame = staff_frame(staff(ws, targets=False))
    assert frame["target_amount"].isna().all() and frame["attainment"].isna().all()
    assert frame.loc[("A", "2024-02"), "won_value"] == 1500.0


def test_sales_targets_are_a_canonical_table_with_their_rules():
    from crmlytics.schema import spec

    targets = spec("sales_targets")
    assert targets.key == ("owner", "period")
    assert targets.required == ["owner", "period", "target_amount"]
    assert targets.column("target_amount").minimum == 0
