"""Plotly figures of the segment views: Pareto curve, R x F heatmap, treemap, migration Sankey."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.segments.labels import Locale, label


def pareto_chart(curve: pd.DataFrame, *, target: float = 0.8) -> go.Figure:
    """Cumulative share of value (y) against cumulative share of customers (x) from
    :func:`crmlytics.segments.pareto`, with the origin added and a line at ``target``."""
    x = [0.0, *curve["customer_share"].astype(float)]
    y = [0.0, *curve["value_share"].astype(float)]
    measure = curve.attrs.get("measure", "value")
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=f"cumulative {measure}"))
    fig.add_hline(y=target, line_dash="dot")
    fig.update_layout(
        title=f"Pareto curve of {measure}",
        xaxis=dict(title="share of customers", tickformat=".0%"),
        yaxis=dict(title=f"share of {measure}", tickformat=".0%"),
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


#: Said under the R x F chart: why a row or column can be blank.
TIES_NOTE = (
    "Tied values share the lowest score of their tie (as in the R rfm package), "
    "so a score level can be empty: blank row or column"
)


def rf_heatmap(segments: pd.DataFrame, bins: int = 5) -> go.Figure:
    """Heatmap of R score (y) by F score (x) coloured by mean M value (see :func:`rf_grid`),
    with :data:`TIES_NOTE` under it: an empty level (e.g. F = 2 when many bought once) shows as
    a blank column, not as a bug."""
    grid = rf_grid(segments, bins)
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(c) for c in grid.columns],
            y=[str(i) for i in grid.index],
            colorbar=dict(title="mean M"),
        )
    )
    fig.update_layout(
        title="R x F, coloured by mean monetary value",
        xaxis_title="F score",
        yaxis_title="R score",
        margin=dict(b=110),
    )
    fig.add_annotation(
        text=TIES_NOTE,
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
    (segments with no positive revenue are left out)."""
    shown = profiles[profiles["revenue"] > 0]
    names = shown["label"] if "label" in shown else shown["segment"]
    fig = go.Figure(
        go.Treemap(
            labels=list(names),
            parents=[""] * len(shown),
            values=list(shown["revenue"].astype(float)),
            customdata=list(shown["customers"]),
            hovertemplate="%{label}<br>revenue %{value:,.2f}<br>customers %{customdata}",
        )
    )
    fig.update_layout(title="Revenue by segment" if locale == "en" else "各客户群收入")
    return fig


def migration_sankey(
    frame: pd.DataFrame, *, values: str = "customers", locale: Locale = "en"
) -> go.Figure:
    """Sankey of :func:`crmlytics.segments.migration`: left nodes are the earlier segments,
    right nodes the later ones, link widths ``customers`` or ``revenue``."""
    if values not in ("customers", "revenue"):
        raise ValueError(f"values must be customers or revenue, not {values!r}")
    by = frame.attrs.get("by")
    sources = list(dict.fromkeys(frame["from_segment"]))
    targets = list(dict.fromkeys(frame["to_segment"]))

    def name(key: str) -> str:
        try:
            return label(key, locale, segmentation=by) if by else key
        except KeyError:
            return key

    nodes = [name(k) for k in sources] + [name(k) for k in targets]
    link = dict(
        source=[sources.index(k) for k in frame["from_segment"]],
        target=[len(sources) + targets.index(k) for k in frame["to_segment"]],
        value=list(frame[values].astype(float)),
    )
    fig = go.Figure(go.Sankey(node=dict(label=nodes), link=link))
    fig.update_layout(title=f"Segment migration ({by or 'segments'}, {values})")
    return fig
