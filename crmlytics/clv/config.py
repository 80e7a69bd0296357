"""The ``clv`` section of ``crmlytics.yaml``: defaults from the design."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ClvConfig(BaseModel):
    """CLV defaults: model, horizon, discounting and time unit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Literal["bgnbd", "pareto", "mbgnbd"] = "bgnbd"
    horizon_months: int = Field(12, ge=1, le=120, description="CLV horizon in months")
    discount_rate: float = Field(
        0.10, gt=-1, lt=10, description="yearly discount rate (0.10 = 10% a year)"
    )
    unit: Literal["days", "weeks"] = "weeks"
    margin: float = Field(1.0, gt=0, le=1, description="share of spend that is margin")
