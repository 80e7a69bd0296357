"""Nightly scoring: every segment and CLV score of every customer as of a date, in one run.

This is what a scheduled job calls (``crmlytics score --as-of D``). It either records a complete
score run (:mod:`crmlytics.runs`) or raises and records nothing, leaving earlier runs intact.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from crmlytics import __version__
from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.config import Config
from crmlytics.runs import record_scores
from crmlytics.workspace import Workspace

CLV_COLUMNS = ("p_alive", "expected_purchases", "expected_order_value", "clv")

#: The steps :func:`score` announces through its ``progress`` callback, with their labels.
SCORE_STEPS = {
    "segments": "segments (RFM, value, lifecycle, four degrees)",
    "clv": "CLV: summary, fit and predictions",
    "churn": "churn: backtest, fit and score",
    "record": "recording the score run",
}


@dataclass(frozen=True)
class ScoreRun:
    """A recorded score run: its id, as-of date, customers scored and column names."""

    run_id: str
    as_of: _dt.date
    customers: int
    columns: tuple[str, ...]


def customer_scores(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: Config | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Segments (:func:`crmlytics.segments.customer_segments`) and CLV predictions
    (:func:`crmlytics.clv.predict.predict`, settings from ``config.clv``) of every customer as
    of ``as_of``, one row per customer. Customers without a purchase have null CLV columns.
    With ``config.churn.score_run`` (the default) the churn columns follow (:func:`churn_scores`;
    null for customers churn does not score: prospects, closed accounts, long silent ones).
    Every column is defined in ``docs/glossary.md``. Warns
    (:class:`crmlytics.segments.rfm.RfmEmptyLevelWarning`) when an RFM score level is empty."""
    from crmlytics.clv.predict import predict
    from crmlytics.segments.core import computed_segments
    from crmlytics.segments.rfm import warn_empty_levels

    config = config or Config()
    announce = progress or (lambda step: None)
    point = resolve_as_of(as_of)
    announce("segments")
    with computed_segments(ws, point, config) as computed:
        segments = computed.to_pandas()
    warn_empty_levels(segments, config.segments.rfm.bins)
    announce("clv")
    clv = config.clv
    predictions = predict(
        ws,
        point,
        model=clv.model,
        unit=clv.unit,
        horizon_months=clv.horizon_months,
        discount_rate=clv.discount_rate,
        margin=clv.margin,
    )
    scores = segments.merge(
        predictions[["customer_id", *CLV_COLUMNS]], on="customer_id", how="left", validate="1:1"
    )
    if not config.churn.score_run:
        return scores
    announce("churn")
    churn = churn_scores(ws, point, config)
    return scores.merge(churn, on="customer_id", how="left", validate="1:1")


def churn_scores(ws: Workspace, point: AsOf, config: Config) -> pd.DataFrame:
    """``customer_id`` and the churn columns (:data:`crmlytics.churn.score.SCORE_COLUMNS`) of
    the active customers: scored by the model in ``config.churn.model_file``, or trained in the
    run (:func:`crmlytics.churn.backtest.train`) when none is set."""
    from crmlytics.churn.model import ChurnModel
    from crmlytics.churn.score import score_churn

    path = config.churn.model_file
    model = None if path is None else ChurnModel.load(path)
    return score_churn(ws, point, model, config).scores


def score(
    ws: Workspace,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: Config | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScoreRun:
    """Compute :func:`customer_scores` and record them as one score run (all or nothing)."""
    config = config or Config()
    started = _dt.datetime.now()
    point = resolve_as_of(as_of)
    scores = customer_scores(ws, point, config, progress)
    (progress or (lambda step: None))("record")
    run_id = record_scores(
        ws,
        scores,
        as_of=point,
        config_hash=config.digest(),
        model_versions={"crmlytics": __version__, "clv": config.clv.model},
        started_at=started,
    )
    return ScoreRun(run_id, point.date, len(scores), tuple(scores.columns))
