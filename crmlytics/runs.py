"""Score runs: append-only, all-or-nothing records of customer scores as of a date.

A nightly job computes scores for every customer and hands them to :func:`record_scores`.
``customer_scores`` has one column per score or segment; a score seen for the first time adds its
column. A run is all or nothing on every engine:

- **DuckDB**: the run row in ``score_runs`` and its rows in ``customer_scores`` are written in one
  transaction, so a run that fails (or a process killed midway) leaves nothing behind.
- **An attached warehouse** (Spark, ...; no multi-table transactions): the run's rows go into
  ``customer_scores`` first and its row in ``score_runs``, with status ``succeeded``, last, as one
  insert. Readers (:func:`latest_run_id`, :func:`run_scores`, :func:`latest_scores`) only see
  runs marked ``succeeded``, so a run that fails or is killed before that last step is never
  the latest: its rows stay in ``customer_scores`` under a run id that no run row names. Both
  tables live in the workspace's database (``Workspace.database`` when set).

Either way every earlier run stays intact.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.errors import DataError, EmptyResultError
from crmlytics.schema import SCORE_RUNS
from crmlytics.workspace import Workspace

SCORES_TABLE = "customer_scores"
RUNS_TABLE = "score_runs"
#: Status of a run whose scores are all written; readers see no other run.
SUCCEEDED = "succeeded"
_DUCKDB_TYPES = {"b": "BOOLEAN", "i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "M": "TIMESTAMP"}


class NoScoreRunError(EmptyResultError, LookupError):
    """There is no completed score run (for the date or id asked): record one first."""


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
    frame = scores.copy()
    frame.insert(0, "run_id", run_id)
    run = {
        "run_id": run_id,
        "as_of": point.date,
        "started_at": started_at or _dt.datetime.now(),
        "finished_at": None,
        "status": SUCCEEDED,
        "config_hash": config_hash,
        "model_versions": json.dumps(dict(model_versions or {}), sort_keys=True),
        "score_columns": json.dumps(list(scores.columns)),
    }
    if ws.is_duckdb:
        _record_in_transaction(ws, frame, run)
    else:
        _write_scores(ws, frame)
        _mark_succeeded(ws, run)
    return run_id


def _record_in_transaction(ws: Workspace, frame: pd.DataFrame, run: dict[str, object]) -> None:
    """DuckDB: the scores and the run row in one transaction."""
    con = ws.duckdb
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
            f"INSERT INTO {RUNS_TABLE} (run_id, as_of, started_at, finished_at, status, "
            "config_hash, model_versions, score_columns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*_run_values(run)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _run_values(run: dict[str, object]) -> list[object]:
    values = {**run, "finished_at": run["finished_at"] or _dt.datetime.now()}
    return [values[c] for c in SCORE_RUNS.names]


def _database(ws: Workspace) -> str | None:
    """The database the workspace keeps its own tables in (None: the backend's current one)."""
    return getattr(ws, "database", None)


def _tables(ws: Workspace) -> set[str]:
    return set(ws.backend.list_tables(database=_database(ws)))


def _write_scores(ws: Workspace, frame: pd.DataFrame) -> None:
    """Attached warehouse, step 1 of 2: append the run's rows to ``customer_scores`` (created,
    or widened by the run's new columns, first). Invisible to readers until step 2."""
    backend, database = ws.backend, _database(ws)
    incoming = ibis.memtable(frame).schema()
    if SCORES_TABLE not in _tables(ws):
        backend.create_table(SCORES_TABLE, schema=incoming, database=database)
    target = backend.table(SCORES_TABLE, database=database).schema()
    added = {c: t for c, t in incoming.items() if c not in target}
    if added:
        _add_columns(ws, added)
        target = backend.table(SCORES_TABLE, database=database).schema()
    rows = ibis.memtable(frame)
    rows = rows.select(
        **{
            column: (rows[column] if column in frame.columns else ibis.null()).cast(dtype)
            for column, dtype in target.items()
        }
    )
    backend.insert(SCORES_TABLE, rows, database=database)


def _add_columns(ws: Workspace, columns: Mapping[str, object]) -> None:
    """``ALTER TABLE customer_scores ADD COLUMNS`` in the backend's dialect."""
    import sqlglot as sg

    compiler = ws.backend.compiler
    table = sg.table(SCORES_TABLE, db=_database(ws), quoted=True).sql(compiler.dialect)
    defs = ", ".join(
        f"{sg.to_identifier(name, quoted=True).sql(compiler.dialect)} "
        f"{compiler.type_mapper.to_string(dtype)}"
        for name, dtype in columns.items()
    )
    ws.backend.raw_sql(f"ALTER TABLE {table} ADD COLUMNS ({defs})")


def _mark_succeeded(ws: Workspace, run: dict[str, object]) -> None:
    """Attached warehouse, step 2 of 2: the run's row in ``score_runs``, status succeeded, in
    one insert. Until it lands the run does not exist for readers."""
    backend, database = ws.backend, _database(ws)
    if RUNS_TABLE not in _tables(ws):
        backend.create_table(RUNS_TABLE, schema=SCORE_RUNS, database=database)
    row = pd.DataFrame([dict(zip(SCORE_RUNS.names, _run_values(run), strict=True))])
    backend.insert(RUNS_TABLE, ibis.memtable(row).cast(SCORE_RUNS), database=database)


def latest_run_id(ws: Workspace, as_of: str | _dt.date | AsOf | None = None) -> str | None:
    """Id of the newest successful run (for the as-of date of ``as_of``, if given), or ``None``.

    A lookup: runs one small query on ``score_runs``.
    """
    if not {SCORES_TABLE, RUNS_TABLE} <= _tables(ws):
        return None
    runs = _runs(ws)
    if as_of is not None:
        runs = runs.filter(runs.as_of == resolve_as_of(as_of).date)
    newest = runs.order_by([runs.finished_at.desc(), runs.run_id.desc()]).limit(1)
    newest = newest.select("run_id").to_pandas()
    return None if newest.empty else str(newest["run_id"].iloc[0])


def run_scores(ws: Workspace, run_id: str) -> ir.Table:
    """Scores of run ``run_id``, one row per customer without ``run_id`` (an expression).

    Only a completed run (status succeeded) is read; any other id is a :class:`NoScoreRunError`.
    Only the columns that run wrote: ``customer_scores`` keeps every column any run ever
    added (a score renamed or dropped since stays as a null column of later runs), and a run
    recorded before runs listed their columns gives all of them.
    """
    scores = ws.backend.table(SCORES_TABLE, database=_database(ws))
    scores = scores.filter(scores.run_id == run_id).drop("run_id")
    runs = _runs(ws)
    recorded = runs.filter(runs.run_id == run_id).select("score_columns").to_pandas()
    if recorded.empty:
        raise NoScoreRunError(f"no successful score run {run_id!r}")
    if not isinstance(recorded["score_columns"].iloc[0], str):
        return scores
    return scores.select(*json.loads(recorded["score_columns"].iloc[0]))


def _runs(ws: Workspace) -> ir.Table:
    """The completed runs: ``score_runs`` rows with status succeeded."""
    runs = ws.backend.table(RUNS_TABLE, database=_database(ws))
    return runs.filter(runs.status == SUCCEEDED)


def latest_run(ws: Workspace, as_of: str | _dt.date | AsOf | None = None) -> ir.Table | None:
    """Scores of the newest successful run (for the as-of date of ``as_of``, if given), one row
    per customer without ``run_id``, as an Ibis table; ``None`` when there is no such run."""
    run_id = latest_run_id(ws, as_of)
    return None if run_id is None else run_scores(ws, run_id)


def latest_scores(ws: Workspace, as_of: str | _dt.date | AsOf | None = None) -> pd.DataFrame:
    """:func:`latest_run` as a pandas frame sorted by customer; an error if there is none."""
    scores = latest_run(ws, as_of)
    if scores is None:
        raise NoScoreRunError(
            "no successful score run"
            + (f" as of {as_of}" if as_of else "")
            + "; record one with `crmlytics score`"
        )
    return scores.order_by("customer_id").to_pandas()
