"""Settings of the care and follow-up lists: the ``care:`` section of ``crmlytics.yaml``.

Example::

    care:
      no_contact_days: 90            # valuable customers not contacted for 90 days
      valuable_tiers: [gold]         # value tiers that count as valuable
      cycle_overdue_ratio: 1.5       # days since last purchase >= 1.5 x own mean gap
      cycle_min_purchase_days: 3     # a cycle needs at least this many purchase days
      important_date_days: 14        # birthdays in the next 14 days (today included)

Complaints resolved but never followed up use ``complaints.follow_up_due_days``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CareConfig(BaseModel):
    """Thresholds of the care lists."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    no_contact_days: int = Field(
        90, ge=1, le=36_500, description="valuable customers with no contact for this many days"
    )
    valuable_tiers: tuple[Literal["gold", "silver", "bronze"], ...] = Field(
        ("gold",), min_length=1, description="value tiers counted as valuable"
    )
    cycle_overdue_ratio: float = Field(
        1.5,
        gt=0,
        le=100,
        description="purchase cycle overdue: days since the last purchase at least this many "
        "times the customer's own mean gap between purchase days",
    )
    cycle_min_purchase_days: int = Field(
        3, ge=2, le=1_000, description="only customers with at least this many purchase days"
    )
    important_date_days: int = Field(
        14, ge=0, le=366, description="birthdays from the as-of date to this many days after it"
    )
