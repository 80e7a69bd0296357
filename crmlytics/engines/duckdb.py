"""DuckDB for crmlytics: Ibis' DuckDB backend with fast conversion of results to pandas.

Ibis (12) turns every result column that holds a null into Python objects, value by value
(``to_pylist``), before building the frame. Customer tables are full of nulls (a prospect has
no purchase date, no profit, no score), so on two million customers that step took 8–9 s of
a 10.7 s ``facts`` call. A backend from :func:`connect` converts such columns with
Arrow's own ``to_pandas`` instead, for the types where the frame comes out the same (text,
integers, floats, booleans, dates, unless the column is all null:
``tests/test_workspace.py`` checks it against Ibis' own conversion); every other type goes Ibis'
way (an interval with a null, for one, would come out differently).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.types as pat
from ibis.backends.duckdb import Backend


def _arrow_converts_nulls(kind: pa.DataType) -> bool:
    """Whether Arrow's ``to_pandas`` of a column of ``kind`` with nulls gives, after Ibis'
    dtype conversion, the frame Ibis' value-by-value path gives."""
    return (
        pat.is_string(kind)
        or pat.is_large_string(kind)
        or pat.is_integer(kind)
        or pat.is_floating(kind)
        or pat.is_boolean(kind)
        or pat.is_date32(kind)
    )


def _column(column: pa.ChunkedArray) -> Any:
    kind = column.type
    if pat.is_nested(kind) or pat.is_dictionary(kind):
        return column.to_pylist()
    if column.null_count and (
        column.null_count == len(column) or not _arrow_converts_nulls(kind)
    ):  # all null (a NULL literal is typed int32): Ibis gives objects
        return column.to_pylist()
    return column.to_pandas()


class _FastResultsBackend(Backend):
    """Ibis' DuckDB backend whose results reach pandas through Arrow (module docstring)."""

    def execute(
        self,
        expr: ir.Expr,
        /,
        *,
        params: Mapping[ir.Scalar, Any] | None = None,
        limit: int | str | None = None,
        **kwargs: Any,
    ) -> Any:
        import pandas as pd
        from ibis.backends.duckdb.converter import DuckDBPandasData

        relation = self._to_duckdb_relation(expr, params=params, limit=limit, **kwargs)
        table = relation.to_arrow_table()
        frame = pd.DataFrame(
            {
                name: _column(col)
                for name, col in zip(table.column_names, table.columns, strict=True)
            }
        )
        frame = DuckDBPandasData.convert_table(frame, expr.as_table().schema())
        return expr.__pandas_result__(frame)


def connect(*args: Any, **kwargs: Any) -> Backend:
    """A DuckDB backend (arguments as ``ibis.duckdb.connect``) converting results as
    :class:`_FastResultsBackend` does."""
    return _FastResultsBackend().connect(*args, **kwargs)
