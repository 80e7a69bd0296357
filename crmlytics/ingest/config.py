"""The ``ingest`` section of ``crmlytics.yaml``: time zone, plausible dates, decimal separator.

::

    ingest:
      timezone: Asia/Shanghai   # the warehouse time zone (default: this machine's)
      min_date: 1900-01-01      # dates before are rejected as implausible
      max_date: 2100-12-31      # dates after are rejected as implausible
      decimal: "."              # or "," for European exports (a mapping file may override it)
      memory_limit: 1GB         # DuckDB's memory while loading; beyond it, staging spills to disk
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crmlytics.ingest.parsing import ParseOptions


def machine_timezone() -> str:
    """This machine's IANA time zone (``$TZ``, else ``/etc/localtime``), or ``UTC``."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name and _valid_zone(name):
        return name
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        parts = localtime.resolve().parts
        if "zoneinfo" in parts:
            name = "/".join(parts[parts.index("zoneinfo") + 1 :])
            if _valid_zone(name):
                return name
    return "UTC"


def _valid_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


class IngestConfig(BaseModel):
    """How files are read: the warehouse time zone, the plausible date range and decimals."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str | None = Field(
        None,
        description="warehouse time zone (IANA name, e.g. Asia/Shanghai); offsets in files are "
        "converted into it and naive times are taken as in it; None = this machine's zone",
    )
    min_date: dt.date = Field(dt.date(1900, 1, 1), description="earliest plausible date")
    max_date: dt.date = Field(dt.date(2100, 12, 31), description="latest plausible date")
    decimal: Literal[".", ","] = Field(".", description="decimal separator of numbers")
    memory_limit: str = Field(
        "1GB",
        description="DuckDB's memory limit while loading (e.g. 1GB, 512MB, 4GiB); a file "
        "bigger than it spills to the warehouse's temp directory instead of growing the process",
    )

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)?\s*([KMGT]i?B)", value.strip(), re.IGNORECASE):
            raise ValueError(f"memory_limit {value!r}: expected a size like 1GB, 512MB or 4GiB")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not _valid_zone(value):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai")
        return value

    @model_validator(mode="after")
    def _range(self) -> IngestConfig:
        if self.min_date >= self.max_date:
            raise ValueError(f"min_date {self.min_date} must be before max_date {self.max_date}")
        return self

    def resolved_timezone(self) -> str:
        """The configured zone, else this machine's."""
        return self.timezone or machine_timezone()

    def parse_options(
        self, *, timezone: str | None = None, decimal: str | None = None
    ) -> ParseOptions:
        """The parsing options of a load (a mapping's ``decimal`` overrides the config's)."""
        return ParseOptions(
            decimal=decimal or self.decimal,
            min_date=self.min_date,
            max_date=self.max_date,
            timezone=timezone or self.resolved_timezone(),
        )
