"""Scale-safe ranking: money in whole cents, ties by customer_id, no window over all customers.

Every rank, quantile score and cumulative share in crmlytics is built from :func:`tally`:
one row per distinct value of an integer key with the number of rows at that value and the
number of rows at smaller values (``n_before``). A customer's position follows from the
position of their value plus their place among the customers tied at it, which is a window
*partitioned by the value*. So nothing ever orders all customers in one window:

- **DuckDB** (one machine) computes ``n_before`` with a running sum over the distinct values.
- **Spark** splits the distinct values into fixed ranges (:func:`bucket_of`: one range spans
  values within about 25% of each other, computed from the value alone), runs the running sum
  inside each range (a window partitioned by the range) and adds the totals of the ranges below
  (a join with the constant list of ranges). The edges only decide how the work is split, never
  a result: ranks, scores and shares are **exact on both engines** (tolerance zero), whatever
  the data size. Fixed edges need no extra pass over the data (approximate quantiles would),
  which keeps the Spark plan small.

Money is compared as whole cents (:func:`cents`), so values that differ only by floating-point
noise (823.33 summed in two orders) are one value, tied on every engine. The rules and how new
analyses use them: ``docs/patterns.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

#: Engines that run on one machine, where a window over all rows is fine and exact.
SINGLE_NODE_ENGINES = frozenset({"duckdb", "sqlite", "polars", "datafusion"})


def cents(money: ir.NumericValue) -> ir.IntegerValue:
    """``money`` (currency units) as whole cents, ``int64``: ``round(money * 100)``.

    Compare, rank and join money on this, never on the float: 823.3299999999999 and
    823.3300000000001 are both 82333. Round only where a value is compared or ranked; facts and
    outputs keep the value as computed.
    """
    return (money.cast("float64") * 100.0).round().cast("int64")


def scales_out(expr: ir.Expr) -> bool:
    """Whether ``expr`` reads tables of an engine that spreads rows over workers (e.g. Spark),
    where a window without a partition puts every row on one worker."""
    engines = {table.source.name for table in expr.op().find(ops.DatabaseTable)}
    return bool(engines - SINGLE_NODE_ENGINES)


def tally(t: ir.Table, key: str, *, sums: Sequence[str] = ()) -> ir.Table:
    """One row per distinct non-null ``key`` of ``t`` with what lies below it.

    Parameters
    ----------
    t
        Any table; ``key`` an integer column (days, counts, :func:`cents`); negate it to
        count from the top. A float key is counted exactly as stored (two values equal only
        if their floats are: nearest-rank percentiles, :mod:`crmlytics.percentiles`).
    sums
        Integer columns of ``t`` to total per key and cumulatively (e.g. cents).

    Returns
    -------
    ibis.Table
        ``key``, ``n`` (rows with that key), ``n_before`` (rows with a smaller key) and, for
        each ``s`` in ``sums``, ``s`` (its total at the key) and ``s_before`` (its total over
        smaller keys). All integers, so equal on every engine.
    """
    t = t.filter(t[key].notnull())
    levels = t.group_by(key).aggregate(n=t.count(), **{s: t[s].sum() for s in sums})
    totals = ["n", *sums]
    if not scales_out(t):
        running = ibis.window(order_by=levels[key], preceding=None, following=0)
        return levels.mutate(
            **{
                f"{s}_before": (levels[s].sum().over(running) - levels[s]).cast("int64")
                for s in totals
            }
        )
    return _bucketed_before(levels, key, totals)


#: Ratio of the value ranges used on engines that scale out: a range holds values within
#: about 25% of each other (and its negative), from 1 to beyond the largest int64.
RANGE_RATIO = 1.25
#: Every range :func:`bucket_of` can return, for any int64 key: ``-RANGE_LIMIT..RANGE_LIMIT``.
RANGE_LIMIT = math.ceil(math.log(2.0**63 + 1) / math.log(RANGE_RATIO)) + 1


def bucket_of(key: ir.IntegerValue) -> ir.IntegerValue:
    """The value range an integer ``key`` falls in: ``sign(key) * floor(ln(|key| + 1) /
    ln(1.25))``, in ``-RANGE_LIMIT..RANGE_LIMIT``.

    Non-decreasing in ``key`` (``ln`` is monotone, as the JVM's ``Math.log`` guarantees, and so
    are the conversion to double, the division by a positive constant and ``floor``), which is
    all :func:`tally` needs: every key of a lower range is smaller. One arithmetic expression
    of constants, so no pass over the data and a small plan."""
    size = (key.abs().cast("float64") + 1.0).ln() / math.log(RANGE_RATIO)
    return (size.floor().cast("int64") * key.sign().cast("int64")).cast("int64")


def _bucketed_before(levels: ir.Table, key: str, totals: list[str]) -> ir.Table:
    """``<s>_before`` for each of ``totals`` over distinct ``key`` values without a window
    over all of them: running sums inside value ranges (:func:`bucket_of`), plus the totals
    of the ranges below (a join with the constant list of ranges)."""
    t = levels.mutate(_bucket=bucket_of(levels[key]))
    inside = ibis.window(group_by=t._bucket, order_by=t[key], preceding=None, following=0)
    t = t.mutate(**{f"_{s}_inside": t[s].sum().over(inside) - t[s] for s in totals})
    per_bucket = t.group_by("_bucket").aggregate(**{f"_{s}_total": t[s].sum() for s in totals})
    ranges = ibis.memtable(
        {"_upper_bucket": list(range(-RANGE_LIMIT, RANGE_LIMIT + 1))},
        schema={"_upper_bucket": "int64"},
    )
    pairs = ranges.join(per_bucket, ranges._upper_bucket > per_bucket._bucket)
    below = pairs.group_by(_below_bucket=pairs._upper_bucket).aggregate(
        **{f"_{s}_below": pairs[f"_{s}_total"].sum() for s in totals}
    )
    t = t.left_join(below, t._bucket == below._below_bucket)
    return t.select(
        key,
        *totals,
        **{
            f"{s}_before": (t[f"_{s}_inside"] + t[f"_{s}_below"].fill_null(0)).cast("int64")
            for s in totals
        },
    )
