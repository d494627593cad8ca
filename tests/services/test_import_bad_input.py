"""Bad bytes, amounts, dates and lengths in import files: one clear problem each, nothing written.

Given the accounts A-1 and A-2 of the NORTH portfolio, on 2026-03-01, each file below is refused whole with
the row, the column and the rule, on SQLite and on PostgreSQL (a value one database stores and the other
refuses is caught here, not at the write).
"""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrears.services.accounts import create_portfolio, set_portfolio_maximum
from arrears.services.importing import ImportKind, import_file
from arrears.store.db import Database
from arrears.store.models import AccountRow, ClaimRow, LedgerLineRow, PaymentPlanRow

TODAY = date(2026, 3, 1)
HEADERS = {
    ImportKind.ACCOUNTS: "external_id,portfolio,first_name,last_name,opened",
    ImportKind.TRANSACTIONS: "external_id,account,kind,amount,posted,due,service,source,reverses,description",
    ImportKind.CLAIMS: "external_id,account,payer,billed,amount,paid,status",
    ImportKind.PLANS: "external_id,account,installment,frequency,first_due,grace_days,start,installments",
}
TABLES = {
    ImportKind.ACCOUNTS: AccountRow,
    ImportKind.TRANSACTIONS: LedgerLineRow,
    ImportKind.CLAIMS: ClaimRow,
    ImportKind.PLANS: PaymentPlanRow,
}
CEILING = "must be at most $1,000,000,000.00 (the largest amount Arrears accepts)"
NORTH_MAXIMUM = "must be at most $10,000,000.00 (the maximum amount of portfolio NORTH)"


@pytest.fixture
def accounts(db: Database, tmp_path: Path) -> Database:
    """A-1 (Ann Smith) and A-2 (Bob Jones) in NORTH."""
    create_portfolio(db, "NORTH", "North Clinic")
    path = tmp_path / "accounts.csv"
    path.write_text("external_id,portfolio,first_name,last_name\nA-1,NORTH,Ann,Smith\nA-2,NORTH,Bob,Jones\n")
    assert import_file(db, ImportKind.ACCOUNTS, path).inserted == 2
    return db


def stored(db: Database, kind: ImportKind) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(TABLES[kind])) or 0


def refused(db: Database, tmp_path: Path, kind: ImportKind, rows: bytes) -> list[tuple[int, str, str, str]]:
    """Import ``rows`` (after the header) for real, check nothing was written; the problems found."""
    path = tmp_path / f"{kind.value}.csv"
    path.write_bytes(HEADERS[kind].encode() + b"\n" + rows)
    before = stored(db, kind)
    dry = import_file(db, kind, path, dry_run=True, today=TODAY)
    report = import_file(db, kind, path, today=TODAY)
    assert not report.ok and report.inserted == 0
    assert stored(db, kind) == before
    found = [(p.row, p.column, p.value, p.rule) for p in report.problems]
    assert [(p.row, p.column, p.value, p.rule) for p in dry.problems] == found
    return found


NOT_UTF8 = "save the file as UTF-8 (Latin-1 and Windows-1252 files are not read)"


def test_a_latin1_byte_is_refused_with_its_line_and_column(accounts: Database, tmp_path: Path) -> None:
    assert refused(accounts, tmp_path, ImportKind.ACCOUNTS, "A-3,NORTH,Zoë,Müller,\n".encode("latin-1")) == [
        (2, "first_name", "", f"is not UTF-8 text (byte 0xEB at line 2, byte 13 of the line); {NOT_UTF8}")
    ]
    rows = (
        b"T-1,A-1,charge,100.00,2026-01-05,2026-02-04,,,,visit\n"
        b"T-2,A-1,charge,50.00,2026-01-20,2026-02-19,,,,caf\xe9\n"
    )
    assert refused(accounts, tmp_path, ImportKind.TRANSACTIONS, rows) == [
        (3, "description", "", f"is not UTF-8 text (byte 0xE9 at line 3, byte 50 of the line); {NOT_UTF8}")
    ]


NUL = "holds a NUL byte (\\x00), which no database stores in text; remove it from the file"


@pytest.mark.parametrize(
    ("kind", "rows", "column"),
    [
        (ImportKind.ACCOUNTS, b"A-3,NORTH,Cy,Smi\x00th,\n", "last_name"),
        (ImportKind.TRANSACTIONS, b"T-1,A-1,charge,100.00,2026-01-05,2026-02-04,,,,vis\x00it\n", "description"),
        (ImportKind.CLAIMS, b"C-1,A-1,Acme\x00 Health,2026-01-10,100.00,,\n", "payer"),
        (ImportKind.PLANS, b"P\x00-1,A-1,50.00,monthly,2026-03-15,,,\n", "external_id"),
    ],
)
def test_a_nul_byte_is_refused_on_every_database(
    accounts: Database, tmp_path: Path, kind: ImportKind, rows: bytes, column: str
) -> None:
    assert refused(accounts, tmp_path, kind, rows) == [(2, column, "", NUL)]


def test_amounts_beyond_ten_million_dollars_are_refused(accounts: Database, tmp_path: Path) -> None:
    """NORTH sets no maximum: the default $10,000,000.00 holds; above the ceiling of every portfolio
    ($1,000,000,000.00) the amount is not even read, so no sum can overflow 64-bit cents."""
    rows = (
        b"T-1,A-1,charge,100000000000000000.00,2026-01-05,2026-02-04,,,,\n"  # 10^17 dollars
        b"T-2,A-1,charge,1000000000000000.00,2026-01-05,2026-02-04,,,,\n"  # 10^15 dollars
        b'T-3,A-2,charge,"$50,000,000,000,000,000.00",2026-01-05,2026-02-04,,,,\n'  # two whose sum overflows
        b'T-4,A-2,charge,"$50,000,000,000,000,000.00",2026-01-05,2026-02-04,,,,\n'  # 64-bit cents
        b"T-5,A-2,adjustment,-10000000.01,2026-01-05,,,,,\n"
        b"T-6,A-2,charge,10000000.00,2026-01-05,2026-02-04,,,,\n"  # the maximum itself is fine
    )
    assert refused(accounts, tmp_path, ImportKind.TRANSACTIONS, rows) == [
        (2, "amount", "100000000000000000.00", CEILING),
        (3, "amount", "1000000000000000.00", CEILING),
        (4, "amount", "$50,000,000,000,000,000.00", CEILING),
        (5, "amount", "$50,000,000,000,000,000.00", CEILING),
        (6, "amount", "-10000000.01", NORTH_MAXIMUM),
    ]
    claims = (
        b"C-1,A-1,Acme Health,2026-01-10,100000000000000000000.00,,\n"
        b"C-2,A-1,Acme Health,2026-01-10,10000000.01,,\n"
    )
    assert refused(accounts, tmp_path, ImportKind.CLAIMS, claims) == [
        (2, "amount", "100000000000000000000.00", CEILING),
        (3, "amount", "10000000.01", NORTH_MAXIMUM),
    ]
    plans = (
        b"P-1,A-1,100000000000000000000.00,monthly,2026-03-15,,,\n"  # installments of 10^20 dollars
        b"P-2,A-2,50.00,monthly,2026-03-15,,,100000000000000000000\n"  # 10^20 installments
        b"P-3,A-2,50.00,monthly,2026-03-15,1_0,,+5\n"
        b"P-4,A-2,10000000.01,monthly,2026-03-15,,,\n"
    )
    assert refused(accounts, tmp_path, ImportKind.PLANS, plans) == [
        (2, "installment", "100000000000000000000.00", CEILING),
        (3, "installments", "100000000000000000000", "must be between 1 and 9,999"),
        (4, "grace_days", "1_0", "is not a whole number"),
        (4, "installments", "+5", "is not a whole number"),
        (5, "installment", "10000000.01", NORTH_MAXIMUM),
    ]


def test_each_portfolio_has_its_own_maximum_amount(accounts: Database, tmp_path: Path) -> None:
    """A small-balance clinic lowers its maximum to $5,000.00, a commercial client raises its own to
    $25,000,000.00: each import checks an amount against the maximum of its account's portfolio."""
    create_portfolio(accounts, "BIG", "Commercial Client", maximum_cents=2_500_000_000)
    path = tmp_path / "big.csv"
    path.write_text("external_id,portfolio,first_name,last_name\nB-1,BIG,Acme,Corp\n")
    assert import_file(accounts, ImportKind.ACCOUNTS, path).inserted == 1
    set_portfolio_maximum(accounts, "NORTH", 500_000, "manager")
    small = "must be at most $5,000.00 (the maximum amount of portfolio NORTH)"
    big = "must be at most $25,000,000.00 (the maximum amount of portfolio BIG)"
    rows = (
        b"T-1,A-1,charge,5000.00,2026-01-05,2026-02-04,,,,\n"  # NORTH's maximum itself
        b"T-2,A-1,charge,5000.01,2026-01-05,2026-02-04,,,,\n"
        b"T-3,B-1,charge,20000000.00,2026-01-05,2026-02-04,,,,\n"  # above the default, within BIG's
        b"T-4,B-1,charge,25000000.01,2026-01-05,2026-02-04,,,,\n"
        b"T-5,A-2,adjustment,-6000.00,2026-01-05,,,,,\n"
    )
    assert refused(accounts, tmp_path, ImportKind.TRANSACTIONS, rows) == [
        (3, "amount", "5000.01", small),
        (5, "amount", "25000000.01", big),
        (6, "amount", "-6000.00", small),
    ]
    claims = b"C-1,A-1,Acme Health,2026-01-10,6000.00,,\nC-2,B-1,Acme Health,2026-01-10,20000000.00,,\n"
    assert refused(accounts, tmp_path, ImportKind.CLAIMS, claims) == [(2, "amount", "6000.00", small)]
    accepted = tmp_path / "accepted.csv"
    accepted.write_bytes(HEADERS[ImportKind.TRANSACTIONS].encode() + b"\n" + rows.splitlines(keepends=True)[0]
                         + rows.splitlines(keepends=True)[2])  # fmt: skip
    assert import_file(accounts, ImportKind.TRANSACTIONS, accepted, today=TODAY).inserted == 2
    set_portfolio_maximum(accounts, "NORTH", None, "manager")  # back to the default: $5,000.01 is taken
    again = tmp_path / "again.csv"
    again.write_bytes(HEADERS[ImportKind.TRANSACTIONS].encode() + b"\n" + rows.splitlines(keepends=True)[1])
    assert import_file(accounts, ImportKind.TRANSACTIONS, again, today=TODAY).inserted == 1


def test_a_parenthesized_amount_with_a_minus_sign_is_refused(accounts: Database, tmp_path: Path) -> None:
    rows = b"T-1,A-1,adjustment,(-5.00),2026-01-05,,,,,\nT-2,A-1,adjustment,-$-5,2026-01-05,,,,,\n"
    rule = "is not an amount (e.g. 12.50 or $1,234.56)"
    assert refused(accounts, tmp_path, ImportKind.TRANSACTIONS, rows) == [
        (2, "amount", "(-5.00)", rule),
        (3, "amount", "-$-5", rule),
    ]


def test_dates_are_yyyy_mm_dd_from_1900_to_five_years_ahead(accounts: Database, tmp_path: Path) -> None:
    not_a_date, too_late = "is not a date (YYYY-MM-DD)", "must not be after 2031-03-01 (5 years from today)"
    rows = (
        b"T-1,A-1,charge,100.00,20260105,2026-02-04,,,,\n"
        b"T-2,A-1,charge,100.00,2026-W01-1,2026-02-04,,,,\n"
        b"T-3,A-1,payment,100.00,9999-12-31,,,guarantor,,\n"
        b"T-4,A-1,charge,100.00,1899-12-31,2031-03-02,,,,\n"
        b"T-5,A-1,payment,100.00,2031-03-01,,,guarantor,,\n"  # the horizon itself is fine
    )
    assert refused(accounts, tmp_path, ImportKind.TRANSACTIONS, rows) == [
        (2, "posted", "20260105", not_a_date),
        (3, "posted", "2026-W01-1", not_a_date),
        (4, "posted", "9999-12-31", too_late),
        (5, "posted", "1899-12-31", "must not be before 1900-01-01"),
        (5, "due", "2031-03-02", too_late),
    ]
    claims = b"C-1,A-1,Acme Health,9999-12-31,100.00,,\n"
    assert refused(accounts, tmp_path, ImportKind.CLAIMS, claims) == [(2, "billed", "9999-12-31", too_late)]
    opened = b"A-3,NORTH,Cy,Smith,2026-W01-1\n"
    assert refused(accounts, tmp_path, ImportKind.ACCOUNTS, opened) == [(2, "opened", "2026-W01-1", not_a_date)]


def test_a_100_kb_value_is_cut_in_the_report_with_its_length(accounts: Database, tmp_path: Path) -> None:
    long = "x" * 100_000
    rows = f"T-1,A-1,charge,100.00,2026-01-05,2026-02-04,,,,{long}\n".encode()
    assert refused(accounts, tmp_path, ImportKind.TRANSACTIONS, rows) == [
        (2, "description", "x" * 60 + "… (100,000 characters)", "is longer than 200 characters")
    ]
    rows = f"A-3,NORTH,Cy,{long},\n".encode()
    assert refused(accounts, tmp_path, ImportKind.ACCOUNTS, rows) == [
        (2, "last_name", "x" * 60 + "… (100,000 characters)", "is longer than 100 characters")
    ]
