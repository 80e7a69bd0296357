"""The sales charts draw the numbers of their tables, in either locale."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlytics.sales import (
    category_mix_chart,
    owner_leaderboard_chart,
    revenue_trend_chart,
    sales_trend,
    staff_performance,
)
from tests.sales_data import shop, staff


def test_revenue_trend_chart_draws_net_revenue_and_both_changes(ws):
    trend = sales_trend(shop(ws), "2024-04-15").to_pandas()
    fig = revenue_trend_chart(trend, locale="zh")
    bars, pop, yoy = fig.data
    ordered = trend.sort_values("period")
    assert list(bars.y) == list(ordered["net_revenue"])
    assert list(pd.Series(pop.y).fillna(-99)) == list(ordered["net_revenue_pop_change"].fillna(-99))
    assert yoy.name == "同比" and "每月净销售额" in fig.layout.title.text


def test_category_mix_chart_stacks_shares_that_add_up_to_one(ws):
    trend = sales_trend(shop(ws), "2024-04-15", "month", "category").to_pandas()
    fig = category_mix_chart(trend)
    names = {trace.name for trace in fig.data}
    assert names == {"tea", "cups"}
    tea = next(t for t in fig.data if t.name == "tea")
    x = list(tea.x)
    # January 2024: tea 100 of 150
    assert tea.y[x.index("2024-01-01")] == pytest.approx(2 / 3)
    total = sum(pd.Series(t.y).fillna(0).to_numpy() for t in fig.data)
    assert all(v == pytest.approx(1.0) or v == 0 for v in total)


def test_owner_leaderboard_puts_the_top_owner_on_top_with_attainment(ws):
    frame = staff_performance(staff(ws), "2024-03-31").to_pandas()
    fig = owner_leaderboard_chart(frame)
    [bars] = fig.data
    # A won 1500 (target 2000: 75%), B 800 (targets 1000 + 400: 57%); top drawn last
    assert list(bars.y) == ["B", "A"] and list(bars.x) == [800.0, 1500.0]
    assert list(bars.text) == ["attainment 57%", "attainment 75%"]
