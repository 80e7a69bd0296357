"""Benchmark: the sales funnel by two dimensions (source x region) over N stage events.

Builds a warehouse file with synthetic opportunities (6 sources, 8 regions, created over two
years) and their stage histories (lead -> needs -> proposal -> quote -> negotiation -> won,
planted conversions 0.60 / 0.70 / 0.65 / 0.75 / 0.60, a lost entry for most deals that stop, the
rest open), about ``--events`` stage events in all, generated inside DuckDB. Then times, in one
run:

- ``ibis_duckdb_s``: :func:`crmlytics.funnel.stage_conversion` by ``source`` and ``region``
  (counts, conversion with Wilson interval, median and p90 days in stage) on DuckDB, result
  fetched to pandas (the issue's target: < 10 s at 10M stage events);
- ``pandas_s``: the same computation written in pandas over the two tables already in memory
  (``pandas_load_s``: reading them from the warehouse into pandas), and whether both give the
  same counts and medians.

Prints one JSON document with seconds and peak RSS (MB) of the process.

Run: ``python benchmarks/bench_funnel.py --events 1000000`` and ``--events 10000000``.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = "2024-01-31"
STAGES = ("lead", "needs", "proposal", "quote", "negotiation", "won")
EVENTS_PER_DEAL = 3.5  # mean stage events per deal under the planted conversions (measured)


def build(path: Path, events: int, seed: int) -> dict[str, float]:
    from crmlytics.workspace import Workspace

    deals = max(1, int(events / EVENTS_PER_DEAL))
    started = time.perf_counter()
    with Workspace.open(path) as ws:
        con = ws.duckdb
        con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
        con.execute(
            f"""
            CREATE TEMP TABLE sim AS
            SELECT i,
                   'OPP' || i::VARCHAR AS opportunity_id,
                   TIMESTAMP '2022-01-01' + to_seconds((random() * 730 * 86400)::BIGINT)
                       AS created_at,
                   (random() * 6)::INT % 6 AS src, (random() * 8)::INT % 8 AS reg,
                   random() AS u, random() AS v
            FROM range({deals}) t(i)
            """
        )
        # stage reached: stop at stage k with prob 1 - conversion[k]; stopped deals are lost
        # (a lost entry) 90% of the time, else still open
        con.execute(
            """
            CREATE TEMP TABLE sim2 AS
            SELECT *, CASE WHEN u < 0.40 THEN 0 WHEN u < 0.58 THEN 1 WHEN u < 0.6776 THEN 2
                           WHEN u < 0.73285 THEN 3 WHEN u < 0.834928 THEN 4 ELSE 5 END AS r
            FROM sim
            """
        )
        con.execute(
            """
            INSERT INTO opportunities BY NAME
            SELECT opportunity_id, 'C' || (i % 100000)::VARCHAR AS customer_id,
                   ['referral','website','trade_show','cold_call','partner','campaign'][src + 1]
                       AS source,
                   ['north','south','east','west','central','ne','nw','sw'][reg + 1] AS region,
                   'E' || (i % 50)::VARCHAR AS owner, 10000.0 AS expected_value, created_at,
                   CASE WHEN r = 5 THEN 'won' WHEN v < 0.9 THEN 'lost' ELSE 'open' END AS outcome,
                   CASE WHEN r = 5 OR v < 0.9 THEN created_at + to_seconds(r * 86400 * 5 + 3600)
                   END AS closed_at
            FROM sim2
            """
        )
        con.execute(
            """
            INSERT INTO opportunity_stages BY NAME
            SELECT opportunity_id,
                   ['lead','needs','proposal','quote','negotiation','won'][k + 1] AS stage,
                   created_at + to_seconds(k * 86400 * 5 + (i % 7) * 3600) AS entered_at
            FROM sim2, range(0, 6) s(k) WHERE k <= r
            UNION ALL
            SELECT opportunity_id, 'lost', created_at + to_seconds(r * 86400 * 5 + 3600)
            FROM sim2 WHERE r < 5 AND v < 0.9
            """
        )
        n_events = con.execute("SELECT count(*) FROM opportunity_stages").fetchone()[0]
    return {
        "deals": deals,
        "stage_events": n_events,
        "build_s": round(time.perf_counter() - started, 2),
    }


def pandas_funnel(opp: pd.DataFrame, hist: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """The same definitions as crmlytics.funnel (sales preset) in plain pandas."""
    n = len(STAGES)
    index = {s: i for i, s in enumerate(STAGES)} | {"lost": -1}
    outcome = opp["outcome"].str.strip().str.lower()
    events = pd.concat(
        [
            hist[["opportunity_id", "stage", "entered_at"]],
            opp[["opportunity_id", "created_at"]]
            .rename(columns={"created_at": "entered_at"})
            .assign(stage="lead"),
            opp.loc[outcome == "won", ["opportunity_id", "closed_at"]]
            .rename(columns={"closed_at": "entered_at"})
            .assign(stage="won"),
            opp.loc[outcome == "lost", ["opportunity_id", "closed_at"]]
            .rename(columns={"closed_at": "entered_at"})
            .assign(stage="lost"),
        ],
        ignore_index=True,
    )
    events = events[events["entered_at"].notna() & (events["entered_at"] < cutoff)]
    ix = events["stage"].str.strip().str.lower().str.replace("-", "_").map(index)
    events = events.assign(ix=ix).dropna(subset=["ix"])
    g = events.groupby("opportunity_id")
    known = events[events["ix"] >= 0]
    per = pd.DataFrame({"reached": known.groupby("opportunity_id")["ix"].max()})
    per["lost_at"] = events[events["ix"] == -1].groupby("opportunity_id")["entered_at"].min()
    first = known.pivot_table(
        index="opportunity_id", columns="ix", values="entered_at", aggfunc="min"
    ).reindex(columns=range(n))
    effective = first.iloc[:, ::-1].cummin(axis=1).iloc[:, ::-1]  # min over this and later
    per = per.reindex(g.size().index)
    lost = per["lost_at"].notna()
    reached = per["reached"].fillna(0)
    per["stage_index"] = np.where(lost, np.minimum(reached, n - 2), reached).astype(int)
    per["outcome"] = np.where(lost, "lost", np.where(per["stage_index"] == n - 1, "won", "open"))
    dims = opp.set_index("opportunity_id")[["source", "region"]]
    per = per.join(dims)
    rows = []
    for i in range(n):
        here = per[per["stage_index"] >= i]
        left = (
            effective.reindex(here.index)[i + 1].where(here["stage_index"] > i)
            if i < n - 1
            else None
        )
        if left is not None:
            left = left.fillna(here["lost_at"].where(here["stage_index"] == i))
            recorded = first.reindex(here.index)[i].notna()
            days = (left - effective.reindex(here.index)[i]).dt.total_seconds() / 86400
            days = days.where(recorded)
        else:
            days = pd.Series(np.nan, index=here.index)
        rows.append(
            pd.DataFrame(
                {
                    "source": here["source"],
                    "region": here["region"],
                    "stage_index": i,
                    "advanced": (here["stage_index"] > i).astype(int),
                    "lost": ((here["stage_index"] == i) & (here["outcome"] == "lost")).astype(int),
                    "open": ((here["stage_index"] == i) & (here["outcome"] == "open")).astype(int),
                    "days": days,
                }
            )
        )
    long = pd.concat(rows, ignore_index=True)

    def nearest(p: float):
        def f(s: pd.Series) -> float:
            s = np.sort(s.dropna().to_numpy())
            return s[int(np.ceil(p * len(s))) - 1] if len(s) else np.nan

        return f

    out = long.groupby(["source", "region", "stage_index"]).agg(
        entered=("advanced", "size"),
        advanced=("advanced", "sum"),
        lost=("lost", "sum"),
        open=("open", "sum"),
        days_in_stage_median=("days", nearest(0.5)),
        days_in_stage_p90=("days", nearest(0.9)),
    )
    decided = out["advanced"] + out["lost"]
    out["conversion"] = out["advanced"] / decided.where(decided > 0)
    return out.reset_index()


def run(path: Path) -> dict[str, object]:
    from crmlytics.asof import as_of
    from crmlytics.funnel import stage_conversion
    from crmlytics.workspace import Workspace

    point = as_of(AS_OF)
    out: dict[str, object] = {}
    with Workspace.open(path, read_only=True) as ws:
        started = time.perf_counter()
        ibis_frame = stage_conversion(ws, "sales", point, ["source", "region"]).to_pandas()
        out["ibis_duckdb_s"] = round(time.perf_counter() - started, 2)
        out["result_rows"] = len(ibis_frame)
        started = time.perf_counter()
        opp = ws.table("opportunities").to_pandas()
        hist = ws.table("opportunity_stages").to_pandas()
        out["pandas_load_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    pandas_frame = pandas_funnel(opp, hist, pd.Timestamp(point.cutoff))
    out["pandas_s"] = round(time.perf_counter() - started, 2)
    key = ["source", "region", "stage_index"]
    a = ibis_frame.sort_values(key).reset_index(drop=True)
    b = pandas_frame.sort_values(key).reset_index(drop=True)
    a = a[a["stage_index"] < len(STAGES) - 1]
    b = b[b["stage_index"] < len(STAGES) - 1].reset_index(drop=True)
    a = a.reset_index(drop=True)
    columns = ["entered", "advanced", "lost", "open"]
    same_counts = (
        len(a) == len(b) and (a[columns].astype(int) == b[columns].astype(int)).all().all()
    )
    same_medians = np.allclose(
        a["days_in_stage_median"].astype(float), b["days_in_stage_median"], equal_nan=True
    )
    out["same_result"] = bool(same_counts and same_medians)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", type=Path, help="warehouse file to build (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        report: dict[str, object] = {"target_events": args.events, "as_of": AS_OF}
        report.update(build(path, args.events, args.seed))
        report.update(run(path))
        report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        report["target"] = "ibis_duckdb_s < 10 at 10M stage events"
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
