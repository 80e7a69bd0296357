"""The model contract every fitted thing in crmlytics follows (scikit-learn shape).

A model class subclasses :class:`Model` and joins the registry with :func:`register_model`;
the contract test (``tests/test_model_contract.py``) then runs every registered class through
the same checks, in the spirit of scikit-learn's ``check_estimator``:

- ``__init__`` only stores its parameters, unchanged (``get_params`` / ``set_params`` and
  ``sklearn.base.clone`` work);
- ``fit(...)`` does the work and returns ``self``; what was learnt ends in ``_`` and does not
  exist before ``fit``; every fitted model has ``as_of_`` (ISO date of the data, or ``None``),
  ``data_hash_`` (a short hash of what it was fitted on) and ``features_`` (the input columns
  it reads);
- ``predict(X, ...)`` refuses to run before ``fit`` with :class:`NotFittedError` and returns one
  row per row of ``X`` with ``X``'s index (a frame indexed by ``customer_id`` stays so);
- ``summary()`` is a method returning a DataFrame (the learnt parameters);
- ``save(path)`` / ``Model.load(path)`` write and read one JSON file with the parameters, the
  learnt state, as-of, data hash, features and library versions; a loaded model predicts
  exactly as the saved one;
- data that does not match a model (a missing feature column, another time unit) and a file of
  another model kind are refused with :class:`ModelMismatchError`, naming what differs.

Each registered class provides a small data set for the contract test through
:meth:`Model._contract_data`, so a new model needs no test code of its own to be checked.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import pickle
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFitted

from crmlytics.errors import CrmlyticsError, DataError

MODEL_FORMAT = "crmlytics.model/1"
"""The ``format`` field of a saved model file."""

MODEL_MODULES: tuple[str, ...] = (
    "crmlytics.clv.models",
    "crmlytics.clv.predict",
    "crmlytics.churn.model",
    "crmlytics.crosssell.model",
)
"""Modules that register model classes; a domain with models adds its module here once."""

VERSIONED = ("crmlytics", "numpy", "pandas", "scikit-learn", "scipy", "lifetimes")
"""Distributions whose versions a saved model records (with the Python version)."""

_REGISTRY: dict[str, type[Model]] = {}


class NotFittedError(CrmlyticsError, _SklearnNotFitted):
    """A model was asked to predict before ``fit``, or was fitted on incompatible data.

    Also a :class:`sklearn.exceptions.NotFittedError` (so a ``ValueError`` and an
    ``AttributeError``), as scikit-learn's tools expect. Exit code 6.
    """

    exit_code = 6


class ModelMismatchError(NotFittedError):
    """A fitted (or saved) model does not match the data it is asked to score, or a model file
    holds another kind of model. The message says what differs. Exit code 6."""


@dataclass(frozen=True)
class ContractData:
    """A small data set on which the contract test runs a model class.

    ``fit_args`` / ``fit_kwargs`` go to ``fit``; ``predict_input`` (indexed by ``customer_id``)
    and ``predict_kwargs`` to ``predict``; each of ``mismatches`` is a frame the fitted model
    must refuse with :class:`ModelMismatchError` and a regular expression its message matches.
    """

    fit_args: tuple[Any, ...]
    predict_input: pd.DataFrame
    fit_kwargs: dict[str, Any] = field(default_factory=dict)
    predict_kwargs: dict[str, Any] = field(default_factory=dict)
    mismatches: tuple[tuple[pd.DataFrame, str], ...] = ()


def register_model(cls: type[Model]) -> type[Model]:
    """Class decorator: add ``cls`` to the model registry under ``cls.kind``.

    Registered classes are the ones the contract test checks and :meth:`Model.load` can rebuild.
    """
    kind = cls.__dict__.get("kind")
    if not isinstance(kind, str) or not kind:
        raise TypeError(f"{cls.__name__} needs a class attribute `kind` (a short name) to register")
    known = _REGISTRY.get(kind)
    if known is not None and _qualname(known) != _qualname(cls):
        raise TypeError(f"model kind {kind!r} is taken by {_qualname(known)}")
    _REGISTRY[kind] = cls
    return cls


def registered_models() -> dict[str, type[Model]]:
    """Every registered model class by kind (imports :data:`MODEL_MODULES` first)."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return dict(sorted(_REGISTRY.items()))


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def library_versions() -> dict[str, str]:
    """Versions of Python and of :data:`VERSIONED` ("not installed" where absent)."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = _dist_version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    if out["crmlytics"] == "not installed":  # run from a source tree
        from crmlytics import __version__

        out["crmlytics"] = __version__
    return out


def frame_hash(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> str:
    """A short SHA-256 of ``frame``'s ``columns`` (all by default), values and order included."""
    digest = hashlib.sha256()
    for column in list(frame.columns if columns is None else columns):
        digest.update(str(column).encode())
        values = frame[column].to_numpy()
        if values.dtype.kind in "biuf":
            digest.update(np.ascontiguousarray(values.astype("float64")).tobytes())
        else:
            digest.update("\x1f".join(map(str, values)).encode())
    return digest.hexdigest()[:16]


def encode_object(obj: Any) -> str:
    """A picklable object as text for :meth:`Model._get_state` (e.g. a scikit-learn pipeline).

    Only load model files you trust: decoding unpickles.
    """
    return base64.b64encode(pickle.dumps(obj, protocol=5)).decode("ascii")


def decode_object(text: str) -> Any:
    """The object :func:`encode_object` encoded."""
    return pickle.loads(base64.b64decode(text.encode("ascii")))  # noqa: S301 (trusted file)


def missing_columns(frame: pd.DataFrame, needed: Iterable[str]) -> list[str]:
    """Those of ``needed`` that ``frame`` lacks, in order."""
    return [c for c in needed if c not in frame.columns]


class Model(BaseEstimator):
    """Base of every fitted model: persistence, fitted-state and data checks.

    Subclasses set ``kind`` (the registry key and the ``kind`` of a saved file), take their
    parameters as keyword arguments of ``__init__`` and store them unchanged, and implement
    ``fit`` (setting ``as_of_``, ``data_hash_``, ``features_`` and their own learnt attributes),
    ``predict``, ``summary``, ``_get_state`` / ``_set_state`` (the learnt state as JSON-ready
    values) and ``_contract_data``. ``_fitted_marker`` names the attribute that ``fit`` sets last
    enough to mean "fitted".
    """

    kind: ClassVar[str]
    _fitted_marker: ClassVar[str] = "params_"

    # -- what a subclass provides ---------------------------------------------------------------
    def fit(self, *args: Any, **kwargs: Any) -> Self:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, X: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def summary(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _get_state(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The learnt state (besides as_of_, data_hash_, features_) as JSON-ready values."""
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any]) -> None:  # pragma: no cover - abstract
        """Restore what :meth:`_get_state` returned (parameters are already set)."""
        raise NotImplementedError

    @classmethod
    def _contract_data(cls) -> ContractData:  # pragma: no cover - abstract
        """A small data set for the contract test (see :class:`ContractData`)."""
        raise NotImplementedError

    def _mismatches(self, X: pd.DataFrame) -> list[str]:
        """What about ``X`` does not match this fitted model (empty if it matches).

        By default: the feature columns ``X`` lacks. Subclasses add their own checks.
        """
        missing = missing_columns(X, self.features_)
        if not missing:
            return []
        return [
            f"the data lacks column(s) {', '.join(missing)} (fitted on features "
            f"{', '.join(self.features_)}; data has {', '.join(map(str, X.columns))})"
        ]

    # -- provided -----------------------------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, self._fitted_marker)

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call .fit(...) first"
            )

    def _check_compatible(self, X: pd.DataFrame) -> None:
        """Refuse with :class:`ModelMismatchError` if ``X`` does not match the fitted model."""
        self._check_fitted()
        problems = self._mismatches(X)
        if problems:
            origin = f", as of {self.as_of_}" if getattr(self, "as_of_", None) else ""
            raise ModelMismatchError(
                f"this {type(self).__name__} (fitted{origin}) does not match the data it is asked "
                f"to score: {'; '.join(problems)}"
            )

    def metadata(self) -> dict[str, Any]:
        """What a saved file records besides the state: kind, parameters, as-of, data hash,
        features and library versions."""
        self._check_fitted()
        return {
            "format": MODEL_FORMAT,
            "kind": self.kind,
            "class": _qualname(type(self)),
            "params": self.get_params(deep=False),
            "as_of": self.as_of_,
            "data_hash": self.data_hash_,
            "features": list(self.features_),
            "versions": library_versions(),
        }

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to ``path`` as JSON (atomically); returns the path."""
        record = self.metadata() | {"state": self._get_state()}
        path = Path(path)
        text = json.dumps(record, indent=2, ensure_ascii=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            raise DataError(f"cannot write the model file {path}: {exc.strerror or exc}") from exc
        return path

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Read a model written by :meth:`save`.

        ``Model.load`` rebuilds whatever registered kind the file holds; ``SomeModel.load``
        refuses (:class:`ModelMismatchError`) a file that holds another kind of model.
        """
        path = Path(path)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"no model file at {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path} is not a crmlytics model file (not JSON: {exc})") from None
        if not isinstance(record, dict) or record.get("format") != MODEL_FORMAT:
            raise DataError(
                f"{path} is not a crmlytics model file (expected format {MODEL_FORMAT!r}, "
                f"found {record.get('format') if isinstance(record, dict) else None!r})"
            )
        kind = record.get("kind")
        klass = registered_models().get(kind)
        if klass is None:
            raise DataError(
                f"{path} holds a model of unknown kind {kind!r}; known kinds: "
                f"{', '.join(registered_models())}"
            )
        if not issubclass(klass, cls):
            raise ModelMismatchError(
                f"{path} holds a {klass.__name__} model (kind {kind!r}), not a {cls.__name__}; "
                f"load it with {klass.__name__}.load or crmlytics.base.Model.load"
            )
        model = klass(**record["params"])
        model.as_of_ = record["as_of"]
        model.data_hash_ = record["data_hash"]
        model.features_ = list(record["features"])
        model.versions_ = dict(record["versions"])
        model._set_state(record["state"])
        return model


__all__ = [
    "MODEL_FORMAT",
    "MODEL_MODULES",
    "ContractData",
    "Model",
    "ModelMismatchError",
    "NotFittedError",
    "decode_object",
    "encode_object",
    "frame_hash",
    "library_versions",
    "missing_columns",
    "register_model",
    "registered_models",
]
