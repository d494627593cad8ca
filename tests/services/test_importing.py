"""Importing CSV files: a bad file is rejected whole with every problem; a good one lands exactly once.

Each test writes a small file, imports it and checks the report and the stored rows, on SQLite and PostgreSQL.
"""

import csv
import random
import re
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from arrears.domain.errors import clip
from arrears.domain.ledger import (
    Entry,
    Kind,
    LedgerLine,
    Source,
    entry_problems,
    position,
    position_lines,
    summarize,
    summarize_lines,
)
from arrears.domain.money import AmountLimit, Money, MoneyError
from arrears.services import importing
from arrears.services.accounts import create_portfolio, set_portfolio_maximum
from arrears.services.importing import _WHITESPACE, Conflict, ImportKind, RowProblem, import_file
from arrears.store.db import Database
from arrears.store.models import (
    AccountRow,
    AccountSummaryRow,
    ClaimRow,
    LedgerLineRow,
    PartyRow,
    PaymentPlanRow,
    PhoneRow,
)
from tests.notation import d

ACCOUNTS = """\
external_id,portfolio,first_name,last_name,city,state,time_zone,phone,phone_type,opened
A-1,NORTH,Ann,Smith,Dayton,OH,America/New_York,555-0100,mobile,2025-12-01
A-2,NORTH,Bob,Jones,Austin,TX,America/Chicago,,,2025-12-02
"""

TRANSACTIONS = """\
external_id,account,kind,amount,posted,due,service,source,reverses,description
T-1,A-1,charge,100.00,2026-01-05,2026-02-04,,,,visit
T-2,A-1,charge,50.00,2026-01-20,2026-02-19,,,,visit
T-3,A-1,payment,100.00,2026-02-10,,,guarantor,,check
T-4,A-2,charge,"$1,234.56",2026-01-10,2026-02-09,,,,surgery
T-5,A-2,payment,34.56,2026-02-01,,,insurance,,EOB
T-6,A-1,reversal,100.00,2026-02-20,,,,T-3,NSF
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def balances(db: Database) -> dict[str, tuple[int, object]]:
    with db.session() as session:
        rows = session.execute(
            select(AccountRow.external_id, AccountSummaryRow.balance_cents, AccountSummaryRow.oldest_unpaid_due)
            .join(AccountSummaryRow, AccountSummaryRow.account_id == AccountRow.id)
            .order_by(AccountRow.external_id)
        )
        return {ext: (balance, due) for ext, balance, due in rows}


def with_accounts(db: Database, tmp_path: Path) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    report = import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "accounts.csv", ACCOUNTS))
    assert (report.ok, report.inserted) == (True, 2)


def test_accounts_import_then_reimport_is_a_no_op(db: Database, tmp_path: Path) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    path = write(tmp_path, "accounts.csv", ACCOUNTS)
    report = import_file(db, "accounts", path)
    assert (report.rows, report.inserted, report.unchanged, report.problems) == (2, 2, 0, [])
    assert (count(db, AccountRow), count(db, PartyRow), count(db, PhoneRow), count(db, AccountSummaryRow)) == (
        2,
        2,
        1,
        2,
    )
    again = import_file(db, "accounts", path)
    assert (again.inserted, again.unchanged, again.conflicts) == (0, 2, [])
    assert (count(db, AccountRow), count(db, PartyRow), count(db, PhoneRow)) == (2, 2, 1)
    assert balances(db) == {"A-1": (0, None), "A-2": (0, None)}


def test_a_bad_accounts_file_reports_every_problem_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    create_portfolio(db, "NORTH", "North Clinic")
    path = write(
        tmp_path,
        "accounts.csv",
        """\
external_id,portfolio,first_name,last_name,time_zone,opened
A-1,NORTH,Ann,Smith,America/New_York,2025-12-01
A-2,SOUTH,Bob,Jones,America/Chicago,2025-12-02
A-3,NORTH,Cy,,Mars/Olympus,2025-13-01
A-1,NORTH,Ann,Smith,America/New_York,2025-12-01
""",
    )
    report = import_file(db, ImportKind.ACCOUNTS, path)
    assert not report.ok
    assert report.problems == [
        RowProblem(3, "portfolio", "SOUTH", "is not a known portfolio"),
        RowProblem(4, "opened", "2025-13-01", "is not a date (YYYY-MM-DD)"),
        RowProblem(4, "last_name", "", "is required"),
        RowProblem(4, "time_zone", "Mars/Olympus", "must be an IANA time zone such as America/Chicago"),
        RowProblem(5, "external_id", "A-1", "appears more than once in the file (first at row 2)"),
    ]
    assert (report.inserted, count(db, AccountRow), count(db, PartyRow)) == (0, 0, 0)


def test_a_missing_required_column_is_reported_on_the_header(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "external_id,account,kind,posted,colour\nT-1,A-1,fee,2026-01-01,red\n")
    report = import_file(db, ImportKind.TRANSACTIONS, path)
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (1, "amount", "is a required column and is missing"),
        (
            1,
            "colour",
            "is not a column of this file (known: external_id, account, kind, amount, posted, due, "
            "service, source, reverses, description)",
        ),
    ]
    assert count(db, LedgerLineRow) == 0


def test_transactions_land_with_exact_balances_and_reimport_changes_nothing(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    path = write(tmp_path, "transactions.csv", TRANSACTIONS)
    report = import_file(db, ImportKind.TRANSACTIONS, path)
    assert (report.ok, report.rows, report.inserted, report.unchanged, report.accounts_refreshed) == (
        True,
        6,
        6,
        0,
        2,
    )
    # 100 + 50 - 100 (paid the oldest) + 100 (NSF re-opens it) = 150, oldest unpaid due back to 2026-02-04.
    assert balances(db) == {"A-1": (15000, d("2026-02-04")), "A-2": (120000, d("2026-02-09"))}
    again = import_file(db, ImportKind.TRANSACTIONS, path)
    assert (again.inserted, again.unchanged, again.conflicts, again.accounts_refreshed) == (0, 6, [], 0)
    assert count(db, LedgerLineRow) == 6
    assert balances(db) == {"A-1": (15000, d("2026-02-04")), "A-2": (120000, d("2026-02-09"))}


def test_an_overpayment_imports_as_a_credit_balance_and_a_refund_pays_it_back(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    overpaid = """\
external_id,account,kind,amount,posted,due,source,description
O-1,A-1,charge,100.00,2026-01-05,2026-02-04,,visit
O-2,A-1,payment,125.00,2026-02-10,,guarantor,card
O-3,A-2,charge,80.00,2026-01-05,2026-02-04,,visit
O-4,A-2,payment,100.00,2026-02-10,,guarantor,card
"""
    assert import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "o.csv", overpaid)).ok
    assert balances(db) == {"A-1": (-2500, None), "A-2": (-2000, None)}  # credit balances: nothing owed
    refunds = "external_id,account,kind,amount,posted,description\nR-1,A-1,refund,25.00,2026-02-15,check 1001\n" \
              "R-2,A-2,refund,-5.00,2026-02-15,typo\n"  # fmt: skip
    rejected = import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "r.csv", refunds))
    assert [(p.row, p.column, p.rule) for p in rejected.problems] == [
        (3, "amount", "a refund amount must be greater than zero")
    ]
    assert import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "r.csv", refunds.replace("-5.00", "5.00"))).ok
    assert balances(db) == {"A-1": (0, None), "A-2": (-1500, None)}


def test_a_refund_beyond_the_credit_balance_is_reported_with_its_row_and_nothing_is_imported(
    db: Database, tmp_path: Path
) -> None:
    with_accounts(db, tmp_path)
    # A-1 is overpaid by $25.00 in this very file; A-2's credit of $20.00 is refunded $30.00
    text = """\
external_id,account,kind,amount,posted,due,source,description
O-1,A-1,charge,100.00,2026-01-05,2026-02-04,,visit
O-2,A-1,payment,125.00,2026-02-10,,guarantor,card
R-1,A-1,refund,25.00,2026-02-15,,,check 1001
O-3,A-2,charge,80.00,2026-01-05,2026-02-04,,visit
O-4,A-2,payment,100.00,2026-02-10,,guarantor,card
R-2,A-2,refund,30.00,2026-02-15,,,check 1002
R-3,A-1,refund,5.00,2026-02-09,,,before the payment
"""
    path = write(tmp_path, "refunds.csv", text)
    for dry_run in (True, False):
        report = import_file(db, ImportKind.TRANSACTIONS, path, dry_run=dry_run)
        assert [(p.row, p.column, p.value, p.rule) for p in report.problems] == [
            (7, "amount", "30.00", "a refund must not be more than the account's credit balance on 2026-02-15 "
                                   "($20.00): it pays back an overpayment"),
            (8, "amount", "5.00", "a refund must not be more than the account's credit balance on 2026-02-09 "
                                  "($0.00): it pays back an overpayment"),
        ]  # fmt: skip
    assert count(db, LedgerLineRow) == 0
    fixed = write(tmp_path, "fixed.csv", text.replace("refund,30.00", "refund,20.00").replace(
        "R-3,A-1,refund,5.00,2026-02-09,,,before the payment\n", ""))  # fmt: skip
    assert import_file(db, ImportKind.TRANSACTIONS, fixed).ok
    assert balances(db) == {"A-1": (0, None), "A-2": (0, None)}
    again = import_file(db, ImportKind.TRANSACTIONS, fixed)  # the refunds are stored: not checked again
    assert again.ok and again.unchanged == 6


def test_a_changed_row_is_a_conflict_and_is_not_overwritten(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "t.csv", TRANSACTIONS))
    changed = TRANSACTIONS.replace("T-2,A-1,charge,50.00", "T-2,A-1,charge,55.00") + (
        "T-7,A-2,fee,25.00,2026-02-15,,,,,late fee\n"
    )
    report = import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "t2.csv", changed))
    assert (report.inserted, report.unchanged, report.conflicts) == (1, 6, [Conflict(3, "T-2", ("amount",))])
    assert balances(db) == {"A-1": (15000, d("2026-02-04")), "A-2": (122500, d("2026-02-09"))}


def test_a_bad_transactions_file_is_rejected_whole(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    path = write(
        tmp_path,
        "transactions.csv",
        """\
external_id,account,kind,amount,posted,due,source,reverses
T-1,A-1,charge,100.00,2026-01-05,2026-02-04,,
T-2,A-1,charge,12.345,2026-01-06,2026-02-05,,
T-3,A-9,fee,5.00,2026-01-07,,,
T-4,A-1,rebate,5.00,2026-01-07,,,
T-5,A-1,payment,5.00,01/08/2026,,guarantor,
T-1,A-1,fee,5.00,2026-01-09,,,
T-6,A-1,charge,5.00,2026-01-09,,,
T-7,A-1,reversal,5.00,2026-01-09,,,T-99
T-8,A-1,payment,20.00,2026-01-10,,guarantor,
T-9,A-1,reversal,25.00,2026-01-11,,,T-8
T-10,A-2,reversal,20.00,2026-01-12,,,T-8
""",
    )
    report = import_file(db, ImportKind.TRANSACTIONS, path)
    assert [(p.row, p.column, p.value, p.rule) for p in report.problems] == [
        (3, "amount", "12.345", "is not an amount (e.g. 12.50 or $1,234.56)"),
        (4, "account", "A-9", "is not a known account"),
        (
            5,
            "kind",
            "rebate",
            "must be one of charge, payment, adjustment, fee, penalty, deposit, write_off, reversal, refund",
        ),
        (6, "posted", "01/08/2026", "is not a date (YYYY-MM-DD)"),
        (7, "external_id", "T-1", "appears more than once in the file (first at row 2)"),
        (8, "due", "", "a charge needs a due date"),
        (9, "reverses", "T-99", "is not a payment in this file or in the database"),
        (11, "amount", "25.00", "a reversal must equal the payment it reverses (20.00)"),
        (12, "reverses", "T-8", "is a payment of account A-1, not of A-2"),
        (12, "reverses", "T-8", "the payment is already reversed at row 11"),
    ]
    assert (report.problem_count, report.inserted) == (10, 0)
    assert count(db, LedgerLineRow) == 0
    assert balances(db) == {"A-1": (0, None), "A-2": (0, None)}


def test_a_reversal_may_name_a_payment_already_stored(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    first = TRANSACTIONS.splitlines(keepends=True)[:4]  # charges and the payment T-3
    import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "a.csv", "".join(first)))
    assert balances(db)["A-1"] == (5000, d("2026-02-19"))
    nsf = "external_id,account,kind,amount,posted,reverses\nT-6,A-1,reversal,100.00,2026-02-20,T-3\n"
    report = import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "b.csv", nsf))
    assert (report.ok, report.inserted) == (True, 1)
    assert balances(db)["A-1"] == (15000, d("2026-02-04"))
    twice = nsf.replace("T-6,", "T-7,")
    report = import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "c.csv", twice))
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (2, "reverses", "the payment is already reversed (by T-6)")
    ]


def test_dry_run_validates_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    report = import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "t.csv", TRANSACTIONS), dry_run=True)
    assert (report.ok, report.rows, report.inserted) == (True, 6, 0)
    assert count(db, LedgerLineRow) == 0


def test_claims_and_plans_import_and_refresh_the_summaries(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "t.csv", TRANSACTIONS))
    claims = """\
external_id,account,payer,billed,amount,paid,status
C-1,A-2,Acme Health,2026-01-12,1234.56,34.56,open
C-2,A-1,Acme Health,2026-01-06,100.00,,denied
"""
    report = import_file(db, ImportKind.CLAIMS, write(tmp_path, "claims.csv", claims))
    assert (report.ok, report.inserted) == (True, 2)
    plans = """\
external_id,account,installment,frequency,first_due,grace_days,installments
P-1,A-1,50.00,monthly,2026-03-01,10,3
"""
    report = import_file(db, ImportKind.PLANS, write(tmp_path, "plans.csv", plans))
    assert (report.ok, report.inserted) == (True, 1)
    with db.session() as session:
        rows = session.execute(
            select(
                AccountRow.external_id,
                AccountSummaryRow.insurance_balance_cents,
                AccountSummaryRow.on_payment_plan,
                AccountSummaryRow.plan_next_unpaid_due,
            )
            .join(AccountSummaryRow, AccountSummaryRow.account_id == AccountRow.id)
            .order_by(AccountRow.external_id)
        ).all()
    assert [tuple(row) for row in rows] == [("A-1", 0, True, d("2026-03-01")), ("A-2", 120000, False, None)]
    assert (count(db, ClaimRow), count(db, PaymentPlanRow)) == (2, 1)
    bad = "external_id,account,payer,billed,amount,paid\nC-3,A-1,,2026-01-06,10.00,20.00\n"
    report = import_file(db, ImportKind.CLAIMS, write(tmp_path, "bad.csv", bad))
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (2, "payer", "is required"),
        (2, "paid", "cannot exceed the billed amount"),
    ]


def test_rows_are_numbered_as_in_the_file_and_short_rows_are_reported(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    path = write(
        tmp_path,
        "t.csv",
        """\
external_id,account,kind,amount,posted,description
T-1,A-1,fee,5.00,2026-01-05,"two
lines"

T-2,A-1,fee,5.00
T-3,A-1,fee,-5.00,2026-01-05,x
""",
    )
    report = import_file(db, ImportKind.TRANSACTIONS, path, chunk_size=1)
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (5, "", "has 4 fields; the header has 6"),
        (6, "amount", "a fee amount must be greater than zero"),
    ]


def test_rows_keep_their_numbers_across_blocks_crlf_blank_lines_and_quotes(db: Database, tmp_path: Path) -> None:
    with_accounts(db, tmp_path)
    lines = [
        "external_id,account,kind,amount,posted,description",
        "T-1,A-1,fee,5.00,2026-01-05,a",
        "",
        "T-2,A-1,fee,5.00",
        "T-3,A-1,fee,-5.00,2026-01-05,x",
        "T-4,A-1,fee,5.00,2026-01-05,x,extra",
        *(f"T-{n},A-2,fee,1.00,2026-01-06,late" for n in range(5, 40)),
        'T-40,A-1,charge,"$1,000.00",2026-01-07,"two',
        'lines"',
        "T-41,A-1,fee,0,2026-01-08,z",
    ]
    path = tmp_path / "t.csv"
    path.write_bytes("\r\n".join(lines).encode() + b"\r\n")
    report = import_file(db, ImportKind.TRANSACTIONS, path, chunk_size=1)  # blocks of 512 bytes
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (4, "", "has 4 fields; the header has 6"),
        (5, "amount", "a fee amount must be greater than zero"),
        (6, "", "has 7 fields; the header has 6"),
        (42, "due", "a charge needs a due date"),
        (44, "amount", "a fee amount must be greater than zero"),
    ]
    assert report.rows == 41


def test_whitespace_is_what_str_strip_removes() -> None:
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == _WHITESPACE


# ------------------------------------------------------------------ the vectorized rules = the row-by-row rules

KIND_TEXTS = [*(kind.value for kind in Kind if kind is not Kind.REVERSAL), "Charge", " fee ", "rebate", ""]
AMOUNTS = [
    *("12.50", "-3", "0", "0.00", "-0.01", "7.5", "12.345", "abc", "", " 12.00", "(5.00)", "+4", "1,000.00"),
    *("(-5.00)", "-$-5", "100000000000000000.00", "10000000.01", "10000000.00", "-10000000.00", "$10,000,000.01"),
    *("1000000000.00", "1000000000.01", "-1000000000.01", "100.00", "100.01"),
]
DAYS = [
    *("2026-01-05", "2026-02-03", "2026-02-30", "20260107", "01/05/2026", "", " 2026-01-06", "0000-01-01", "2026-1-5"),
    *("2026-W01-1", "9999-12-31", "1899-12-31", "1900-01-01", "2031-03-01", "2031-03-02"),
]
TODAY = date(2026, 3, 1)
"""The import's today in these tests: dates up to 2031-03-01 are accepted."""
SOURCES = ["", "", "guarantor", "insurance", "Insurance", " guarantor", "cash"]


def reference_problems(
    rows: Sequence[Sequence[str]], accounts: set[str], amount_limit: AmountLimit, numbers: Sequence[int] | None = None
) -> list[tuple[int, str, str, str]]:
    """The rules read row by row, the plain way: strip, parse, then the domain's ``entry_problems``; every
    account in ``accounts`` takes amounts up to ``amount_limit``; rows are numbered from 2 (or by ``numbers``,
    the lines they start on)."""
    found: list[tuple[int, str, str, str]] = []
    seen: dict[str, int] = {}
    kinds = {kind.value: kind for kind in Kind}
    for number, cells in zip(numbers or range(2, len(rows) + 2), rows, strict=True):
        ext, account, kind_text, amount_text, posted_text, due_text, service_text, source_text, reverses, text = (
            cell.strip() for cell in cells
        )
        problems: list[tuple[str, str, str]] = []
        for name, value, limit in (("external_id", ext, 64), ("account", account, 64)):
            if len(value) > limit:
                problems.append((name, value, f"is longer than {limit} characters"))
            if not value:
                problems.append((name, "", "is required"))
        kind = kinds.get(kind_text.lower())
        if kind is None:
            problems.append(("kind", kind_text, f"must be one of {', '.join(kinds)}"))
        amount = None
        if not amount_text:
            problems.append(("amount", "", "is required"))
        else:
            try:
                amount = Money.parse(amount_text).cents
            except MoneyError:
                problems.append(("amount", amount_text, "is not an amount (e.g. 12.50 or $1,234.56)"))
            if amount is not None and abs(amount) > 100_000_000_000:
                problems.append(
                    ("amount", amount_text, "must be at most $1,000,000,000.00 (the largest amount Arrears accepts)")
                )
                amount = None
        days: dict[str, date | None] = {}
        for name, value in (("posted", posted_text), ("due", due_text), ("service", service_text)):
            days[name] = None
            if not value:
                if name == "posted":
                    problems.append((name, "", "is required"))
                continue
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
                problems.append((name, value, "is not a date (YYYY-MM-DD)"))
                continue
            try:
                day = date.fromisoformat(value)
            except ValueError:
                problems.append((name, value, "is not a date (YYYY-MM-DD)"))
                continue
            if day < date(1900, 1, 1):
                problems.append((name, value, "must not be before 1900-01-01"))
            elif day > date(2031, 3, 1):
                problems.append((name, value, "must not be after 2031-03-01 (5 years from today)"))
            else:
                days[name] = day
        source = None
        if source_text:
            source = Source(source_text.lower()) if source_text.lower() in ("guarantor", "insurance") else None
            if source is None:
                problems.append(("source", source_text, "must be guarantor or insurance"))
        if len(reverses) > 64:
            problems.append(("reverses", reverses, "is longer than 64 characters"))
        if len(text) > 200:
            problems.append(("description", text, "is longer than 200 characters"))
        posted = days["posted"]
        if kind is not None and amount is not None and posted is not None:
            entry = Entry(0, kind, amount, posted, days["due"], days["service"], source, 0 if reverses else None)
            cells_of = {"amount": amount_text, "due": due_text, "source": source_text, "reverses": reverses}
            for field, rule in entry_problems(entry):
                column = {"due_date": "due", "service_date": "service"}.get(field, field)
                problems.append((column, cells_of[column], rule))
            if ext and seen.setdefault(ext, number) != number:
                problems.append(("external_id", ext, f"appears more than once in the file (first at row {seen[ext]})"))
            if account and account not in accounts:
                problems.append(("account", account, "is not a known account"))
            elif account and abs(amount) > amount_limit.maximum_cents:
                problems.append(("amount", amount_text, amount_limit.rule))
        unique: list[tuple[str, str, str]] = []
        for problem in problems:
            if all(problem[0::2] != known[0::2] for known in unique):
                unique.append(problem)
        found.extend((number, column, clip(value), rule) for column, value, rule in unique)
    return found


def sample_rows(rng: random.Random, count: int, odd: float) -> list[list[str]]:
    def pick(plain: list[str], odd_ones: list[str]) -> str:
        return rng.choice(odd_ones) if rng.random() < odd else rng.choice(plain)

    rows = []
    for _ in range(count):
        kind = pick(["charge", "payment", "fee", "adjustment"], KIND_TEXTS)
        rows.append(
            [
                pick([f"T-{rng.randrange(10_000)}"], ["", " T-7 ", "T-1", "X" * 65]),
                pick(["A-1", "A-2"], ["A-9", "", " A-1", "Y" * 65]),
                kind,
                pick(["12.50", "100.00", "-3.25"], AMOUNTS),
                pick(["2026-01-05", "2026-01-20"], DAYS),
                pick(["2026-02-04", ""], DAYS),
                pick(["2026-01-01", ""], DAYS),
                pick(["guarantor", "insurance"] if kind == "payment" else [""], SOURCES),
                pick([""], ["", "T-3", "Z" * 65]),
                pick(["visit", ""], ["", " padded ", "d" * 201, "é" * 200]),
            ]
        )
    return rows


@pytest.mark.parametrize(
    ("lookup", "maximum"),
    [(5000, None), (0, None), (5000, 10_000)],
    ids=["accounts-by-in-list", "whole-account-map", "portfolio-maximum-100"],
)
def test_vectorized_rules_agree_with_the_row_by_row_rules(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lookup: int, maximum: int | None
) -> None:
    monkeypatch.setattr(importing, "LOOKUP", lookup)
    with_accounts(sqlite_db, tmp_path)
    set_portfolio_maximum(sqlite_db, "NORTH", maximum, "test")
    limit = AmountLimit(1_000_000_000 if maximum is None else maximum, "NORTH")
    rng = random.Random(20260301)
    header = [
        "external_id",
        "account",
        "kind",
        "amount",
        "posted",
        "due",
        "service",
        "source",
        "reverses",
        "description",
    ]
    for odd in (0.02, 0.3):
        rows = sample_rows(rng, 1500, odd)
        for quoted in (False, True):  # record numbers are line numbers / lines found by the csv module
            path = tmp_path / f"sample-{odd}-{quoted}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
                writer.writerow(header)
                writer.writerows(rows)
            report = import_file(
                sqlite_db, ImportKind.TRANSACTIONS, path, chunk_size=20, max_problems=100_000, today=TODAY
            )
            expected = reference_problems(rows, {"A-1", "A-2"}, limit)
            assert [(p.row, p.column, p.value, p.rule) for p in report.problems] == expected
            assert report.problem_count == len(expected) and report.rows == len(rows)
    assert count(sqlite_db, LedgerLineRow) == 0


ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8)


def any_of(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), ANY_TEXT)


ANY_ROW = st.tuples(
    any_of(["T-1", "T-2", " T-1 ", "", "X" * 65]),
    any_of(["A-1", "A-2", "A-9", " A-1", "", "Y" * 65]),
    any_of(KIND_TEXTS).filter(lambda text: text.strip().lower() != "reversal"),  # reversals need the whole file
    any_of(AMOUNTS),
    any_of(DAYS),
    any_of(DAYS),
    any_of(DAYS),
    any_of(SOURCES),
    any_of(["", "T-3", "Z" * 65]),
    any_of(["visit", "", " padded ", "d" * 201, "two\nlines", "a,b", 'say "hi"']),
)


@pytest.fixture
def two_accounts(sqlite_db: Database, tmp_path: Path) -> Database:
    with_accounts(sqlite_db, tmp_path)
    return sqlite_db


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)  # fmt: skip
@given(rows=st.lists(ANY_ROW, min_size=1, max_size=12), quoted=st.booleans())
def test_on_any_rows_the_vectorized_rules_give_the_problems_of_the_domain_rules(
    two_accounts: Database, tmp_path: Path, rows: list[tuple[str, ...]], quoted: bool
) -> None:
    # Given any rows (the frame's fast readings and the careful ones, texts of any characters, quoted or not),
    # the import's problems are those of the domain's own rules read row by row.
    header = ["external_id", "account", "kind", "amount", "posted", "due", "service", "source", "reverses",
              "description"]  # fmt: skip
    path = tmp_path / "any.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(rows)
    with path.open(newline="", encoding="utf-8") as handle:
        read = list(csv.reader(handle))[1:]  # the cells as the file holds them (a line break may end as \n)
    report = import_file(two_accounts, ImportKind.TRANSACTIONS, path, dry_run=True, max_problems=10_000, today=TODAY)
    expected = reference_problems(read, {"A-1", "A-2"}, AmountLimit(1_000_000_000, "NORTH"), line_numbers(path))
    assert [(p.row, p.column, p.value, p.rule) for p in report.problems] == expected


def line_numbers(path: Path) -> list[int]:
    """The line each record after the header starts on, as the csv module counts lines."""
    starts = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        line = 0
        for cells in reader:
            start, line = line + 1, reader.line_num
            if cells:
                starts.append(start)
    return starts[1:]


# ------------------------------------------------------------------ the summaries' fast replay = the general one

START = date(2025, 1, 1)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["charge", "payment", "fee", "penalty", "deposit", "adjustment", "write_off", "reversal"]),
        st.integers(min_value=1, max_value=50_000),
        st.integers(min_value=0, max_value=120),
        st.integers(min_value=0, max_value=60),
        st.booleans(),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(steps=STEPS, plan_start=st.none() | st.integers(min_value=0, max_value=120))
def test_summarize_lines_equals_the_general_replay(
    steps: list[tuple[str, int, int, int, bool]], plan_start: int | None
) -> None:
    from arrears.domain.ledger import Frequency, PaymentPlan

    entries: list[Entry] = []
    payments: list[Entry] = []
    for seq, (kind_text, cents, day, due_in, flag) in enumerate(steps, start=1):
        posted = START + timedelta(days=day)
        kind = Kind(kind_text)
        if kind is Kind.REVERSAL:
            standing = [p for p in payments if p.posted <= posted]
            if not standing:
                continue
            paid = standing[len(standing) // 2] if flag else standing[0]
            payments.remove(paid)
            entries.append(Entry(seq, kind, paid.amount_cents, posted, reverses=paid.seq))
            continue
        amount = -cents if kind is Kind.ADJUSTMENT and flag else cents
        due = posted + timedelta(days=due_in) if kind is Kind.CHARGE or (flag and due_in % 3 == 0) else None
        source = None
        if kind is Kind.PAYMENT:
            source = Source.INSURANCE if flag else Source.GUARANTOR
        entry = Entry(seq, kind, amount, posted, due, None, source)
        entries.append(entry)
        if kind is Kind.PAYMENT:
            payments.append(entry)
    entries.sort(key=lambda e: (e.posted, e.seq))
    # a reversal must come after its payment in posting order: drop the ones the sort put before it
    order = {e.seq: i for i, e in enumerate(entries)}
    entries = [e for e in entries if e.reverses is None or order[e.reverses] < order[e.seq]]
    plan = None
    if plan_start is not None:
        plan = PaymentPlan(2500, Frequency.MONTHLY, START, 10, START + timedelta(days=plan_start), 6)
    lines: list[LedgerLine] = [
        (e.seq, e.kind.value, e.amount_cents, e.posted, e.due, e.source.value if e.source else None, e.reverses)
        for e in entries
    ]
    assert summarize_lines(lines, plan) == summarize(entries, plan)
    # the fast position (letters' balance and aging) is the general one, on any date
    for as_of in (START + timedelta(days=30), START + timedelta(days=200)):
        assert position_lines(lines, as_of) == position(entries, as_of)


def _ledger_file(rng: random.Random, accounts: list[str], rows: int, prefix: str, start: date) -> str:
    """Random valid ledger lines over ``accounts``: charges, payments of both sources, fees, adjustments of
    both signs, write-offs, and reversals of an earlier payment of the same account; many share a date."""
    lines = ["external_id,account,kind,amount,posted,due,service,source,reverses,description"]
    payments: dict[str, list[tuple[str, str, date]]] = {}
    for n in range(rows):
        account = rng.choice(accounts)
        # about seven lines a day (ties in posting date are ordered by id), some posted earlier than lines above
        posted = start + timedelta(days=n // 7 - rng.choice((0, 0, 0, 3)))
        ext = f"{prefix}{n:05d}"
        roll = rng.random()
        if roll < 0.4:
            due = posted + timedelta(days=rng.choice((0, 10, 30)))
            lines.append(f"{ext},{account},charge,{rng.randint(100, 9000) / 100:.2f},{posted},{due},,,,visit")
        elif roll < 0.7:
            amount = f"{rng.randint(100, 6000) / 100:.2f}"
            lines.append(f"{ext},{account},payment,{amount},{posted},,,{rng.choice(list(Source)).value},,")
            payments.setdefault(account, []).append((ext, amount, posted))
        elif roll < 0.78:
            lines.append(f"{ext},{account},fee,25.00,{posted},,,,,late fee")
        elif roll < 0.86:
            lines.append(
                f"{ext},{account},adjustment,{rng.choice(('-', ''))}{rng.randint(1, 900) / 100:.2f},{posted},,,,,"
            )
        elif roll < 0.9:
            lines.append(f"{ext},{account},write_off,{rng.randint(1, 500) / 100:.2f},{posted},,,,,")
        elif payments.get(account):
            paid, amount, paid_on = payments[account].pop(rng.randrange(len(payments[account])))
            lines.append(f"{ext},{account},reversal,{amount},{max(posted, paid_on)},,,,{paid},NSF")
        else:
            lines.append(f"{ext},{account},penalty,5.00,{posted},,,,,")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("prior", [False, True], ids=["empty-ledger", "prior-lines"])
def test_summaries_of_new_accounts_come_from_the_rows_written_and_equal_compute(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prior: bool
) -> None:
    from arrears.store import summaries

    rng = random.Random(20261123)
    create_portfolio(db, "NORTH", "North Clinic")
    names = [f"A-{n:02d}" for n in range(30)]
    accounts = "external_id,portfolio,last_name\n" + "".join(f"{name},NORTH,Smith\n" for name in names)
    assert import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "accounts.csv", accounts)).ok
    plans = "external_id,account,installment,frequency,first_due,grace_days,start,installments,active\n"
    plans += "P-1,A-01,20.00,monthly,2026-01-15,5,,,true\nP-2,A-02,10.00,weekly,2026-01-10,0,2026-02-01,6,true\n"
    plans += "P-3,A-03,10.00,weekly,2026-01-10,0,,,false\nP-4,A-25,15.00,biweekly,2026-01-20,3,,4,true\n"
    assert import_file(db, ImportKind.PLANS, write(tmp_path, "plans.csv", plans)).ok
    claims = "external_id,account,payer,billed,amount,paid,status\nC-1,A-01,Acme,2026-01-03,100.00,20.00,open\n"
    claims += "C-2,A-04,Acme,2026-01-04,50.00,,denied\nC-3,A-26,Acme,2026-01-05,70.00,10.00,open\n"
    assert import_file(db, ImportKind.CLAIMS, write(tmp_path, "claims.csv", claims)).ok
    old = names[:6] if prior else []
    if prior:  # six accounts have lines before the import; one of those lines is listed again below
        earlier = _ledger_file(rng, old, 60, "P", date(2025, 12, 1))
        assert import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "earlier.csv", earlier)).ok
    text = _ledger_file(rng, names, 400, "T", date(2026, 1, 1))
    if prior:  # a stored line (of an old account) named for a new account: unchanged, not written for it
        text += "P00000,A-20,fee,1.00,2026-03-01,,,,,\n"
    computed_from: dict[str, set[int]] = {"rows": set(), "database": set()}
    compute, summary_rows = summaries.compute, summaries.summary_rows

    def spy(connection, account_ids, ledgers=None):  # type: ignore[no-untyped-def]
        assert ledgers is None
        computed_from["database"].update(account_ids)
        return compute(connection, account_ids, ledgers)

    def rows_spy(known, ledgers, now=None):  # type: ignore[no-untyped-def]
        computed_from["rows"].update(account_id for account_id, _ in known.portfolios)
        return summary_rows(known, ledgers, now)

    monkeypatch.setattr(summaries, "compute", spy)
    monkeypatch.setattr(summaries, "summary_rows", rows_spy)
    report = import_file(db, ImportKind.TRANSACTIONS, write(tmp_path, "t.csv", text), chunk_size=5)
    assert report.ok, report.problems[:3]
    assert report.unchanged == (1 if prior else 0)
    monkeypatch.setattr(summaries, "compute", compute)
    monkeypatch.setattr(summaries, "summary_rows", summary_rows)
    computed_from["memory"] = computed_from["rows"] - computed_from["database"]

    with db.session() as session:
        connection = session.connection()
        ids = dict(connection.execute(select(AccountRow.external_id, AccountRow.id)).all())
        stored = {
            row.account_id: {**row._asdict(), "updated_at": None}
            for row in connection.execute(select(*AccountSummaryRow.__table__.c))
        }
        expected = {row["account_id"]: {**row, "updated_at": None} for row in compute(connection, list(ids.values()))}
        with_lines = set(connection.execute(select(LedgerLineRow.account_id).distinct()).scalars())
    assert stored == expected
    assert computed_from["memory"] == with_lines - {ids[name] for name in old}
    assert computed_from["database"] == {ids[name] for name in old}
    assert len(computed_from["memory"]) > 20
    assert any(row["on_payment_plan"] for row in stored.values())
    assert any(row["open_claim_count"] for row in stored.values())
