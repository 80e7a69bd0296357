"""Plotly charts that judge a CLV model; each takes the fitted object or the backtest result.

Every chart takes ``locale`` (``en`` / ``zh``): titles, axis titles and legend follow it (texts
registered in :mod:`crmlytics.labels` as ``charts.clv``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from crmlytics.clv.backtest import BacktestResult
from crmlytics.clv.models import _CountModel
from crmlytics.clv.summary import FREQUENCY
from crmlytics.labels import Locale, header, label, localise, register, text

_TEXT = "charts.clv"
register(
    _TEXT,
    {
        "calibration_title": ("Calibration vs holdout purchases", "校准期与验证期购买次数"),
        "calibration_x": (
            "repeat purchases in calibration period (btyd_frequency)",
            "校准期重复购买次数 (btyd_frequency)",
        ),
        "calibration_y": (
            "mean purchases in holdout ({unit})",
            "验证期平均购买次数 ({unit})",
        ),
        "p_alive_title": (
            "P(alive) by repeat purchases and recency (customer age {age} {unit})",
            "按频度与近度的存活概率 (客户年龄 {age} {unit})",
        ),
        "p_alive_x": ("repeat purchases (btyd_frequency)", "重复购买次数 (btyd_frequency)"),
        "p_alive_y": (
            "last − first purchase (btyd_recency_{unit_key})",
            "末次与首次购买间隔 (btyd_recency_{unit_key})",
        ),
        "p_alive_colorbar": ("P(alive)", "存活概率"),
        "tracking_title": ("Cumulative repeat purchases", "累计重复购买次数"),
        "tracking_x": (
            "{unit} since the first customer's first purchase",
            "自首位客户首次购买以来的时间 ({unit})",
        ),
        "tracking_y": ("cumulative repeat purchases", "累计重复购买次数"),
        "tracking_end": ("calibration end", "校准期结束"),
        "report_title": (
            "CLV backtest: calibration to {calibration}, holdout to {holdout}",
            "CLV 回测: 校准期至 {calibration}, 验证期至 {holdout}",
        ),
    },
    columns=(),
)
register("time_unit", {"weeks": ("weeks", "周"), "days": ("days", "天")}, columns=())


def _text(key: str, locale: Locale, **fields: object) -> str:
    return text(_TEXT, key, locale, **fields)


def _unit(unit: str, locale: Locale) -> str:
    try:
        return label(unit, locale, domain="time_unit")
    except KeyError:
        return unit


def calibration_holdout_chart(result: BacktestResult, *, locale: Locale = "en") -> go.Figure:
    """Mean holdout purchases by calibration frequency: actual, model and naive baseline."""
    by = result.by_frequency
    fig = go.Figure()
    for column, dash in (("actual", "solid"), ("model", "dash"), ("naive", "dot")):
        fig.add_scatter(
            x=by[FREQUENCY], y=by[column], name=header(column, locale), line={"dash": dash}
        )
    fig.update_layout(
        title=_text("calibration_title", locale),
        xaxis_title=_text("calibration_x", locale),
        yaxis_title=_text("calibration_y", locale, unit=_unit(result.unit, locale)),
    )
    return fig


def p_alive_matrix_chart(
    model: _CountModel,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    *,
    locale: Locale = "en",
) -> go.Figure:
    """Heatmap of P(alive) by frequency and recency for a customer aged ``max_recency``."""
    f_max = int(max_frequency or min(getattr(model, "max_frequency_", 30), 60))
    T = float(max_recency or getattr(model, "max_age_", 52.0))
    recency = np.linspace(0.0, T, 60)
    freq = np.arange(0, f_max + 1)
    x, tx = np.meshgrid(freq, recency)
    z = model.p_alive(x.ravel(), np.where(x.ravel() == 0, 0.0, tx.ravel()), T).reshape(x.shape)
    fig = go.Figure(
        go.Heatmap(
            x=freq,
            y=recency,
            z=z,
            zmin=0,
            zmax=1,
            colorbar={"title": _text("p_alive_colorbar", locale)},
        )
    )
    unit = _unit(model.unit_, locale)
    fig.update_layout(
        title=_text("p_alive_title", locale, age=f"{T:g}", unit=unit),
        xaxis_title=_text("p_alive_x", locale),
        yaxis_title=_text("p_alive_y", locale, unit_key=model.unit_),
    )
    return fig


def tracking_chart(result: BacktestResult, *, locale: Locale = "en") -> go.Figure:
    """Cumulative repeat purchases over time, actual vs model, with the holdout start marked."""
    t = result.tracking
    fig = go.Figure()
    fig.add_scatter(x=t["period"], y=t["actual_cumulative"], name=header("actual", locale))
    fig.add_scatter(
        x=t["period"],
        y=t["model_cumulative"],
        name=header("model", locale),
        line={"dash": "dash"},
    )
    start = float(t.loc[~t["in_holdout"], "period"].max())
    fig.add_vline(x=start, line_dash="dot", annotation_text=_text("tracking_end", locale))
    fig.update_layout(
        title=_text("tracking_title", locale),
        xaxis_title=_text("tracking_x", locale, unit=_unit(result.unit, locale)),
        yaxis_title=_text("tracking_y", locale),
    )
    return fig


def backtest_report(result: BacktestResult, path: str | Path, *, locale: Locale = "en") -> Path:
    """Write an HTML report (works offline): totals, parameters and the three charts, with
    titles, headers and chart text in ``locale``."""
    from crmlytics.reports import write_report

    title = _text(
        "report_title",
        locale,
        calibration=result.calibration_end,
        holdout=result.holdout_end,
    )
    return write_report(
        path,
        title,
        [
            localise(result.totals.reset_index(), locale).set_index(header("source", locale)),
            localise(result.model.summary(), locale),
            tracking_chart(result, locale=locale),
            calibration_holdout_chart(result, locale=locale),
            p_alive_matrix_chart(result.model.purchases_, locale=locale),
        ],
    )
