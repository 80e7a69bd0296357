"""Natural keys: numbering missing key columns, deduplicating, and the upsert of a load.

A record identical to the previous version of its key (the row already in the table, or an
earlier record of the file) is a duplicate; a record whose key comes again with changed values
replaces it (last one in the file wins). Keys come from :attr:`crmlytics.schema.TableSpec.key`,
the column numbered when missing from :attr:`crmlytics.schema.TableSpec.numbered`.
"""

from __future__ import annotations

from crmlytics.ingest.context import LoadContext
from crmlytics.ingest.mapping import Resolved
from crmlytics.ingest.parsing import quote_ident
from crmlytics.ingest.rules import unnumbered_sql
from crmlytics.schema import ATTRIBUTES


def number_lines(ctx: LoadContext, stage: str, resolved: Resolved) -> None:
    """A missing numbered key column (``line_no``): the record's position within its group
    (order and kind), in file order."""
    if ctx.spec.numbered is None:
        return
    column, within = ctx.spec.numbered
    col = quote_ident(column)
    present = " AND ".join(f"{quote_ident(w)} IS NOT NULL" for w in within)
    if column in resolved.columns and not ctx.scalar(
        f"SELECT count(*) FROM {stage} WHERE {col} IS NULL AND {present}"
    ):
        return
    ctx.sql(
        f"UPDATE {stage} SET {col} = n.rn FROM (SELECT rowid AS rid, row_number() OVER "
        f"(PARTITION BY {', '.join(map(quote_ident, within))} ORDER BY rowid) AS rn FROM {stage} "
        f"WHERE {present}) n WHERE {stage}.rowid = n.rid AND {stage}.{col} IS NULL"
    )


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


def upsert(ctx: LoadContext, stage: str) -> int:
    """Delete replaced rows, insert new ones; the number of duplicate records."""
    target = quote_ident(ctx.spec.name)
    keys = [quote_ident(k) for k in ctx.spec.key]
    values = [quote_ident(c) for c in [*ctx.spec.names, ATTRIBUTES]]
    rk, rep, ov, skip = (ctx.name(w) for w in ("rk", "rep", "ov", "skip"))
    good = f"{stage} WHERE NOT __bad"
    ctx.sql(
        f"CREATE TEMP TABLE {rk} AS SELECT hash({', '.join(keys)}) AS __k FROM {good} "
        "GROUP BY 1 HAVING count(*) > 1"
    )
    has_repeats = bool(ctx.scalar(f"SELECT count(*) FROM {rk}"))
    row = f"row({', '.join(values)})"
    partition = f"PARTITION BY {', '.join(keys)}"
    duplicates = 0
    if has_repeats:
        ctx.sql(
            f"CREATE TEMP TABLE {rep} AS SELECT rowid AS __ord, "
            f"{row} IS NOT DISTINCT FROM lag({row}) OVER (w) AS __same_prev, "
            "row_number() OVER (w) = 1 AS __first, "
            f"row_number() OVER ({partition} ORDER BY rowid DESC) = 1 AS __last "
            f"FROM {good} AND hash({', '.join(keys)}) IN (SELECT __k FROM {rk}) "
            f"WINDOW w AS ({partition} ORDER BY rowid)"
        )
        duplicates += ctx.scalar(f"SELECT count(*) FROM {rep} WHERE __same_prev")
    else:
        ctx.sql(
            f"CREATE TEMP TABLE {rep} (__ord BIGINT, __same_prev BOOLEAN, __first BOOLEAN, "
            "__last BOOLEAN)"
        )
    ctx.sql(f"CREATE TEMP TABLE {skip} AS SELECT __ord FROM {rep} WHERE NOT __last")
    if ctx.scalar(f"SELECT count(*) FROM {target}"):
        joined = " AND ".join(f"s.{k} = t.{k}" for k in keys)
        srow = f"row({', '.join('s.' + v for v in values)})"
        trow = f"row({', '.join('t.' + v for v in values)})"
        ctx.sql(
            f"CREATE TEMP TABLE {ov} AS SELECT s.rowid AS __ord, "
            f"bool_or({srow} IS NOT DISTINCT FROM {trow}) AS __same "
            f"FROM {stage} s JOIN {target} t ON {joined} WHERE NOT s.__bad GROUP BY 1"
        )
        first = f"__ord NOT IN (SELECT __ord FROM {rep} WHERE NOT __first)"
        last = f"__ord NOT IN (SELECT __ord FROM {rep} WHERE NOT __last)"
        duplicates += ctx.scalar(f"SELECT count(*) FROM {ov} WHERE __same AND {first}")
        ctx.sql(f"INSERT INTO {skip} SELECT __ord FROM {ov} WHERE __same AND {last}")
        matched = " AND ".join(f"{target}.{k} = d.{k}" for k in keys)
        ctx.sql(
            f"DELETE FROM {target} USING (SELECT {', '.join('s.' + k for k in keys)} "
            f"FROM {stage} s JOIN {ov} o ON s.rowid = o.__ord "
            f"WHERE NOT o.__same AND o.{last}) d WHERE {matched}"
        )
    columns = ", ".join(values)
    anti = ""
    if ctx.scalar(f"SELECT count(*) FROM {skip}"):
        anti = f" AND rowid NOT IN (SELECT __ord FROM {skip})"
    ctx.sql(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {good}{anti}")
    return int(duplicates)
