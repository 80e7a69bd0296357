"""Funnels: stage conversion, win / loss, pipeline forecast, stale deals, collisions, campaigns.

The relational work is Ibis (runs on DuckDB and Spark) over ``opportunities``,
``opportunity_stages``, ``campaign_touches``, ``customers`` and ``interactions``; every function
takes an as-of date and sees only events at or before it. Results are stage, group or deal grain.
"""

from __future__ import annotations

from typing import Any

from crmlytics.funnel.campaign import campaign_funnel
from crmlytics.funnel.collisions import collisions
from crmlytics.funnel.config import STAGE_LABELS, FunnelConfig, FunnelPreset, stage_label
from crmlytics.funnel.conversion import (
    dimension_segments,
    funnel,
    stage_conversion,
    stage_durations,
    wilson_interval,
    win_rates,
)
from crmlytics.funnel.forecast import (
    forecast,
    forecast_backtest,
    forecast_by_month,
    win_probabilities,
)
from crmlytics.funnel.stages import deals, unknown_stages
from crmlytics.funnel.stale import stale_deals
from crmlytics.funnel.winloss import lost_reasons, win_loss

_CHARTS = ("duration_box_chart", "funnel_chart", "win_rate_chart")  # plotly: loaded on use

__all__ = [
    "STAGE_LABELS",
    "FunnelConfig",
    "FunnelPreset",
    "campaign_funnel",
    "collisions",
    "deals",
    "dimension_segments",
    "duration_box_chart",
    "forecast",
    "forecast_backtest",
    "forecast_by_month",
    "funnel",
    "funnel_chart",
    "lost_reasons",
    "stage_conversion",
    "stage_durations",
    "stage_label",
    "stale_deals",
    "unknown_stages",
    "win_loss",
    "win_probabilities",
    "win_rate_chart",
    "win_rates",
    "wilson_interval",
]


def __getattr__(name: str) -> Any:
    if name in _CHARTS:
        from crmlytics.funnel import charts

        return getattr(charts, name)
    raise AttributeError(f"module 'crmlytics.funnel' has no attribute {name!r}")
