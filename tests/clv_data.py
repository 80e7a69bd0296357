"""Test data for the CLV tests: the CDNOW sample through ingest, and a seeded BG/NBD simulator."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np

from crmlytics.workspace import Workspace

CDNOW = files("lifetimes.datasets") / "CDNOW_sample.txt"
# CDNOW (whitespace separated, no header: customer id, id2, date YYYYMMDD, CDs, dollars) has no
# order id; a customer's lines of one day form one order (what BTYD counts), so the order key is
# the composite "<customer>-<date>" of columns 1 and 3.
CDNOW_MAPPING = {
    "order_id": ["column1", "column3"],
    "customer_id": "column1",
    "order_ts": "column3",
    "quantity": "column4",
    "amount": "column5",
}


def cdnow_workspace() -> Workspace:
    """The 2,357-customer CDNOW sample (6,919 lines): the untouched file through ingest."""
    from crmlytics.ingest import ingest

    ws = Workspace.memory()
    ingest(ws, "transactions", [Path(str(CDNOW))], mapping=CDNOW_MAPPING)
    return ws


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, T_low: float, T_high: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequency, recency, T) of ``n`` customers drawn exactly from BG/NBD.

    lambda ~ Gamma(r, 1/alpha), p ~ Beta(a, b); repeat purchases arrive as a Poisson process
    and after each one the customer drops out with probability p (so the number of purchases
    before dropout is Geometric(p)); T ~ Uniform(T_low, T_high). Given K Poisson arrivals in
    (0, T], the x-th arrival time is T times the x-th of K uniform order statistics,
    i.e. T * Beta(x, K - x + 1).
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(T_low, T_high, n)
    K = rng.poisson(lam * T)
    x = np.minimum(K, rng.geometric(p))
    recency = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    return x, recency, T
