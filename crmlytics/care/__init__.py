"""Care and follow-up lists (关怀建议, 回访对象挖掘): valuable customers not contacted lately,
customers whose purchase cycle is overdue, resolved complaints never followed up, birthdays
coming up; each written like a segment list with opted-out customers removed
(:mod:`crmlytics.care.lists`)."""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use: ``crmlytics.config`` imports this package's config.
_LAZY = {
    "CARE_LISTS": "crmlytics.care.lists",
    "CareConfig": "crmlytics.care.config",
    "birthdays": "crmlytics.care.lists",
    "care_list": "crmlytics.care.lists",
    "care_members": "crmlytics.care.lists",
    "complaint_follow_up": "crmlytics.care.lists",
    "cycle_overdue": "crmlytics.care.lists",
    "export_care_list": "crmlytics.care.lists",
    "valuable_no_contact": "crmlytics.care.lists",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.care' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
