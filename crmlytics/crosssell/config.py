"""Settings of cross-sell targeting: the ``crosssell:`` section of ``crmlytics.yaml``.

Example::

    crosssell:
      level: product          # product | category
      scope: basket           # basket (an order) | customer (everything a customer bought)
      min_support: 0.001
      min_confidence: 0.05
      min_lift: 1.0
      top_k: 5
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["product", "category"]
Scope = Literal["basket", "customer"]


class CrossSellConfig(BaseModel):
    """Association rules, next best products and their evaluation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level = Field("product", description="items are products or product categories")
    scope: Scope = Field(
        "basket",
        description="a basket is one order (basket) or all a customer has bought (customer)",
    )
    min_support: float = Field(
        0.001, ge=0, le=1, description="least share of baskets holding a rule's items"
    )
    min_confidence: float = Field(
        0.05, ge=0, le=1, description="least share of antecedent baskets holding the consequent"
    )
    min_lift: float = Field(1.0, ge=0, description="least lift (confidence / base rate)")
    top_k: int = Field(5, ge=1, le=100, description="next best products per customer")
    margin_weighted: bool = Field(
        False, description="rank candidates by score times the item's margin share"
    )
