"""Nearest-rank percentiles per group, exact and identical on DuckDB and Spark.

The *p* percentile of *n* values is the value at rank ``ceil(p * n)`` in ascending order
(nulls ignored; no interpolation, so it is always one of the values). Both engines compute it
exactly:

- DuckDB: the aggregate ``quantile_disc``, which picks that same rank (checked against the
  rank formula in ``tests/test_percentiles.py``); one hash aggregation, no sort of the table;
- other engines (Spark): a row number within each group (a window partitioned by the group
  keys, never one window over all rows), and the value at the wanted rank.
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
    """
    column = table[value]
    if duckdb:
        numbers = column.cast("float64")
        return table, {name: _quantile_disc(numbers, float(p)) for name, p in probs.items()}
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
