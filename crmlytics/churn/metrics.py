"""Backtest metrics of churn scores: ranking, top decile, probability accuracy, calibration.

All take ``y`` (1 churned, 0 stayed) and either a ranking ``score`` (higher = more at risk) or a
``probability``. Ties in the score share their rank (ROC AUC) or are broken by row order after a
stable sort (top decile), so a metric never depends on how an engine ordered equal scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random churner scores above a random stayer
    (ties count half); Mann-Whitney U over (churners x stayers). Nan without both classes."""
    y = np.asarray(y).astype(bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(np.asarray(score, dtype="float64"))
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def pr_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Average precision: the mean, over churners, of the precision among all customers scored
    at or above that churner (tied scores taken together). Equals the churn rate for a random
    score and 1 for a perfect one."""
    y = np.asarray(y).astype("float64")
    if y.sum() == 0:
        return float("nan")
    s = np.asarray(score, dtype="float64")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_tie = np.append(s[1:] != s[:-1], True)
    hits = np.cumsum(y)[last_of_tie]
    seen = (np.arange(len(y)) + 1)[last_of_tie]
    gained = np.diff(np.concatenate([[0.0], hits]))
    return float(np.sum(gained * hits / seen) / y.sum())


def top_decile(y: np.ndarray, score: np.ndarray, share: float = 0.1) -> tuple[float, float]:
    """``(lift, capture)`` of the top ``share`` of customers by score (at least one customer).

    ``capture``: share of all churners found there; ``lift``: churn rate there over the overall
    churn rate (``capture / share`` of the customers taken).
    """
    y = np.asarray(y).astype("float64")
    n = len(y)
    if n == 0 or y.sum() == 0:
        return float("nan"), float("nan")
    k = max(1, int(np.floor(share * n + 1e-9)))
    top = np.argsort(-np.asarray(score, dtype="float64"), kind="stable")[:k]
    rate = y[top].mean()
    return float(rate / y.mean()), float(y[top].sum() / y.sum())


def brier(y: np.ndarray, probability: np.ndarray) -> float:
    """Mean squared difference between the churn probability and the outcome (0 is perfect)."""
    y = np.asarray(y, dtype="float64")
    return float(np.mean((np.asarray(probability, dtype="float64") - y) ** 2))


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed churn rate in ``bins`` equal-count groups of probability.

    Returns ``bin, customers, predicted`` (mean probability) and ``observed`` (churn rate).
    """
    y = np.asarray(y, dtype="float64")
    p = np.asarray(probability, dtype="float64")
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, max(len(p), 1)))
    rows = [
        (i + 1, len(g), float(p[g].mean()), float(y[g].mean()))
        for i, g in enumerate(groups)
        if len(g)
    ]
    return pd.DataFrame(rows, columns=["bin", "customers", "predicted", "observed"])


def calibration_error(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: customer-weighted mean of |predicted - observed| over the
    groups of :func:`calibration_table`."""
    t = calibration_table(y, probability, bins)
    weights = t["customers"] / t["customers"].sum()
    return float((weights * (t["predicted"] - t["observed"]).abs()).sum())


def gains_table(y: np.ndarray, score: np.ndarray, points: int = 20) -> pd.DataFrame:
    """Cumulative gains: share of churners captured in the top share of customers by score.

    Returns ``customer_share`` (0 to 1 in ``points`` steps) and ``churner_share``.
    """
    y = np.asarray(y, dtype="float64")
    order = np.argsort(-np.asarray(score, dtype="float64"), kind="stable")
    captured = np.concatenate([[0.0], np.cumsum(y[order])]) / max(y.sum(), 1.0)
    shares = np.linspace(0, 1, points + 1)
    taken = np.floor(shares * len(y) + 1e-9).astype(int)
    return pd.DataFrame({"customer_share": shares, "churner_share": captured[taken]})
