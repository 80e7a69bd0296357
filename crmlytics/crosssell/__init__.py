"""Cross-sell targeting: baskets, association rules, next best products, target lists and their
evaluation against popularity baselines.

The relational modules load with the package; the model, its evaluation and the target lists
(scikit-learn through the model contract) load on first use, so that ``crmlytics.config`` can
read the ``crosssell`` section without them.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmlytics.crosssell.baskets import basket_items, bought_lines, holdings
from crmlytics.crosssell.rules import association_rules, pair_counts, rules, top_rules

_LAZY = {
    "CrossSell": "crmlytics.crosssell.model",
    "customer_holdings": "crmlytics.crosssell.model",
    "evaluate": "crmlytics.crosssell.evaluation",
    "holdout_split": "crmlytics.crosssell.evaluation",
    "choose_method": "crmlytics.crosssell.targets",
    "export_targets": "crmlytics.crosssell.targets",
    "fit_crosssell": "crmlytics.crosssell.targets",
    "recommend": "crmlytics.crosssell.targets",
    "popularity_scores": "crmlytics.crosssell.targets",
    "target_scores": "crmlytics.crosssell.targets",
}

__all__ = [
    "CrossSell",
    "association_rules",
    "basket_items",
    "bought_lines",
    "choose_method",
    "customer_holdings",
    "evaluate",
    "export_targets",
    "fit_crosssell",
    "holdings",
    "holdout_split",
    "pair_counts",
    "popularity_scores",
    "recommend",
    "rules",
    "target_scores",
    "top_rules",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmlytics.crosssell' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
