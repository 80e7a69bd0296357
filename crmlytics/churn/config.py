"""The ``churn:`` section of ``crmlytics.yaml``: horizon, cutoffs, model and risk tiers.

Example::

    churn:
      horizon_days: 90
      definition: purchase        # or contract (customers.closed_at in the horizon)
      cutoffs: 4
      cutoff_spacing_days: 90
      risk_tiers: {high: 0.5, medium: 0.25}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RiskTiers(_Section):
    """Churn probability at or above ``high`` is tier ``high``, at or above ``medium`` is
    ``medium``, the rest ``low``."""

    high: float = Field(0.5, gt=0, le=1)
    medium: float = Field(0.25, ge=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> RiskTiers:
        if self.medium >= self.high:
            raise ValueError(f"risk_tiers: medium {self.medium} must be below high {self.high}")
        return self


class GradientBoosting(_Section):
    """Settings of scikit-learn's ``HistGradientBoostingClassifier`` used for churn."""

    learning_rate: float = Field(0.08, gt=0, le=1)
    max_iter: int = Field(200, ge=10, le=5000, description="boosting rounds (early stopping on)")
    max_leaf_nodes: int = Field(31, ge=2, le=1024)
    min_samples_leaf: int = Field(40, ge=1)
    l2_regularization: float = Field(1.0, ge=0)
    calibration: Literal["isotonic", "sigmoid"] = Field(
        "isotonic", description="how tree scores become probabilities (on the latest cutoff)"
    )


class ChurnConfig(_Section):
    """Churn: label definition, horizon, training cutoffs, model, reasons, drift and tiers."""

    horizon_days: int = Field(90, ge=1, le=3650, description="days after the cutoff labelled")
    definition: Literal["purchase", "contract"] = Field(
        "purchase",
        description="purchase: churned if no purchase in the horizon (non-contractual); "
        "contract: churned if customers.closed_at falls in the horizon",
    )
    active_days: int | None = Field(
        365,
        ge=1,
        description="purchase definition: only customers who bought in the last N days are "
        "labelled and scored (longer silent customers are lost already); None = every buyer",
    )
    cutoffs: int = Field(4, ge=2, le=24, description="training cutoffs (the latest calibrates)")
    cutoff_spacing_days: int = Field(90, ge=1, description="days between training cutoffs")
    trend_days: int = Field(90, ge=1, description="trend window: last N days vs the N before")
    slow_complaint_days: float = Field(
        7.0, gt=0, description="a complaint not resolved within this many days is slow"
    )
    p_alive_sample: int | None = Field(
        20_000,
        ge=1000,
        description="customers (a seeded random sample) the BG/NBD fit behind the p_alive "
        "feature estimates its parameters from; P(alive) is computed for everyone; None = all",
    )
    gbt: GradientBoosting = GradientBoosting()
    reason_features: int = Field(
        8, ge=3, le=50, description="most important features tried as per-customer reasons"
    )
    risk_tiers: RiskTiers = RiskTiers()
    psi_warning: float = Field(
        0.2, gt=0, description="warn when a feature's PSI against training exceeds this"
    )
    random_state: int = 0
    score_run: bool = Field(
        True, description="add churn_probability, churn_risk_tier and reasons to score runs"
    )
    model_file: str | None = Field(
        None,
        description="churn model (crmlytics churn train --model FILE) the score run uses; "
        "None trains one in the run",
    )


def churn_config(config: object | None) -> ChurnConfig:
    """The churn section of a whole :class:`~crmlytics.config.Config`, or defaults."""
    if config is None:
        return ChurnConfig()
    if isinstance(config, ChurnConfig):
        return config
    section = getattr(config, "churn", None)
    if not isinstance(section, ChurnConfig):
        raise TypeError(f"expected a Config or ChurnConfig, not {type(config).__name__}")
    return section
