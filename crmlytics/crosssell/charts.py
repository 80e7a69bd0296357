"""Charts of cross-sell (plotly): top rules by lift, co-purchase heatmap of the top items."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crmlytics.labels import check_locale

Locale = Literal["en", "zh"]

_TEXT = {
    "en": {
        "rules": "Top rules by lift",
        "support": "support (share of baskets)",
        "confidence": "confidence",
        "lift": "lift",
        "heatmap": "Baskets holding both items",
    },
    "zh": {
        "rules": "按提升度排列的关联规则",
        "support": "支持度（购物篮占比）",
        "confidence": "置信度",
        "lift": "提升度",
        "heatmap": "同时购买两件商品的购物篮数",
    },
}


def rules_chart(rules: pd.DataFrame, *, top: int = 30, locale: Locale = "en") -> go.Figure:
    """Support against confidence of the ``top`` rules of highest lift (colour and size: lift)."""
    text = _TEXT[check_locale(locale)]
    shown = rules.sort_values(["lift", "confidence"], ascending=False).head(top)
    labels = shown["antecedent"] + " → " + shown["consequent"]
    fig = go.Figure(
        go.Scatter(
            x=shown["support"],
            y=shown["confidence"],
            mode="markers",
            text=labels,
            marker=dict(
                color=shown["lift"],
                size=8 + 4 * np.sqrt(shown["lift"].clip(lower=0)),
                colorbar=dict(title=text["lift"]),
                showscale=True,
            ),
            hovertemplate="%{text}<br>%{x:.2%} · %{y:.0%}<extra></extra>",
        )
    )
    fig.update_layout(
        title=text["rules"], xaxis_title=text["support"], yaxis_title=text["confidence"]
    )
    return fig


def co_purchase_matrix(pairs: pd.DataFrame, items: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Square matrix of baskets holding both items, for the ``top`` items by baskets.

    ``pairs``: ``item_a``, ``item_b``, ``baskets`` (:func:`~crmlytics.crosssell.rules.pair_counts`);
    ``items``: ``item``, ``baskets`` (:func:`~crmlytics.crosssell.rules.item_counts`).
    """
    chosen = list(items.sort_values(["baskets", "item"], ascending=[False, True])["item"][:top])
    matrix = pd.DataFrame(0, index=chosen, columns=chosen, dtype="int64")
    keep = pairs[pairs["item_a"].isin(chosen) & pairs["item_b"].isin(chosen)]
    for a, b, n in zip(keep["item_a"], keep["item_b"], keep["baskets"], strict=True):
        matrix.loc[a, b] = matrix.loc[b, a] = int(n)
    return matrix


def co_purchase_heatmap(matrix: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Heatmap of :func:`co_purchase_matrix`."""
    text = _TEXT[check_locale(locale)]
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=list(matrix.columns), y=list(matrix.index)))
    fig.update_layout(title=text["heatmap"])
    return fig
