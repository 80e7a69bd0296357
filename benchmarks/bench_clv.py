"""Benchmark: CLV summary + fit + predict vs lifetimes' own summary + fit on the same data.

Transaction lines come from ``benchmarks/make_transactions.py`` (about one customer per 10
lines), are loaded into an in-memory warehouse (not timed), then:

- crmlytics: BTYD summary in DuckDB (Ibis) → BG/NBD + Gamma-Gamma fit on the compressed
  summary → per-customer P(alive), expected purchases and 12-month CLV;
- lifetimes: ``summary_data_from_transaction_data`` on the pandas lines → ``BetaGeoFitter.fit``
  and ``GammaGammaFitter.fit`` → ``conditional_expected_number_of_purchases_up_to_time``.

Prints one JSON object: seconds per stage and peak RSS. Target: crmlytics under 10 s for 10M
lines (1M customers).

Usage::

    python benchmarks/bench_clv.py --rows 200000            # quick proof (seconds)
    python benchmarks/bench_clv.py --rows 10000000          # the target scale
    python benchmarks/bench_clv.py --rows 10000000 --no-baseline   # lifetimes takes minutes
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_transactions import make_transactions  # noqa: E402

AS_OF = "2023-12-31"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_crmlytics(ws) -> dict[str, float]:
    from crmlytics.clv.predict import fit_clv
    from crmlytics.clv.summary import customer_summary

    times = {}
    t0 = time.perf_counter()
    summary = customer_summary(ws, AS_OF, unit="weeks")
    times["summary_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_clv(summary, unit="weeks")
    times["fit_s"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    scores = model.predict(summary, horizon_months=12, discount_rate=0.10)
    times["predict_s"] = time.perf_counter() - t2
    times["total_s"] = time.perf_counter() - t0
    times["customers"] = len(scores)
    times["patterns"] = model.purchases.diagnostics_.n_patterns
    times["fit_method"] = model.purchases.diagnostics_.method
    times["params"] = {k: round(v, 4) for k, v in model.purchases.params_.items()}
    return times


def run_lifetimes(lines) -> dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    times: dict[str, object] = {}
    t0 = time.perf_counter()
    frame = lines[["customer_id", "order_ts", "amount"]]
    summary = summary_data_from_transaction_data(
        frame, "customer_id", "order_ts", "amount", observation_period_end=AS_OF, freq="W"
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
    except Exception as exc:  # lifetimes' own failure is a result worth reporting
        times["error"] = f"{type(exc).__name__}: {str(exc).strip()[:80]}"
    times["total_s"] = time.perf_counter() - t0
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    from crmlytics.workspace import Workspace

    t0 = time.perf_counter()
    lines = make_transactions(args.rows, seed=args.seed).to_pandas()
    ws = Workspace.memory()
    ws.insert("transactions", lines)
    setup = time.perf_counter() - t0
    result = {
        "rows": args.rows,
        "setup_s": round(setup, 2),
        "crmlytics": run_crmlytics(ws),
    }
    if not args.no_baseline:
        result["lifetimes"] = run_lifetimes(lines)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    for part in ("crmlytics", "lifetimes"):
        for key, value in result.get(part, {}).items():
            if isinstance(value, float):
                result[part][key] = round(value, 3)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
