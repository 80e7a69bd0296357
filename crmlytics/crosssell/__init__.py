"""Cross-sell targeting: baskets, association rules, next best products, evaluation."""
