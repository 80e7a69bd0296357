"""Scoring: churn probability, risk tier and reasons of every active customer as of a date.

The customers scored are the population of :func:`crmlytics.churn.labels.churn_population` at
the as-of date (the ones the model was trained to judge). With the scores comes the population
stability (PSI) of each feature against the training data; features above
``psi_warning`` raise a :class:`ChurnDriftWarning`, since a model applied to a population unlike
the one it learnt from may mislead.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlytics.asof import as_of as resolve_as_of
from crmlytics.churn.config import ChurnConfig, RiskTiers, churn_config
from crmlytics.churn.features import feature_frame
from crmlytics.churn.labels import AsOfLike
from crmlytics.churn.model import ChurnModel, psi
from crmlytics.churn.reasons import reason_texts
from crmlytics.errors import CrmlyticsWarning
from crmlytics.workspace import Workspace

#: Columns a churn score adds per customer (also in the nightly score run).
SCORE_COLUMNS: tuple[str, ...] = (
    "churn_probability",
    "churn_risk_tier",
    "churn_reason_1",
    "churn_reason_2",
    "churn_reason_3",
)
RISK_TIERS: tuple[str, ...] = ("high", "medium", "low")


class ChurnDriftWarning(CrmlyticsWarning):
    """The scored population differs from the training population (PSI above the limit)."""


def risk_tier(probability: np.ndarray, tiers: RiskTiers | None = None) -> np.ndarray:
    """``high`` at or above ``tiers.high``, ``medium`` at or above ``tiers.medium``, else
    ``low`` (null for a missing probability)."""
    t = tiers or RiskTiers()
    p = np.asarray(probability, dtype="float64")
    out = np.where(p >= t.high, "high", np.where(p >= t.medium, "medium", "low")).astype(object)
    out[np.isnan(p)] = None
    return out


@dataclass
class ChurnScores:
    """Scores of every active customer (``scores``), the PSI of each feature (``psi``) and the
    features whose PSI exceeded the warning level (``drifted``)."""

    as_of: str
    scores: pd.DataFrame
    psi: pd.DataFrame
    drifted: list[str]


def score_frame(
    model: ChurnModel,
    features: pd.DataFrame,
    config: ChurnConfig | None = None,
    locale: str = "en",
) -> pd.DataFrame:
    """``customer_id`` and :data:`SCORE_COLUMNS` for a frame of features (one row a
    customer)."""
    c = config or ChurnConfig()
    X = features.reset_index(drop=True)
    predicted = model.predict(X)
    drivers = model.drivers(X, top=3, candidates=c.reason_features)
    reasons = reason_texts(drivers, X, locale, c.trend_days)
    out = pd.DataFrame({"customer_id": X["customer_id"].to_numpy()})
    out["churn_probability"] = predicted["churn_probability"].to_numpy()
    out["churn_risk_tier"] = risk_tier(out["churn_probability"].to_numpy(), c.risk_tiers)
    for k in (1, 2, 3):
        out[f"churn_reason_{k}"] = reasons[f"reason_{k}"].to_numpy()
    return out


def score_churn(
    ws: Workspace,
    as_of: AsOfLike = None,
    model: ChurnModel | None = None,
    config: object | None = None,
    *,
    locale: str | None = None,
) -> ChurnScores:
    """Churn probability, risk tier and top three reasons of every active customer.

    Parameters
    ----------
    as_of
        Features see only rows at or before this point (a date means the end of that day).
    model
        A fitted :class:`ChurnModel` (e.g. ``ChurnModel.load(path)``); ``None`` trains one as
        of ``as_of`` with :func:`crmlytics.churn.backtest.train` first.
    config
        A :class:`~crmlytics.config.Config` (its ``locale`` is the default language of the
        reasons) or a :class:`ChurnConfig`.
    locale
        ``en`` or ``zh`` for the reasons.
    """
    c = churn_config(config)
    locale = locale or getattr(config, "locale", "en")
    point = resolve_as_of(as_of)
    if model is None:
        from crmlytics.churn.backtest import train

        model = train(ws, point, c).model
    features = feature_frame(ws, point, c)
    scores = score_frame(model, features, c, locale)
    stability = psi(model, features)
    drifted = stability.loc[stability["psi"] > c.psi_warning, "feature"].tolist()
    if drifted:
        shown = ", ".join(
            f"{r.feature} {r.psi:.2f}" for r in stability.head(len(drifted)).itertuples()
        )
        warnings.warn(
            f"churn scores as of {point}: the population has drifted from the training data "
            f"(PSI above {c.psi_warning}: {shown}); retrain before trusting the scores",
            ChurnDriftWarning,
            stacklevel=2,
        )
    return ChurnScores(str(point), scores, stability, drifted)
