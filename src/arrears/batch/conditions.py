"""Vectorized evaluation of compiled conditions: a condition becomes one Polars expression.

The frame holds the features-frame representation (see ``arrears.domain.fields``): money and whole numbers
as ``Int64`` (money in cents), dates as ``Date``, flags as ``Boolean``, text as ``String``. The result agrees
row by row with :func:`arrears.domain.conditions.evaluate`, including its rule for missing values: every
predicate that reads a null is false, and ``NOT`` / ``AND`` / ``OR`` then use two-valued logic.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Final

import polars as pl

from arrears.domain.conditions import (
    And,
    Between,
    Compare,
    Condition,
    ConditionError,
    Expr,
    FieldRef,
    InList,
    IsNull,
    Issue,
    Like,
    Not,
    Operand,
    Or,
    Truth,
    Value,
    like_regex,
)
from arrears.domain.fields import ACCOUNT_FIELDS, Field, FieldType

__all__ = ["CONDITION_COLUMN", "POLARS_TYPES", "evaluate_frame", "polars_schema", "to_polars"]

CONDITION_COLUMN: Final = "condition"
"""Name of the column :func:`to_polars` produces (alias it as you need)."""

POLARS_TYPES: Final[Mapping[FieldType, pl.DataType]] = {
    "money": pl.Int64(),
    "int": pl.Int64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
    "text": pl.String(),
}
"""The Polars dtype of each field type in the features frame."""


def polars_schema(fields: Iterable[Field] | Mapping[str, Field] = ACCOUNT_FIELDS) -> dict[str, pl.DataType]:
    """The features-frame schema (column name → dtype) for a field catalogue."""
    items = fields.values() if isinstance(fields, Mapping) else fields
    return {f.name: POLARS_TYPES[f.type] for f in items}


def to_polars(condition: Condition) -> pl.Expr:
    """Compile a validated condition to a Boolean Polars expression named ``condition``, never null."""
    return _expr(condition.expr).fill_null(False).alias(CONDITION_COLUMN)


def evaluate_frame(condition: Condition, frame: pl.DataFrame) -> pl.Series:
    """Evaluate a condition over every row of ``frame``; a column the condition reads must be present."""
    missing = [f.name for f in condition.fields if f.name not in frame.columns]
    if missing:
        raise ValueError(f"condition {condition.text!r} reads {', '.join(missing)}, which the frame does not have")
    return frame.select(to_polars(condition)).to_series()


def _operand(operand: Operand) -> pl.Expr:
    if isinstance(operand, FieldRef):
        return pl.col(operand.name)
    if isinstance(operand, Value):
        return pl.lit(operand.value, dtype=POLARS_TYPES[operand.type])
    raise ConditionError([Issue("to_polars needs a compiled condition (see compile_condition)")])


def _present(*operands: Operand) -> pl.Expr | None:
    """True where every field among ``operands`` has a value (None when there is no field)."""
    checks = [pl.col(o.name).is_not_null() for o in operands if isinstance(o, FieldRef)]
    return pl.all_horizontal(checks) if checks else None


def _predicate(result: pl.Expr, *operands: Operand) -> pl.Expr:
    """A predicate's value: false wherever one of the fields it reads is null."""
    present = _present(*operands)
    guarded = result if present is None else present & result
    return guarded.fill_null(False)


_COMPARE: Final = {
    "=": operator.eq,
    "<>": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _expr(expr: Expr) -> pl.Expr:
    # One horizontal node per AND / OR, however many terms: a chain of binary & / | nests as deep as it is
    # long, and Polars' planning of such a chain grows much faster than its length.
    if isinstance(expr, And):
        return pl.all_horizontal([_expr(e) for e in expr.operands])
    if isinstance(expr, Or):
        return pl.any_horizontal([_expr(e) for e in expr.operands])
    if isinstance(expr, Not):
        return ~_expr(expr.operand)
    if isinstance(expr, IsNull):
        column = _operand(expr.operand)
        return column.is_not_null() if expr.negated else column.is_null()
    if isinstance(expr, Truth):
        if isinstance(expr.operand, Value):  # TRUE / FALSE: one value per row, even with no column read
            return pl.repeat(expr.operand.value, pl.len(), dtype=pl.Boolean)
        return _operand(expr.operand).fill_null(False)
    if isinstance(expr, Compare):
        result: pl.Expr = _COMPARE[expr.op](_operand(expr.left), _operand(expr.right))
        return _predicate(result, expr.left, expr.right)
    if isinstance(expr, Between):
        value, low, high = _operand(expr.operand), _operand(expr.low), _operand(expr.high)
        inside = (value >= low) & (value <= high)
        return _predicate(~inside if expr.negated else inside, expr.operand, expr.low, expr.high)
    if isinstance(expr, InList):
        column = _operand(expr.operand)
        values = [v.value for v in expr.values if isinstance(v, Value)]
        dtype = expr.values[0].type if isinstance(expr.values[0], Value) else "text"
        found = column.is_in(pl.Series(values, dtype=POLARS_TYPES[dtype]).implode())
        return _predicate(~found if expr.negated else found, expr.operand)
    if isinstance(expr, Like):
        if not isinstance(expr.pattern, Value) or not isinstance(expr.pattern.value, str):
            raise ConditionError([Issue("to_polars needs a compiled condition (see compile_condition)")])
        matched = _operand(expr.operand).str.contains(f"(?s)^(?:{like_regex(expr.pattern.value)})$")
        return _predicate(~matched if expr.negated else matched, expr.operand)
    raise ConditionError([Issue(f"unknown condition node {expr!r}")])  # pragma: no cover
