"""Plotly charts that judge a CLV model; each takes the fitted object or the backtest result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from crmlytics.clv.backtest import BacktestResult
from crmlytics.clv.models import _CountModel
from crmlytics.clv.summary import FREQUENCY


def calibration_holdout_chart(result: BacktestResult) -> go.Figure:
    """Mean holdout purchases by calibration frequency: actual, model and naive baseline."""
    by = result.by_frequency
    fig = go.Figure()
    for column, dash in (("actual", "solid"), ("model", "dash"), ("naive", "dot")):
        fig.add_scatter(x=by[FREQUENCY], y=by[column], name=column, line={"dash": dash})
    fig.update_layout(
        title="Calibration vs holdout purchases",
        xaxis_title="repeat purchases in calibration period (btyd_frequency)",
        yaxis_title=f"mean purchases in holdout ({result.unit})",
    )
    return fig


def p_alive_matrix_chart(
    model: _CountModel, max_frequency: int | None = None, max_recency: float | None = None
) -> go.Figure:
    """Heatmap of P(alive) by frequency and recency for a customer aged ``max_recency``."""
    f_max = int(max_frequency or min(getattr(model, "max_frequency_", 30), 60))
    T = float(max_recency or getattr(model, "max_age_", 52.0))
    recency = np.linspace(0.0, T, 60)
    freq = np.arange(0, f_max + 1)
    x, tx = np.meshgrid(freq, recency)
    z = model.p_alive(x.ravel(), np.where(x.ravel() == 0, 0.0, tx.ravel()), T).reshape(x.shape)
    fig = go.Figure(
        go.Heatmap(x=freq, y=recency, z=z, zmin=0, zmax=1, colorbar={"title": "P(alive)"})
    )
    fig.update_layout(
        title=f"P(alive) by repeat purchases and recency (customer age {T:g} {model.unit_})",
        xaxis_title="repeat purchases (btyd_frequency)",
        yaxis_title=f"last − first purchase (btyd_recency_{model.unit_})",
    )
    return fig


def tracking_chart(result: BacktestResult) -> go.Figure:
    """Cumulative repeat purchases over time, actual vs model, with the holdout start marked."""
    t = result.tracking
    fig = go.Figure()
    fig.add_scatter(x=t["period"], y=t["actual_cumulative"], name="actual")
    fig.add_scatter(x=t["period"], y=t["model_cumulative"], name="model", line={"dash": "dash"})
    start = float(t.loc[~t["in_holdout"], "period"].max())
    fig.add_vline(x=start, line_dash="dot", annotation_text="calibration end")
    fig.update_layout(
        title="Cumulative repeat purchases",
        xaxis_title=f"{result.unit} since the first customer's first purchase",
        yaxis_title="cumulative repeat purchases",
    )
    return fig


def backtest_report(result: BacktestResult, path: str | Path) -> Path:
    """Write an HTML report: totals, MAE, and the three charts (plotly.js loaded once)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = [
        tracking_chart(result),
        calibration_holdout_chart(result),
        p_alive_matrix_chart(result.model.purchases_),
    ]
    parts = [
        f"<h1>CLV backtest: calibration to {result.calibration_end}, "
        f"holdout to {result.holdout_end}</h1>",
        result.totals.to_html(float_format=lambda v: f"{v:,.3f}"),
        result.model.summary().to_html(float_format=lambda v: f"{v:,.4g}", index=False),
    ]
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs="cdn" if i == 0 else False))
    html = "<html><head><meta charset='utf-8'></head><body>" + "\n".join(parts) + "</body></html>"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
