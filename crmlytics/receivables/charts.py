"""Plotly figure of receivables: ageing bars (open amount per ageing bucket)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crmlytics.labels import Locale, label

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Receivables ageing", "应收账款账龄"),
    "amount": ("open amount", "未收金额"),
    "invoices": ("invoices", "张发票"),
}
_COLOURS = ("#4c9f70", "#f2c14e", "#f08a4b", "#d1495b", "#8c2f39")


def _t(key: str, locale: Locale) -> str:
    en, zh = _TEXT[key]
    return zh if locale == "zh" else en


def bucket_label(key: str, locale: Locale = "en") -> str:
    """The label of ageing bucket ``key`` in ``locale`` (domain ``ageing_bucket`` of
    :mod:`crmlytics.labels`)."""
    return label(key, locale, domain="ageing_bucket")


def ageing_bars(table: pd.DataFrame, *, locale: Locale = "en") -> go.Figure:
    """Bars of the open amount per ageing bucket, oldest darkest, from the ageing table
    (:func:`crmlytics.receivables.ageing`, materialised), with the invoice count on each bar."""
    table = table.sort_values("bucket_order")
    fig = go.Figure(
        go.Bar(
            x=[bucket_label(k, locale) for k in table["ageing_bucket"]],
            y=table["open_amount"],
            text=[f"{n:,} {_t('invoices', locale)}" for n in table["invoices"]],
            marker_color=list(_COLOURS[: len(table)]),
        )
    )
    fig.update_layout(title=_t("title", locale), yaxis_title=_t("amount", locale))
    return fig
