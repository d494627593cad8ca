"""Importing CSV files: a bad file is rejected whole with every problem; a good one lands exactly once.

Each test writes a small file, imports it and checks the report and the stored rows, on SQLite and PostgreSQL.
"""

from pathlib import Path

from sqlalchemy import func, select

from arrears.services.accounts import create_portfolio
from arrears.services.importing import Conflict, ImportKind, RowProblem, import_file
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
T-4,A-1,refund,5.00,2026-01-07,,,
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
        (5, "kind", "refund", "must be one of charge, payment, adjustment, fee, penalty, deposit, write_off, reversal"),
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
