"""Plotly figures of complaints: category × month heatmap, step-duration box plots, SLA trend,
satisfaction against resolution time, top terms per category.

Each takes a small result frame (group, step or month grain) and a locale for titles and labels.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.labels import Locale, label

_TEXT: dict[str, tuple[str, str]] = {
    "heatmap": ("Complaints by category and month", "各类别每月投诉数"),
    "steps": ("Hours per handling step", "各处理步骤时长 (小时)"),
    "hours": ("hours", "小时"),
    "sla": ("First response within target (share)", "首次响应达标率"),
    "satisfaction": ("Satisfaction against resolution time", "满意度与解决时长"),
    "mean_satisfaction": ("mean satisfaction (1-5)", "平均满意度 (1-5)"),
    "terms": ("Top terms per category", "各类别关键词"),
    "score": ("score", "得分"),
}
_STEP_OF = {
    "first_response_hours": "handled",
    "handling_hours": "resolved",
    "follow_up_hours": "followed_up",
}


def _t(key: str, locale: Locale) -> str:
    en, zh = _TEXT[key]
    return zh if locale == "zh" else en


def _category(key: object, locale: Locale) -> str:
    try:
        return label(str(key), locale, domain="complaint_category")
    except KeyError:
        return str(key)


def category_month_heatmap(steps: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Complaints per category (rows) and month (columns) from complaint steps
    (:func:`~crmlytics.complaints.complaint_steps`, materialised)."""
    table = pd.crosstab(steps["category"].fillna("-"), steps["month"])
    fig = go.Figure(
        go.Heatmap(
            z=table.to_numpy(),
            x=[str(m) for m in table.columns],
            y=[_category(c, locale) for c in table.index],
            colorscale="Reds",
        )
    )
    fig.update_layout(title=_t("heatmap", locale))
    return fig


def step_duration_box(steps: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Box plots of the hours of each handling step (complaints with findings have none)."""
    fig = go.Figure()
    for column, step in _STEP_OF.items():
        values = steps[column].dropna()
        fig.add_trace(
            go.Box(y=values, name=label(step, locale, domain="complaint_step"), boxpoints=False)
        )
    fig.update_layout(title=_t("steps", locale), yaxis_title=_t("hours", locale))
    return fig


def sla_trend(by_month: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """SLA met share per month from :func:`~crmlytics.complaints.handling_times` by month."""
    rows = by_month.sort_values("month")
    fig = go.Figure(
        go.Scatter(x=rows["month"].astype(str), y=rows["sla_met_share"], mode="lines+markers")
    )
    fig.update_layout(title=_t("sla", locale), yaxis_range=[0, 1])
    return fig


def satisfaction_chart(bands: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Mean satisfaction per resolution-time band from
    :func:`~crmlytics.complaints.customers.satisfaction_by_resolution`."""
    rows = bands.sort_values("band_index")
    fig = go.Figure(go.Bar(x=rows["resolution_band"], y=rows["mean_satisfaction"]))
    fig.update_layout(title=_t("satisfaction", locale), yaxis_title=_t("mean_satisfaction", locale))
    return fig


def top_terms_chart(terms: pd.DataFrame, *, top: int = 5, locale: Locale = "en") -> go.Figure:
    """Horizontal bars of the ``top`` terms per category from
    :func:`~crmlytics.complaints.topics.category_terms`."""
    fig = go.Figure()
    for category, rows in terms[terms["rank"] <= top].groupby("category", sort=True):
        fig.add_trace(
            go.Bar(
                x=rows["score"], y=rows["term"], orientation="h", name=_category(category, locale)
            )
        )
    fig.update_layout(title=_t("terms", locale), xaxis_title=_t("score", locale), barmode="group")
    return fig
