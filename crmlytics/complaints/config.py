"""Settings of the complaint analysis: the ``complaints:`` section of ``crmlytics.yaml``.

Example::

    complaints:
      first_response_hours: 24          # SLA: first response (处理) within 24 h of 受理
      first_response_hours_by_severity: {3: 4, 2: 12}
      age_buckets_days: [1, 3, 7, 14, 30]
      anomaly_threshold: 3.0
      impact_horizon_days: 90
      fast_resolution_hours: 48
      topic_words: [质量问题]            # kept whole by the Chinese word segmenter (jieba)

Complaint categories and steps (English key, English and Chinese label) live in
:mod:`crmlytics.labels` (domains ``complaint_category`` and ``complaint_step``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ComplaintsConfig(BaseModel):
    """SLA targets, backlog age buckets, the anomaly rule and the cost comparison."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_response_hours: float = Field(
        24.0, gt=0, le=8_760, description="SLA: hours from 受理 (opened) to 处理 (handled)"
    )
    first_response_hours_by_severity: dict[int, float] = Field(
        default_factory=dict,
        description="SLA target in hours per severity (1-3); severities not given use "
        "first_response_hours",
    )
    age_buckets_days: tuple[int, ...] = Field(
        (1, 3, 7, 14, 30),
        min_length=1,
        description="upper bounds (whole days, exclusive) of the open-backlog age buckets; "
        "older complaints fall in the last open-ended bucket",
    )
    anomaly_threshold: float = Field(
        3.0,
        gt=0,
        le=100,
        description="a month is flagged when its complaints exceed the median month by more "
        "than this many robust standard deviations (1.4826 x MAD)",
    )
    active_window_days: int = Field(
        365, ge=1, le=36_500, description="a customer is active with an order in this window"
    )
    impact_horizon_days: int = Field(
        90, ge=1, le=3_650, description="cost of complaints: purchasing in this many days after"
    )
    fast_resolution_hours: float = Field(
        48.0, gt=0, le=87_600, description="a complaint resolved within this is 'fast'"
    )
    revisit_days: int = Field(
        30,
        ge=1,
        le=36_500,
        description="regular revisit: a gold-tier customer with no contact for this many days "
        "is listed",
    )
    follow_up_due_days: int = Field(
        7, ge=0, le=3_650, description="resolved this many days ago with no follow-up: listed"
    )
    topic_words: tuple[str, ...] = Field(
        (),
        max_length=10_000,
        description="Chinese words the text analysis keeps whole besides jieba's dictionary "
        "(e.g. 质量问题, product names)",
    )

    @field_validator("first_response_hours_by_severity")
    @classmethod
    def _severities(cls, value: dict[int, float]) -> dict[int, float]:
        for severity, hours in value.items():
            if severity not in (1, 2, 3):
                raise ValueError(f"severity {severity!r} must be 1, 2 or 3")
            if not 0 < hours <= 8_760:
                raise ValueError(f"SLA of severity {severity} must be 0-8760 hours, not {hours}")
        return value

    @field_validator("age_buckets_days")
    @classmethod
    def _increasing(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(b < 1 for b in value) or list(value) != sorted(set(value)):
            raise ValueError(f"age_buckets_days {list(value)} must be increasing whole days >= 1")
        return value

    def target_hours(self, severity: int | None) -> float:
        """SLA first-response target in hours for ``severity`` (default when not configured)."""
        if severity is None:
            return self.first_response_hours
        return self.first_response_hours_by_severity.get(int(severity), self.first_response_hours)


def complaints_config(config: object | None) -> ComplaintsConfig:
    """The complaints section of a whole :class:`~crmlytics.config.Config`, or defaults."""
    if config is None:
        return ComplaintsConfig()
    if isinstance(config, ComplaintsConfig):
        return config
    section = getattr(config, "complaints", None)
    if not isinstance(section, ComplaintsConfig):
        raise TypeError(f"expected a Config or ComplaintsConfig, not {type(config).__name__}")
    return section
