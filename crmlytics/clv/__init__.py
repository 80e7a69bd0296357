"""Customer lifetime value: BTYD summaries from the warehouse, robust BG/NBD-family and
Gamma-Gamma fits over lifetimes, per-customer predictions, backtests and charts.

CLV is fitted from the warehouse with :func:`fit_clv` (``crm.fit_clv``), or on a summary frame
with ``ClvModel(...).fit(summary)``; a fitted model is kept with ``save`` / ``ClvModel.load``.
The other workflow functions live in their modules (``crmlytics.clv.predict.predict``,
``crmlytics.clv.backtest.backtest``: the package attributes ``predict`` and ``backtest`` are
those modules). Names are imported lazily, so ``crmlytics.config`` can use :class:`ClvConfig`
without loading lifetimes and scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmlytics.clv.config import ClvConfig

_EXPORTS = {
    "BacktestResult": "backtest",
    "ClvFitError": "fitting",
    "ClvFitWarning": "fitting",
    "FitResult": "fitting",
    "BetaGeo": "models",
    "GammaGamma": "models",
    "ModifiedBetaGeo": "models",
    "NotFittedError": "models",
    "ModelMismatchError": "models",
    "ParetoNBD": "models",
    "count_model": "models",
    "ClvModel": "predict",
    "fit_clv": "predict",
    "btyd_summary": "summary",
    "history_columns": "summary",
    "summary_columns": "summary",
    "calibration_holdout": "summary",
    "compress": "summary",
    "customer_summary": "summary",
    "fit_inputs": "summary",
    "pattern_index": "summary",
    "spend_patterns": "summary",
    "summary_patterns": "summary",
    "purchase_days": "summary",
}

__all__ = ["ClvConfig", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.clv' has no attribute {name!r}")
    return getattr(importlib.import_module(f"crmlytics.clv.{module}"), name)
