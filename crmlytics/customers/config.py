"""Settings of customer master quality (客户合并): the ``customers:`` section of
``crmlytics.yaml``.

Example::

    customers:
      required_fields: [email, phone, region]   # a customer lacking one is listed as incomplete
      match_name_region: true                   # same name in the same region is a likely duplicate
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Columns of ``customers`` that may be required.
FIELDS: tuple[str, ...] = (
    "name",
    "customer_type",
    "region",
    "channel",
    "signup_date",
    "email",
    "phone",
)


class CustomersConfig(BaseModel):
    """Which fields the lists need, and which matches suggest a duplicate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required_fields: tuple[str, ...] = Field(
        ("email", "phone", "region"),
        min_length=1,
        description="customers lacking any of these columns are listed as incomplete",
    )
    match_name_region: bool = Field(
        True, description="the same normalised name in the same region suggests a duplicate"
    )

    @field_validator("required_fields")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in value if f not in FIELDS]
        if unknown:
            raise ValueError(f"unknown customer fields {unknown}; use {', '.join(FIELDS)}")
        return value


def customers_config(config: object | None) -> CustomersConfig:
    """The customers section of a whole :class:`~crmlytics.config.Config`, or defaults."""
    if config is None:
        return CustomersConfig()
    if isinstance(config, CustomersConfig):
        return config
    section = getattr(config, "customers", None)
    if not isinstance(section, CustomersConfig):
        raise TypeError(f"expected a Config or CustomersConfig, not {type(config).__name__}")
    return section
