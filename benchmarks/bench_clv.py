"""Benchmark: CLV summary + fit + predict vs lifetimes' own summary + fit on the same data.

Transaction lines are simulated in-process from a BG/NBD process with planted weekly parameters
(``PLANTED``; about 10 lines per customer: ~2.9 orders of 1-6 lines, ~3% of lines returned 1-30
days later), loaded into an in-memory warehouse (not timed), then:

- crmlytics: the steps of :func:`crmlytics.clv.predict.predict`, timed one by one: BTYD summary
  in DuckDB through Ibis → BG/NBD + Gamma-Gamma fit on the compressed patterns → P(alive),
  expected purchases and 12-month CLV per customer (computed per pattern, gathered back);
- lifetimes: ``summary_data_from_transaction_data`` on the pandas lines → ``BetaGeoFitter.fit``
  and ``GammaGammaFitter.fit`` → ``conditional_expected_number_of_purchases_up_to_time``.

Prints one JSON object: seconds per step, peak RSS, the machine's load average, and the fitted
next to the planted BG/NBD parameters (a sanity check: they should agree to a few percent).
Target: crmlytics under 10 s for 10M lines (1M customers). Measured on the shared 2-core machine
(load average ~1.1): 10.3M lines / 983k customers / 482k patterns: crmlytics 3.6 s (summary
1.9, fit 1.2, predict 0.5) vs lifetimes 26.0 s (summary 11.5, fit 14.0, predict 0.5); 1.03M
lines / 98k customers: 0.46 s vs 2.2 s.

Usage::

    python benchmarks/bench_clv.py --rows 200000                   # quick proof (seconds)
    python benchmarks/bench_clv.py --rows 1000000                  # with the lifetimes baseline
    python benchmarks/bench_clv.py --rows 10000000 --no-baseline   # the target scale
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import warnings

import numpy as np
import pyarrow as pa

AS_OF = "2023-12-31"
AS_OF_END = np.datetime64("2023-12-31T23:59:59", "s")
PLANTED = {"r": 0.45, "alpha": 9.0, "a": 0.8, "b": 2.5}  # BG/NBD, alpha in weeks
SPAN_WEEKS = 156.0  # first purchases spread over the 3 years before the as-of date
WEEK_S = 7 * 86400
LINES_PER_CUSTOMER = 10.15  # mean of the simulation (2.9 orders x 3.5 lines)
RETURN_SHARE = 0.03


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate_lines(rows: int, seed: int = 0) -> pa.Table:
    """About ``rows`` transaction lines of ``rows / 10`` customers drawn from BG/NBD.

    Per customer: lambda ~ Gamma(r, 1/alpha), p ~ Beta(a, b), first purchase T weeks before the
    as-of date with T ~ U(0, 156); K ~ Poisson(lambda T) purchase opportunities of which the
    first min(K, Geometric(p)) happen (the first x of K uniform order statistics on (0, T],
    drawn as normalised exponential spacings). Integer ids; the warehouse formats them.
    """
    rng = np.random.default_rng(seed)
    n = max(int(rows / LINES_PER_CUSTOMER), 1)
    r, alpha, a, b = PLANTED.values()
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    T = rng.uniform(0.0, SPAN_WEEKS, n)
    K = rng.poisson(lam * T)
    x = np.minimum(K, rng.geometric(p))
    owner = np.repeat(np.arange(n), x)
    gaps = rng.exponential(1.0, owner.size)
    block_sum = np.bincount(owner, weights=gaps, minlength=n)
    starts = np.r_[0, np.cumsum(x)[:-1]]
    csum = np.cumsum(gaps)
    within = csum - np.r_[0.0, csum][starts][owner]
    rest = rng.gamma(np.maximum(K - x + 1, 1).astype(float), 1.0)
    frac = within / (block_sum + rest)[owner]
    first = AS_OF_END - (T * WEEK_S).astype("timedelta64[s]")
    order_customer = np.r_[np.arange(n), owner]
    order_ts = np.r_[first, first[owner] + (frac * T[owner] * WEEK_S).astype("timedelta64[s]")]

    lines_per_order = rng.integers(1, 7, order_customer.size)
    line_order = np.repeat(np.arange(order_customer.size), lines_per_order)
    line_no = (
        np.arange(line_order.size) - (np.cumsum(lines_per_order) - lines_per_order)[line_order]
    )
    spend = rng.gamma(4.0, 5.0, n)  # each customer's typical line value
    amount = np.round(spend[order_customer[line_order]] * rng.lognormal(0, 0.5, line_order.size), 2)
    returned = np.sort(rng.choice(line_order.size, int(line_order.size * RETURN_SHARE), False))
    later = rng.integers(1, 31, returned.size).astype("timedelta64[D]")
    sale_ts = order_ts[line_order]
    return pa.table(
        {
            "order_no": np.r_[line_order, line_order[returned]],
            "line_no": np.r_[line_no, line_no[returned]] + 1,
            "is_return": np.r_[np.zeros(line_order.size, bool), np.ones(returned.size, bool)],
            "customer_no": order_customer[np.r_[line_order, line_order[returned]]],
            "order_ts": np.r_[sale_ts, sale_ts[returned] + later].astype("datetime64[us]"),
            "amount": np.r_[amount, -amount[returned]],
        }
    )


def load(ws, lines: pa.Table) -> None:
    """Insert simulated lines into the warehouse's transactions table (ids as strings)."""
    con = ws.duckdb
    con.register("bench_lines", lines)
    con.execute(
        """
        INSERT INTO transactions BY NAME
        SELECT 'O' || lpad(order_no::VARCHAR, 9, '0') AS order_id, line_no,
               CASE WHEN is_return THEN 'return' ELSE 'sale' END AS kind,
               'C' || lpad(customer_no::VARCHAR, 8, '0') AS customer_id, order_ts, amount
        FROM bench_lines
        """
    )
    con.unregister("bench_lines")


def run_crmlytics(ws) -> dict[str, object]:
    """The steps of :func:`crmlytics.clv.predict.predict`, timed one by one."""
    from crmlytics.clv.predict import ClvModel
    from crmlytics.clv.summary import customer_summary

    times: dict[str, object] = {}
    t0 = time.perf_counter()
    summary = customer_summary(ws, AS_OF, unit="weeks")
    times["summary_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ClvModel(unit="weeks").fit(summary)
    times["fit_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    scores = model.predict(summary, horizon_months=12, discount_rate=0.10)
    times["predict_s"] = time.perf_counter() - t2
    times["total_s"] = time.perf_counter() - t0
    times["customers"] = len(scores)
    times["patterns"] = model.purchases_.diagnostics_.n_patterns
    times["fit_method"] = model.purchases_.diagnostics_.method
    times["params"] = {k: round(v, 4) for k, v in model.purchases_.params_.items()}
    times["planted"] = PLANTED
    times["object_columns"] = [c for c in scores.columns if scores[c].dtype == object]
    return times


def run_lifetimes(ws) -> dict[str, object]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    lines = ws.duckdb.sql("SELECT customer_id, order_ts, amount FROM transactions").df()
    times: dict[str, object] = {}
    t0 = time.perf_counter()
    summary = summary_data_from_transaction_data(
        lines, "customer_id", "order_ts", "amount", observation_period_end=AS_OF, freq="W"
    )
    times["summary_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
            repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
            GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
            times["fit_s"] = time.perf_counter() - t1
            t2 = time.perf_counter()
            bgf.conditional_expected_number_of_purchases_up_to_time(
                52, summary["frequency"], summary["recency"], summary["T"]
            )
            times["predict_s"] = time.perf_counter() - t2
            times["params"] = {k: round(v, 4) for k, v in bgf.params_.items()}
    except Exception as exc:  # lifetimes' own failure is a result worth reporting
        times["error"] = f"{type(exc).__name__}: {str(exc).strip()[:80]}"
    times["total_s"] = time.perf_counter() - t0
    return times


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    from crmlytics.workspace import Workspace

    t0 = time.perf_counter()
    ws = Workspace.memory()
    load(ws, simulate_lines(args.rows, args.seed))
    lines = ws.duckdb.sql("SELECT count(*) FROM transactions").fetchone()[0]
    result: dict[str, object] = {
        "rows": lines,
        "setup_s": time.perf_counter() - t0,
        "load_average_before": os.getloadavg(),
        "crmlytics": run_crmlytics(ws),
    }
    if not args.no_baseline:
        result["lifetimes"] = run_lifetimes(ws)
    result["load_average_after"] = os.getloadavg()
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(_rounded(result), indent=1))


if __name__ == "__main__":
    main()
