"""Settings of receivables: the ``receivables:`` section of ``crmlytics.yaml``.

Example::

    receivables:
      dso_window_days: 90          # DSO: credit sales over the last 90 days
      dunning_min_days_overdue: 1  # dunning list: invoices at least this many days overdue
      dunning_min_amount: 0.0      # ... whose open amount is above this (currency units)

The ageing buckets are a definition, not a setting: current (not yet overdue, 0 days), 1-30,
31-60, 61-90 and over 90 days overdue (:data:`crmlytics.receivables.balances.BUCKETS`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReceivablesConfig(BaseModel):
    """Days sales outstanding window and the dunning rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dso_window_days: int = Field(
        90, ge=1, le=36_500, description="DSO: credit sales (invoices issued) over this many days"
    )
    dunning_min_days_overdue: int = Field(
        1, ge=1, le=36_500, description="dunning list: invoices at least this many days overdue"
    )
    dunning_min_amount: float = Field(
        0.0, ge=0, description="dunning list: only invoices whose open amount exceeds this"
    )
