"""The condition language: one small, safe, SQL-style boolean expression language.

Used by entry policies, plan events ("schedule if"), milestone formulas and series steps, e.g.::

    balance > 500 AND days_past_due BETWEEN 31 AND 60 AND NOT on_payment_plan

Pipeline: :func:`parse` (text → immutable AST), :func:`validate` (check against a field catalogue and turn
every literal into the field's representation), :func:`compile_condition` (both), then :func:`evaluate` on one
account, or ``arrears.batch.conditions.to_polars`` on a whole frame. User text is never ``eval``-ed.

Syntax
    - ``OR`` < ``AND`` < ``NOT`` < predicates (keywords are case-insensitive); parentheses group.
    - comparisons ``=  <>  !=  >  <  >=  <=`` between a field and a value, or two fields of the same type
    - ``x [NOT] BETWEEN low AND high`` (inclusive), ``x [NOT] IN (v1, v2, ...)``,
      ``x [NOT] LIKE 'A%'`` (text; ``%`` any run of characters, ``_`` one character),
      ``x IS [NOT] NULL``, a bare boolean field (``on_payment_plan``), ``TRUE``, ``FALSE``.
    - values: numbers ``500``, ``12.50``, ``-3``; amounts ``$1,234.56``; text ``'O''Brien'`` (single quotes,
      a quote doubled inside); dates ``DATE '2026-03-01'`` or ``'2026-03-01'`` against a date field;
      ``TRUE``/``FALSE``. A comma inside an amount must group thousands: ``IN ($1,500)`` is one amount,
      ``IN ($1, $500)`` two.
    - field names are matched case-insensitively.
    - at most :data:`NESTING_LIMIT` (100) levels of nesting: parentheses inside parentheses, and ``NOT``,
      ``AND`` and ``OR`` inside one another; numbers must fit in 64 bits (money: in cents).

Types
    Money fields hold integer cents, but conditions are written in dollars: ``balance > 500`` and
    ``balance > $500.00`` both mean 50000 cents (converted with ``Decimal``, never ``float``; fractions of a
    cent are an error). Whole-number fields take whole numbers, date fields dates, text fields quoted text
    (compared case-sensitively, ordered by code point), boolean fields ``TRUE``/``FALSE`` and only ``=``/``<>``.

Missing values (NULL)
    Every predicate that reads a missing value (``None``, absent key, or null in the frame) is **false**:
    ``balance > 5``, ``balance <> 5``, ``balance NOT IN (5)``, ``balance NOT BETWEEN 1 AND 9``,
    ``x NOT LIKE 'A%'`` and a bare boolean field are all false when the value is missing. ``NOT``, ``AND``
    and ``OR`` then use ordinary two-valued logic, so ``NOT (balance > 5)`` is true when the balance is
    missing. Test for missing values explicitly with ``IS NULL`` / ``IS NOT NULL``.
"""

from __future__ import annotations

import difflib
import functools
import operator
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation
from typing import Any, Final, TypeAlias

from arrears.domain.errors import Problem
from arrears.domain.fields import ACCOUNT_FIELDS, Field, FieldType, field_catalogue

__all__ = [
    "NESTING_LIMIT",
    "STRUCTURED_OPERATORS",
    "And",
    "Between",
    "Compare",
    "Condition",
    "ConditionError",
    "Expr",
    "FieldRef",
    "InList",
    "IsNull",
    "Issue",
    "Like",
    "Literal",
    "Not",
    "Operand",
    "Or",
    "Truth",
    "Value",
    "account_condition",
    "compile_condition",
    "evaluate",
    "format_expr",
    "like_match",
    "like_regex",
    "parse",
    "structured_condition",
    "unknown_field_message",
    "validate",
]

# --------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Issue:
    """One problem found in a condition, with its 1-based position in the text (0 when unknown)."""

    message: str
    line: int = 0
    column: int = 0

    def as_problem(self, text: str = "") -> Problem:
        """This issue in the one problem shape: the position is the location, the condition text the value."""
        where = f"line {self.line}, column {self.column}" if self.line else "condition"
        return Problem(where, self.message, text)

    def __str__(self) -> str:
        if self.line:
            return f"line {self.line}, column {self.column}: {self.message}"
        return self.message


class ConditionError(ValueError):
    """A condition that cannot be parsed or does not validate; ``issues`` lists every problem found."""

    def __init__(self, issues: Iterable[Issue], text: str | None = None) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.text = text
        super().__init__("\n".join(_describe(issue, text) for issue in self.issues))

    @property
    def line(self) -> int:
        """Line of the first issue (1-based, 0 when unknown)."""
        return self.issues[0].line if self.issues else 0

    @property
    def column(self) -> int:
        """Column of the first issue (1-based, 0 when unknown)."""
        return self.issues[0].column if self.issues else 0


def _describe(issue: Issue, text: str | None) -> str:
    if not text or not issue.line:
        return str(issue)
    lines = text.splitlines() or [""]
    if issue.line > len(lines):
        return str(issue)
    source, caret = lines[issue.line - 1], max(issue.column - 1, 0)
    if len(source) > _EXCERPT:  # a hostile one-line condition: show the part around the problem
        start = max(0, min(caret - _EXCERPT // 2, len(source) - _EXCERPT))
        source, caret = source[start : start + _EXCERPT], caret - start
    return f"{issue}\n    {source}\n    {' ' * caret}^"


_EXCERPT = 80
"""Longest piece of a condition line an error message quotes."""


# ----------------------------------------------------------------------------------------------- AST

LiteralKind: TypeAlias = typing.Literal["number", "money", "text", "date", "bool"]
Scalar: TypeAlias = int | str | date | bool
CompareOp: TypeAlias = typing.Literal["=", "<>", ">", "<", ">=", "<="]


@dataclass(frozen=True)
class _Node:
    line: int = dc_field(default=0, compare=False, kw_only=True)
    column: int = dc_field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class FieldRef(_Node):
    """A field of the account, by name (canonical catalogue name once validated)."""

    name: str


@dataclass(frozen=True)
class Literal(_Node):
    """A value as written, before validation gives it a field's type (numbers are dollars for money)."""

    kind: LiteralKind
    value: Decimal | str | date | bool


@dataclass(frozen=True)
class Value(_Node):
    """A validated value in the field's representation: cents for money, ``date`` for dates."""

    type: FieldType
    value: Scalar


Operand: TypeAlias = FieldRef | Literal | Value


@dataclass(frozen=True)
class Compare(_Node):
    """``left op right``; after validation ``left`` is a field."""

    left: Operand
    op: CompareOp
    right: Operand


@dataclass(frozen=True)
class Between(_Node):
    """``operand [NOT] BETWEEN low AND high``, bounds included."""

    operand: Operand
    low: Operand
    high: Operand
    negated: bool = False


@dataclass(frozen=True)
class InList(_Node):
    """``operand [NOT] IN (v1, v2, ...)``."""

    operand: Operand
    values: tuple[Operand, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like(_Node):
    """``operand [NOT] LIKE 'pattern'`` (``%`` any run of characters, ``_`` exactly one)."""

    operand: Operand
    pattern: Operand
    negated: bool = False


@dataclass(frozen=True)
class IsNull(_Node):
    """``operand IS [NOT] NULL``."""

    operand: Operand
    negated: bool = False


@dataclass(frozen=True)
class Truth(_Node):
    """A bare boolean: a boolean field (``on_payment_plan``) or ``TRUE`` / ``FALSE``."""

    operand: Operand


@dataclass(frozen=True)
class Not(_Node):
    """``NOT operand``."""

    operand: Expr


@dataclass(frozen=True)
class And(_Node):
    """``a AND b AND ...`` (two or more operands)."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or(_Node):
    """``a OR b OR ...`` (two or more operands)."""

    operands: tuple[Expr, ...]


Expr: TypeAlias = Compare | Between | InList | Like | IsNull | Truth | Not | And | Or


@dataclass(frozen=True)
class Condition:
    """A parsed and validated condition, ready for :func:`evaluate` or vectorized evaluation.

    ``fields`` are the catalogue fields the condition reads, in order of first use.
    """

    text: str
    expr: Expr
    fields: tuple[Field, ...]

    def __str__(self) -> str:
        return self.text

    @functools.cached_property
    def field_types(self) -> Mapping[str, FieldType]:
        """Name → type of every field the condition reads."""
        return {f.name: f.type for f in self.fields}


# ------------------------------------------------------------------------------------------- parsing


_FLIPPED: Final[Mapping[CompareOp, CompareOp]] = {
    "=": "=",
    "<>": "<>",
    ">": "<",
    "<": ">",
    ">=": "<=",
    "<=": ">=",
}
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def parse(text: str) -> Expr:
    """Parse condition text into an (unvalidated) AST.

    Raises :class:`ConditionError` with the line and column of the problem on a syntax error.
    """
    from arrears.domain.condition_syntax import parse_text  # Lark only where text is parsed (see that module)

    return parse_text(text)


NESTING_LIMIT: Final = 100
"""Deepest nesting a condition may have: parentheses inside parentheses, and NOT / AND / OR inside one another.

Every phase walks the tree recursively; the limit keeps hostile text (a thousand nested ``NOT``) from
exhausting the stack, far above what a readable condition needs."""


def too_deep(line: int, column: int, text: str | None = None) -> ConditionError:
    """The error of a condition nested deeper than :data:`NESTING_LIMIT`, at that line and column."""
    message = (
        f"the condition is nested more than {NESTING_LIMIT} levels deep "
        "(parentheses, NOT, AND and OR inside one another); simplify it"
    )
    return ConditionError([Issue(message, line, column)], text)


def _expr_depth(expr: Expr) -> int:
    """How deeply NOT / AND / OR nest in a tree (0 for a single predicate), without recursion."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(expr, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Not):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, And | Or):
            stack.extend((operand, depth + 1) for operand in node.operands)
        deepest = max(deepest, depth)
    return deepest


def parse_date(value: str) -> date | None:
    """The date ``value`` writes as YYYY-MM-DD; None when it is not one."""
    if not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------- formatting


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${_decimal_text(Decimal(abs(cents)) / 100)}"


def _format_operand(operand: Operand) -> str:
    if isinstance(operand, FieldRef):
        return operand.name
    value = operand.value
    kind = operand.kind if isinstance(operand, Literal) else operand.type
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return _quote(value)
    if kind == "money":
        if isinstance(value, Decimal):
            sign = "-" if value < 0 else ""
            return f"{sign}${_decimal_text(abs(value))}"
        return _dollars(value)
    return _decimal_text(value) if isinstance(value, Decimal) else str(value)


def format_expr(expr: Expr) -> str:
    """Render an AST back to condition text (canonical spelling; ``parse`` of it gives an equal AST)."""
    if isinstance(expr, Or):
        return " OR ".join(_wrap(e, (Or,)) for e in expr.operands)
    if isinstance(expr, And):
        return " AND ".join(_wrap(e, (Or, And)) for e in expr.operands)
    if isinstance(expr, Not):
        return "NOT " + _wrap(expr.operand, (Or, And))
    if isinstance(expr, Compare):
        return f"{_format_operand(expr.left)} {expr.op} {_format_operand(expr.right)}"
    if isinstance(expr, Truth):
        return _format_operand(expr.operand)
    if isinstance(expr, IsNull):
        return f"{_format_operand(expr.operand)} IS {'NOT ' if expr.negated else ''}NULL"
    negation = "NOT " if expr.negated else ""
    if isinstance(expr, Between):
        low, high = _format_operand(expr.low), _format_operand(expr.high)
        return f"{_format_operand(expr.operand)} {negation}BETWEEN {low} AND {high}"
    if isinstance(expr, InList):
        values = ", ".join(_format_operand(v) for v in expr.values)
        return f"{_format_operand(expr.operand)} {negation}IN ({values})"
    return f"{_format_operand(expr.operand)} {negation}LIKE {_format_operand(expr.pattern)}"


def _wrap(expr: Expr, kinds: tuple[type, ...]) -> str:
    text = format_expr(expr)
    return f"({text})" if isinstance(expr, kinds) else text


# ---------------------------------------------------------------------------------------- validation

_TYPE_WORDS: Final[Mapping[FieldType, str]] = {
    "money": "money",
    "int": "a whole number",
    "date": "a date",
    "bool": "true/false",
    "text": "text",
}
_KIND_WORDS: Final[Mapping[LiteralKind, str]] = {
    "number": "a number",
    "money": "an amount",
    "text": "text",
    "date": "a date",
    "bool": "a true/false value",
}
_ORDERED: Final = frozenset({"money", "int", "date", "text"})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
"""The features frame holds money (cents) and whole numbers as 64-bit integers; a literal must fit."""
_INT_RANGE: Final = f"whole numbers must be between {_INT64_MIN:,} and {_INT64_MAX:,}"
_MONEY_RANGE: Final = (
    f"amounts must be between -${-_INT64_MIN // 100:,}.{-_INT64_MIN % 100:02d} "
    f"and ${_INT64_MAX // 100:,}.{_INT64_MAX % 100:02d}"
)
_EXACT: Final = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""Dollars to cents without rounding, however many digits the literal has."""

FieldCatalogue: TypeAlias = Mapping[str, Field] | Iterable[Field]


def _catalogue(fields: FieldCatalogue) -> Mapping[str, Field]:
    if isinstance(fields, Mapping):
        return fields
    return field_catalogue(fields)


class _Validator:
    def __init__(self, fields: FieldCatalogue) -> None:
        self.catalogue = _catalogue(fields)
        self.by_lower = {name.lower(): f for name, f in self.catalogue.items()}
        self.issues: list[Issue] = []
        self.used: dict[str, Field] = {}

    def issue(self, message: str, node: _Node) -> None:
        self.issues.append(Issue(message, node.line, node.column))

    # -- fields and values

    def field(self, ref: FieldRef) -> Field | None:
        found = self.catalogue.get(ref.name) or self.by_lower.get(ref.name.lower())
        if found is None:
            self.issue(unknown_field_message(ref.name, self.catalogue), ref)
            return None
        self.used.setdefault(found.name, found)
        return found

    def value(self, literal: Literal, target: Field, what: str) -> Value | None:
        """Convert a literal to ``target``'s representation, or record why it cannot be."""
        pos = {"line": literal.line, "column": literal.column}
        shown = _format_operand(literal)
        kind, raw = literal.kind, literal.value
        wrong = f"{target.name} is {_TYPE_WORDS[target.type]}; {what} {shown} is {_KIND_WORDS[kind]}"
        if target.type == "money":
            if kind in ("number", "money") and isinstance(raw, Decimal):
                cents = raw.scaleb(2, _EXACT)
                if cents != cents.to_integral_value():
                    self.issue(f"{what} {shown} for {target.name} has a fraction of a cent", literal)
                    return None
                if not _INT64_MIN <= cents <= _INT64_MAX:
                    self.issue(f"{what} {shown} for {target.name} is out of range: {_MONEY_RANGE}", literal)
                    return None
                return Value("money", int(cents), **pos)
            self.issue(wrong, literal)
            return None
        if target.type == "int":
            if kind == "number" and isinstance(raw, Decimal):
                if raw != raw.to_integral_value():
                    self.issue(f"{target.name} is a whole number; {what} {shown} is not", literal)
                    return None
                if not _INT64_MIN <= raw <= _INT64_MAX:
                    self.issue(f"{what} {shown} for {target.name} is out of range: {_INT_RANGE}", literal)
                    return None
                return Value("int", int(raw), **pos)
            if kind == "money":
                self.issue(f"{wrong} (write it without '$')", literal)
                return None
            self.issue(wrong, literal)
            return None
        if target.type == "date":
            if kind == "date" and isinstance(raw, date):
                return Value("date", raw, **pos)
            if kind == "text" and isinstance(raw, str):
                parsed = parse_date(raw)
                if parsed is None:
                    self.issue(f"{target.name} is a date; {what} {shown} is not a date like '2026-03-01'", literal)
                    return None
                return Value("date", parsed, **pos)
            self.issue(f"{wrong} (write a date as DATE '2026-03-01')", literal)
            return None
        if target.type == "bool":
            if kind == "bool" and isinstance(raw, bool):
                return Value("bool", raw, **pos)
            self.issue(f"{wrong} (use TRUE or FALSE)", literal)
            return None
        if kind == "text" and isinstance(raw, str):
            return Value("text", raw, **pos)
        self.issue(f"{wrong} (quote text: '{literal.value}')", literal)
        return None

    def bound(self, operand: Operand, target: Field, what: str) -> FieldRef | Value | None:
        """A value or a second field compared with ``target``."""
        if isinstance(operand, Value):
            if operand.type != target.type:
                self.issue(f"{target.name} is {_TYPE_WORDS[target.type]}; {what} is {operand.type}", operand)
                return None
            return operand
        if isinstance(operand, Literal):
            return self.value(operand, target, what)
        other = self.field(operand)
        if other is None:
            return None
        if other.type != target.type:
            self.issue(
                f"cannot compare {target.name} ({_TYPE_WORDS[target.type]}) "
                f"with {other.name} ({_TYPE_WORDS[other.type]})",
                operand,
            )
            return None
        return FieldRef(other.name, line=operand.line, column=operand.column)

    def subject(self, operand: Operand, construct: str, node: _Node) -> Field | None:
        """The field on the left of BETWEEN / IN / LIKE / IS NULL."""
        if isinstance(operand, FieldRef):
            return self.field(operand)
        self.issue(f"{construct} needs a field on its left, not {_format_operand(operand)}", node)
        return None

    def ordered(self, f: Field, construct: str, node: _Node) -> bool:
        if f.type in _ORDERED:
            return True
        self.issue(f"{f.name} is true/false; {construct} cannot order true/false values (use = or <>)", node)
        return False

    # -- expressions

    def expr(self, expr: Expr) -> Expr:
        pos = {"line": expr.line, "column": expr.column}
        if isinstance(expr, Or):
            return Or(tuple(self.expr(e) for e in expr.operands), **pos)
        if isinstance(expr, And):
            return And(tuple(self.expr(e) for e in expr.operands), **pos)
        if isinstance(expr, Not):
            return Not(self.expr(expr.operand), **pos)
        if isinstance(expr, Compare):
            return self.compare(expr)
        if isinstance(expr, Between):
            return self.between(expr)
        if isinstance(expr, InList):
            return self.in_list(expr)
        if isinstance(expr, Like):
            return self.like(expr)
        if isinstance(expr, IsNull):
            f = self.subject(expr.operand, "IS NULL", expr)
            if f is None:
                return expr
            return IsNull(FieldRef(f.name, **_at(expr.operand)), negated=expr.negated, **pos)
        return self.truth(expr)

    def compare(self, expr: Compare) -> Expr:
        left, op, right = expr.left, expr.op, expr.right
        if not isinstance(left, FieldRef) and isinstance(right, FieldRef):
            left, op, right = right, _FLIPPED[op], left
        if not isinstance(left, FieldRef):
            self.issue(
                f"a comparison needs a field: {format_expr(expr)} compares two values",
                expr,
            )
            return expr
        target = self.field(left)
        if target is None:
            if isinstance(right, FieldRef):
                self.field(right)
            return expr
        if op not in ("=", "<>"):
            self.ordered(target, f"'{op}'", expr)
        other = self.bound(right, target, "value")
        if other is None:
            return expr
        return Compare(FieldRef(target.name, **_at(left)), op, other, **_at(expr))

    def between(self, expr: Between) -> Expr:
        target = self.subject(expr.operand, "BETWEEN", expr)
        if target is None:
            for bound in (expr.low, expr.high):
                if isinstance(bound, FieldRef):
                    self.field(bound)
            return expr
        ok = self.ordered(target, "BETWEEN", expr)
        low = self.bound(expr.low, target, "lower bound")
        high = self.bound(expr.high, target, "upper bound")
        if low is None or high is None or not ok:
            return expr
        if isinstance(low, Value) and isinstance(high, Value) and _gt(low.value, high.value):
            self.issue(
                f"BETWEEN {_format_operand(low)} AND {_format_operand(high)} is an empty range: "
                "the lower bound comes first",
                expr,
            )
            return expr
        operand = FieldRef(target.name, **_at(expr.operand))
        return Between(operand, low, high, negated=expr.negated, **_at(expr))

    def in_list(self, expr: InList) -> Expr:
        target = self.subject(expr.operand, "IN", expr)
        if target is None:
            return expr
        values: list[Operand] = []
        for item in expr.values:
            value = self.bound(item, target, "value")
            if value is not None:
                values.append(value)
        if len(values) != len(expr.values):
            return expr
        operand = FieldRef(target.name, **_at(expr.operand))
        return InList(operand, tuple(values), negated=expr.negated, **_at(expr))

    def like(self, expr: Like) -> Expr:
        target = self.subject(expr.operand, "LIKE", expr)
        if target is None:
            return expr
        if target.type != "text":
            self.issue(f"{target.name} is {_TYPE_WORDS[target.type]}; LIKE only matches text", expr)
            return expr
        pattern = expr.pattern
        if isinstance(pattern, FieldRef) or not isinstance(pattern.value, str):
            self.issue("LIKE needs a quoted pattern such as 'A%'", pattern)
            return expr
        value = Value("text", pattern.value, **_at(pattern))
        operand = FieldRef(target.name, **_at(expr.operand))
        return Like(operand, value, negated=expr.negated, **_at(expr))

    def truth(self, expr: Truth) -> Expr:
        operand = expr.operand
        if isinstance(operand, FieldRef):
            f = self.field(operand)
            if f is None:
                return expr
            if f.type != "bool":
                self.issue(
                    f"{f.name} is {_TYPE_WORDS[f.type]}, not true/false: compare it "
                    f"(e.g. {f.name} {_EXAMPLES[f.type]})",
                    operand,
                )
                return expr
            return Truth(FieldRef(f.name, **_at(operand)), **_at(expr))
        if isinstance(operand, Literal) and isinstance(operand.value, bool):
            return Truth(Value("bool", operand.value, **_at(operand)), **_at(expr))
        if isinstance(operand, Value) and operand.type == "bool":
            return expr
        self.issue(f"{_format_operand(operand)} is not true/false; a condition needs a comparison", operand)
        return expr


_EXAMPLES: Final[Mapping[FieldType, str]] = {
    "money": "> $0",
    "int": "> 30",
    "date": "< DATE '2026-03-01'",
    "bool": "= TRUE",
    "text": "= 'X'",
}


def _at(node: _Node) -> dict[str, int]:
    return {"line": node.line, "column": node.column}


def _gt(a: Scalar, b: Scalar) -> bool:
    return bool(operator.gt(a, b))


def unknown_field_message(name: str, fields: Mapping[str, Field]) -> str:
    """``unknown field 'balanse'; did you mean: balance? (known fields: ...)``, the close matches first."""
    names = list(fields)
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    known = f"known fields: {', '.join(names)}"
    if close:
        return f"unknown field {name!r}; did you mean: {', '.join(lowered[c] for c in close)}? ({known})"
    return f"unknown field {name!r}; {known}"


def validate(expr: Expr, fields: FieldCatalogue = ACCOUNT_FIELDS) -> Expr:
    """Check ``expr`` against a field catalogue and return it with typed values.

    Field names become the catalogue's spelling, literals become :class:`Value` in the field's
    representation (cents, dates) and a literal on the left of a comparison moves to the right.
    Every problem found is reported at once in one :class:`ConditionError`.
    """
    if _expr_depth(expr) > NESTING_LIMIT:
        raise too_deep(expr.line, expr.column)
    validator = _Validator(fields)
    result = validator.expr(expr)
    if validator.issues:
        raise ConditionError(validator.issues)
    return result


def compile_condition(text: str, fields: FieldCatalogue = ACCOUNT_FIELDS) -> Condition:
    """Parse and validate condition text; raise :class:`ConditionError` listing every problem."""
    expr = parse(text)
    validator = _Validator(fields)
    result = validator.expr(expr)
    if validator.issues:
        raise ConditionError(validator.issues, text)
    return Condition(text, result, tuple(validator.used.values()))


_compiled: dict[str, Condition] = {}
"""The account conditions compiled in this process, or handed in with a stored strategy, by text."""
_COMPILED_KEPT = 1024


def account_condition(text: str) -> Condition:
    """:func:`compile_condition` of ``text`` against :data:`ACCOUNT_FIELDS`, compiled once per process: the
    daily run reads the configured conditions for every chunk of accounts."""
    found = _compiled.get(text)
    if found is None:
        if len(_compiled) >= _COMPILED_KEPT:
            _compiled.clear()  # a server's ad-hoc filters must not grow it without end
        found = _compiled[text] = compile_condition(text)
    return found


def compiled_conditions() -> dict[str, Condition]:
    """Every account condition compiled in this process so far, by text."""
    return dict(_compiled)


def remember_conditions(conditions: Mapping[str, Condition]) -> None:
    """Take account conditions compiled by an earlier process (a stored strategy's), by text."""
    _compiled.update(conditions)


# ---------------------------------------------------------------------------------------- evaluation

_COMPARE: Final[Mapping[CompareOp, Callable[[Any, Any], Any]]] = {
    "=": operator.eq,
    "<>": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}

_PYTHON_TYPES: Final[Mapping[FieldType, str]] = {
    "money": "int (cents)",
    "int": "int",
    "date": "datetime.date",
    "bool": "bool",
    "text": "str",
}


def _check(name: str, kind: FieldType, value: object) -> Scalar | None:
    if value is None:
        return None
    if kind in ("money", "int"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "date":
        ok = isinstance(value, date) and not isinstance(value, datetime)
    elif kind == "bool":
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise TypeError(f"account field {name!r} should hold {_PYTHON_TYPES[kind]} or None, not {value!r}")
    return typing.cast(Scalar, value)


def evaluate(condition: Condition, row: Mapping[str, object]) -> bool:
    """Evaluate a compiled condition on one account.

    ``row`` maps field names to the features-frame representation (money in cents, ``date`` for dates);
    a missing key counts as ``None``. Every predicate reading a missing value is false (see the module
    documentation). A value of the wrong Python type raises ``TypeError`` naming the field.
    """
    return _evaluate(condition.expr, row, condition.field_types)


def _read(operand: Operand, row: Mapping[str, object], types: Mapping[str, FieldType]) -> Scalar | None:
    if isinstance(operand, Value):
        return operand.value
    if isinstance(operand, FieldRef):
        return _check(operand.name, types[operand.name], row.get(operand.name))
    raise ConditionError([Issue("evaluate needs a compiled condition (see compile_condition)")])


def _evaluate(expr: Expr, row: Mapping[str, object], types: Mapping[str, FieldType]) -> bool:
    if isinstance(expr, And):
        return all(_evaluate(e, row, types) for e in expr.operands)
    if isinstance(expr, Or):
        return any(_evaluate(e, row, types) for e in expr.operands)
    if isinstance(expr, Not):
        return not _evaluate(expr.operand, row, types)
    if isinstance(expr, IsNull):
        missing = _read(expr.operand, row, types) is None
        return not missing if expr.negated else missing
    if isinstance(expr, Truth):
        return _read(expr.operand, row, types) is True
    if isinstance(expr, Compare):
        left, right = _read(expr.left, row, types), _read(expr.right, row, types)
        if left is None or right is None:
            return False
        return bool(_COMPARE[expr.op](left, right))
    if isinstance(expr, Between):
        value = _read(expr.operand, row, types)
        low, high = _read(expr.low, row, types), _read(expr.high, row, types)
        if value is None or low is None or high is None:
            return False
        inside = not _gt(low, value) and not _gt(value, high)
        return inside != expr.negated
    if isinstance(expr, InList):
        value = _read(expr.operand, row, types)
        if value is None:
            return False
        found = any(value == _read(v, row, types) for v in expr.values)
        return found != expr.negated
    value = _read(expr.operand, row, types)
    pattern = _read(expr.pattern, row, types)
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    return like_match(pattern, value) != expr.negated


_REGEX_SPECIAL: Final = frozenset("\\.^$*+?{}[]|()")


def like_regex(pattern: str) -> str:
    """Translate a LIKE pattern to an unanchored regex body valid for Python ``re`` and Rust ``regex``.

    ``%`` becomes ``.*`` and ``_`` becomes ``.``; every other character matches itself. Anchor it and
    enable dot-all to match a whole value. The vectorized path hands it to Rust's regex engine, which never
    backtracks; one account is matched with :func:`like_match` (Python's ``re`` would backtrack).
    """
    out: list[str] = []
    for char in pattern:
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        elif char in _REGEX_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def like_match(pattern: str, value: str) -> bool:
    """True when the whole of ``value`` matches the LIKE ``pattern`` (``%`` any run, ``_`` one character).

    The pieces between ``%`` are matched from the left, each at its first place after the previous one, the
    first at the start and the last at the end. A piece matches a fixed number of characters, so its leftmost
    place is always right and nothing is ever retried: the time grows with ``len(value) * len(pattern)``
    whatever the pattern, where a regular expression with many ``.*`` backtracks exponentially on a value
    that does not match.
    """
    pieces = _like_pieces(pattern)
    first, _ = pieces[0]
    if len(pieces) == 1:
        return first.fullmatch(value) is not None
    last, last_length = pieces[-1]
    stop = len(value) - last_length
    head = first.match(value)
    if head is None or head.end() > stop:
        return False
    start = head.end()
    for piece, _ in pieces[1:-1]:
        found = piece.search(value, start, stop)
        if found is None:
            return False
        start = found.end()
    return last.fullmatch(value, stop) is not None


@functools.lru_cache(maxsize=256)
def _like_pieces(pattern: str) -> tuple[tuple[re.Pattern[str], int], ...]:
    """The pieces of a LIKE pattern between its ``%`` (empty middle pieces dropped): each as a regex of
    literal characters and ``.`` for ``_``, with the number of characters it matches."""
    pieces = pattern.split("%")
    kept = [pieces[0], *(p for p in pieces[1:-1] if p), pieces[-1]] if len(pieces) > 1 else pieces
    return tuple((re.compile(like_regex(piece), re.S), len(piece)) for piece in kept)


# ---------------------------------------------------------------------------------- structured form

STRUCTURED_OPERATORS: Final[Mapping[str, str]] = {
    "=": "equal to",
    ">": "greater than",
    "<": "less than",
    "<>": "not equal to",
    "..": "within a range (value 1 to value 2, both included)",
    ">=": "greater than or equal to",
    "<=": "less than or equal to",
}
_BOOL_WORDS: Final[Mapping[str, bool]] = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}


def structured_condition(
    field: str,
    operator: str,
    value1: object,
    value2: object | None = None,
    fields: FieldCatalogue = ACCOUNT_FIELDS,
) -> str:
    """Turn the seed's structured "schedule if" form into condition text.

    ``operator`` is one of ``= > < <> .. >= <=``; ``..`` means value1..value2 inclusive (``BETWEEN``).
    Values are what an operator types: money in dollars (``500``, ``'$1,234.56'``, ``Decimal``), whole
    numbers, dates (``date`` or ``'2026-03-01'``), ``True``/``False`` or text. The result is validated by
    :func:`compile_condition`; any problem raises :class:`ConditionError`.
    """
    catalogue = _catalogue(fields)
    if operator not in STRUCTURED_OPERATORS:
        raise ConditionError([Issue(f"unknown operator {operator!r}; use one of {' '.join(STRUCTURED_OPERATORS)}")])
    target = catalogue.get(field) or {n.lower(): f for n, f in catalogue.items()}.get(field.lower())
    if target is None:
        raise ConditionError([Issue(unknown_field_message(field, catalogue))])
    if operator == "..":
        if value2 is None:
            raise ConditionError([Issue("operator '..' (within a range) needs value 2, the maximum of the range")])
        low = _structured_value(target, value1, "value 1")
        high = _structured_value(target, value2, "value 2")
        text = f"{target.name} BETWEEN {low} AND {high}"
    else:
        if value2 is not None:
            raise ConditionError([Issue(f"value 2 is only used with the range operator '..', not with {operator!r}")])
        text = f"{target.name} {operator} {_structured_value(target, value1, 'value 1')}"
    if fields is ACCOUNT_FIELDS:
        account_condition(text)  # compiled once per process (or handed in with a stored strategy)
    else:
        compile_condition(text, catalogue)
    return text


def _structured_value(target: Field, value: object, which: str) -> str:
    def bad(expected: str) -> ConditionError:
        return ConditionError([Issue(f"{which} for {target.name} must be {expected}, not {value!r}")])

    if value is None:
        raise ConditionError([Issue(f"{which} for {target.name} is missing")])
    kind = target.type
    if kind in ("money", "int"):
        if isinstance(value, bool):
            raise bad("a number")
        if isinstance(value, (int, Decimal)):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str):
            cleaned = value.strip().replace(",", "")
            if kind == "money":
                cleaned = cleaned.replace("$", "", 1)
            try:
                number = Decimal(cleaned)
            except InvalidOperation:
                raise bad("an amount in dollars" if kind == "money" else "a whole number") from None
        else:
            raise bad("a number")
        if not number.is_finite():
            raise bad("a number")
        if kind == "int" and number != number.to_integral_value():
            raise bad("a whole number")
        return _decimal_text(number if kind == "money" else number.to_integral_value())
    if kind == "date":
        if isinstance(value, date) and not isinstance(value, datetime):
            return f"DATE '{value.isoformat()}'"
        parsed = parse_date(value.strip()) if isinstance(value, str) else None
        if parsed is None:
            raise bad("a date (YYYY-MM-DD)")
        return f"DATE '{parsed.isoformat()}'"
    if kind == "bool":
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            return "TRUE" if _BOOL_WORDS[value.strip().lower()] else "FALSE"
        raise bad("true or false")
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _quote(str(value))
    raise bad("text")
