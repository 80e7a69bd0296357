"""Churn: who is slipping away, how sure we are, and why.

Labels (:mod:`~crmlytics.churn.labels`) and features (:mod:`~crmlytics.churn.features`) are Ibis
expressions as of a cutoff; :class:`ChurnModel` (calibrated gradient-boosted trees, logistic
regression and three rules) follows the model contract; :func:`backtest` ranks the methods on
the latest cutoff whose horizon has passed, :func:`train` fits the winner and
:func:`score_churn` scores every active customer with a risk tier and reasons in words.
Names load lazily, so ``crmlytics.config`` can use :class:`ChurnConfig` without scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmlytics.churn.config import ChurnConfig

_EXPORTS = {
    "churn_labels": "labels",
    "churn_population": "labels",
    "FEATURES": "features",
    "churn_features": "features",
    "feature_frame": "features",
    "ChurnModel": "model",
    "METHODS": "model",
    "psi": "model",
    "simulate_snapshots": "model",
    "BacktestResult": "backtest",
    "backtest": "backtest",
    "snapshots": "backtest",
    "train": "backtest",
    "ChurnDriftWarning": "score",
    "ChurnScores": "score",
    "SCORE_COLUMNS": "score",
    "score_churn": "score",
    "reason_texts": "reasons",
    "calibration_chart": "charts",
    "gains_chart": "charts",
    "risk_by_segment": "charts",
}

__all__ = ["ChurnConfig", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.churn' has no attribute {name!r}")
    return getattr(importlib.import_module(f"crmlytics.churn.{module}"), name)
