"""Cost of complaints: the matched comparison recovers a planted effect on simulated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlytics.complaints.impact import OBSERVATIONAL_NOTE, complaint_impact
from crmlytics.errors import EmptyResultError


def simulate(ws, rng: np.random.Generator, n: int = 3000) -> dict[str, float]:
    """Customers with 1-8 orders in 2023-01..06 (frequency f). Frequent buyers complain more
    (P = 0.05 + 0.05 f, in July) and buy more afterwards (P(buy in 90 days) = p0 = 0.55 + 0.04 f):
    a confounder. Planted effect: fast resolution (10 h) leaves p0 unchanged; slow resolution
    (200 h) doubles the chance of leaving, P(buy) = 1 - 2 (1 - p0). Returns the planted
    differences in purchase rate, averaged over the complainers of each kind."""
    start = pd.Timestamp("2023-01-01")
    f = rng.integers(1, 9, n)
    p0 = 0.55 + 0.04 * f
    complains = rng.random(n) < 0.05 + 0.05 * f
    slow = complains & (rng.random(n) < 0.5)
    ref = np.where(
        complains,
        pd.Timestamp("2023-07-01").value + rng.integers(0, 27, n) * 86_400 * 10**9,
        pd.Timestamp("2023-07-15").value,
    )
    ref = pd.to_datetime(ref) + pd.Timedelta(hours=9)
    p_buy = np.where(slow, 1 - 2 * (1 - p0), p0)
    buys = rng.random(n) < p_buy
    lines, complaints = [], []
    for i in range(n):
        days = rng.choice(180, size=f[i], replace=False)
        for k, d in enumerate(days):
            lines.append((f"o{i}_{k}", f"c{i}", start + pd.Timedelta(days=int(d), hours=12), 100.0))
        if buys[i]:
            after = ref[i].normalize() + pd.Timedelta(days=int(rng.integers(1, 91)), hours=12)
            lines.append((f"o{i}_a", f"c{i}", after, 100.0))
        if complains[i]:
            hours = 200 if slow[i] else 10
            complaints.append(
                dict(
                    complaint_id=f"K{i}",
                    customer_id=f"c{i}",
                    opened_at=ref[i],
                    category="delivery",
                    severity=1,
                    handled_at=ref[i] + pd.Timedelta(hours=1),
                    resolved_at=ref[i] + pd.Timedelta(hours=hours),
                )
            )
    tx = pd.DataFrame(lines, columns=["order_id", "customer_id", "order_ts", "amount"])
    tx["line_no"], tx["kind"] = 1, "sale"
    ws.insert("transactions", tx)
    ws.insert("complaints", complaints)
    fast = complains & ~slow
    return {
        "fast": 0.0,
        "slow": float(np.mean(-(1 - p0[slow]))),
        "n_slow": int(slow.sum()),
        "n_fast": int(fast.sum()),
    }


def test_matched_comparison_recovers_slow_resolution_doubling_the_chance_of_leaving(ws):
    truth = simulate(ws, np.random.default_rng(11))
    result = complaint_impact(ws, "2023-12-31", horizon_days=90)
    s = result.summary.set_index("group")
    assert result.note == OBSERVATIONAL_NOTE and "not a controlled experiment" in result.note
    assert s.loc["slow_resolution", "customers"] == truth["n_slow"]
    assert s.loc["fast_resolution", "customers"] == truth["n_fast"]
    # a difference of two proportions over ~400 complainers has a standard error of about
    # 0.025; 0.075 is three of them
    assert s.loc["slow_resolution", "purchase_rate_difference"] == pytest.approx(
        truth["slow"], abs=0.075
    )
    assert s.loc["fast_resolution", "purchase_rate_difference"] == pytest.approx(0.0, abs=0.075)
    # frequent buyers both complain more and buy more: without matching, fast complainers
    # would look clearly better than non-complainers (confounded); matching removes most of it
    panel = result.panel
    controls = panel.loc[~panel["complained"], "purchased_after"].mean()
    fast = panel["complained"] & (panel["resolution_hours"] <= 48)
    naive = panel.loc[fast, "purchased_after"].mean() - controls
    assert naive > s.loc["fast_resolution", "purchase_rate_difference"] + 0.04
    # revenue at risk: slow complainers buy 100 yuan less per missed purchase
    assert s.loc["slow_resolution", "revenue_at_risk"] == pytest.approx(
        -truth["slow"] * 100 * s.loc["slow_resolution", "matched"], rel=0.25
    )


def test_no_complaint_with_a_full_follow_window_is_said_out_loud(ws):
    simulate(ws, np.random.default_rng(1), n=100)
    with pytest.raises(EmptyResultError, match="nothing to compare"):
        complaint_impact(ws, "2023-08-01", horizon_days=90)
