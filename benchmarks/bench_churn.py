"""Benchmark: churn training (4 labelled cutoffs) and scoring, next to a pandas feature pipeline.

Data: the demo generator (:func:`crmlytics.demo.generate_demo`: BG/NBD purchases, returns,
complaints that foreshadow churn, contacts, campaigns), loaded into in-memory warehouses (not
timed). Then, timed step by step:

- train: labelled snapshots (features as Ibis expressions on DuckDB, P(alive) from a BG/NBD fit
  per cutoff, labels over 90 days) for the 4 training cutoffs of a run as of the demo's as-of
  date, then ``ChurnModel().fit`` (gradient-boosted trees calibrated on the latest cutoff,
  permutation importance);
- score: features of every active customer of a second, larger warehouse, then probability,
  risk tier, top-3 drivers, reasons in words and PSI (:func:`crmlytics.churn.score.score_frame`);
- pandas: the transaction, complaint, contact and campaign features of one cutoff computed with
  pandas group-bys from the same tables (read into pandas first, not timed), times the cutoffs.

Prints one JSON object: seconds per step, rows, the held-out ROC AUC of the model, the machine's
load average and peak RSS. Targets (issue 10): train 200k customers x 4 cutoffs < 60 s, score
1M customers < 20 s.

Usage::

    python benchmarks/bench_churn.py --customers 20000 --score-customers 50000   # quick
    python benchmarks/bench_churn.py                                            # the targets
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from crmlytics.churn.backtest import plan, snapshots
from crmlytics.churn.config import ChurnConfig
from crmlytics.churn.features import feature_frame, labelled_features, p_alive
from crmlytics.churn.metrics import roc_auc
from crmlytics.churn.model import ChurnModel, psi
from crmlytics.churn.score import score_frame
from crmlytics.demo import generate_demo
from crmlytics.workspace import Workspace

AS_OF = dt.date(2025, 6, 30)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warehouse(
    customers: int, seed: int, cache: Path | None = None
) -> tuple[Workspace, dict[str, pd.DataFrame]]:
    """An in-memory warehouse of the demo data (generated, or read from ``cache`` if there)."""
    stored = None if cache is None else cache / f"demo_{customers}_s{seed}.pkl"
    if stored is not None and stored.exists():
        with stored.open("rb") as f:
            tables = pickle.load(f)  # noqa: S301 - our own file, written below
    else:
        tables = generate_demo(customers=customers, seed=seed, as_of=AS_OF).tables
        if stored is not None:
            stored.parent.mkdir(parents=True, exist_ok=True)
            with stored.open("wb") as f:
                pickle.dump(tables, f, protocol=5)
    ws = Workspace.memory()
    for name, frame in tables.items():
        ws.insert(name, frame)
    return ws, tables


def pandas_features(tables: dict[str, pd.DataFrame], cutoff: dt.date, trend: int = 90):
    """The relational features of one cutoff with pandas (the baseline)."""
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    day = pd.Timestamp(cutoff)
    tx = tables["transactions"]
    tx = tx[tx["order_ts"] < end]
    ret = (tx["kind"].fillna("sale").str.lower() == "return") | (tx["amount"] < 0)
    tx = tx.assign(gross=tx["amount"].where(~ret, 0.0), returned=tx["amount"].abs().where(ret, 0.0))
    orders = tx.groupby(["customer_id", "order_id"], sort=False).agg(
        day=("order_ts", "min"), net=("amount", "sum"), gross=("gross", "sum"),
        returned=("returned", "sum"),
    )  # fmt: skip
    orders["day"] = orders["day"].dt.normalize()
    orders["net"] = orders["net"].round(6)
    orders = orders.reset_index()
    bought = orders[orders["net"] > 0]
    recent = bought["day"] > day - pd.Timedelta(days=trend)
    prior = ~recent & (bought["day"] > day - pd.Timedelta(days=2 * trend))
    per = bought.assign(
        r=recent.astype(int), p=prior.astype(int), sr=bought["net"].where(recent, 0.0),
        sp=bought["net"].where(prior, 0.0),
    ).groupby("customer_id").agg(
        first=("day", "min"), last=("day", "max"), orders=("order_id", "size"),
        purchase_days=("day", "nunique"), net=("net", "sum"), orders_recent=("r", "sum"),
        orders_prior=("p", "sum"), spend_recent=("sr", "sum"), spend_prior=("sp", "sum"),
    )  # fmt: skip
    money = orders.groupby("customer_id")[["gross", "returned"]].sum()
    days = bought[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    days["gap"] = days.groupby("customer_id")["day"].diff().dt.days
    gaps = days.groupby("customer_id")["gap"].agg(["mean", "std"])
    f = per.join(money).join(gaps)
    f["days_since_last_purchase"] = (day - f["last"]).dt.days
    f["days_since_first_purchase"] = (day - f["first"]).dt.days
    f["overdue_ratio"] = f["days_since_last_purchase"] / f["mean"]
    f["gap_cv"] = f["std"] / f["mean"]
    f["return_share"] = f["returned"] / f["gross"].replace(0, np.nan)
    c = tables["complaints"]
    c = c[c["opened_at"] < end]
    resolved = c["resolved_at"] < end
    close = c["resolved_at"].where(resolved, end)
    comp = c.assign(
        unresolved=(~resolved).astype(int),
        slow=((close - c["opened_at"]).dt.total_seconds() > 7 * 86400).astype(int),
    ).groupby("customer_id").agg(
        complaints=("complaint_id", "size"), unresolved=("unresolved", "sum"),
        slow=("slow", "sum"), satisfaction=("satisfaction", "mean"),
    )  # fmt: skip
    i = tables["interactions"]
    contacts = i[i["ts"] < end].groupby("customer_id").size().rename("contacts")
    t = tables["campaign_touches"]
    t = t[t["sent_at"] < end]
    camp = (
        t.assign(o=(t["opened_at"] < end).astype(int))
        .groupby("customer_id")
        .agg(touches=("campaign_id", "size"), opens=("o", "sum"))
    )
    return f.join(comp).join(contacts).join(camp)


def _cpu() -> float:
    """CPU seconds of this process so far (user + system, all threads): on a shared machine
    the wall-clock figures stretch with the load, these do not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000, help="training warehouse")
    parser.add_argument("--score-customers", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1, help="OpenMP threads of the trees")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep the generated demo tables here (pickle)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    out: dict[str, object] = {"customers": args.customers, "score_customers": args.score_customers}
    config = ChurnConfig()
    evaluation, training = plan(AS_OF, config)
    cutoffs = [*training[1:], evaluation]  # the 4 cutoffs a model used at AS_OF is fitted on

    ws, tables = warehouse(args.customers, seed=1, cache=args.cache)
    out["transactions"] = len(tables["transactions"])
    c0, t0 = _cpu(), time.perf_counter()
    frame = snapshots(ws, cutoffs, config)
    c1, t1 = _cpu(), time.perf_counter()
    model = ChurnModel(n_threads=args.threads).fit(frame)
    c2, t2 = _cpu(), time.perf_counter()
    out["train"] = {
        "snapshot_rows": len(frame),
        "snapshots_s": round(t1 - t0, 2),
        "fit_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "cpu_s": {"snapshots": round(c1 - c0, 2), "fit": round(c2 - c1, 2)},
        "boosting_rounds": model.training_["iterations"],
        "top_features": model.importance_["feature"].head(5).tolist(),
        "load_average": _load(),
    }
    if not args.no_baseline:
        c0, t0 = _cpu(), time.perf_counter()
        for cutoff in cutoffs:
            pandas_features(tables, cutoff)
        out["pandas_features_4_cutoffs_s"] = round(time.perf_counter() - t0, 2)
        out["pandas_features_4_cutoffs_cpu_s"] = round(_cpu() - c0, 2)
        c0, t0 = _cpu(), time.perf_counter()
        for cutoff in cutoffs:
            feature_frame(ws, cutoff, config)
        out["crmlytics_features_4_cutoffs_s"] = round(time.perf_counter() - t0, 2)
        out["crmlytics_features_4_cutoffs_cpu_s"] = round(_cpu() - c0, 2)
        c0, t0 = _cpu(), time.perf_counter()
        for cutoff in cutoffs:
            labelled_features(ws, cutoff, active_days=config.active_days).to_pandas()
        out["crmlytics_relational_features_4_cutoffs_s"] = round(time.perf_counter() - t0, 2)
        out["crmlytics_relational_features_4_cutoffs_cpu_s"] = round(_cpu() - c0, 2)
        out["baseline_load_average"] = _load()
    ws.close()
    del tables

    ws, tables = warehouse(args.score_customers, seed=2, cache=args.cache)
    out["score_transactions"] = len(tables["transactions"])
    if not args.no_baseline:
        c0, t0 = _cpu(), time.perf_counter()
        pandas_features(tables, AS_OF)
        out["pandas_features_score_s"] = round(time.perf_counter() - t0, 2)
        out["pandas_features_score_cpu_s"] = round(_cpu() - c0, 2)
    del tables
    c0, t0 = _cpu(), time.perf_counter()
    features = feature_frame(ws, AS_OF, config)
    c1, t1 = _cpu(), time.perf_counter()
    scores = score_frame(model, features, config)
    c2, t2 = _cpu(), time.perf_counter()
    stability = psi(model, features)
    c3, t3 = _cpu(), time.perf_counter()
    out["score"] = {
        "customers_scored": len(scores),
        "features_s": round(t1 - t0, 2),
        "predict_reasons_s": round(t2 - t1, 2),
        "psi_s": round(t3 - t2, 2),
        "total_s": round(t3 - t0, 2),
        "cpu_s": {
            "features": round(c1 - c0, 2),
            "predict_reasons": round(c2 - c1, 2),
            "psi": round(c3 - c2, 2),
        },
        "max_psi": round(float(stability["psi"].max()), 3),
        "high_risk_share": round(float((scores["churn_risk_tier"] == "high").mean()), 3),
        "load_average": _load(),
    }
    t0 = time.perf_counter()
    labelled_features(ws, AS_OF, active_days=config.active_days).to_pandas()
    t1 = time.perf_counter()
    p_alive(ws, AS_OF, config.p_alive_sample)
    t2 = time.perf_counter()
    out["score"]["parts_again"] = {
        "relational_features_s": round(t1 - t0, 2),
        "p_alive_s": round(t2 - t1, 2),
    }
    # the model on other customers (the score warehouse) at its own latest labelled cutoff
    labelled = feature_frame(ws, evaluation, config, labels=True)
    out["held_out_customers_roc_auc"] = round(
        roc_auc(labelled["churned"], model.score_samples(labelled)), 4
    )
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
