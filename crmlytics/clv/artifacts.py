"""Model artifacts: a fitted CLV model saved as JSON with what is needed to trust and reuse it.

The file records the parameters (and standard errors) of the purchase-count and spend models, the
time unit, the as-of date of the training data, a hash of the data fitted on, the fit diagnostics,
and the versions of crmlytics, lifetimes, numpy and scipy. JSON, not pickle: it can be read,
diffed and loaded safely; loading rebuilds models that predict exactly as the saved ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lifetimes
import numpy as np
import pandas as pd
import scipy

from crmlytics.clv.fitting import FitResult
from crmlytics.clv.models import GammaGamma, count_model
from crmlytics.clv.predict import ClvModel

FORMAT = "crmlytics.clv/1"


def _versions() -> dict[str, str]:
    from crmlytics import __version__

    return {
        "crmlytics": __version__,
        "lifetimes": lifetimes.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def model_record(model: ClvModel) -> dict[str, Any]:
    """The JSON-ready description of a fitted :class:`ClvModel`."""
    purchases = model.purchases
    record: dict[str, Any] = {
        "format": FORMAT,
        "model": purchases.model,
        "unit": model.unit,
        "as_of": model.as_of,
        "data_hash": purchases.data_hash_,
        "versions": _versions(),
        "purchases": purchases.diagnostics_.as_dict()
        | {"max_frequency": purchases.max_frequency_, "max_T": purchases.max_T_},
        "spend": None,
        "spend_error": model.spend_error,
        "notes": list(model.notes),
    }
    if model.spend is not None:
        record["spend"] = model.spend.diagnostics_.as_dict() | {
            "correlation": model.spend.correlation_
        }
    return record


def save_model(model: ClvModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (JSON), atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(model_record(model), indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def _result(d: dict[str, Any]) -> FitResult:
    keys = FitResult.__dataclass_fields__
    return FitResult(**{k: v for k, v in d.items() if k in keys})


def load_model(path: str | Path) -> ClvModel:
    """Read a model written by :func:`save_model`; a clear error if it is not one."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no CLV model artifact at {path}; run `crmlytics clv fit`"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a CLV model artifact (not JSON: {exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path} is not a crmlytics CLV model artifact (format {FORMAT})")
    purchases = count_model(record["model"], unit=record["unit"])
    purchases._set_result(_result(record["purchases"]))
    purchases.as_of_ = record["as_of"]
    purchases.data_hash_ = record["data_hash"]
    purchases.max_frequency_ = record["purchases"].get("max_frequency", 0)
    purchases.max_T_ = record["purchases"].get("max_T", 0.0)
    spend = None
    if record.get("spend"):
        spend = GammaGamma()
        result = _result(record["spend"])
        spend.params_ = pd.Series(result.params, dtype=float)
        spend.standard_errors_ = pd.Series(result.standard_errors, dtype=float)
        spend.log_likelihood_ = result.log_likelihood
        spend.diagnostics_ = result
        spend.n_customers_ = result.n_customers
        spend.correlation_ = float(record["spend"]["correlation"])
        spend.data_hash_ = record["data_hash"]
        from lifetimes import GammaGammaFitter

        spend.fitter_ = GammaGammaFitter()
        spend.fitter_.params_ = spend.params_.copy()
    return ClvModel(
        purchases,
        spend,
        record["unit"],
        record["as_of"],
        record.get("spend_error"),
        list(record.get("notes", [])),
        dict(record.get("versions", {})),
    )
