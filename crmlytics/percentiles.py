"""Nearest-rank percentiles per group, exact and identical on DuckDB and Spark.

The *p* percentile of *n* values is the value at rank ``ceil(p * n)`` in ascending order
(nulls ignored; no interpolation, so it is always one of the values). Both engines compute it
exactly:

- DuckDB: the aggregate ``quantile_disc``, which picks that same rank (checked against the
  rank formula in ``tests/test_percentiles.py``); one hash aggregation, no sort of the table;
- other engines (Spark), with group keys: a row number within each group (a window
  partitioned by the group keys), and the value at the wanted rank;
- other engines without group keys (one group of all rows): no window over all rows, which
  would put every row on one Spark task. The distinct values are counted with
  :func:`crmlytics.ranking.tally` (rows at each value and below it, in value ranges on Spark),
  and the percentile is the smallest value whose rows at or below it reach the rank
  ``ceil(p * n)``: a scalar subquery over the distinct values, exact (docs/patterns.md,
  section 3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir


@ibis.udf.agg.builtin(name="quantile_disc")
def _quantile_disc(arg: float, quantile: float) -> float:  # pragma: no cover - compiled away
    """DuckDB's discrete quantile (the value at rank ``ceil(quantile * n)``)."""


def nearest_rank(
    table: ir.Table,
    keys: Sequence[str],
    value: str,
    probs: Mapping[str, float],
    *,
    duckdb: bool,
) -> tuple[ir.Table, dict[str, ir.Value]]:
    """Aggregations of nearest-rank percentiles of column ``value`` within ``keys`` groups.

    Parameters
    ----------
    table : the rows; ``value`` a float column (nulls are ignored).
    keys : the group columns the caller aggregates by (empty: one group).
    probs : output name -> p in (0, 1].
    duckdb : whether ``table`` runs on DuckDB (``Workspace.is_duckdb``): there an aggregate
        function does it; elsewhere rank columns are added to the table.

    Returns
    -------
    ``(table, metrics)``: aggregate the returned table by ``keys`` with ``metrics``; each metric
    is the percentile of ``value`` in the group, null when the group has no value.
    Without ``keys`` on engines other than DuckDB the metrics are scalar subqueries (no window
    over all rows): aggregate them beside at least one aggregate of the table (a count), so
    that an empty table still gives one row.
    """
    column = table[value]
    if duckdb:
        numbers = column.cast("float64")
        return table, {name: _quantile_disc(numbers, float(p)) for name, p in probs.items()}
    if not keys:
        return table, _whole_table_percentiles(table, value, probs)
    window = ibis.window(group_by=list(keys), order_by=[column.isnull(), column])
    rank, count = f"_rank_{value}", f"_n_{value}"
    ranked = table.mutate(
        **{
            rank: ibis.row_number().over(window) + 1,
            count: column.count().over(ibis.window(group_by=list(keys))),
        }
    )
    metrics = {
        name: ranked[value].max(where=ranked[rank] == (ranked[count] * p).ceil().cast("int64"))
        for name, p in probs.items()
    }
    return ranked, metrics


def _whole_table_percentiles(
    table: ir.Table, value: str, probs: Mapping[str, float]
) -> dict[str, ir.Value]:
    """Nearest-rank percentiles of ``value`` over all rows of ``table`` without a window over
    all rows: one scalar subquery per percentile over the distinct values and their counts."""
    from crmlytics.ranking import tally

    levels = tally(table.select(value), value)
    levels = levels.cross_join(levels.aggregate(_n_total=levels.n.sum()))
    reached = levels.n_before + levels.n
    return {
        name: levels.filter(reached >= (levels._n_total * float(p)).ceil().cast("int64"))[value]
        .min()
        .as_scalar()
        for name, p in probs.items()
    }
