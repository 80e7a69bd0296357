"""Configuration: every threshold has a default and can be changed in ``crmlytics.yaml``.

The file is validated on load: unknown keys and out-of-range values are errors that name the key,
never silently ignored. Inside the library plain values are passed around; only the edges (CLI,
:func:`load_config`) deal with files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crmlytics.care.config import CareConfig
from crmlytics.churn.config import ChurnConfig
from crmlytics.clv.config import ClvConfig
from crmlytics.complaints.config import ComplaintsConfig
from crmlytics.crosssell.config import CrossSellConfig
from crmlytics.customers.config import CustomersConfig
from crmlytics.engines.config import LakeConfig
from crmlytics.errors import ConfigError
from crmlytics.funnel.config import FunnelConfig
from crmlytics.ingest.config import IngestConfig
from crmlytics.receivables.config import ReceivablesConfig
from crmlytics.sales.config import SalesConfig
from crmlytics.segments.config import SegmentsConfig

CONFIG_FILE = "crmlytics.yaml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactsConfig(Section):
    """Customer facts."""

    window_days: int | None = Field(
        None,
        ge=1,
        le=366_000,
        description="only rows in the last N days before as-of; None = all history",
    )


class WarehouseConfig(LakeConfig):
    """The warehouse: its engine (the DuckDB file, or Spark over lake tables, see
    :mod:`crmlytics.engines.config`), waiting for another process's lock, and how old data may
    be."""

    lock_wait_seconds: float = Field(
        0.0,
        ge=0,
        le=86_400,
        description="how long score and ingest wait for another process's lock before failing",
    )
    stale_after_days: int = Field(
        30,
        ge=0,
        le=36_500,
        description="an as-of this many days after the last transaction is warned about "
        "(an error when the as-of defaulted to today)",
    )


class ExportConfig(Section):
    """Segment lists for marketing (``crmlytics export``)."""

    default_country_code: str = Field(
        "86",
        pattern=r"^[1-9][0-9]{0,2}$",
        description="country code given to phone numbers written without '+' or '00' (E.164)",
    )
    remove_gmail_dots: bool = Field(
        False, description="drop dots before @gmail.com when hashing (Campaign Manager 360)"
    )
    csv_formula_guard: bool = Field(
        True,
        description="prefix CSV text starting with = + - @ tab or CR with an apostrophe so "
        "spreadsheets do not run it as a formula; false for machine consumers",
    )


class Config(Section):
    """All of crmlytics' settings. Each section is documented on its class."""

    locale: Literal["en", "zh"] = "en"
    locale_machine_formats: bool = Field(
        False,
        description="with locale zh, also write Chinese headers and labels into Parquet and JSON "
        "files (by default files for machines keep column names and English keys)",
    )
    warehouse: WarehouseConfig = WarehouseConfig()
    facts: FactsConfig = FactsConfig()
    clv: ClvConfig = ClvConfig()
    export: ExportConfig = ExportConfig()
    segments: SegmentsConfig = SegmentsConfig()
    ingest: IngestConfig = IngestConfig()
    churn: ChurnConfig = ChurnConfig()
    funnel: FunnelConfig = FunnelConfig()
    complaints: ComplaintsConfig = ComplaintsConfig()
    crosssell: CrossSellConfig = CrossSellConfig()
    sales: SalesConfig = SalesConfig()
    customers: CustomersConfig = CustomersConfig()
    receivables: ReceivablesConfig = ReceivablesConfig()
    care: CareConfig = CareConfig()

    def digest(self) -> str:
        """A short stable hash of the settings, recorded with every score run."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_config(path: str | Path | None = None) -> Config:
    """Read ``path`` (default ``./crmlytics.yaml`` if present) into a validated :class:`Config`."""
    if path is None:
        if not Path(CONFIG_FILE).exists():
            return Config()
        path = CONFIG_FILE
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
