"""The condition language: parse, validate against the account fields, evaluate on one account.

Accounts are written as the features row: money in cents, dates as dates, missing values as None.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.conditions import (
    NESTING_LIMIT,
    And,
    Compare,
    Condition,
    ConditionError,
    Expr,
    FieldRef,
    Literal,
    Not,
    Or,
    Truth,
    Value,
    compile_condition,
    evaluate,
    format_expr,
    like_match,
    parse,
    structured_condition,
    validate,
)
from arrears.domain.fields import ACCOUNT_FIELDS, Field

ACCOUNT = {
    "balance": 123457,  # $1,234.57
    "days_past_due": 45,
    "oldest_unpaid_due_date": date(2026, 1, 15),
    "last_payment_date": None,  # never paid
    "last_payment_amount": None,
    "days_since_last_payment": None,
    "largest_payment": 0,
    "required_payment": 12346,  # 10% of the balance, rounded up
    "on_payment_plan": False,
    "payment_plan_delinquent": False,
    "portfolio": "NORTH",
    "status_code": "ACT",
    "mode": "active",
    "guarantor_last_name": "O'Brien",
    "guarantor_state": "TX",
    "deceased": False,
    "bankruptcy": False,
    "attorney_represented": False,
    "cease_communication": False,
    "disputed": False,
    "do_not_call": True,
    "in_collections": True,
    "days_in_collections": 12,
    "collector": "JD",
    "insurance_balance": 0,
    "oldest_claim_age_days": None,
    "open_claim_count": 0,
}


def check(text: str, **changes: object) -> bool:
    """Evaluate ``text`` on ACCOUNT with some fields changed."""
    return evaluate(compile_condition(text), {**ACCOUNT, **changes})


def errors_of(text: str) -> str:
    with pytest.raises(ConditionError) as caught:
        compile_condition(text)
    return str(caught.value)


# ------------------------------------------------------------------------------------------ catalogue


def test_the_catalogue_documents_every_field() -> None:
    assert len(ACCOUNT_FIELDS) == 27
    assert set(ACCOUNT_FIELDS) == set(ACCOUNT)
    assert ACCOUNT_FIELDS["balance"].type == "money"
    assert ACCOUNT_FIELDS["oldest_unpaid_due_date"].type == "date"
    assert all(f.meaning for f in ACCOUNT_FIELDS.values())


def test_a_field_must_have_a_known_type() -> None:
    with pytest.raises(ValueError, match="type must be one of"):
        Field("balance", "float", "no")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------- parse


def test_the_design_example() -> None:
    text = "balance > 500 AND days_past_due BETWEEN 31 AND 60 AND NOT on_payment_plan"
    assert check(text, balance=50001, days_past_due=31)
    assert not check(text, balance=50000, days_past_due=31)
    assert not check(text, balance=50001, days_past_due=31, on_payment_plan=True)


def test_and_binds_tighter_than_or() -> None:
    expr = parse("a OR b AND c")
    assert expr == Or((Truth(FieldRef("a")), And((Truth(FieldRef("b")), Truth(FieldRef("c"))))))


def test_not_binds_tighter_than_and() -> None:
    expr = parse("NOT a AND b")
    assert expr == And((Not(Truth(FieldRef("a"))), Truth(FieldRef("b"))))
    # NOT deceased AND bankruptcy: the NOT applies to deceased only
    assert not check("NOT deceased AND bankruptcy", deceased=False, bankruptcy=False)
    assert check("NOT (deceased AND bankruptcy)", deceased=False, bankruptcy=False)


def test_parentheses_group() -> None:
    assert parse("(a OR b) AND c") == And((Or((Truth(FieldRef("a")), Truth(FieldRef("b")))), Truth(FieldRef("c"))))


def test_keywords_are_case_insensitive_and_field_names_may_contain_them() -> None:
    assert parse("a and not b or c") == parse("a AND NOT b OR c")
    assert parse("android = 1 AND notes = 2 AND order_in = 3 AND island IS NULL")  # no keyword inside a name


def test_literals_as_written() -> None:
    expr = parse("x = $1,234.56 OR x = 12.50 OR x = 'a''b' OR x = DATE '2026-03-01' OR x = TRUE OR x = -3")
    assert isinstance(expr, Or)
    rights = [e.right for e in expr.operands if isinstance(e, Compare)]
    assert rights == [
        Literal("money", Decimal("1234.56")),
        Literal("number", Decimal("12.50")),
        Literal("text", "a'b"),
        Literal("date", date(2026, 3, 1)),
        Literal("bool", True),
        Literal("number", Decimal("-3")),
    ]


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("balance >", 1, 10, "ends too early"),
        ("balance > 5 AND", 1, 16, "ends too early"),
        ("balance > 5\n  AND AND x", 2, 7, "unexpected 'AND'"),
        ("balance 500", 1, 9, "unexpected '500'"),
        ("(balance > 5", 1, 13, "expected ')'"),
        ("balance > 5)", 1, 12, "no '(' to close"),
        ('portfolio = "NORTH"', 1, 13, "single quotes"),
        ("portfolio = 'NORTH", 1, 13, "not closed"),
        ("balance IN ()", 1, 13, "unexpected ')'"),
        ("balance > 5 # 3", 1, 13, "unexpected character '#'"),
    ],
)
def test_a_syntax_error_says_where(text: str, line: int, column: int, words: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.line, error.column) == (line, column)
    assert f"line {line}, column {column}" in str(error)
    assert words in str(error)
    assert str(error).rstrip().endswith("^")  # the caret under the problem


def test_an_empty_condition_is_an_error() -> None:
    with pytest.raises(ConditionError, match="the condition is empty"):
        parse("  ")


def test_format_expr_gives_back_the_same_tree() -> None:
    text = "NOT (a OR b) AND (c AND d) AND x NOT BETWEEN $1.50 AND 2 AND y NOT IN ('p', 'q') OR z IS NOT NULL"
    assert parse(format_expr(parse(text))) == parse(text)


# ----------------------------------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("days_past_due = 45", True),
        ("days_past_due = 44", False),
        ("days_past_due <> 45", False),
        ("days_past_due != 44", True),
        ("days_past_due > 44", True),
        ("days_past_due > 45", False),
        ("days_past_due < 46", True),
        ("days_past_due < 45", False),
        ("days_past_due >= 45", True),
        ("days_past_due >= 46", False),
        ("days_past_due <= 45", True),
        ("days_past_due <= 44", False),
        ("44 < days_past_due", True),  # a value on the left is fine
        ("days_past_due IN (30, 45, 60)", True),
        ("days_past_due IN (30, 60)", False),
        ("days_past_due NOT IN (30, 60)", True),
        ("portfolio IN ('NORTH', 'SOUTH')", True),
        ("portfolio = 'north'", False),  # text is case-sensitive
        ("guarantor_last_name = 'O''Brien'", True),
        ("guarantor_last_name LIKE 'O%'", True),
        ("guarantor_last_name LIKE 'O_Brien'", True),
        ("guarantor_last_name LIKE 'o%'", False),
        ("guarantor_last_name NOT LIKE 'B%'", True),
        ("guarantor_last_name >= 'M'", True),  # text orders by code point (name ranges)
        ("guarantor_last_name BETWEEN 'A' AND 'M'", False),
        ("oldest_unpaid_due_date < DATE '2026-02-01'", True),
        ("oldest_unpaid_due_date = '2026-01-15'", True),  # a quoted ISO date against a date field
        ("oldest_unpaid_due_date BETWEEN '2026-01-01' AND '2026-01-31'", True),
        ("do_not_call", True),
        ("do_not_call = TRUE", True),
        ("do_not_call <> FALSE", True),
        ("NOT do_not_call", False),
        ("TRUE", True),
        ("FALSE", False),
        ("last_payment_date IS NULL", True),
        ("last_payment_date IS NOT NULL", False),
        ("oldest_unpaid_due_date IS NOT NULL", True),
        ("balance > insurance_balance", True),  # two fields of the same type
        ("days_in_collections < days_past_due", True),
    ],
)
def test_every_operator(text: str, expected: bool) -> None:
    assert check(text) is expected


@pytest.mark.parametrize(("cents", "expected"), [(123457, True), (123456, False)])
def test_a_money_literal_is_dollars_converted_to_cents(cents: int, expected: bool) -> None:
    assert check("balance > $1,234.56", balance=cents) is expected


def test_plain_numbers_against_money_are_dollars_too() -> None:
    condition = compile_condition("balance >= 12.50 AND insurance_balance < $1000")
    comparison = condition.expr
    assert isinstance(comparison, And)
    assert [c.right for c in comparison.operands if isinstance(c, Compare)] == [
        Value("money", 1250),
        Value("money", 100000),
    ]
    assert check("balance >= 12.50", balance=1250)
    assert not check("balance >= 12.50", balance=1249)
    assert check("balance < -5", balance=-501)  # credit balances


@pytest.mark.parametrize(("days", "expected"), [(30, False), (31, True), (45, True), (60, True), (61, False)])
def test_between_includes_both_edges(days: int, expected: bool) -> None:
    assert check("days_past_due BETWEEN 31 AND 60", days_past_due=days) is expected
    assert check("days_past_due NOT BETWEEN 31 AND 60", days_past_due=days) is not expected


# -------------------------------------------------------------------------------------------- nulls


@pytest.mark.parametrize(
    "text",
    [
        "days_since_last_payment > 30",
        "days_since_last_payment <= 30",
        "days_since_last_payment <> 30",
        "days_since_last_payment BETWEEN 0 AND 999",
        "days_since_last_payment NOT BETWEEN 0 AND 10",
        "days_since_last_payment IN (1, 2)",
        "days_since_last_payment NOT IN (1, 2)",
        "last_payment_amount < balance",
        "balance > last_payment_amount",
    ],
)
def test_a_comparison_with_a_missing_value_is_false(text: str) -> None:
    assert check(text) is False
    assert check(f"NOT ({text})") is True  # NOT, AND, OR are two-valued


def test_a_missing_flag_or_key_counts_as_false() -> None:
    assert check("on_payment_plan", on_payment_plan=None) is False
    assert check("NOT on_payment_plan", on_payment_plan=None) is True
    condition = compile_condition("balance > 5 OR balance IS NULL")
    assert evaluate(condition, {}) is True


def test_a_value_of_the_wrong_python_type_is_reported() -> None:
    with pytest.raises(TypeError, match="'balance' should hold int \\(cents\\)"):
        check("balance > 5", balance=Decimal("5.00"))
    with pytest.raises(TypeError, match="'on_payment_plan' should hold bool"):
        check("on_payment_plan", on_payment_plan=1)


# ---------------------------------------------------------------------------------------- validation


def test_an_unknown_field_suggests_close_matches() -> None:
    assert "unknown field 'balanse'; did you mean: balance?" in errors_of("balanse > 500")


def test_an_unknown_field_with_nothing_close_lists_the_known_fields() -> None:
    message = errors_of("xyzzy = 1")
    assert "unknown field 'xyzzy'; known fields: balance, days_past_due," in message
    assert "open_claim_count" in message


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition("balanse > 5 AND days_past_due > 'abc' OR NOT portfolo")
    issues = caught.value.issues
    assert len(issues) == 3
    assert [(i.line, i.column) for i in issues] == [(1, 1), (1, 33), (1, 46)]
    assert "did you mean: portfolio?" in issues[2].message


def test_field_names_are_case_insensitive() -> None:
    condition = compile_condition("Balance > 5 AND DAYS_PAST_DUE > 3")
    assert [f.name for f in condition.fields] == ["balance", "days_past_due"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("days_past_due > 'abc'", "days_past_due is a whole number; value 'abc' is text"),
        ("balance BETWEEN 5 AND 'x'", "balance is money; upper bound 'x' is text"),
        ("NOT balance", "balance is money, not true/false"),
        ("balance", "balance is money, not true/false"),
        ("on_payment_plan > TRUE", "on_payment_plan is true/false; '>' cannot order"),
        ("on_payment_plan BETWEEN FALSE AND TRUE", "BETWEEN cannot order true/false"),
        ("on_payment_plan = 1", "on_payment_plan is true/false; value 1 is a number (use TRUE or FALSE)"),
        ("portfolio = 5", "portfolio is text; value 5 is a number (quote text: '5')"),
        ("days_past_due > 1.5", "days_past_due is a whole number; value 1.5 is not"),
        ("days_past_due > $5", "(write it without '$')"),
        ("balance > 1.234", "has a fraction of a cent"),
        ("last_payment_date > 5", "last_payment_date is a date; value 5 is a number"),
        ("last_payment_date > 'soon'", "is not a date like '2026-03-01'"),
        ("balance = days_past_due", "cannot compare balance (money) with days_past_due (a whole number)"),
        ("balance BETWEEN 60 AND 31", "empty range"),
        ("balance LIKE '1%'", "LIKE only matches text"),
        ("portfolio LIKE collector", "LIKE needs a quoted pattern"),
        ("1 = 1", "a comparison needs a field"),
        ("5 BETWEEN 1 AND 9", "BETWEEN needs a field on its left"),
        ("500", "500 is not true/false"),
        ("balance IN (1, 'x')", "balance is money; value 'x' is text"),
    ],
)
def test_type_mismatches_are_errors(text: str, message: str) -> None:
    assert message in errors_of(text)


def test_an_invalid_date_literal_is_a_syntax_error() -> None:
    with pytest.raises(ConditionError, match="invalid date '2026-02-30'"):
        parse("last_payment_date > DATE '2026-02-30'")


def test_validate_works_on_a_parsed_tree_and_other_catalogues() -> None:
    fields = (Field("score", "int", "credit points"),)
    assert validate(parse("score >= 10"), fields) == Compare(FieldRef("score"), ">=", Value("int", 10))
    with pytest.raises(ConditionError, match="did you mean: score"):
        validate(parse("scor > 1"), fields)
    with pytest.raises(ConditionError, match="evaluate needs a compiled condition"):
        evaluate(Condition("x", parse("balance > 1"), (ACCOUNT_FIELDS["balance"],)), ACCOUNT)


def test_user_text_is_never_executed() -> None:
    for text in ["__import__('os').system('true')", "balance > 1; DROP TABLE account", "balance.__class__"]:
        with pytest.raises(ConditionError):
            compile_condition(text)


# ---------------------------------------------------------------------------------- structured form


@pytest.mark.parametrize(
    ("field", "operator", "value1", "value2", "text"),
    [
        ("balance", "=", 500, None, "balance = 500"),
        ("balance", ">", "$1,234.56", None, "balance > 1234.56"),
        ("balance", "<", Decimal("12.50"), None, "balance < 12.50"),
        ("days_past_due", "<>", "30", None, "days_past_due <> 30"),
        ("days_past_due", "..", 31, 60, "days_past_due BETWEEN 31 AND 60"),
        ("balance", "..", "100", "1,000.00", "balance BETWEEN 100 AND 1000.00"),
        ("last_payment_date", ">=", date(2026, 3, 1), None, "last_payment_date >= DATE '2026-03-01'"),
        ("last_payment_date", "<=", "2026-03-31", None, "last_payment_date <= DATE '2026-03-31'"),
        ("portfolio", "=", "O'Neil", None, "portfolio = 'O''Neil'"),
        ("status_code", "=", 100, None, "status_code = '100'"),
        ("on_payment_plan", "=", True, None, "on_payment_plan = TRUE"),
        ("do_not_call", "<>", "no", None, "do_not_call <> FALSE"),
    ],
)
def test_the_structured_form_compiles_into_the_language(
    field: str, operator: str, value1: object, value2: object, text: str
) -> None:
    assert structured_condition(field, operator, value1, value2) == text
    compile_condition(text)


def test_the_structured_range_matches_between() -> None:
    condition = compile_condition(structured_condition("days_past_due", "..", 31, 60))
    assert [evaluate(condition, {"days_past_due": d}) for d in (30, 31, 60, 61)] == [False, True, True, False]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("balance", "=>", 5), "unknown operator '=>'; use one of = > < <> .. >= <="),
        (("balance", "..", 5), "operator '..' (within a range) needs value 2"),
        (("balance", ">", 5, 6), "value 2 is only used with the range operator '..'"),
        (("balanse", ">", 5), "unknown field 'balanse'; did you mean: balance?"),
        (("balance", ">", "lots"), "value 1 for balance must be an amount in dollars, not 'lots'"),
        (("days_past_due", ">", 1.5), "value 1 for days_past_due must be a whole number"),
        (("last_payment_date", "=", "March"), "must be a date (YYYY-MM-DD)"),
        (("on_payment_plan", ">", True), "'>' cannot order true/false values"),
        (("on_payment_plan", "=", "maybe"), "must be true or false"),
        (("balance", "..", 60, 31), "empty range"),
        (("balance", "=", None), "value 1 for balance is missing"),
    ],
)
def test_structured_form_errors_are_clear(args: tuple[object, ...], message: str) -> None:
    field, operator, value1, value2 = (*args, None)[:4]
    assert isinstance(field, str) and isinstance(operator, str)
    with pytest.raises(ConditionError) as caught:
        structured_condition(field, operator, value1, value2)
    assert message in str(caught.value)


# ----------------------------------------------------------------------------------------- property


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_literals_round_trip_through_cents(cents: int) -> None:
    dollars = Decimal(cents) / 100
    condition = compile_condition(f"balance = {dollars:f}")
    assert evaluate(condition, {"balance": cents})
    assert not evaluate(condition, {"balance": cents + 1})
    assert validate(parse(format_expr(condition.expr))) == condition.expr


# ------------------------------------------------------------------------------------ hostile text


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("NOT " * 1000 + "deceased", 401),  # the 101st NOT
        ("(" * 1000 + "deceased" + ")" * 1000, 101),  # the 101st parenthesis
        ("(" * 1000 + "balance > 5" + ")" * 1000, 101),
        ("(deceased AND (bankruptcy OR " * 60 + "disputed" + "))" * 60, 1),
    ],
)
def test_nesting_deeper_than_the_limit_is_an_error_with_a_position(text: str, column: int) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(text)
    assert f"nested more than {NESTING_LIMIT} levels deep" in str(caught.value)
    assert caught.value.line == 1
    if column > 1:
        assert caught.value.column == column


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert check("NOT " * NESTING_LIMIT + "deceased", deceased=True) is True  # an even number of NOT
    assert check("NOT " * (NESTING_LIMIT - 1) + "deceased", deceased=False) is True
    assert check("(" * NESTING_LIMIT + "deceased" + ")" * NESTING_LIMIT, deceased=True) is True


def test_validate_refuses_a_tree_built_deeper_than_the_limit() -> None:
    expr: Expr = Truth(FieldRef("deceased"))
    for _ in range(1000):
        expr = Not(expr)
    with pytest.raises(ConditionError, match="nested more than"):
        validate(expr)


@pytest.mark.parametrize(
    ("text", "literal", "message"),
    [
        ("balance > 100000000000000000000", "1000", "amounts must be between -$92,233,720,368,547,758.08 and"),
        ("balance > 92233720368547758.08", "9223", "value 92233720368547758.08 for balance is out of range"),
        ("balance < -92233720368547758.09", "-9223", "for balance is out of range"),
        ("balance IN (1, $99,999,999,999,999,999)", "$99", "value $99999999999999999 for balance is out of range"),
        ("days_past_due > 9223372036854775808", "9223", "whole numbers must be between -9,223,372,036,854,775,808"),
        ("open_claim_count BETWEEN 0 AND 1" + "0" * 40, "1000", "upper bound 1" + "0" * 40 + " for open_claim_count"),
        ("balance > 0.00000000000000000000000000000000001", "0.0", "has a fraction of a cent"),
    ],
)
def test_numbers_beyond_64_bits_are_refused_where_they_are_written(text: str, literal: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(text)
    assert message in str(caught.value)
    assert (caught.value.line, caught.value.column) == (1, text.index(literal) + 1)


def test_the_largest_64_bit_values_are_allowed() -> None:
    assert check("balance < 92233720368547758.07") is True
    assert check("balance > -92233720368547758.08") is True
    assert check("days_past_due < 9223372036854775807") is True


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("%a" * 170, "a" * 169 + "b", False),  # a regex of 170 `.*a` backtracks for ever on this
        ("%a" * 170 + "%", "a" * 170, True),
        ("%a%" * 170 + "b", "a" * 400, False),
        ("%_" * 200 + "x", "y" * 300, False),
        ("a%b", "ab", True),
        ("a%b", "a", False),
        ("a_%_c", "abxc", True),
        ("a_%_c", "abc", False),
        ("%", "", True),
        ("_", "", False),
        ("", "", True),
        ("%b%b", "bb", True),
        ("ab%ba", "aba", False),  # the first and last pieces may not overlap
        ("%x%", "line\nx\nbreak", True),  # % spans line breaks
    ],
)
def test_like_matches_in_linear_time(pattern: str, value: str, expected: bool) -> None:
    assert like_match(pattern, value) is expected
    condition = compile_condition("guarantor_last_name LIKE " + "'" + pattern.replace("'", "''") + "'")
    assert evaluate(condition, {"guarantor_last_name": value}) is expected


def test_an_error_in_a_very_long_line_quotes_only_the_part_around_it() -> None:
    text = "balance > 1 AND " * 250 + "balanse > 5" + " AND balance > 1" * 250
    message = errors_of(text)
    _, quoted, caret = message.splitlines()
    assert len(quoted.strip()) <= 80
    assert quoted[caret.index("^") :].startswith("balanse")
