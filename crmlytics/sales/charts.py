"""Plotly figures of sales: revenue trend with change, category mix over time, owner
leaderboard.

Each takes a small result frame (period, category or owner grain) and a locale for titles and
labels.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.labels import Locale, register, text

_TEXT = "charts.sales"
register(
    _TEXT,
    {
        "trend": ("Net revenue per {period} with change", "每{period}净销售额及变化"),
        "net_revenue": ("net revenue", "净销售额"),
        "pop": ("change on previous period", "环比"),
        "yoy": ("change on a year before", "同比"),
        "change": ("change", "变化"),
        "mix": ("Category share of net revenue per {period}", "每{period}各品类净销售额占比"),
        "share": ("share", "占比"),
        "leaderboard": ("Owners by won value", "员工赢单金额排行"),
        "won_value": ("won value", "赢单金额"),
        "attainment": ("attainment {value}", "完成率 {value}"),
        "day": ("day", "日"),
        "week": ("week", "周"),
        "month": ("month", "月"),
        "quarter": ("quarter", "季度"),
    },
    columns=(),
)


def _t(key: str, locale: Locale, **fields: object) -> str:
    return text(_TEXT, key, locale, **fields)


def _days(periods: pd.Series | pd.Index) -> list[str]:
    """Period starts as ``YYYY-MM-DD`` text (axis labels)."""
    return [pd.Timestamp(p).strftime("%Y-%m-%d") for p in periods]


def revenue_trend_chart(
    trend: pd.DataFrame, *, period: str = "month", locale: Locale = "en"
) -> go.Figure:
    """Bars of net revenue per period and lines of its period-over-period and year-over-year
    change (right axis) from :func:`~crmlytics.sales.sales_trend` without ``by``."""
    rows = trend.sort_values("period")
    x = _days(rows["period"])
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=rows["net_revenue"], name=_t("net_revenue", locale)))
    for column, key in (("net_revenue_pop_change", "pop"), ("net_revenue_yoy_change", "yoy")):
        fig.add_trace(
            go.Scatter(x=x, y=rows[column], name=_t(key, locale), mode="lines+markers", yaxis="y2")
        )
    fig.update_layout(
        title=_t("trend", locale, period=_t(period, locale)),
        yaxis_title=_t("net_revenue", locale),
        yaxis2=dict(title=_t("change", locale), overlaying="y", side="right", tickformat=".0%"),
    )
    return fig


def category_mix_chart(
    trend: pd.DataFrame, *, period: str = "month", locale: Locale = "en"
) -> go.Figure:
    """Stacked areas of each category's share of net revenue per period from
    :func:`~crmlytics.sales.sales_trend` with ``by="category"``."""
    table = trend.pivot_table(
        index="period", columns="category", values="net_revenue", aggfunc="sum", fill_value=0.0
    ).sort_index()
    total = table.sum(axis=1).where(lambda s: s != 0)
    shares = table.div(total, axis=0)
    fig = go.Figure()
    x = _days(shares.index)
    for category in shares.columns:
        fig.add_trace(go.Scatter(x=x, y=shares[category], name=str(category), stackgroup="share"))
    fig.update_layout(
        title=_t("mix", locale, period=_t(period, locale)),
        yaxis=dict(title=_t("share", locale), tickformat=".0%"),
    )
    return fig


def owner_leaderboard_chart(
    staff: pd.DataFrame, *, top: int = 20, locale: Locale = "en"
) -> go.Figure:
    """Horizontal bars of won value per owner (all periods of the frame added up; attainment
    as text where targets exist) from :func:`~crmlytics.sales.staff_performance`."""
    per_owner = staff.groupby("owner", sort=False).agg(
        won_value=("won_value", "sum"), target_amount=("target_amount", "sum")
    )
    has_target = staff.groupby("owner", sort=False)["target_amount"].count() > 0
    per_owner = per_owner.sort_values("won_value", ascending=False).head(top)
    labels = [
        _t("attainment", locale, value=f"{won / target:.0%}")
        if has_target[owner] and target
        else ""
        for owner, won, target in zip(
            per_owner.index, per_owner["won_value"], per_owner["target_amount"], strict=True
        )
    ]
    rows = per_owner.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=rows["won_value"],
            y=[str(o) for o in rows.index],
            orientation="h",
            text=labels[::-1],
            textposition="auto",
        )
    )
    fig.update_layout(title=_t("leaderboard", locale), xaxis_title=_t("won_value", locale))
    return fig
