"""Cross-sell targeting: baskets, association rules, next best products, target lists and their
evaluation against popularity baselines."""

from crmlytics.crosssell.baskets import basket_items, bought_lines, holdings
from crmlytics.crosssell.evaluate import evaluate, holdout_split
from crmlytics.crosssell.recommend import CrossSell, customer_holdings
from crmlytics.crosssell.rules import association_rules, pair_counts, rules, top_rules
from crmlytics.crosssell.targets import export_targets, fit_crosssell, recommend, target_scores

__all__ = [
    "CrossSell",
    "association_rules",
    "basket_items",
    "bought_lines",
    "customer_holdings",
    "evaluate",
    "export_targets",
    "fit_crosssell",
    "holdings",
    "holdout_split",
    "pair_counts",
    "recommend",
    "rules",
    "target_scores",
    "top_rules",
]
