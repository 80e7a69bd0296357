"""Settings of the funnels: the ``funnel:`` section of ``crmlytics.yaml``.

A funnel is an ordered list of stage keys. The last stage is the *won* stage (a deal that reaches
it is won); every stage before it is a decision stage with a conversion rate. A terminal entry
named ``lost_stage`` in a stage history closes the deal as lost at the stage it had reached.

Example::

    funnel:
      stale_days: 30
      presets:
        sales: {stages: [lead, needs, proposal, quote, negotiation, won], lost_stage: lost}
        pipeline: {stages: [entry, review, follow_up, closed], lost_stage: lost}

Presets given in the file replace the built-in preset of the same name; the others stay.

Stage labels (English key, English and Chinese label) live in :mod:`crmlytics.labels`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crmlytics.errors import ConfigError
from crmlytics.labels import label, pairs

Locale = Literal["en", "zh"]

_KEY = r"^[a-z][a-z0-9_]*$"

#: English and Chinese labels of every built-in stage key (and the terminal ``lost``), as
#: registered in :mod:`crmlytics.labels` (domain ``funnel_stage``).
STAGE_LABELS: dict[str, tuple[str, str]] = pairs("funnel_stage")


def stage_label(key: str, locale: Locale = "en") -> str:
    """The display label of stage ``key`` in ``locale`` (the key itself when it has none)."""
    try:
        return label(key, locale, domain="funnel_stage")
    except KeyError:
        return key


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FunnelPreset(_Section):
    """One funnel: ordered stage keys (the last is the won stage) and its terminal lost entry.

    ``source`` says which table the stage history comes from: ``opportunities``
    (``opportunity_stages`` plus the outcome of ``opportunities``) or ``campaign_touches``
    (the sent/opened/clicked/converted timestamps). ``lost_after_days``: a deal that has not
    moved for this many days counts as lost at its stage (``None``: never; campaign touches use it,
    since nothing records that a message was ignored).
    """

    stages: tuple[str, ...] = Field(min_length=2)
    lost_stage: str = Field("lost", pattern=_KEY)
    source: Literal["opportunities", "campaign_touches"] = "opportunities"
    lost_after_days: int | None = Field(None, ge=1, le=36_500)

    @field_validator("stages")
    @classmethod
    def _keys(cls, stages: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for key in stages:
            if not re.match(_KEY, key):
                raise ValueError(f"stage {key!r} must be a lower-case key like 'follow_up'")
        if len(set(stages)) != len(stages):
            raise ValueError(f"stages {list(stages)} repeat a stage")
        return stages

    @model_validator(mode="after")
    def _lost_apart(self) -> FunnelPreset:
        if self.lost_stage in self.stages:
            raise ValueError(f"lost_stage {self.lost_stage!r} must not be one of the stages")
        if self.source == "campaign_touches" and len(self.stages) != 4:
            raise ValueError(
                "a campaign_touches funnel has 4 stages: sent, opened, clicked, converted"
            )
        return self

    @property
    def won_stage(self) -> str:
        return self.stages[-1]


DEFAULT_PRESETS: dict[str, FunnelPreset] = {
    "sales": FunnelPreset(stages=("lead", "needs", "proposal", "quote", "negotiation", "won")),
    "pipeline": FunnelPreset(stages=("entry", "review", "follow_up", "closed")),
    "campaign": FunnelPreset(
        stages=("sent", "opened", "clicked", "converted"),
        source="campaign_touches",
        lost_after_days=30,
    ),
}


class FunnelConfig(_Section):
    """Funnels, forecast and stale-deal rules."""

    default_preset: str = Field("sales", pattern=_KEY)
    presets: dict[str, FunnelPreset] = Field(default_factory=lambda: dict(DEFAULT_PRESETS))
    stale_days: int = Field(
        30,
        ge=1,
        le=36_500,
        description="an open deal with no stage change and no customer interaction for more "
        "than this many days is stale",
    )
    forecast_horizon_days: int = Field(
        90, ge=1, le=3_650, description="backtest: how long after the as-of closes are counted"
    )

    @field_validator("presets", mode="before")
    @classmethod
    def _merge_defaults(cls, value: object) -> object:
        if isinstance(value, dict):
            return {**DEFAULT_PRESETS, **value}
        return value

    @model_validator(mode="after")
    def _default_known(self) -> FunnelConfig:
        if self.default_preset not in self.presets:
            raise ValueError(
                f"default_preset {self.default_preset!r} is not a preset: {sorted(self.presets)}"
            )
        return self

    def preset(self, name: str | None = None) -> FunnelPreset:
        """The preset called ``name`` (default: ``default_preset``); ConfigError if unknown."""
        key = name or self.default_preset
        try:
            return self.presets[key]
        except KeyError:
            raise ConfigError(
                f"unknown funnel preset {key!r}; presets are {', '.join(sorted(self.presets))}"
            ) from None


def funnel_config(config: object | None) -> FunnelConfig:
    """The funnel section of a whole :class:`~crmlytics.config.Config`, or defaults."""
    if config is None:
        return FunnelConfig()
    if isinstance(config, FunnelConfig):
        return config
    section = getattr(config, "funnel", None)
    if not isinstance(section, FunnelConfig):
        raise TypeError(f"expected a Config or FunnelConfig, not {type(config).__name__}")
    return section


def resolve_preset(preset: str | FunnelPreset | None, config: object | None = None) -> FunnelPreset:
    """A preset object from its name (looked up in ``config``) or itself."""
    if isinstance(preset, FunnelPreset):
        return preset
    return funnel_config(config).preset(preset)


def opportunity_preset(
    preset: str | FunnelPreset | None, config: object | None, what: str
) -> FunnelPreset:
    """:func:`resolve_preset`, refusing a campaign funnel where ``what`` needs opportunities."""
    chosen = resolve_preset(preset, config)
    if chosen.source != "opportunities":
        raise ConfigError(
            f"{what} needs an opportunity funnel; preset {preset!r} is a campaign one"
        )
    return chosen
