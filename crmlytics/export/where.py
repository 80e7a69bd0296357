"""A safe ``--where`` filter: plain comparisons on known columns, turned into an Ibis predicate.

The text is parsed with Python's own parser (``ast.parse(text, mode="eval")``) and the tree is
walked against an allow-list; anything not on the list is rejected with a :class:`WhereError`
that names what was found and where. The text is never evaluated and never pasted into SQL: the
predicate is built from Ibis column references and literal values, so the engine receives typed
parameters, not user text.

The language
------------
- a comparison of one column with a literal: ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``;
  the literal may come first (``100 < clv``) and comparisons may be chained
  (``100 <= net_revenue <= 500``, the form of *between*: both bounds inclusive);
- membership: ``value_tier in ('gold', 'silver')``, ``not in``, with a tuple or list of literals;
- nulls: ``clv is None``, ``clv is not None``;
- ``and``, ``or``, ``not`` and parentheses.

Literals are numbers (a leading minus is allowed), strings, ``True`` / ``False``. A literal must
suit the column: numbers for numeric columns, strings for string columns (only ``==``, ``!=``,
``in``; ordering strings is rejected), ``True`` / ``False`` for boolean columns, ISO date strings
(``'2024-01-31'``) for date and timestamp columns.

Rejected, each with a clear error: unknown columns (the error lists the valid ones), comparisons
between two columns (a list filter is a threshold on one score; comparing columns invites type
surprises and is not needed), comparisons without a column (``1 == 1``), function calls,
attribute access, subscripts, arithmetic, lambdas, f-strings, several statements, non-finite
numbers and anything else the Python grammar allows.

Null semantics are SQL's: a comparison with a null value is unknown, so a row whose column is null
matches neither ``clv > 100`` nor ``not (clv > 100)``; use ``is None`` to select such rows.
"""

from __future__ import annotations

import ast
import datetime as _dt
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from crmlytics.errors import ConfigError

MAX_LENGTH = 2000

Scalar = int | float | str | bool | _dt.date | _dt.datetime | None


class WhereError(ConfigError):
    """A ``--where`` expression that is not a plain comparison on known columns."""


# -- the validated filter: a small tree of plain data ------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """``column op value`` with ``op`` one of ``== != < <= > >=``."""

    column: str
    op: str
    value: Scalar

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        return _OPS[self.op](table[self.column], _literal(self.value))


@dataclass(frozen=True)
class Membership:
    """``column in values`` (or ``not in`` when ``negated``)."""

    column: str
    values: tuple[Scalar, ...]
    negated: bool = False

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        column = table[self.column]
        values = [_literal(v) for v in self.values]
        return column.notin(values) if self.negated else column.isin(values)


@dataclass(frozen=True)
class NullCheck:
    """``column is None`` (or ``is not None`` when ``negated``)."""

    column: str
    negated: bool = False

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        column = table[self.column]
        return column.notnull() if self.negated else column.isnull()


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        return ibis.and_(*(p.to_ibis(table) for p in self.parts))


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        return ibis.or_(*(p.to_ibis(table) for p in self.parts))


@dataclass(frozen=True)
class Negation:
    part: Condition

    def to_ibis(self, table: ir.Table) -> ir.BooleanValue:
        return ~self.part.to_ibis(table)


Condition = Comparison | Membership | NullCheck | AllOf | AnyOf | Negation

_OPS: dict[str, Callable[[ir.Value, ir.Value], ir.BooleanValue]] = {
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
}
_AST_OPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

# What a user most likely meant by a node we refuse, for the error message.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Call: "function calls are not allowed",
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.BinOp: "arithmetic is not allowed (use and / or, not & / |, to combine comparisons)",
    ast.Lambda: "lambdas are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.NamedExpr: "assignment is not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed; use a tuple, e.g. x in ('a', 'b')",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.Starred: "starred expressions are not allowed",
}


def _literal(value: Scalar) -> ir.Value:
    if isinstance(value, _dt.datetime):
        return ibis.timestamp(value)
    if isinstance(value, _dt.date):
        return ibis.date(value)
    return ibis.literal(value)


# -- parsing -------------------------------------------------------------------------------------


def parse_where(text: str, schema: ibis.Schema) -> Condition:
    """Parse and validate a ``--where`` expression against the columns of ``schema``.

    Parameters
    ----------
    text
        The filter, e.g. ``"clv > 100 and r_score >= 4"`` (grammar in the module docstring).
    schema
        Column names and types the filter may use (the score table's schema).

    Returns
    -------
    Condition
        A validated filter tree; ``condition.to_ibis(table)`` gives the Ibis predicate.

    Raises
    ------
    WhereError
        For anything that is not a plain comparison of a known column with a suitable literal.
    """
    if not isinstance(text, str):
        raise WhereError(f"--where must be text, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise WhereError("--where is empty")
    if len(stripped) > MAX_LENGTH:
        raise WhereError(f"--where is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        hint = ""
        if "between" in stripped.lower():
            hint = "; write a range as 100 <= net_revenue <= 500 (both bounds inclusive)"
        elif ";" in stripped:
            hint = "; only one expression is allowed"
        where = f" at column {exc.offset}" if exc.offset else ""
        raise WhereError(f"--where {text!r} is not a valid expression{where}{hint}") from None
    except (RecursionError, MemoryError, ValueError):
        raise WhereError(f"--where {text!r} is not a valid expression") from None
    try:
        return _Parser(stripped, schema).condition(tree.body)
    except RecursionError:
        raise WhereError("--where is nested too deeply") from None


def where_predicate(table: ir.Table, text: str) -> ir.BooleanValue:
    """The Ibis predicate for ``text`` on ``table`` (validated against ``table``'s columns).

    Use as ``table.filter(where_predicate(table, "r_score >= 4"))``.
    """
    return parse_where(text, table.schema()).to_ibis(table)


class _Parser:
    def __init__(self, text: str, schema: ibis.Schema) -> None:
        self.text = text
        self.schema = schema

    # errors name the offending fragment of the user's text
    def fail(self, node: ast.AST, reason: str) -> WhereError:
        fragment = ast.get_source_segment(self.text, node) or ast.dump(node)
        return WhereError(f"--where: {reason}: {fragment!r}")

    def condition(self, node: ast.expr) -> Condition:
        if isinstance(node, ast.BoolOp):
            parts = tuple(self.condition(v) for v in node.values)
            return AllOf(parts) if isinstance(node.op, ast.And) else AnyOf(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Negation(self.condition(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Name):
            raise self.fail(node, "a bare column is not a condition; compare it, e.g. x == True")
        if isinstance(node, ast.Constant | ast.UnaryOp | ast.Tuple | ast.List):
            raise self.fail(node, "a literal on its own is not a condition")
        raise self.fail(node, _refusal(node))

    def compare(self, node: ast.Compare) -> Condition:
        operands = [node.left, *node.comparators]
        parts: list[Condition] = []
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            parts.append(self.pair(node, left, op, right))
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def pair(self, whole: ast.Compare, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Condition:
        left_is_col, right_is_col = isinstance(left, ast.Name), isinstance(right, ast.Name)
        if left_is_col and right_is_col:
            raise self.fail(
                whole, "comparing two columns is not allowed; compare a column with a value"
            )
        if not left_is_col and not right_is_col:
            for side in (left, right):
                self.reject_non_literal(side)
            raise self.fail(whole, "each comparison needs a column on one side")
        if isinstance(op, ast.In | ast.NotIn):
            if not left_is_col:
                raise self.fail(whole, "write membership as column in (value, ...)")
            name = self.column(left)
            if not isinstance(right, ast.Tuple | ast.List):
                raise self.fail(right, "'in' needs a tuple or list of values, e.g. ('a', 'b')")
            if not right.elts:
                raise self.fail(right, "'in' needs at least one value")
            values = tuple(self.value(name, elt, "==") for elt in right.elts)
            return Membership(name, values, negated=isinstance(op, ast.NotIn))
        if isinstance(op, ast.Is | ast.IsNot):
            if not (left_is_col and isinstance(right, ast.Constant) and right.value is None):
                raise self.fail(whole, "'is' is only allowed as column is None / is not None")
            return NullCheck(self.column(left), negated=isinstance(op, ast.IsNot))
        symbol = _AST_OPS[type(op)]
        if left_is_col:
            name = self.column(left)
            return Comparison(name, symbol, self.value(name, right, symbol))
        name = self.column(right)
        flipped = _FLIPPED[symbol]
        return Comparison(name, flipped, self.value(name, left, flipped))

    def column(self, node: ast.Name) -> str:
        if node.id not in self.schema:
            valid = sorted(self.schema.names)
            close = difflib.get_close_matches(node.id, valid, n=1)
            maybe = f" (did you mean {close[0]!r}?)" if close else ""
            raise WhereError(
                f"--where: unknown column {node.id!r}{maybe}; valid columns: {', '.join(valid)}"
            )
        return node.id

    def reject_non_literal(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant | ast.Tuple | ast.List):
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return
        raise self.fail(node, _refusal(node))

    def literal(self, node: ast.expr) -> Scalar:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = node.operand
            if not (
                isinstance(inner, ast.Constant)
                and isinstance(inner.value, int | float)
                and not isinstance(inner.value, bool)
            ):
                raise self.fail(node, "a minus sign is only allowed before a number")
            value = -inner.value
        elif isinstance(node, ast.Constant):
            value = node.value
        elif isinstance(node, ast.Name):
            raise self.fail(node, "comparing two columns is not allowed")
        else:
            raise self.fail(node, _refusal(node))
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, "numbers must be finite")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise self.fail(node, "integers must fit in 64 bits")
        if value is None or isinstance(value, bool | int | float | str):
            return value
        raise self.fail(node, f"{type(value).__name__} literals are not allowed")

    def value(self, column: str, node: ast.expr, op: str) -> Scalar:
        """The literal in ``node``, checked against the type of ``column`` and ``op``."""
        value = self.literal(node)
        dtype = self.schema[column]
        if value is None:
            raise self.fail(node, f"compare with None as {column} is None / is not None")
        if dtype.is_boolean():
            if not isinstance(value, bool) or op not in ("==", "!="):
                raise self.fail(node, f"{column} is true/false: use {column} == True or == False")
            return value
        if dtype.is_numeric():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(node, f"{column} is numeric ({dtype}); compare it with a number")
            return value
        if dtype.is_string():
            if not isinstance(value, str):
                raise self.fail(node, f"{column} is text; compare it with a quoted string")
            if op not in ("==", "!="):
                raise self.fail(node, f"{column} is text: only ==, != and in are allowed")
            return value
        if dtype.is_date() or dtype.is_timestamp():
            if not isinstance(value, str):
                raise self.fail(node, f"{column} is a {dtype}; compare it with 'YYYY-MM-DD'")
            return _parse_when(value, dtype, lambda reason: self.fail(node, reason))
        raise self.fail(node, f"column {column} of type {dtype} cannot be filtered on")


def _parse_when(
    value: str, dtype: dt.DataType, fail: Callable[[str], WhereError]
) -> _dt.date | _dt.datetime:
    try:
        if dtype.is_date():
            return _dt.date.fromisoformat(value)
        return _dt.datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _refusal(node: ast.AST) -> str:
    for kind, reason in _REFUSED.items():
        if isinstance(node, kind):
            return reason
    return f"{type(node).__name__} is not allowed"
