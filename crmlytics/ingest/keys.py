"""Natural keys: numbering missing key columns, deduplicating, and the upsert of a load.

A record identical to the previous version of its key (the row already in the table, or an
earlier record of the file) is a duplicate; a record whose key is in the table with other values
replaces that row (updated); records of one key that differ within a file are all rejected,
naming each other's lines (which one is right cannot be told). Keys come from
:attr:`crmlytics.schema.TableSpec.key`,
the column numbered when missing from :attr:`crmlytics.schema.TableSpec.numbered`.
"""

from __future__ import annotations

from typing import Any

from crmlytics.ingest.context import LoadContext
from crmlytics.ingest.mapping import Resolved
from crmlytics.ingest.parsing import SQL_TYPES, quote_ident
from crmlytics.ingest.rules import unnumbered_sql
from crmlytics.schema import ATTRIBUTES, TableSpec


def number_lines(ctx: LoadContext, stage: str, resolved: Resolved) -> None:
    """Number a missing numbered key column (``line_no``) so that a line keeps its identity
    across files.

    A line without a number is known by its group (``order_id``), its content (every other
    column, ``kind`` included) and which occurrence of that content in the group it is, in file
    order. The n-th such line of a file takes the number of the n-th identical line already in
    the table (so loading the same lines again doubles nothing); the others are new lines,
    numbered after the highest number of their group in the table and the file, in file order
    (so a later file that carries one more line of an order adds it, never overwrites line 1).
    A changed line is therefore a new line: without line numbers a correction cannot be told
    from an addition.
    """
    if ctx.spec.numbered is None:
        return
    column, within = ctx.spec.numbered
    col = quote_ident(column)
    group = [quote_ident(w) for w in within]
    present = " AND ".join(f"{g} IS NOT NULL" for g in group)
    missing = f"{col} IS NULL AND {present} AND NOT __bad"
    if not ctx.scalar(f"SELECT count(*) FROM {stage} WHERE {missing}"):
        return
    target = quote_ident(ctx.spec.name)
    content = [quote_ident(c) for c in [*ctx.spec.names, ATTRIBUTES] if c != column]
    h = f"hash(row({', '.join(content)}))"
    g = ", ".join(group)
    on = " AND ".join(f"a.{x} = b.{x}" for x in group)
    number = ctx.name("num")
    ctx.sql(
        f"CREATE TEMP TABLE {number} AS "
        f"WITH f AS (SELECT rowid AS rid, {g}, {h} AS h, row_number() OVER "
        f"(PARTITION BY {g}, {h} ORDER BY rowid) AS n FROM {stage} WHERE {missing}), "
        f"groups AS (SELECT DISTINCT {g} FROM f), "
        f"t AS (SELECT a.{col} AS ln, {', '.join('a.' + x for x in group)}, {h} AS h, "
        f"row_number() OVER (PARTITION BY {', '.join('a.' + x for x in group)}, {h} "
        f"ORDER BY a.{col}) AS n FROM {target} a SEMI JOIN groups b ON {on}), "
        f"matched AS (SELECT a.rid, b.ln FROM f a JOIN t b ON {on} AND a.h = b.h "
        "AND a.n = b.n), "
        f"top AS (SELECT {g}, max(ln) AS top FROM (SELECT {g}, ln FROM t UNION ALL "
        f"SELECT {g}, {col} AS ln FROM {stage} WHERE {col} IS NOT NULL) GROUP BY {g}), "
        f"fresh AS (SELECT a.rid, coalesce(b.top, 0) + row_number() OVER "
        f"(PARTITION BY {', '.join('a.' + x for x in group)} ORDER BY a.rid) AS ln "
        f"FROM f a LEFT JOIN top b ON {on} WHERE a.rid NOT IN (SELECT rid FROM matched)) "
        "SELECT rid, ln FROM matched UNION ALL SELECT rid, ln FROM fresh"
    )
    ctx.sql(f"UPDATE {stage} SET {col} = n.ln FROM {number} n WHERE {stage}.rowid = n.rid")


def numbered_sql(table_spec: TableSpec, query: str) -> str:
    """The conversion ``query`` of a file without the numbered key column, with that column
    numbered from 1 in file order within its group (``line_no`` within ``order_id``) over the
    good rows: what :func:`number_lines` gives lines of groups new to the table.

    File order is the order of the file's records as the query yields them
    (``row_number() OVER ()`` under ``preserve_insertion_order``, set by the caller). Only the
    table's columns and ``__bad`` go through the window (it sorts what it carries).

    DuckDB's CSV reader gives a parallel scan no record position, so a file-order number puts
    the read on one thread. Measured at 10M five-column lines on 2 cores, this window (16-22 s)
    beat every other order-preserving design tried: a streaming number restarted at each change
    of group (23-26 s: the insert above it runs on one thread too), a positional join to numbers
    from a first pass (one thread as well), numbering the inserted rows afterwards by ``rowid``
    (an ``UPDATE``, 23 s) and staging the converted rows before the insert (17-24 s).
    """
    assert table_spec.numbered is not None
    column, within = table_spec.numbered
    group = ", ".join(quote_ident(w) for w in within)
    present = " AND ".join(f"{quote_ident(w)} IS NOT NULL" for w in within)
    col = quote_ident(column)
    sql_type = SQL_TYPES[table_spec.column(column).dtype]
    carried = ", ".join(quote_ident(c) for c in [*table_spec.names, ATTRIBUTES])
    return (
        f"SELECT * REPLACE (CASE WHEN {present} AND NOT __bad THEN CAST(row_number() OVER "
        f"(PARTITION BY {group}, __bad ORDER BY __pos) AS {sql_type}) END AS {col}) "
        f"FROM (SELECT {carried}, __bad, row_number() OVER () AS __pos FROM ({query}))"
    )


def groups_new(ctx: LoadContext, query: str) -> bool:
    """Whether none of the groups of the numbered key (orders) in ``query``'s good rows is in
    the table: then numbering the file's lines needs nothing from the table."""
    assert ctx.spec.numbered is not None
    within = [quote_ident(w) for w in ctx.spec.numbered[1]]
    on = " AND ".join(f"f.{w} = t.{w}" for w in within)
    cols = ", ".join(within)
    present = " AND ".join(f"{w} IS NOT NULL" for w in within)
    hits = ctx.scalar(
        f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM ({query}) WHERE NOT __bad AND "
        f"{present}) f SEMI JOIN (SELECT {cols} FROM {quote_ident(ctx.spec.name)}) t ON {on}"
    )
    return not hits


def keys_new(ctx: LoadContext, rows: str) -> bool:
    """Whether ``rows`` (the table itself, or the conversion query) hold each key once, with
    no key in the table (when ``rows`` is the query), and no row missing a numbered key column."""
    keys = [quote_ident(k) for k in ctx.spec.key]
    target = quote_ident(ctx.spec.name)
    unnumbered = unnumbered_sql(ctx.spec)
    if rows == target:
        source, hits = f"{target} f", "0"
    else:
        on = " AND ".join(f"f.{k} = t.{k}" for k in keys)
        t_keys = ", ".join(keys)
        numbered = ctx.spec.numbered[1] if ctx.spec.numbered else ()
        f_cols = ", ".join(keys + [quote_ident(w) for w in numbered if w not in ctx.spec.key])
        source = (
            f"(SELECT {f_cols} FROM ({rows})) f "
            f"LEFT JOIN (SELECT {t_keys}, true AS __hit FROM {target}) t ON {on}"
        )
        hits = "count(t.__hit)"
    f_keys = ", ".join(f"f.{k}" for k in keys)
    n, distinct, overlap, missing = ctx.sql(
        f"SELECT count(*), count(DISTINCT hash({f_keys})), {hits}, {unnumbered} FROM {source}"
    ).fetchone()
    return n == distinct and not overlap and not missing


def conflicts(ctx: LoadContext, stage: str) -> list[tuple[int, tuple[Any, ...]]]:
    """Good records whose key comes again in the file with other values: ``(position, key)``
    of every record of such a key (1-based positions, file order). None of them is loaded."""
    keys = [quote_ident(k) for k in ctx.spec.key]
    values = [quote_ident(c) for c in [*ctx.spec.names, ATTRIBUTES]]
    good = f"{stage} WHERE NOT __bad"
    key_hash = f"hash({', '.join(keys)})"
    repeated = (
        f"SELECT {key_hash} AS __k FROM {good} GROUP BY 1 "
        f"HAVING count(*) > 1 AND count(DISTINCT hash(row({', '.join(values)}))) > 1"
    )
    return [
        (int(r[0]), tuple(r[1:]))
        for r in ctx.sql(
            f"SELECT rowid + 1, {', '.join(keys)} FROM {good} AND {key_hash} IN ({repeated}) "
            "ORDER BY rowid"
        ).fetchall()
    ]


def upsert(ctx: LoadContext, stage: str) -> tuple[int, int, list[str]]:
    """Insert new keys, replace changed ones; ``(duplicates, updated, guard_undone)``.

    ``guard_undone`` lists the updated rows that take a guarded value away (an opt-out undone,
    see :attr:`crmlytics.schema.Column.guarded`), e.g. ``"customer_id 'c1': do_not_contact
    true -> false"``.

    Records of a key repeated in the file must be identical (:func:`conflicts` are marked bad
    before): the first is compared with the table, the others are duplicates. A record equal to
    its key's row in the table is a duplicate; one that differs replaces it (updated).
    """
    target = quote_ident(ctx.spec.name)
    keys = [quote_ident(k) for k in ctx.spec.key]
    values = [quote_ident(c) for c in [*ctx.spec.names, ATTRIBUTES]]
    ov, skip = ctx.name("ov"), ctx.name("skip")
    good = f"{stage} WHERE NOT __bad"
    ctx.sql(
        f"CREATE TEMP TABLE {skip} AS SELECT rowid AS __ord FROM {good} "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY rowid) > 1"
    )
    duplicates = ctx.scalar(f"SELECT count(*) FROM {skip}")
    updated = 0
    undone: list[str] = []
    if ctx.sql(f"SELECT 1 FROM {target} LIMIT 1").fetchone() is not None:
        joined = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        srow = f"row({', '.join('s.' + v for v in values)})"
        trow = f"row({', '.join('t.' + v for v in values)})"
        ctx.sql(
            f"CREATE TEMP TABLE {ov} AS SELECT s.rowid AS __ord, "
            f"bool_or({srow} IS NOT DISTINCT FROM {trow}) AS __same "
            f"FROM {stage} s JOIN {target} t ON {joined} WHERE NOT s.__bad "
            f"AND s.rowid NOT IN (SELECT __ord FROM {skip}) GROUP BY 1"
        )
        duplicates += ctx.scalar(f"SELECT count(*) FROM {ov} WHERE __same")
        updated = ctx.scalar(f"SELECT count(*) FROM {ov} WHERE NOT __same")
        ctx.sql(f"INSERT INTO {skip} SELECT __ord FROM {ov} WHERE __same")
        matched = " AND ".join(f"{target}.{k} = d.{k}" for k in keys)
        if updated:
            undone = _guard_undone(ctx, stage, ov, joined)
            ctx.sql(
                f"DELETE FROM {target} USING (SELECT {', '.join('s.' + k for k in keys)} "
                f"FROM {stage} s JOIN {ov} o ON s.rowid = o.__ord WHERE NOT o.__same) d "
                f"WHERE {matched}"
            )
    columns = ", ".join(values)
    anti = ""
    if ctx.scalar(f"SELECT count(*) FROM {skip}"):
        anti = f" AND rowid NOT IN (SELECT __ord FROM {skip})"
    ctx.sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {good}{anti}")
    return int(duplicates), int(updated), undone


def _guard_undone(ctx: LoadContext, stage: str, ov: str, joined: str) -> list[str]:
    """Updated rows that take a guarded value of the table away, described one per row."""
    target = quote_ident(ctx.spec.name)
    keys = [quote_ident(k) for k in ctx.spec.key]
    out = []
    for col in (c for c in ctx.spec.columns if c.guarded is not None):
        name = quote_ident(col.name)
        found = ctx.sql(
            f"SELECT {', '.join('t.' + k for k in keys)}, CAST(s.{name} AS VARCHAR) "
            f"FROM {stage} s JOIN {ov} o ON s.rowid = o.__ord AND NOT o.__same "
            f"JOIN {target} t ON {joined} WHERE t.{name} = {col.guarded} "
            f"AND s.{name} IS DISTINCT FROM {col.guarded} ORDER BY ALL"
        ).fetchall()
        for *key, new in found:
            shown = key[0] if len(key) == 1 else tuple(key)
            out.append(
                f"{', '.join(ctx.spec.key)} {shown!r}: {col.name} {col.guarded} -> "
                f"{'empty' if new is None else new}"
            )
    return out
