"""Score runs: append-only, all-or-nothing records of customer scores as of a date.

A nightly job computes scores for every customer and hands them to :func:`record_scores`. The run
row in ``score_runs`` and its rows in ``customer_scores`` are written in one transaction, so a run
that fails leaves nothing half-written and every earlier run intact. ``customer_scores`` has one
column per score or segment; a score seen for the first time adds its column.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Mapping

import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import DataError
from crmlytics.workspace import Workspace

SCORES_TABLE = "customer_scores"
_DUCKDB_TYPES = {"b": "BOOLEAN", "i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "M": "TIMESTAMP"}


def _sql_type(series: pd.Series) -> str:
    return _DUCKDB_TYPES.get(series.dtype.kind, "VARCHAR")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def record_scores(
    ws: Workspace,
    scores: pd.DataFrame,
    *,
    as_of: str | _dt.date | AsOf,
    config_hash: str = "",
    model_versions: Mapping[str, str] | None = None,
    started_at: _dt.datetime | None = None,
) -> str:
    """Append ``scores`` (one row per ``customer_id``) as a new run; return its ``run_id``.

    The run is visible only once complete: on any error nothing of it is stored.
    """
    if "customer_id" not in scores.columns:
        raise DataError("scores need a customer_id column")
    if scores["customer_id"].duplicated().any():
        dup = scores.loc[scores["customer_id"].duplicated(), "customer_id"].iloc[0]
        raise DataError(f"scores hold customer {dup!r} more than once")
    point = resolve_as_of(as_of)
    run_id = f"{point.date:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    con = ws.duckdb
    frame = scores.copy()
    frame.insert(0, "run_id", run_id)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {SCORES_TABLE} (run_id VARCHAR, customer_id VARCHAR)"
        )
        existing = {row[0] for row in con.execute(f"DESCRIBE {SCORES_TABLE}").fetchall()}
        for column in frame.columns:
            if column not in existing:
                con.execute(
                    f"ALTER TABLE {SCORES_TABLE} ADD COLUMN {_quote(column)} "
                    f"{_sql_type(frame[column])}"
                )
        con.register("_new_scores", frame)
        names = ", ".join(_quote(c) for c in frame.columns)
        con.execute(f"INSERT INTO {SCORES_TABLE} ({names}) SELECT {names} FROM _new_scores")
        con.unregister("_new_scores")
        con.execute(
            "INSERT INTO score_runs (run_id, as_of, started_at, finished_at, status, "
            "config_hash, model_versions, score_columns) "
            "VALUES (?, ?, ?, ?, 'succeeded', ?, ?, ?)",
            [
                run_id,
                point.date,
                started_at or _dt.datetime.now(),
                _dt.datetime.now(),
                config_hash,
                json.dumps(dict(model_versions or {}), sort_keys=True),
                json.dumps(list(scores.columns)),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return run_id


def latest_run_id(ws: Workspace, as_of: str | _dt.date | AsOf | None = None) -> str | None:
    """Id of the newest successful run (for the as-of date of ``as_of``, if given), or ``None``.

    A lookup: runs one small query on ``score_runs``.
    """
    if not {SCORES_TABLE, "score_runs"} <= set(ws.backend.list_tables()):
        return None
    runs = ws.table("score_runs")
    runs = runs.filter(runs.status == "succeeded")
    if as_of is not None:
        runs = runs.filter(runs.as_of == resolve_as_of(as_of).date)
    newest = runs.order_by(runs.finished_at.desc()).limit(1).select("run_id").to_pandas()
    return None if newest.empty else str(newest["run_id"].iloc[0])


def run_scores(ws: Workspace, run_id: str) -> ir.Table:
    """Scores of run ``run_id``, one row per customer without ``run_id`` (an expression).

    Only the columns that run wrote: ``customer_scores`` keeps every column any run ever
    added (a score renamed or dropped since stays as a null column of later runs), and a run
    recorded before runs listed their columns gives all of them.
    """
    scores = ws.backend.table(SCORES_TABLE)
    scores = scores.filter(scores.run_id == run_id).drop("run_id")
    runs = ws.table("score_runs")
    recorded = runs.filter(runs.run_id == run_id).select("score_columns").to_pandas()
    if recorded.empty or not isinstance(recorded["score_columns"].iloc[0], str):
        return scores
    return scores.select(*json.loads(recorded["score_columns"].iloc[0]))


def latest_run(ws: Workspace, as_of: str | _dt.date | AsOf | None = None) -> ir.Table | None:
    """Scores of the newest successful run (for the as-of date of ``as_of``, if given), one row
    per customer without ``run_id``, as an Ibis table; ``None`` when there is no such run."""
    run_id = latest_run_id(ws, as_of)
    return None if run_id is None else run_scores(ws, run_id)


def latest_scores(ws: Workspace, as_of: str | _dt.date | AsOf | None = None) -> pd.DataFrame:
    """:func:`latest_run` as a pandas frame sorted by customer; an error if there is none."""
    scores = latest_run(ws, as_of)
    if scores is None:
        raise LookupError("no successful score run" + (f" as of {as_of}" if as_of else ""))
    return scores.order_by("customer_id").to_pandas()
