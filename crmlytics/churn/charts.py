"""Plotly charts that judge a churn model: calibration curve, gains chart, risk by segment."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.churn.backtest import BacktestResult
from crmlytics.errors import UnknownNameError

_TEXT = {
    "en": {
        "calibration": "Calibration on the evaluation cutoff {cutoff}",
        "predicted": "predicted churn probability",
        "observed": "observed churn rate",
        "perfect": "perfectly calibrated",
        "gains": "Gains: churners found in the top customers by score ({cutoff})",
        "customers": "share of customers, highest risk first",
        "churners": "share of churners captured",
        "random": "random",
        "risk": "Churn risk by {segment}",
        "mean_p": "mean churn probability",
        "tier": "customers by risk tier",
    },
    "zh": {
        "calibration": "评估截止日 {cutoff} 的概率校准",
        "predicted": "预测流失概率",
        "observed": "实际流失率",
        "perfect": "完美校准",
        "gains": "累计增益：按风险排序捕获的流失客户（{cutoff}）",
        "customers": "客户占比（风险从高到低）",
        "churners": "捕获的流失客户占比",
        "random": "随机",
        "risk": "按{segment}的流失风险",
        "mean_p": "平均流失概率",
        "tier": "各风险等级客户数",
    },
}


def _t(locale: str, key: str, **kw: object) -> str:
    return _TEXT["zh" if locale == "zh" else "en"][key].format(**kw)


def calibration_chart(result: BacktestResult, locale: str = "en") -> go.Figure:
    """Predicted against observed churn rate in probability deciles, one line per method."""
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1], y=[0, 1], name=_t(locale, "perfect"), mode="lines", line={"dash": "dot"}
    )
    for method, part in result.calibration.groupby("method", sort=False):
        fig.add_scatter(x=part["predicted"], y=part["observed"], name=method, mode="lines+markers")
    fig.update_layout(
        title=_t(locale, "calibration", cutoff=result.evaluation_cutoff),
        xaxis_title=_t(locale, "predicted"),
        yaxis_title=_t(locale, "observed"),
    )
    return fig


def gains_chart(result: BacktestResult, locale: str = "en") -> go.Figure:
    """Cumulative share of churners captured against share of customers, per method."""
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1], y=[0, 1], name=_t(locale, "random"), mode="lines", line={"dash": "dot"}
    )
    for method, part in result.gains.groupby("method", sort=False):
        fig.add_scatter(x=part["customer_share"], y=part["churner_share"], name=method)
    fig.update_layout(
        title=_t(locale, "gains", cutoff=result.evaluation_cutoff),
        xaxis_title=_t(locale, "customers"),
        yaxis_title=_t(locale, "churners"),
    )
    return fig


def risk_by_segment(scores: pd.DataFrame, segment: str, locale: str = "en") -> go.Figure:
    """Mean churn probability (bars) and customers per risk tier (stacked) by ``segment``.

    ``scores`` holds ``churn_probability``, ``churn_risk_tier`` and the ``segment`` column
    (e.g. scores joined with :func:`crmlytics.segments.customer_segments`).
    """
    if segment not in scores.columns:
        raise UnknownNameError(f"scores have no column {segment!r} to group by")
    grouped = scores.groupby(segment, dropna=False)
    mean_p = grouped["churn_probability"].mean().sort_values(ascending=False)
    tiers = scores.pivot_table(
        index=segment, columns="churn_risk_tier", values="churn_probability", aggfunc="size"
    ).reindex(mean_p.index)
    fig = go.Figure()
    for tier in ("high", "medium", "low"):
        if tier in tiers.columns:
            fig.add_bar(
                x=tiers.index.astype(str), y=tiers[tier].fillna(0), name=tier, yaxis="y2",
                opacity=0.45,
            )  # fmt: skip
    fig.add_scatter(
        x=mean_p.index.astype(str), y=mean_p.to_numpy(), name=_t(locale, "mean_p"),
        mode="markers+lines",
    )  # fmt: skip
    fig.update_layout(
        title=_t(locale, "risk", segment=segment),
        barmode="stack",
        yaxis={"title": _t(locale, "mean_p"), "range": [0, 1]},
        yaxis2={"title": _t(locale, "tier"), "overlaying": "y", "side": "right"},
    )
    return fig
