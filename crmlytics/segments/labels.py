"""Segment keys in display order, and their labels (kept in :mod:`crmlytics.labels`).

The labels of every segmentation live in the shared :mod:`crmlytics.labels` registry; this
module names the keys of each segmentation and keeps the segment-flavoured lookups.
"""

from __future__ import annotations

from crmlytics import labels as _registry
from crmlytics.labels import Locale

RFM_SEGMENTS: tuple[str, ...] = _registry.keys("rfm_segment")
VALUE_TIERS: tuple[str, ...] = _registry.keys("value_tier")
LIFECYCLE_CLASSES: tuple[str, ...] = _registry.keys("lifecycle")
STAGES: tuple[str, ...] = _registry.keys("stage")
ACTIVITY: tuple[str, ...] = _registry.keys("activity")


def label(key: str, locale: Locale = "en", *, segmentation: str | None = None) -> str:
    """Display label of a segment ``key`` in ``locale`` (``"en"`` or ``"zh"``).

    ``segmentation`` (``rfm_segment``, ``value_tier``, ``lifecycle``, ``stage``, ``activity``)
    picks the label of a key used by more than one; otherwise the first segmentation in that
    order that knows the key. Unknown keys raise ``KeyError``, unknown locales
    :class:`~crmlytics.errors.ConfigError`.
    """
    return _registry.label(key, locale, domain=segmentation)


def labels(segmentation: str, locale: Locale = "en") -> dict[str, str]:
    """All keys of ``segmentation`` with their labels in ``locale``, in display order."""
    return _registry.labels(segmentation, locale)


__all__ = [
    "ACTIVITY",
    "LIFECYCLE_CLASSES",
    "RFM_SEGMENTS",
    "STAGES",
    "VALUE_TIERS",
    "label",
    "labels",
]
