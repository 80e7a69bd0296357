"""Settings of customer segmentation: the ``segments:`` section of ``crmlytics.yaml``.

Every threshold used by :mod:`crmlytics.segments` lives here with its default. The section is
validated like the rest of the file: unknown keys and out-of-range values are errors.

Example::

    segments:
      rfm: {bins: 5, window_days: 365}            # or add segment_map: r_rfm
      value: {gold: 0.2, silver: 0.3, measure: revenue}
      lifecycle: {lost_days: 365, dormant_gap_multiple: 3}
      degrees: {weights: {satisfaction: 1, loyalty: 2, contribution: 2, dependence: 1}}
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RfmRule(_Section):
    """One line of the RFM segment map: a segment key and the score ranges it covers.

    ``r``, ``f`` and ``m`` are inclusive ``[low, high]`` score ranges. Rules are tried in order and
    the first that matches a customer's (R, F, M) scores names the segment.
    """

    segment: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    r: tuple[int, int] = (1, 5)
    f: tuple[int, int] = (1, 5)
    m: tuple[int, int] = (1, 5)

    @model_validator(mode="after")
    def _ranges_ordered(self) -> RfmRule:
        for name in ("r", "f", "m"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                raise ValueError(
                    f"rule {self.segment}: {name} range {[low, high]} must be 1 <= low <= high"
                )
        return self


#: The default segment map (first match wins). It covers every (R, F, M) cell of 5 bins.
#: It uses the segment names of the R ``rfm`` package but its own ranges, chosen so that every
#: cell has a named segment and M only separates the top-value customers:
#:
#: ==================  =====  =====  =====
#: segment             R      F      M
#: ==================  =====  =====  =====
#: champions           4-5    4-5    4-5
#: loyal               3-5    4-5    1-5
#: cant_lose_them      1-2    4-5    4-5
#: at_risk             1-2    3-5    1-5
#: potential_loyalist  4-5    2-3    1-5
#: new                 5      1      1-5
#: promising           4      1      1-5
#: need_attention      3      2-3    1-5
#: about_to_sleep      3      1      1-5
#: hibernating         2      1-2    1-5
#: lost                1      1-2    1-5
#: ==================  =====  =====  =====
#:
#: The R package's own table is the preset :data:`R_RFM_MAP` (``segment_map: r_rfm``).
DEFAULT_RFM_MAP: tuple[RfmRule, ...] = (
    RfmRule(segment="champions", r=(4, 5), f=(4, 5), m=(4, 5)),
    RfmRule(segment="loyal", r=(3, 5), f=(4, 5)),
    RfmRule(segment="cant_lose_them", r=(1, 2), f=(4, 5), m=(4, 5)),
    RfmRule(segment="at_risk", r=(1, 2), f=(3, 5)),
    RfmRule(segment="potential_loyalist", r=(4, 5), f=(2, 3)),
    RfmRule(segment="new", r=(5, 5), f=(1, 1)),
    RfmRule(segment="promising", r=(4, 4), f=(1, 1)),
    RfmRule(segment="need_attention", r=(3, 3), f=(2, 3)),
    RfmRule(segment="about_to_sleep", r=(3, 3), f=(1, 1)),
    RfmRule(segment="hibernating", r=(2, 2), f=(1, 2)),
    RfmRule(segment="lost", r=(1, 1), f=(1, 2)),
)

#: The segment table of the R ``rfm`` package (the ``rfm_segment`` example of its reference
#: documentation, version 0.3.0), first match wins, with its catch-all ``others`` for the cells
#: no range names. Keys: "Loyal Customers" is ``loyal``, "New Customers" is ``new``; the other
#: names are the R names in snake case. Defined on scores 1-5 only (``bins: 5``).
#:
#: ==================  =====  =====  =====
#: segment             R      F      M
#: ==================  =====  =====  =====
#: champions           5      5      5
#: potential_loyalist  3-5    3-5    2-5
#: loyal               2-4    2-4    2-4
#: promising           3-4    1-3    3-5
#: new                 4-5    1-3    1-5
#: cant_lose_them      1-2    3-4    4-5
#: at_risk             1-2    2-5    4-5
#: need_attention      1-3    3-5    3-5
#: about_to_sleep      2-3    1-3    1-4
#: lost                1      1-5    1-5
#: others              1-5    1-5    1-5
#: ==================  =====  =====  =====
R_RFM_MAP: tuple[RfmRule, ...] = (
    RfmRule(segment="champions", r=(5, 5), f=(5, 5), m=(5, 5)),
    RfmRule(segment="potential_loyalist", r=(3, 5), f=(3, 5), m=(2, 5)),
    RfmRule(segment="loyal", r=(2, 4), f=(2, 4), m=(2, 4)),
    RfmRule(segment="promising", r=(3, 4), f=(1, 3), m=(3, 5)),
    RfmRule(segment="new", r=(4, 5), f=(1, 3), m=(1, 5)),
    RfmRule(segment="cant_lose_them", r=(1, 2), f=(3, 4), m=(4, 5)),
    RfmRule(segment="at_risk", r=(1, 2), f=(2, 5), m=(4, 5)),
    RfmRule(segment="need_attention", r=(1, 3), f=(3, 5), m=(3, 5)),
    RfmRule(segment="about_to_sleep", r=(2, 3), f=(1, 3), m=(1, 4)),
    RfmRule(segment="lost", r=(1, 1), f=(1, 5), m=(1, 5)),
    RfmRule(segment="others"),
)

#: Named segment maps: ``segment_map: r_rfm`` in ``crmlytics.yaml`` picks one.
SEGMENT_MAP_PRESETS: dict[str, tuple[RfmRule, ...]] = {
    "default": DEFAULT_RFM_MAP,
    "r_rfm": R_RFM_MAP,
}


class RfmConfig(_Section):
    """RFM scoring: quintile bins, scoring window, the measures behind F and M, the segment map.

    ``segment_map`` is a list of rules (:class:`RfmRule`, first match wins) or the name of a
    preset in :data:`SEGMENT_MAP_PRESETS`: ``default`` (:data:`DEFAULT_RFM_MAP`, the R package's
    segment names with crmlytics' own ranges, tabled there) or ``r_rfm`` (:data:`R_RFM_MAP`, the
    R ``rfm`` package's own table with its catch-all ``others``; needs ``bins: 5``).
    Scores follow the R package's scorer: tied values share the lowest score of their tie, so a
    level can be empty (see :mod:`crmlytics.segments.rfm`).
    """

    bins: int = Field(5, ge=2, le=9, description="score levels (5 = quintiles)")
    window_days: int | None = Field(
        None, ge=1, description="score only the last N days of transactions; None = all history"
    )
    frequency_measure: Literal["orders", "purchase_days"] = "orders"
    monetary_measure: Literal["net_revenue", "avg_order_value"] = "net_revenue"
    segment_map: tuple[RfmRule, ...] = DEFAULT_RFM_MAP

    @field_validator("segment_map", mode="before")
    @classmethod
    def _preset(cls, value: object) -> object:
        if isinstance(value, str):
            if value not in SEGMENT_MAP_PRESETS:
                raise ValueError(
                    f"unknown segment_map preset {value!r}; use one of "
                    f"{', '.join(SEGMENT_MAP_PRESETS)} or a list of rules"
                )
            return SEGMENT_MAP_PRESETS[value]
        return value

    @model_validator(mode="after")
    def _preset_bins(self) -> RfmConfig:
        if self.segment_map == R_RFM_MAP and self.bins != 5:
            raise ValueError(
                f"segment_map r_rfm is defined on scores 1-5: set bins: 5, not {self.bins}"
            )
        return self


class ValueConfig(_Section):
    """80/20 value tiers: gold = top ``gold`` share of buyers, silver = the next ``silver``."""

    gold: float = Field(0.2, gt=0, lt=1, description="share of buyers in the gold tier")
    silver: float = Field(0.3, ge=0, lt=1, description="share of buyers in the silver tier")
    measure: Literal["auto", "revenue", "profit"] = Field(
        "auto", description="auto = profit when every buyer has a known cost, else net revenue"
    )
    window_days: int | None = Field(None, ge=1, description="value over the last N days only")

    @model_validator(mode="after")
    def _cutoffs_fit(self) -> ValueConfig:
        if self.gold + self.silver > 1:
            raise ValueError(f"gold + silver = {self.gold + self.silver} exceeds 1")
        return self


class LifecycleConfig(_Section):
    """Lifecycle thresholds (days are whole days before the as-of date)."""

    lost_days: int = Field(365, ge=1, description="no purchase for more than this: lost")
    dormant_gap_multiple: float = Field(
        3.0, gt=1, description="dormant when days since last purchase > this x own average gap"
    )
    min_dormant_days: int = Field(30, ge=0, description="never dormant within this many days")
    one_off_dormant_days: int | None = Field(
        None,
        ge=1,
        description="one-purchase-day buyers: dormant after this many days; None = "
        "dormant_gap_multiple x the mean average gap of repeat buyers",
    )
    loyal_min_purchase_days: int = Field(4, ge=2, description="loyal: at least this many days")
    loyal_recent_days: int = Field(90, ge=1, description="loyal: bought within this many days")
    new_days: int = Field(90, ge=1, description="new: first purchase within this many days")
    active_days: int = Field(180, ge=1, description="active: bought within this many days")


class DegreeWeights(_Section):
    satisfaction: float = Field(1.0, ge=0)
    loyalty: float = Field(1.0, ge=0)
    contribution: float = Field(1.0, ge=0)
    dependence: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> DegreeWeights:
        if self.satisfaction + self.loyalty + self.contribution + self.dependence <= 0:
            raise ValueError("at least one degree weight must be positive")
        return self


class DegreesConfig(_Section):
    """Four degrees scorecard (formulas in :func:`crmlytics.segments.four_degrees`)."""

    neutral_satisfaction: float = Field(50.0, ge=0, le=100)
    complaint_penalty: float = Field(10.0, ge=0, description="points off per recent complaint")
    complaint_window_days: int = Field(365, ge=1)
    full_tenure_days: int = Field(730, ge=1, description="tenure that earns the full tenure half")
    regularity_periods: int = Field(12, ge=1, description="30-day periods checked for regularity")
    weights: DegreeWeights = DegreeWeights()


class SegmentsConfig(_Section):
    """Customer segmentation: RFM, value tiers, lifecycle classes, four degrees."""

    rfm: RfmConfig = RfmConfig()
    value: ValueConfig = ValueConfig()
    lifecycle: LifecycleConfig = LifecycleConfig()
    degrees: DegreesConfig = DegreesConfig()


def segments_config(config: object | None) -> SegmentsConfig:
    """The segments section of a whole :class:`~crmlytics.config.Config`, or defaults."""
    if config is None:
        return SegmentsConfig()
    if isinstance(config, SegmentsConfig):
        return config
    section = getattr(config, "segments", None)
    if not isinstance(section, SegmentsConfig):
        raise TypeError(f"expected a Config or SegmentsConfig, not {type(config).__name__}")
    return section
