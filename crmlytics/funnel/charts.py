"""Plotly figures of the funnels: the funnel, time in stage, win rate by dimension.

Each takes a small result frame (stage or group grain) and a locale for titles and labels.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.funnel.config import Locale, stage_label
from crmlytics.labels import register, text

_TEXT = "charts.funnel"
register(
    _TEXT,
    {
        "funnel": ("Sales funnel", "销售漏斗"),
        "deals": ("deals", "商机数"),
        "durations": ("Days in stage", "各阶段停留天数"),
        "days": ("days", "天"),
        "stage": ("stage", "阶段"),
        "win_rate": ("Win rate by {by} (95% interval)", "按{by}的赢单率 (95% 区间)"),
        "rate": ("win rate", "赢单率"),
    },
    columns=(),
)


def _t(key: str, locale: Locale, **fields: object) -> str:
    return text(_TEXT, key, locale, **fields)


def funnel_chart(
    frame: pd.DataFrame, *, locale: Locale = "en", title: str | None = None
) -> go.Figure:
    """Funnel of ``entered`` per stage from :func:`crmlytics.funnel.funnel` (no ``by``; stage
    keys in ``stage``)."""
    rows = frame.sort_values("stage_index")
    labels = [stage_label(k, locale) for k in rows["stage"]]
    fig = go.Figure(
        go.Funnel(y=labels, x=rows["entered"].astype(float), textinfo="value+percent initial")
    )
    fig.update_layout(title=title or _t("funnel", locale))
    return fig


def duration_box_chart(durations: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Box plots of days in stage from :func:`crmlytics.funnel.stage_durations` (no ``by``):
    box from p25 to p75 with the median, whiskers at p10 and p90."""
    rows = durations.sort_values("stage_index")
    fig = go.Figure()
    for row in rows.itertuples(index=False):
        name = stage_label(row.stage, locale)
        fig.add_trace(
            go.Box(
                name=name,
                q1=[row.p25],
                median=[row.median],
                q3=[row.p75],
                lowerfence=[row.p10],
                upperfence=[row.p90],
                x=[name],
                showlegend=False,
            )
        )
    fig.update_layout(
        title=_t("durations", locale),
        xaxis_title=_t("stage", locale),
        yaxis_title=_t("days", locale),
    )
    return fig


def win_rate_chart(rates: pd.DataFrame, by: str, *, locale: Locale = "en") -> go.Figure:
    """Win rate per value of ``by`` with its Wilson interval, from
    :func:`crmlytics.funnel.win_rates`."""
    rows = rates.sort_values("win_rate", ascending=False, na_position="last")
    names = rows[by].astype("object").where(rows[by].notna(), "—").astype(str)
    rate = rows["win_rate"].astype(float)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=rate,
            error_y=dict(
                type="data",
                symmetric=False,
                array=rows["win_rate_high"].astype(float) - rate,
                arrayminus=rate - rows["win_rate_low"].astype(float),
            ),
        )
    )
    fig.update_layout(
        title=_t("win_rate", locale, by=by),
        xaxis_title=by,
        yaxis=dict(title=_t("rate", locale), tickformat=".0%", range=[0, 1]),
    )
    return fig
