"""The condition language's grammar: condition text to the syntax tree of :mod:`arrears.domain.conditions`.

Kept apart from the tree, the validation and the evaluation so that a command that only evaluates conditions
it has already compiled (a cached strategy) loads neither Lark nor the grammar, which Lark compiles on import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from arrears.domain.conditions import (
    NESTING_LIMIT,
    And,
    Between,
    Compare,
    CompareOp,
    ConditionError,
    Expr,
    FieldRef,
    InList,
    IsNull,
    Issue,
    Like,
    Literal,
    Not,
    Operand,
    Or,
    Truth,
    parse_date,
    too_deep,
)

_GRAMMAR: Final = r"""
?start: or_expr

?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr                                    -> not_
         | predicate

?predicate: operand COMP_OP operand                         -> compare
          | operand _BETWEEN operand _AND operand           -> between
          | operand _NOT _BETWEEN operand _AND operand      -> not_between
          | operand _IN _LPAR literal (_COMMA literal)* _RPAR         -> in_list
          | operand _NOT _IN _LPAR literal (_COMMA literal)* _RPAR    -> not_in_list
          | operand _LIKE operand                           -> like
          | operand _NOT _LIKE operand                      -> not_like
          | operand _IS _NULL                               -> is_null
          | operand _IS _NOT _NULL                          -> is_not_null
          | operand                                         -> truth
          | _LPAR or_expr _RPAR

?operand: NAME                                              -> field
        | literal

?literal: NUMBER                                            -> number
        | MONEY                                             -> money
        | STRING                                            -> string
        | _DATE STRING                                      -> date
        | _TRUE                                             -> true
        | _FALSE                                            -> false

_OR.2: /or\b/i
_AND.2: /and\b/i
_NOT.2: /not\b/i
_BETWEEN.2: /between\b/i
_IN.2: /in\b/i
_LIKE.2: /like\b/i
_IS.2: /is\b/i
_NULL.2: /null\b/i
_DATE.2: /date\b/i
_TRUE.2: /true\b/i
_FALSE.2: /false\b/i

COMP_OP: /<>|!=|>=|<=|==|=|<|>/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
MONEY: /-?\$(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?/
NUMBER: /-?\d+(?:\.\d+)?/
STRING: /'(?:[^']|'')*'/
_LPAR: "("
_RPAR: ")"
_COMMA: ","

%import common.WS
%ignore WS
"""

# The basic lexer makes keywords reserved everywhere (the contextual lexer would read a misplaced AND as a
# field name); ``\b`` in the keyword patterns keeps names such as ``andrew`` or ``notes`` whole.
_PARSER: Final = Lark(_GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)

_TOKEN_NAMES: Final[Mapping[str, str]] = {
    "NAME": "a field name",
    "NUMBER": "a number",
    "MONEY": "an amount ($1,234.56)",
    "STRING": "a 'quoted text'",
    "DATE": "DATE '…'",
    "TRUE": "TRUE",
    "FALSE": "FALSE",
    "COMP_OP": "a comparison (= <> > < >= <=)",
    "NOT": "NOT",
    "AND": "AND",
    "OR": "OR",
    "BETWEEN": "BETWEEN",
    "IN": "IN",
    "LIKE": "LIKE",
    "IS": "IS",
    "NULL": "NULL",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "$END": "the end of the condition",
}
_VALUE_TOKENS: Final = frozenset({"NAME", "NUMBER", "MONEY", "STRING", "DATE", "TRUE", "FALSE"})

_OPS: Final[Mapping[str, CompareOp]] = {
    "=": "=",
    "==": "=",
    "<>": "<>",
    "!=": "<>",
    ">": ">",
    "<": "<",
    ">=": ">=",
    "<=": "<=",
}


def parse_text(text: str) -> Expr:
    """Parse condition text into an (unvalidated) AST.

    Raises :class:`ConditionError` with the line and column of the problem on a syntax error.
    """
    if not text.strip():
        raise ConditionError([Issue("the condition is empty", 1, 1)], text)
    try:
        tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise ConditionError([_syntax_issue(exc, text)], text) from None
    _check_nesting(tree, text)
    return _expr(tree, text)


_NESTING_RULES: Final = frozenset({"not_", "and_expr", "or_expr"})


def _check_nesting(tree: Tree[Token], text: str) -> None:
    """Refuse a parse tree (or parentheses) nested deeper than :data:`NESTING_LIMIT`, without recursion."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _NESTING_RULES:
            depth += 1
            if depth > NESTING_LIMIT:
                position = _pos(node)
                raise too_deep(position["line"], position["column"], text)
        stack.extend((kid, depth) for kid in node.children if isinstance(kid, Tree))
    open_parentheses = 0
    for token in _PARSER.lex(text):
        if token.type == "_LPAR":
            open_parentheses += 1
            if open_parentheses > NESTING_LIMIT:
                raise too_deep(token.line or 0, token.column or 0, text)
        elif token.type == "_RPAR":
            open_parentheses -= 1


def _end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return line, column


def _expected(names: Iterable[str]) -> str:
    kinds = {name.lstrip("_") for name in names}
    parts: list[str] = []
    if kinds & _VALUE_TOKENS >= {"NAME", "NUMBER"}:
        parts.append("a field name or a value (500, $1,234.56, 'text', DATE '2026-03-01', TRUE, FALSE)")
        kinds -= _VALUE_TOKENS
    parts.extend(_TOKEN_NAMES.get(kind, kind) for kind in sorted(kinds, key=_token_order))
    return ", ".join(parts)


def _token_order(kind: str) -> int:
    order = list(_TOKEN_NAMES)
    return order.index(kind) if kind in order else len(order)


def _syntax_issue(exc: UnexpectedInput, text: str) -> Issue:
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = _expected(exc.accepts or exc.expected)
        if token.type == "$END":
            line, column = _end_position(text)
            return Issue(f"syntax error: the condition ends too early; expected {expected}", line, column)
        if token.type == "_RPAR" and exc.expected == {"$END"}:
            return Issue("syntax error: unexpected ')': there is no '(' to close", exc.line, exc.column)
        return Issue(
            f"syntax error: unexpected {token.value!r}; expected {expected}",
            exc.line,
            exc.column,
        )
    if isinstance(exc, UnexpectedCharacters):
        char = exc.char
        hint = ""
        if char == "'":
            hint = " (a text value is not closed: add the closing ')"
        elif char == '"':
            hint = " (quote text with single quotes: 'text')"
        allowed = _expected(exc.allowed) if exc.allowed else ""
        expected = f"; expected {allowed}" if allowed else ""
        return Issue(f"syntax error: unexpected character {char!r}{hint}{expected}", exc.line, exc.column)
    return Issue(f"syntax error: {exc}", exc.line, exc.column)


def _pos(node: Tree[Token] | Token) -> dict[str, int]:
    if isinstance(node, Token):
        return {"line": node.line or 0, "column": node.column or 0}
    meta = node.meta
    if meta.empty:
        return {"line": 0, "column": 0}
    return {"line": meta.line, "column": meta.column}


def _tree(node: Tree[Token] | Token) -> Tree[Token]:
    if not isinstance(node, Tree):  # pragma: no cover - the grammar guarantees trees here
        raise ConditionError([Issue(f"internal error: unexpected token {node!r}")])
    return node


def _expr(node: Tree[Token] | Token, text: str) -> Expr:
    tree = _tree(node)
    kids = tree.children
    pos = _pos(tree)
    kind = tree.data
    if kind == "or_expr":
        return Or(tuple(_expr(kid, text) for kid in kids), **pos)
    if kind == "and_expr":
        return And(tuple(_expr(kid, text) for kid in kids), **pos)
    if kind == "not_":
        return Not(_expr(kids[0], text), **pos)
    if kind == "compare":
        op = kids[1]
        assert isinstance(op, Token)
        return Compare(_operand(kids[0], text), _OPS[str(op)], _operand(kids[2], text), **pos)
    if kind in ("between", "not_between"):
        return Between(
            _operand(kids[0], text),
            _operand(kids[1], text),
            _operand(kids[2], text),
            negated=kind == "not_between",
            **pos,
        )
    if kind in ("in_list", "not_in_list"):
        values = tuple(_operand(kid, text) for kid in kids[1:])
        return InList(_operand(kids[0], text), values, negated=kind == "not_in_list", **pos)
    if kind in ("like", "not_like"):
        return Like(_operand(kids[0], text), _operand(kids[1], text), negated=kind == "not_like", **pos)
    if kind in ("is_null", "is_not_null"):
        return IsNull(_operand(kids[0], text), negated=kind == "is_not_null", **pos)
    if kind == "truth":
        return Truth(_operand(kids[0], text), **pos)
    raise ConditionError([Issue(f"internal error: unknown rule {kind!r}", **pos)])  # pragma: no cover


def _operand(node: Tree[Token] | Token, text: str) -> Operand:
    tree = _tree(node)
    kind = tree.data
    pos = _pos(tree)
    if kind in ("true", "false"):
        return Literal("bool", kind == "true", **pos)
    token = tree.children[0]
    assert isinstance(token, Token)
    raw = str(token)
    if kind == "field":
        return FieldRef(raw, **pos)
    if kind == "number":
        return Literal("number", Decimal(raw), **pos)
    if kind == "money":
        return Literal("money", Decimal(raw.replace("$", "").replace(",", "")), **pos)
    if kind == "string":
        return Literal("text", _unquote(raw), **pos)
    if kind == "date":
        value = _unquote(raw)
        parsed = parse_date(value)
        if parsed is None:
            raise ConditionError([Issue(f"invalid date {value!r}; write dates as DATE 'YYYY-MM-DD'", **pos)], text)
        return Literal("date", parsed, **pos)
    raise ConditionError([Issue(f"internal error: unknown value {kind!r}", **pos)])  # pragma: no cover


def _unquote(raw: str) -> str:
    return raw[1:-1].replace("''", "'")
