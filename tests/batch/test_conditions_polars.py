"""Vectorized conditions: a compiled condition evaluated by Polars agrees with the single-account evaluation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.batch.conditions import CONDITION_COLUMN, evaluate_frame, polars_schema, to_polars
from arrears.domain.conditions import compile_condition, evaluate
from arrears.domain.fields import FieldType

SCHEMA = polars_schema()


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A features frame with the catalogue's schema; absent fields are null."""
    return pl.DataFrame([{name: row.get(name) for name in SCHEMA} for row in rows], schema=SCHEMA)


def vectorized(text: str, rows: list[dict[str, Any]]) -> list[bool]:
    return evaluate_frame(compile_condition(text), frame(rows)).to_list()


def one_by_one(text: str, rows: list[dict[str, Any]]) -> list[bool]:
    condition = compile_condition(text)
    return [evaluate(condition, row) for row in rows]


ACCOUNTS: list[dict[str, Any]] = [
    {"balance": 123457, "days_past_due": 31, "on_payment_plan": False, "portfolio": "NORTH"},
    {"balance": 123456, "days_past_due": 60, "on_payment_plan": True, "portfolio": "SOUTH"},
    {"balance": None, "days_past_due": 61, "on_payment_plan": None, "portfolio": None},
    {"balance": 500000, "days_past_due": 30, "on_payment_plan": False, "guarantor_last_name": "O'Brien"},
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("balance > $1,234.56", [True, False, False, True]),
        ("days_past_due BETWEEN 31 AND 60", [True, True, False, False]),
        ("days_past_due NOT BETWEEN 31 AND 60", [False, False, True, True]),
        ("NOT on_payment_plan", [True, False, True, True]),
        ("on_payment_plan", [False, True, False, False]),
        ("portfolio IN ('NORTH', 'SOUTH')", [True, True, False, False]),
        ("portfolio NOT IN ('NORTH')", [False, True, False, False]),
        ("balance IS NULL", [False, False, True, False]),
        ("NOT (balance > 5)", [False, False, True, False]),
        ("guarantor_last_name LIKE 'O''%'", [False, False, False, True]),
        ("TRUE", [True, True, True, True]),
        ("FALSE OR days_past_due = 30", [False, False, False, True]),
    ],
)
def test_vectorized_results(text: str, expected: list[bool]) -> None:
    assert vectorized(text, ACCOUNTS) == expected
    assert one_by_one(text, ACCOUNTS) == expected


def test_the_expression_filters_and_adds_a_column_without_touching_the_others() -> None:
    condition = compile_condition("balance > 1000")
    accounts = frame(ACCOUNTS)
    assert accounts.filter(to_polars(condition)).height == 3
    with_flag = accounts.with_columns(to_polars(condition))
    assert with_flag[CONDITION_COLUMN].dtype == pl.Boolean
    assert with_flag["balance"].to_list() == accounts["balance"].to_list()
    assert with_flag[CONDITION_COLUMN].null_count() == 0


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="reads days_past_due, which the frame does not have"):
        evaluate_frame(compile_condition("days_past_due > 3"), pl.DataFrame({"balance": [1]}))


# ------------------------------------------------------------------------------------------- property

TEXTS = ["NORTH", "SOUTH", "A", "M", "Miller", "O'Brien", "", "a.b", "(x)", "50%", "a_b", "TX", "JD", "line\nbreak"]
START = date(2025, 10, 1)


def value_of(kind: FieldType) -> st.SearchStrategy[Any]:
    values: st.SearchStrategy[Any]
    if kind == "money":
        values = st.integers(min_value=-2_000, max_value=200_000) | st.sampled_from([0, 50_000, 123_456, 123_457])
    elif kind == "int":
        values = st.integers(min_value=0, max_value=120)
    elif kind == "date":
        values = st.integers(min_value=0, max_value=200).map(lambda days: START + timedelta(days=days))
    elif kind == "bool":
        values = st.booleans()
    else:
        values = st.sampled_from(TEXTS) | st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=4)
    return st.none() | values


def rows_for(text: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Accounts with random values (None included) for the fields ``text`` reads; the others are null."""
    fields = compile_condition(text).fields
    row = st.fixed_dictionaries({f.name: value_of(f.type) for f in fields})
    return st.lists(row, min_size=1, max_size=25)


PREDICATES = [
    "balance > 500",
    "balance >= $1,234.57",
    "balance < 0",
    "balance <> $0",
    "balance = 123456",
    "balance > insurance_balance",
    "last_payment_amount <= balance",
    "days_past_due BETWEEN 31 AND 60",
    "days_past_due NOT BETWEEN 31 AND 60",
    "days_past_due BETWEEN days_in_collections AND 90",
    "days_past_due NOT BETWEEN open_claim_count AND oldest_claim_age_days",
    "days_since_last_payment IN (0, 7, 30)",
    "days_since_last_payment NOT IN (0, 7, 30)",
    "oldest_unpaid_due_date < DATE '2026-01-01'",
    "last_payment_date = '2025-12-31'",
    "last_payment_date BETWEEN '2025-11-01' AND '2026-01-31'",
    "oldest_unpaid_due_date IN (DATE '2025-10-01', DATE '2026-01-01')",
    "on_payment_plan",
    "payment_plan_delinquent = FALSE",
    "deceased <> TRUE",
    "portfolio = 'NORTH'",
    "portfolio IN ('NORTH', 'SOUTH', '')",
    "guarantor_last_name BETWEEN 'A' AND 'M'",
    "guarantor_last_name > 'Miller'",
    "guarantor_last_name LIKE 'O''%'",
    "guarantor_last_name LIKE '%.%'",
    "guarantor_last_name NOT LIKE '_'",
    "collector LIKE '%(%'",
    "status_code LIKE '%\\%'",
    "mode LIKE '%'",
    "guarantor_state = collector",
    "last_payment_date IS NULL",
    "collector IS NOT NULL",
    "TRUE",
    "FALSE",
]

CONDITIONS = st.recursive(
    st.sampled_from(PREDICATES),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} AND {pair[1]})"),
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]} OR {pair[1]})"),
        inner.map(lambda text: f"NOT {text}"),
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(text=CONDITIONS, data=st.data())
def test_polars_agrees_with_single_account_evaluation(text: str, data: st.DataObject) -> None:
    rows = data.draw(rows_for(text))
    assert vectorized(text, rows) == one_by_one(text, rows)


@pytest.mark.parametrize("text", PREDICATES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_each_predicate_agrees_with_single_account_evaluation(text: str, data: st.DataObject) -> None:
    rows = data.draw(rows_for(text))
    condition, negated = compile_condition(text), compile_condition(f"NOT ({text})")
    results = frame(rows).select(to_polars(condition), to_polars(negated).alias("negated"))
    assert results[CONDITION_COLUMN].to_list() == [evaluate(condition, row) for row in rows]
    assert results["negated"].to_list() == [evaluate(negated, row) for row in rows]


def test_a_range_with_a_missing_bound_is_false_either_way() -> None:
    rows = [{"days_past_due": days, "open_claim_count": 5, "oldest_claim_age_days": None} for days in (1, 5, 100)]
    for text in (
        "days_past_due BETWEEN open_claim_count AND oldest_claim_age_days",
        "days_past_due NOT BETWEEN open_claim_count AND oldest_claim_age_days",
    ):
        assert vectorized(text, rows) == one_by_one(text, rows) == [False, False, False]


# ---------------------------------------------------------------------------------------------- scale


def test_a_million_accounts_in_one_expression() -> None:
    n = 1_000_000
    index = pl.int_range(0, n, eager=True)
    accounts = pl.DataFrame(
        {
            "balance": (index * 37) % 250_000,  # cents
            "days_past_due": index % 120,
            "on_payment_plan": index % 7 == 0,
        }
    ).with_columns(pl.when(pl.col("balance") % 1000 == 0).then(None).otherwise(pl.col("balance")).alias("balance"))
    condition = compile_condition("balance > 500 AND days_past_due BETWEEN 31 AND 60 AND NOT on_payment_plan")
    result = evaluate_frame(condition, accounts)
    expected = (
        accounts.select(
            (
                pl.col("balance").is_not_null()
                & (pl.col("balance") > 50_000)
                & (pl.col("days_past_due") >= 31)
                & (pl.col("days_past_due") <= 60)
                & ~pl.col("on_payment_plan")
            ).fill_null(False)
        )
        .to_series()
        .sum()
    )
    assert result.len() == n
    assert result.null_count() == 0
    assert 0 < result.sum() == expected


# ------------------------------------------------------------------------------------ hostile text


def _json_depth(expr: pl.Expr) -> int:
    """How deeply the serialized Polars expression nests (brackets counted; strings hold none here)."""
    depth = deepest = 0
    for char in expr.meta.serialize(format="json"):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@pytest.mark.parametrize("joiner", [" AND ", " OR "])
def test_a_chain_of_two_thousand_terms_compiles_to_one_shallow_expression(joiner: str) -> None:
    text = joiner.join(f"days_past_due <> {n}" for n in range(2000))
    condition = compile_condition(text)
    assert _json_depth(to_polars(condition)) < 50  # a chain of binary & nests 2,000 deep
    rows = [{"days_past_due": days} for days in (5, 1999, 2000, None)]
    expected = [False, False, True, False] if joiner == " AND " else [True, True, True, False]
    assert evaluate_frame(condition, frame(rows)).to_list() == expected
    assert [evaluate(condition, row) for row in rows] == expected


def test_the_largest_64_bit_values_compile_to_polars() -> None:
    rows = [{"balance": 2**63 - 1, "days_past_due": -(2**63)}, {"balance": 0, "days_past_due": 0}]
    text = "balance >= $92,233,720,368,547,758.07 OR days_past_due <= -9223372036854775808"
    assert vectorized(text, rows) == one_by_one(text, rows) == [True, False]


LIKE_ALPHABET = st.sampled_from(["a", "b", "%", "_", "'", ".", "*", "\\", "(", "[", "$", "^", "\n", "é", "ß", "😀"])


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.text(alphabet=LIKE_ALPHABET, max_size=12),
    names=st.lists(st.none() | st.text(alphabet=LIKE_ALPHABET, max_size=12), min_size=1, max_size=10),
)
def test_like_agrees_with_polars_on_random_patterns_and_values(pattern: str, names: list[str | None]) -> None:
    text = "guarantor_last_name LIKE '" + pattern.replace("'", "''") + "'"
    rows = [{"guarantor_last_name": name} for name in names]
    assert vectorized(text, rows) == one_by_one(text, rows)
    assert vectorized(f"NOT ({text})", rows) == one_by_one(f"NOT ({text})", rows)
