"""Settings of the sales analysis: the ``sales:`` section of ``crmlytics.yaml``.

Example::

    sales:
      period: month            # day, week, month or quarter: the grain of the trend
      mix_window_days: 90      # mix shift: the last 90 days against the 90 days before
      staff_preset: sales      # the opportunity funnel whose outcomes staff are measured on
      staff_period: month      # grain of staff performance and of sales_targets.period
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Period = Literal["day", "week", "month", "quarter"]
TargetPeriod = Literal["month", "quarter", "year"]


class SalesConfig(BaseModel):
    """Grain of the trend, the mix-shift windows and the staff measures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: Period = Field("month", description="grain of `sales trend`")
    mix_window_days: int = Field(
        90,
        ge=1,
        le=36_500,
        description="mix shift: the last N days up to the as-of date against the N days before",
    )
    staff_preset: str | None = Field(
        None,
        description="funnel preset whose deal outcomes staff are measured on (default: "
        "funnel.default_preset)",
    )
    staff_period: TargetPeriod = Field(
        "month", description="grain of staff performance rows and of sales_targets.period"
    )


def sales_config(config: object | None) -> SalesConfig:
    """The sales section of a whole :class:`~crmlytics.config.Config`, or defaults."""
    if config is None:
        return SalesConfig()
    if isinstance(config, SalesConfig):
        return config
    section = getattr(config, "sales", None)
    if not isinstance(section, SalesConfig):
        raise TypeError(f"expected a Config or SalesConfig, not {type(config).__name__}")
    return section
