"""Plotly figures of the segment views: Pareto curve, R x F heatmap, treemap, migration Sankey.

Every chart takes ``locale`` (``en`` / ``zh``): titles, axis titles, legend and hover text and
segment names follow it (texts registered in :mod:`crmlytics.labels` as ``charts.segments``).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.errors import ConfigError
from crmlytics.labels import Locale, header, label, register, text

_TEXT = "charts.segments"
register(
    _TEXT,
    {
        "pareto_trace": ("cumulative {measure}", "累计{measure}"),
        "pareto_title": ("Pareto curve of {measure}", "{measure}帕累托曲线"),
        "pareto_x": ("share of customers", "客户占比"),
        "pareto_y": ("share of {measure}", "{measure}占比"),
        "rf_title": ("R x F, coloured by mean monetary value", "R × F 分布 (颜色: 平均金额)"),
        "rf_x": ("F score", "F 评分"),
        "rf_y": ("R score", "R 评分"),
        "rf_colorbar": ("mean M", "平均 M 值"),
        "rf_ties_note": (
            "Tied values share the lowest score of their tie (as in the R rfm package), "
            "so a score level can be empty: blank row or column",
            "并列的值共享其并列组中最低的评分 (与 R rfm 包相同), 因此某一评分等级可能为空: "
            "空白的行或列",
        ),
        "treemap_title": ("Revenue by segment", "各客户群收入"),
        "treemap_hover": (
            "%{label}<br>revenue %{value:,.2f}<br>customers %{customdata}",
            "%{label}<br>收入 %{value:,.2f}<br>客户数 %{customdata}",
        ),
        "sankey_title": ("Segment migration ({by}, {values})", "客户群迁移 ({by}, {values})"),
        "sankey_segments": ("segments", "客户群"),
    },
    columns=(),
)


def _text(key: str, locale: Locale, **fields: object) -> str:
    return text(_TEXT, key, locale, **fields)


#: Said under the R x F chart (English): why a row or column can be blank.
TIES_NOTE = _text("rf_ties_note", "en")


def pareto_chart(curve: pd.DataFrame, *, target: float = 0.8, locale: Locale = "en") -> go.Figure:
    """Cumulative share of value (y) against cumulative share of customers (x) from
    :func:`crmlytics.segments.pareto`, with the origin added and a line at ``target``."""
    x = [0.0, *curve["customer_share"].astype(float)]
    y = [0.0, *curve["value_share"].astype(float)]
    measure = header(curve.attrs.get("measure", "value"), locale)
    trace = _text("pareto_trace", locale, measure=measure)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=trace))
    fig.add_hline(y=target, line_dash="dot")
    fig.update_layout(
        title=_text("pareto_title", locale, measure=measure),
        xaxis=dict(title=_text("pareto_x", locale), tickformat=".0%"),
        yaxis=dict(title=_text("pareto_y", locale, measure=measure), tickformat=".0%"),
    )
    return fig


def rf_grid(segments: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """Mean ``rfm_monetary`` per (R score row, F score column), scores 1..bins; NaN for empty cells.

    ``segments`` is a materialised :func:`crmlytics.segments.customer_segments` (customer grain).
    """
    scored = segments.dropna(subset=["r_score", "f_score"])
    grid = scored.pivot_table(
        index="r_score", columns="f_score", values="rfm_monetary", aggfunc="mean"
    )
    levels = list(range(1, bins + 1))
    grid = grid.reindex(index=levels, columns=levels)
    grid.index.name, grid.columns.name = "r_score", "f_score"
    return grid


def rf_heatmap(segments: pd.DataFrame, bins: int = 5, *, locale: Locale = "en") -> go.Figure:
    """Heatmap of R score (y) by F score (x) coloured by mean M value (see :func:`rf_grid`),
    with a note under it (:data:`TIES_NOTE` in English): an empty level (e.g. F = 2 when many
    bought once) shows as a blank column, not as a bug."""
    grid = rf_grid(segments, bins)
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(c) for c in grid.columns],
            y=[str(i) for i in grid.index],
            colorbar=dict(title=_text("rf_colorbar", locale)),
        )
    )
    fig.update_layout(
        title=_text("rf_title", locale),
        xaxis_title=_text("rf_x", locale),
        yaxis_title=_text("rf_y", locale),
        margin=dict(b=110),
    )
    fig.add_annotation(
        text=_text("rf_ties_note", locale),
        xref="paper",
        yref="paper",
        x=0.0,
        y=-0.22,
        xanchor="left",
        showarrow=False,
        font=dict(size=11),
    )
    return fig


def segment_treemap(profiles: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Treemap of segments sized by revenue, from :func:`crmlytics.segments.segment_profiles`
    (segments with no positive revenue are left out), named by their labels in ``locale``."""
    shown = profiles[profiles["revenue"] > 0]
    by = profiles.attrs.get("by")
    if by is None and "label" in shown:  # a profile frame that lost its attrs
        names = list(shown["label"])
    else:
        names = [_segment_name(k, locale, by, "profile") for k in shown["segment"]]
    fig = go.Figure(
        go.Treemap(
            labels=list(names),
            parents=[""] * len(shown),
            values=list(shown["revenue"].astype(float)),
            customdata=list(shown["customers"]),
            hovertemplate=_text("treemap_hover", locale),
        )
    )
    fig.update_layout(title=_text("treemap_title", locale))
    return fig


def migration_sankey(
    frame: pd.DataFrame, *, values: str = "customers", locale: Locale = "en"
) -> go.Figure:
    """Sankey of :func:`crmlytics.segments.migration`: left nodes are the earlier segments,
    right nodes the later ones, link widths ``customers`` or ``revenue``."""
    if values not in ("customers", "revenue"):
        raise ConfigError(f"values must be customers or revenue, not {values!r}")
    by = frame.attrs.get("by")
    sources = list(dict.fromkeys(frame["from_segment"]))
    targets = list(dict.fromkeys(frame["to_segment"]))
    nodes = [_segment_name(k, locale, by) for k in (*sources, *targets)]
    link = dict(
        source=[sources.index(k) for k in frame["from_segment"]],
        target=[len(sources) + targets.index(k) for k in frame["to_segment"]],
        value=list(frame[values].astype(float)),
    )
    fig = go.Figure(go.Sankey(node=dict(label=nodes), link=link))
    title = _text(
        "sankey_title",
        locale,
        by=header(by, locale) if by else _text("sankey_segments", locale),
        values=header(values, locale),
    )
    fig.update_layout(title=title)
    return fig


def _segment_name(key: str, locale: Locale, by: str | None, *more: str) -> str:
    """Label of segment ``key`` of segmentation ``by`` (or of the domains ``more``; the key
    itself when none has it)."""
    for domain in (by, *more) if by else more:
        try:
            return label(key, locale, domain=domain)
        except KeyError:
            continue
    return key
