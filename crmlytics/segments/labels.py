"""English keys and display labels (English and Chinese) of every segment, tier and class."""

from __future__ import annotations

from typing import Literal

Locale = Literal["en", "zh"]

RFM_SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
    "others",
    "lost",
    "prospect",
)
VALUE_TIERS: tuple[str, ...] = ("gold", "silver", "bronze")
LIFECYCLE_CLASSES: tuple[str, ...] = (
    "prospect",
    "first_time",
    "repeat",
    "loyal",
    "advocate",
    "dormant",
    "lost",
)
STAGES: tuple[str, ...] = ("future", "new", "established")
ACTIVITY: tuple[str, ...] = ("active", "lapsed", "prospect")

#: Labels by segmentation, so a key shared by two segmentations (``lost``, ``loyal``,
#: ``prospect``) can carry a different label in each.
_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "rfm_segment": {
        "champions": ("Champions", "冠军客户"),
        "loyal": ("Loyal", "忠诚客户"),
        "potential_loyalist": ("Potential Loyalist", "潜力客户"),
        "new": ("New", "新客户"),
        "promising": ("Promising", "有潜力的新客户"),
        "need_attention": ("Need Attention", "需要关注客户"),
        "about_to_sleep": ("About to Sleep", "即将沉睡客户"),
        "at_risk": ("At Risk", "流失风险客户"),
        "cant_lose_them": ("Can't Lose Them", "不能失去的客户"),
        "hibernating": ("Hibernating", "休眠客户"),
        "others": ("Others", "其他客户"),
        "lost": ("Lost", "流失客户"),
        "prospect": ("Prospect", "潜在客户"),
    },
    "value_tier": {
        "gold": ("Gold (key)", "黄金客户 (主力)"),
        "silver": ("Silver (regular)", "一般客户"),
        "bronze": ("Bronze (occasional)", "零散客户"),
    },
    "lifecycle": {
        "prospect": ("Prospect", "潜在客户"),
        "first_time": ("First-time buyer", "首次购买客户"),
        "repeat": ("Repeat buyer", "重复购买客户"),
        "loyal": ("Loyal buyer", "忠诚客户"),
        "advocate": ("Advocate", "推荐者/拥护者"),
        "dormant": ("Dormant", "沉寂客户"),
        "lost": ("Lost", "流失客户"),
    },
    "stage": {
        "future": ("Future customer", "未来客户"),
        "new": ("New customer", "新客户"),
        "established": ("Established customer", "老客户"),
    },
    "activity": {
        "active": ("Active", "活跃客户"),
        "lapsed": ("Lapsed", "流失中客户"),
        "prospect": ("Prospect", "潜在客户"),
    },
}

_LOOKUP_ORDER = ("rfm_segment", "value_tier", "lifecycle", "stage", "activity")


def label(key: str, locale: Locale = "en", *, segmentation: str | None = None) -> str:
    """Display label of a segment ``key`` in ``locale`` (``"en"`` or ``"zh"``).

    ``segmentation`` (``rfm_segment``, ``value_tier``, ``lifecycle``, ``stage``, ``activity``)
    picks the label of a key used by more than one; otherwise the first in that order that
    knows the key is used. Unknown keys and locales raise ``KeyError`` / ``ValueError``.
    """
    if locale not in ("en", "zh"):
        raise ValueError(f"locale must be 'en' or 'zh', not {locale!r}")
    places = (segmentation,) if segmentation else _LOOKUP_ORDER
    for place in places:
        if place not in _LABELS:
            raise KeyError(f"unknown segmentation {place!r}; use one of {', '.join(_LABELS)}")
        pair = _LABELS[place].get(key)
        if pair is not None:
            return pair[0] if locale == "en" else pair[1]
    raise KeyError(f"no label for segment key {key!r}")


def labels(segmentation: str, locale: Locale = "en") -> dict[str, str]:
    """All keys of ``segmentation`` with their labels in ``locale``, in display order."""
    if segmentation not in _LABELS:
        raise KeyError(f"unknown segmentation {segmentation!r}; use one of {', '.join(_LABELS)}")
    return {key: label(key, locale, segmentation=segmentation) for key in _LABELS[segmentation]}
