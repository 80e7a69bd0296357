"""Merging duplicate customer records (客户合并): applied only on request, recorded, reversible.

What a merge of ``drop`` into ``keep`` does, in one transaction of the DuckDB warehouse:

1. Every row that refers to ``drop`` (``customer_id`` of every canonical table that has one —
   transactions, interactions, complaints, opportunities, campaign touches, and any table added
   later — and ``customers.referred_by``) is copied, unchanged, into a backup table
   ``customer_merge_rows_<table>`` under the merge's id, then rewritten to refer to ``keep``.
   From then on every analysis counts the dropped record's purchases, contacts, complaints and
   deals for the kept one, on every engine, with no alias to resolve.
2. The dropped record's ``customers`` row is moved into the backup (the kept record's fields
   stay as they are).
3. A row in ``customer_merges`` records the merge: ``merge_id``, ``kept_id``, ``dropped_id``,
   ``merged_at``, ``reason``, ``rows_moved``.

Where a table's natural key contains the customer (``campaign_touches``), a dropped record's row
whose key the kept record already has (the same campaign sent to both at the same instant) is not
rewritten but only kept in the backup: the merged customer received that message once.

:func:`undo_merge` restores exactly the rows as they were: it removes the rewritten rows and puts
the backed-up ones back, then stamps ``undone_at`` on the merge's record. A merge can be undone
while no later merge that is still applied involves its kept record (undo those first).

Merging writes: it needs the DuckDB warehouse opened for writing; attached lake tables are not
rewritten by crmlytics.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from crmlytics.errors import ConfigError, DataError, WarehouseError
from crmlytics.schema import CANONICAL
from crmlytics.workspace import Workspace

BACKUP_PREFIX = "customer_merge_rows_"


@dataclass(frozen=True)
class MergeResult:
    """One merge applied or undone: its id, the two records and the rows moved per table."""

    merge_id: str
    kept_id: str
    dropped_id: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def rows_moved(self) -> int:
        return sum(self.rows.values())


def fact_references() -> list[tuple[str, str]]:
    """The ``(table, column)`` pairs that refer to a customer and are rewritten by a merge."""
    refs = [
        (name, "customer_id")
        for name, table in CANONICAL.items()
        if name != "customers" and "customer_id" in table.names
    ]
    return [*refs, ("customers", "referred_by")]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _con(ws: Workspace):  # noqa: ANN202 (duckdb connection)
    if ws.attached or not ws.is_duckdb:
        raise WarehouseError(
            "customer merges rewrite the DuckDB warehouse; an attached warehouse is not changed"
        )
    return ws.duckdb


def _backup(con, table: str) -> str:  # noqa: ANN001
    name = BACKUP_PREFIX + table
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {_q(name)} AS SELECT *, NULL::VARCHAR AS merge_id, "
        f"NULL::BOOLEAN AS moved FROM {_q(table)} LIMIT 0"
    )
    return name


def _exists(con, table: str, customer_id: str) -> bool:  # noqa: ANN001
    row = con.execute(
        f"SELECT count(*) FROM {_q(table)} WHERE customer_id = ?", [customer_id]
    ).fetchone()
    return bool(row and row[0])


def _active(con) -> pd.DataFrame:  # noqa: ANN001
    return con.execute(
        "SELECT merge_id, kept_id, dropped_id, merged_at FROM customer_merges "
        "WHERE undone_at IS NULL ORDER BY merged_at, merge_id"
    ).df()


def _move(con, merge_id: str, table: str, column: str, keep: str, drop: str) -> int:  # noqa: ANN001
    backup = _backup(con, table)
    key = CANONICAL[table].key
    others = [k for k in key if k != column]
    if column in key:  # the kept record may already hold the same key: that row is not moved
        match = " AND ".join(f"k.{_q(c)} IS NOT DISTINCT FROM t.{_q(c)}" for c in others)
        moved = (
            f"NOT EXISTS (SELECT 1 FROM {_q(table)} k WHERE k.{_q(column)} = $keep"
            + (f" AND {match}" if match else "")
            + ")"
        )
    else:
        moved = "true"
    own = " AND t.customer_id <> $drop" if table == "customers" else ""
    params = dict(drop=drop, merge=merge_id) | ({"keep": keep} if "$keep" in moved else {})
    con.execute(
        f"INSERT INTO {_q(backup)} BY NAME SELECT t.*, $merge AS merge_id, {moved} AS moved "
        f"FROM {_q(table)} t WHERE t.{_q(column)} = $drop{own}",
        params,
    )
    count = con.execute(
        f"SELECT count(*) FROM {_q(backup)} WHERE merge_id = ? AND moved", [merge_id]
    ).fetchone()[0]
    if table == "customers":  # referred_by: the referring customers' rows
        con.execute(
            f"DELETE FROM {_q(table)} WHERE {_q(column)} = ? AND customer_id <> ?", [drop, drop]
        )
        con.execute(
            f"INSERT INTO {_q(table)} BY NAME SELECT * EXCLUDE (merge_id, moved) "
            f"REPLACE ($keep AS {_q(column)}) FROM {_q(backup)} "
            f"WHERE merge_id = $merge AND moved AND customer_id <> $drop",
            dict(keep=keep, merge=merge_id, drop=drop),
        )
        return int(count)
    con.execute(f"DELETE FROM {_q(table)} WHERE {_q(column)} = ?", [drop])
    con.execute(
        f"INSERT INTO {_q(table)} BY NAME SELECT * EXCLUDE (merge_id, moved) "
        f"REPLACE ($keep AS {_q(column)}) FROM {_q(backup)} WHERE merge_id = $merge AND moved",
        dict(keep=keep, merge=merge_id),
    )
    return int(count)


def _merge_one(con, keep: str, drop: str, reason: str, now: _dt.datetime) -> MergeResult:  # noqa: ANN001
    keep, drop = str(keep).strip(), str(drop).strip()
    if not keep or not drop:
        raise ConfigError("a merge needs both --keep and --drop customer ids")
    if keep == drop:
        raise ConfigError(f"cannot merge customer {keep!r} into itself")
    for role, cid in (("kept", keep), ("dropped", drop)):
        if not _exists(con, "customers", cid):
            merged = con.execute(
                "SELECT merge_id, kept_id FROM customer_merges WHERE dropped_id = ? "
                "AND undone_at IS NULL",
                [cid],
            ).fetchone()
            hint = f": it was merged into {merged[1]} by merge {merged[0]}" if merged else ""
            raise DataError(f"the {role} customer {cid!r} is not in customers{hint}")
    merge_id = uuid.uuid4().hex[:12]
    rows: dict[str, int] = {}
    for table, column in fact_references():
        rows[f"{table}.{column}"] = _move(con, merge_id, table, column, keep, drop)
    backup = _backup(con, "customers")
    con.execute(
        f"INSERT INTO {_q(backup)} BY NAME SELECT *, ? AS merge_id, false AS moved "
        "FROM customers WHERE customer_id = ?",
        [merge_id, drop],
    )
    con.execute("DELETE FROM customers WHERE customer_id = ?", [drop])
    moved = sum(rows.values())
    con.execute(
        "INSERT INTO customer_merges (merge_id, kept_id, dropped_id, merged_at, reason, "
        "rows_moved, undone_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
        [merge_id, keep, drop, now, reason, moved],
    )
    return MergeResult(merge_id, keep, drop, rows)


def merge_customers(ws: Workspace, keep: str, drop: str, reason: str = "requested") -> MergeResult:
    """Merge customer ``drop`` into ``keep`` (module docstring); returns what moved.

    Raises :class:`~crmlytics.errors.DataError` when either record is not in ``customers``
    (naming the merge that took it, if one did), ConfigError for the same id twice, and
    WarehouseError on an attached warehouse. All or nothing: a failure leaves no trace.
    """
    return merge_suggestions(ws, [(keep, drop)], reason)[0]


def merge_suggestions(
    ws: Workspace,
    pairs: list[tuple[str, str]] | pd.DataFrame,
    reason: str = "requested",
) -> list[MergeResult]:
    """Apply several merges (``(keep, drop)`` pairs, or a suggestions frame with ``keep_id``
    and ``drop_id``, e.g. the file of ``crmlytics customers duplicates --out``) in one
    transaction: all of them or none. A frame's ``reason`` column, when present, is recorded."""
    if isinstance(pairs, pd.DataFrame):
        missing = {"keep_id", "drop_id"} - set(pairs.columns)
        if missing:
            raise DataError(
                f"the suggestions lack the column(s) {', '.join(sorted(missing))}; "
                "expected keep_id and drop_id (as written by `crmlytics customers duplicates`)"
            )
        reasons = pairs["reason"] if "reason" in pairs.columns else [reason] * len(pairs)
        items = [
            (str(k), str(d), str(r))
            for k, d, r in zip(pairs["keep_id"], pairs["drop_id"], reasons, strict=True)
        ]
    else:
        items = [(str(k), str(d), reason) for k, d in pairs]
    if not items:
        raise DataError("no merges to apply")
    con = _con(ws)
    # merges are ordered by merged_at (undo goes in reverse): one microsecond apart in a batch
    now = _dt.datetime.now()
    con.execute("BEGIN TRANSACTION")
    try:
        results = [
            _merge_one(con, k, d, r, now + _dt.timedelta(microseconds=i))
            for i, (k, d, r) in enumerate(items)
        ]
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return results


def undo_merge(ws: Workspace, merge: str) -> MergeResult:
    """Undo merge ``merge`` (a merge id, or the dropped customer id of an applied merge):
    the rewritten rows are removed and the backed-up rows put back exactly as they were, the
    dropped customer's record included; the merge's row gets ``undone_at``.

    Raises DataError when no applied merge matches, or when a later applied merge involves the
    kept record (undo that one first).
    """
    con = _con(ws)
    active = _active(con)
    hit = active[(active["merge_id"] == merge) | (active["dropped_id"] == merge)]
    if hit.empty:
        raise DataError(f"no applied merge has id or dropped customer {merge!r}")
    row = hit.iloc[-1]
    merge_id, keep, drop = row["merge_id"], row["kept_id"], row["dropped_id"]
    later = active[
        (active.index > hit.index[-1])
        & ((active["kept_id"] == keep) | (active["dropped_id"] == keep))
    ]
    if not later.empty:
        ids = ", ".join(later["merge_id"])
        raise DataError(
            f"merge {merge_id} ({drop} into {keep}) cannot be undone while later merges of "
            f"{keep} are applied: undo {ids} first"
        )
    con.execute("BEGIN TRANSACTION")
    try:
        rows = _restore(con, merge_id, keep)
        con.execute(
            "UPDATE customer_merges SET undone_at = ? WHERE merge_id = ?",
            [_dt.datetime.now().replace(microsecond=0), merge_id],
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return MergeResult(merge_id, keep, drop, rows)


def _restore(con, merge_id: str, keep: str) -> dict[str, int]:  # noqa: ANN001
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    rows: dict[str, int] = {}
    refs = fact_references()
    for table in dict.fromkeys(t for t, _ in refs):
        backup = BACKUP_PREFIX + table
        if backup not in existing:
            continue
        key = CANONICAL[table].key
        columns = [c for t, c in refs if t == table]
        for column in columns:
            if table == "customers":
                current = {c: f"b.{_q(c)}" for c in key}
                where = "b.moved"
            else:
                current = {c: ("$keep" if c == column else f"b.{_q(c)}") for c in key}
                where = "b.moved"
            match = " AND ".join(f"t.{_q(c)} IS NOT DISTINCT FROM {v}" for c, v in current.items())
            con.execute(
                f"DELETE FROM {_q(table)} t WHERE EXISTS (SELECT 1 FROM {_q(backup)} b "
                f"WHERE b.merge_id = $merge AND {where} AND {match})",
                dict(merge=merge_id, **({"keep": keep} if "$keep" in match else {})),
            )
        restored = con.execute(
            f"SELECT count(*) FROM {_q(backup)} WHERE merge_id = ?", [merge_id]
        ).fetchone()[0]
        con.execute(
            f"INSERT INTO {_q(table)} BY NAME SELECT * EXCLUDE (merge_id, moved) "
            f"FROM {_q(backup)} WHERE merge_id = ?",
            [merge_id],
        )
        con.execute(f"DELETE FROM {_q(backup)} WHERE merge_id = ?", [merge_id])
        rows[table] = int(restored)
    return rows


def merge_log(ws: Workspace) -> pd.DataFrame:
    """Every merge recorded (``customer_merges``), oldest first; ``undone_at`` set on the ones
    undone."""
    if "customer_merges" not in ws.backend.list_tables():  # an older warehouse, read-only
        from crmlytics.schema import CUSTOMER_MERGES

        return pd.DataFrame({name: pd.Series(dtype="object") for name in CUSTOMER_MERGES.names})
    table = ws.table("customer_merges")
    return table.order_by(["merged_at", "merge_id"]).to_pandas()


def read_suggestions(path: str | Path) -> pd.DataFrame:
    """A suggestions file (``.csv``, ``.parquet``, ``.xlsx`` or ``.json``, as written by
    ``crmlytics customers duplicates --out``) with ids read as text."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise DataError(f"suggestions file {path} does not exist")
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    if suffix == ".parquet":
        return pd.read_parquet(path).astype({"keep_id": str, "drop_id": str}, errors="ignore")
    if suffix == ".json":
        return pd.read_json(path, dtype=False)
    if suffix == ".xlsx":
        import polars as pl

        return pl.read_excel(path).to_pandas().astype(str)
    raise DataError(f"suggestions file {path}: expected .csv, .parquet, .xlsx or .json")
