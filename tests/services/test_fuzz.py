"""Fuzzing the ways in: whatever a file, a document, a condition or a template holds, Arrears either accepts
it or answers with problems in the one problem shape — never an exception, never a write on refusal, never
more than a bounded time and memory per case.

The imports and the configuration write for real, on SQLite and on PostgreSQL (the ``db`` fixture), so a
value one database stores and the other refuses is caught here. Each property is bounded in examples and
time per example (``FUZZ``) and in memory per example (:func:`bounded_memory`): the whole module stays well
under a minute.
"""

from __future__ import annotations

import csv
import io
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from arrears.domain.conditions import ConditionError, compile_condition
from arrears.domain.errors import Problem
from arrears.domain.strategy import LetterTemplate
from arrears.letters.render import template_problems
from arrears.services.accounts import create_portfolio
from arrears.services.config import apply_document
from arrears.services.config_document import ConfigError, DocumentError
from arrears.services.importing import COLUMNS, ImportKind, import_file
from arrears.store.db import Database
from arrears.store.models import AccountRow, ClaimRow, ConfigEntityRow, LedgerLineRow, PaymentPlanRow, PortfolioRow
from tests.examples import example_text

FUZZ = settings(
    max_examples=15,
    deadline=timedelta(seconds=10),  # a case of a loaded machine's slowest import; the render limit is 2 s
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same cases every run: a failure found here is found again
)
CASE_MEMORY = 1 << 30
"""The most address space one case may add, 1 GiB: a case that needs more fails (``MemoryError``, or the
worker dies when native code cannot allocate) instead of swapping the machine."""


def _address_space() -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmSize:"))
    return int(line.split()[1]) * 1024


@contextmanager
def bounded_memory(limit: int = CASE_MEMORY) -> Iterator[None]:
    """Run the block with at most ``limit`` more bytes of address space than the process holds now (every
    allocation counts, Python's and native libraries' alike); the earlier limit is restored after it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    bound = _address_space() + limit
    if hard != resource.RLIM_INFINITY:
        bound = min(bound, hard)
    resource.setrlimit(resource.RLIMIT_AS, (bound, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_the_memory_bound_stops_a_case_that_needs_more() -> None:
    with pytest.raises(MemoryError), bounded_memory(64 << 20):
        bytearray(256 << 20)
    assert len(bytearray(256 << 20)) == 256 << 20  # the earlier limit is back


TABLES = {
    ImportKind.ACCOUNTS: AccountRow,
    ImportKind.TRANSACTIONS: LedgerLineRow,
    ImportKind.CLAIMS: ClaimRow,
    ImportKind.PLANS: PaymentPlanRow,
}


def rows_of(db: Database) -> dict[ImportKind, int]:
    with db.session() as session:
        return {kind: session.scalar(select(func.count()).select_from(table)) or 0 for kind, table in TABLES.items()}


@pytest.fixture
def north(db: Database, tmp_path: Path) -> Database:
    """The NORTH portfolio and its accounts A-1 and A-2."""
    create_portfolio(db, "NORTH", "North Clinic")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("external_id,portfolio,last_name\nA-1,NORTH,Smith\nA-2,NORTH,Jones\n")
    assert import_file(db, ImportKind.ACCOUNTS, accounts).inserted == 2
    return db


def import_or_problems(db: Database, tmp_path: Path, kind: ImportKind, content: bytes) -> None:
    """Import ``content`` as a ``kind`` file: a refusal writes nothing and lists problems with row and rule."""
    path = tmp_path / f"fuzz-{kind.value}.csv"
    path.write_bytes(content)
    before = rows_of(db)
    with bounded_memory():
        report = import_file(db, kind, path, chunk_size=7)
    if report.ok:
        assert report.inserted + report.unchanged == report.rows
        assert rows_of(db)[kind] == before[kind] + report.inserted
        return
    assert rows_of(db) == before
    assert report.problems and report.problem_count >= len(report.problems)
    for problem in report.problems:
        shaped = problem.as_problem()
        assert isinstance(shaped, Problem) and shaped.rule and problem.row >= 1
        assert len(shaped.value) <= 80


KINDS = st.sampled_from(list(ImportKind))
CELL = st.one_of(
    st.sampled_from([
        "", "A-1", "A-2", "NORTH", "T-1", "charge", "payment", "adjustment", "reversal", "guarantor", "monthly",
        "100.00", "-5.00", "(5.00)", "(-5.00)", "$1,234.56", "1e3", "10000000.01", "100000000000000000000",
        "2026-01-05", "2026-02-30", "20260105", "2026-W01-1", "9999-12-31", "0000-01-01", "yes", "maybe",
        "x" * 300, "\x00", "\x1b[2J", "é", '"', ",", "\r\n",
    ]),
    st.text(max_size=20),
)  # fmt: skip


@st.composite
def csv_files(draw: Any) -> tuple[ImportKind, bytes]:
    """A file of a kind: its header (its own columns in any order, perhaps an unknown or a repeated one),
    then rows of cells that are often right and often wrong, of any width."""
    kind = draw(KINDS)
    names = [column.name for column in COLUMNS[kind]]
    header = draw(st.lists(st.sampled_from([*names, "bogus"]), min_size=1, max_size=len(names) + 1))
    required = [column.name for column in COLUMNS[kind] if column.required]
    if draw(st.booleans()):
        header = list(dict.fromkeys([*required, *header]))
    width = len(header)
    rows = draw(st.lists(st.lists(CELL, min_size=max(width - 1, 0), max_size=width + 1), max_size=8))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    return kind, text.getvalue().encode(encoding, errors="replace")


@FUZZ
@given(file=csv_files())
def test_any_csv_shaped_file_imports_or_is_refused_with_problems(
    north: Database, tmp_path: Path, file: tuple[ImportKind, bytes]
) -> None:
    kind, content = file
    import_or_problems(north, tmp_path, kind, content)


@FUZZ
@given(kind=KINDS, noise=st.binary(max_size=600))
def test_any_bytes_after_a_header_import_or_are_refused_with_problems(
    north: Database, tmp_path: Path, kind: ImportKind, noise: bytes
) -> None:
    header = ",".join(column.name for column in COLUMNS[kind]).encode()
    import_or_problems(north, tmp_path, kind, header + b"\n" + noise)
    import_or_problems(north, tmp_path, kind, noise)  # no header at all


# ---------------------------------------------------------------------------------------- the configuration

EXAMPLE = yaml.safe_load(example_text())  # its letters written inline
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["x" * 61, "y" * 101, "z" * 201, "\x00", "é" * 40]))
AMOUNT = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25),
    st.sampled_from(["$10,000,000.01", "1e30", "(-5.00)", "25.00", "", "NaN"]),
    st.floats(allow_nan=True),
)


@st.composite
def changed_examples(draw: Any) -> str:
    """The example strategy with a collector code, a letter's code, subject and body, an amount and a
    condition replaced by arbitrary values."""
    document = yaml.safe_load(yaml.safe_dump(EXAMPLE))
    collectors = document.get("collectors") or []
    if collectors:
        collectors[0]["code"] = draw(TEXT)
    letters = document.get("letters") or []
    if letters:
        letter = letters[draw(st.integers(0, len(letters) - 1))]
        letter["code"] = draw(st.one_of(st.just(letter["code"]), TEXT))
        letter["subject"] = draw(st.one_of(st.just(letter.get("subject", "")), st.text(max_size=30)))
        letter["body"] = draw(st.one_of(st.just(letter.get("body", "")), TEMPLATE_TEXT))
    policy = document.get("entry_policy") or {}
    enterprise = policy.get("enterprise") or {}
    if enterprise:
        enterprise["balance_over"] = draw(AMOUNT)
    actions = document.get("actions") or []
    if actions:
        action = actions[draw(st.integers(0, len(actions) - 1))]
        action.setdefault("params", {})
        action["params"]["condition"] = draw(CONDITION_TEXT)
    return yaml.safe_dump(document, allow_unicode=True)


def apply_or_problems(db: Database, text: str) -> None:
    """Apply ``text`` dry, then for real: both agree; a refusal lists problems and writes nothing."""
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(ConfigEntityRow))
    with bounded_memory():
        dry = apply_document(db, text, "fuzz.yaml", dry_run=True, confirm=True)
        result = apply_document(db, text, "fuzz.yaml", confirm=True)
    assert bool(dry.errors) == bool(result.errors)
    if result.errors:
        assert all(isinstance(error, DocumentError | ConfigError) and error.rule for error in result.errors)
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(ConfigEntityRow)) == before


CONDITION_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from([
            "balance", ">", "$500", "and", "or", "not", "(", ")", "days_past_due", ">=", "30", "'x'", "like",
            "in", "[", "]", ",", "2026-01-05", "is", "null", "state", "=", "'TX'", "$" + "9" * 30, "((((((",
        ]),
        max_size=30,
    ).map(" ".join),
)  # fmt: skip
TEMPLATE_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from([
            "{{", "}}", "{%", "%}", "party.first_name", "account.balance", "party.frist_name", "|money", "|upper",
            "macro m()", "m()", "endmacro", "for i in range(10**9)", "endfor", "'a' * 100000000", "1/0",
            "include 'x'", "import 'y' as z", "extends 'base'", "if", "endif", "x.__class__", "9**9**9", "Dear ",
        ]),
        max_size=25,
    ).map(" ".join),
)  # fmt: skip


@settings(FUZZ, max_examples=8)
@given(text=changed_examples())
def test_the_example_strategy_with_arbitrary_values_applies_or_gives_problems(north: Database, text: str) -> None:
    create_portfolio_once(north)
    apply_or_problems(north, text)


@FUZZ
@given(
    document=st.dictionaries(
        st.sampled_from(["collectors", "groups", "letters", "actions", "series", "entry_policy", "migrations"]),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.dates()),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
            max_leaves=10,
        ),
        max_size=4,
    )
)
def test_any_yaml_shaped_document_applies_or_gives_problems(north: Database, document: dict[str, Any]) -> None:
    apply_or_problems(north, yaml.safe_dump(document, allow_unicode=True))


def create_portfolio_once(db: Database) -> None:
    """The example strategy's portfolios (the first example of a test creates them)."""
    with db.session() as session:
        known = set(session.scalars(select(PortfolioRow.code)))
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        if code not in known:
            create_portfolio(db, code, code.title())


# ------------------------------------------------------------------------------ conditions and templates


@settings(max_examples=300, deadline=timedelta(seconds=2), derandomize=True)
@given(text=CONDITION_TEXT)
def test_any_text_is_a_condition_or_problems_with_their_position(text: str) -> None:
    try:
        with bounded_memory():
            compile_condition(text)
    except ConditionError as error:
        assert error.issues
        for issue in error.issues:
            problem = issue.as_problem(text)
            assert problem.rule and problem.location


@settings(max_examples=150, deadline=timedelta(seconds=10), derandomize=True)
@given(subject=st.text(max_size=20), body=TEMPLATE_TEXT)
def test_any_template_text_is_saved_or_refused_with_problems(subject: str, body: str) -> None:
    with bounded_memory():
        problems = template_problems(LetterTemplate("FUZZ", "Fuzz", subject=subject, body=body))
    assert all(isinstance(problem, ConfigError) and problem.rule and problem.path for problem in problems)
