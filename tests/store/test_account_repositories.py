"""The account, ledger, portfolio and plan repositories, on SQLite and PostgreSQL: what they read and write."""

from __future__ import annotations

from sqlalchemy import select

from arrears.domain.ledger import Frequency, Kind, PaymentPlan, Source
from arrears.domain.model import Account, Claim, ClaimStatus, Party
from arrears.services.accounts import (
    Posting,
    add_claim,
    add_payment_plan,
    create_portfolio,
    open_account,
    post_transaction,
)
from arrears.store.accounts import (
    account_by_external_id,
    account_count,
    account_exists,
    account_ids_of,
    account_listing,
    every_account_id,
    stored_accounts,
)
from arrears.store.bulk import load_tuples
from arrears.store.db import Database
from arrears.store.ledger import (
    account_ledger,
    accounts_with_lines,
    entries_posted_by,
    ledger_entries,
    line_external_id_taken,
    lines_to_check,
    link_reversals,
    stored_lines,
)
from arrears.store.models import LedgerLineRow, PaymentPlanRow
from arrears.store.plans import claim_exists, deactivate_plans, plan_exists
from arrears.store.portfolios import (
    account_counts,
    portfolio_by_code,
    portfolio_ids,
    portfolio_listing,
    portfolio_names,
    portfolios_in_order,
)
from tests.notation import d


def two_clinics(db: Database) -> None:
    """NORTH with Adams ($100.00 then a $30.00 payment) and Baker ($250.00); SOUTH with Clark ($40.00)."""
    create_portfolio(db, "NORTH", "North Clinic")
    create_portfolio(db, "SOUTH", "South Clinic")
    guarantors = (("N-1", "NORTH", "Adams"), ("N-2", "NORTH", "Baker"), ("S-1", "SOUTH", "Clark"))
    for external_id, portfolio, last in guarantors:
        open_account(db, Account(external_id, portfolio, Party("Pat", last)))
    post_transaction(db, "N-1", Posting(Kind.CHARGE, 10000, d("2026-01-01"), due=d("2026-01-15"), external_id="T1"))
    post_transaction(db, "N-2", Posting(Kind.CHARGE, 25000, d("2026-01-05"), due=d("2026-01-20")))
    post_transaction(db, "S-1", Posting(Kind.CHARGE, 4000, d("2026-02-01"), due=d("2026-02-15")))
    post_transaction(db, "N-1", Posting(Kind.PAYMENT, 3000, d("2026-02-10"), source=Source.GUARANTOR))


def test_the_account_listing_is_largest_first_and_filtered_and_paged_when_asked(db: Database) -> None:
    two_clinics(db)
    with db.engine.connect() as connection:
        every = account_listing(connection, limit=50)
        north_top = account_listing(connection, portfolio="NORTH", limit=1)
        north_second = account_listing(connection, portfolio="NORTH", limit=1, offset=1)
        at_least_70 = account_listing(connection, min_balance_cents=7000)
        due_before = account_listing(connection, oldest_due_before=d("2026-02-15"))
        never_in_collections = account_listing(connection, case_statuses={"internal"})
    assert [(row["external_id"], row["portfolio"], row["last_name"], row["balance_cents"]) for row in every] == [
        ("N-2", "NORTH", "Baker", 25000), ("N-1", "NORTH", "Adams", 7000), ("S-1", "SOUTH", "Clark", 4000)
    ]  # fmt: skip
    assert [row["external_id"] for row in north_top] == ["N-2"]
    assert [row["external_id"] for row in north_second] == ["N-1"]
    assert [row["external_id"] for row in at_least_70] == ["N-2", "N-1"]
    assert [row["external_id"] for row in due_before] == ["N-2", "N-1"]  # S-1 falls due on 2026-02-15
    assert never_in_collections == [] and {row["case_status"] for row in every} == {None}


def test_an_account_is_found_by_its_external_id(db: Database) -> None:
    two_clinics(db)
    with db.session() as session:
        found = account_by_external_id(session, "S-1")
        assert found is not None and (found.portfolio.code, found.guarantor.last_name) == ("SOUTH", "Clark")
        assert account_by_external_id(session, "X-9") is None
        assert (account_exists(session, "N-1"), account_exists(session, "X-9")) == (True, False)


def test_the_ledger_reads_in_posting_order_and_up_to_a_day(db: Database) -> None:
    two_clinics(db)
    with db.session() as session:
        north = account_by_external_id(session, "N-1")
        assert north is not None
        connection = session.connection()
        lines = [(row.kind, row.amount_cents, row.posted_date) for row in account_ledger(connection, north.id)]
        entries = [(entry.kind, entry.amount_cents) for entry in ledger_entries(connection, north.id)]
        ids = portfolio_ids(session)
        by_january = [
            (portfolio, [entry.amount_cents for entry in account_entries])
            for portfolio, account_entries in entries_posted_by(connection, d("2026-01-31"), [ids["NORTH"]])
        ]
        taken = (line_external_id_taken(connection, "T1"), line_external_id_taken(connection, "T2"))
    assert lines == [("charge", 10000, d("2026-01-01")), ("payment", 3000, d("2026-02-10"))]
    assert entries == [(Kind.CHARGE, 10000), (Kind.PAYMENT, 3000)]
    assert by_january == [(ids["NORTH"], [10000]), (ids["NORTH"], [25000])]
    assert taken == (True, False)


def test_portfolios_list_in_creation_order_with_their_parent_and_account_counts(db: Database) -> None:
    two_clinics(db)
    with db.session() as session:
        connection = session.connection()
        listing = portfolio_listing(connection)
        tree = [(row.code, row.parent_id is None) for row in portfolios_in_order(connection)]
        counts = account_counts(connection)
        ids = portfolio_ids(session)
        names = portfolio_names(session)
        south = portfolio_by_code(session, "SOUTH")
        assert south is not None and south.name == "South Clinic" and portfolio_by_code(session, "WEST") is None
    assert ("NORTH", "North Clinic") in names and [code for code, _ in names] == sorted(code for code, _ in names)
    assert [(row["code"], row["parent"]) for row in listing][1:] == [("NORTH", "ENTERPRISE"), ("SOUTH", "ENTERPRISE")]
    assert tree[0][1] and tree[1:] == [("NORTH", False), ("SOUTH", False)]
    assert counts == {ids["NORTH"]: 2, ids["SOUTH"]: 1}


def test_a_new_plan_ends_the_active_one_and_plans_and_claims_are_found_by_external_id(db: Database) -> None:
    two_clinics(db)
    plan = PaymentPlan(2500, Frequency.MONTHLY, d("2026-03-01"), grace_days=10, start=d("2026-02-20"))
    add_payment_plan(db, "N-1", "P1", plan)
    add_claim(db, "N-2", Claim("C1", "ACME", d("2026-01-06"), 25000, 0, ClaimStatus.OPEN))
    with db.transaction() as session:
        assert (plan_exists(session, "P1"), plan_exists(session, "P2")) == (True, False)
        assert (claim_exists(session, "C1"), claim_exists(session, "C2")) == (True, False)
        north = account_by_external_id(session, "N-1")
        assert north is not None
        deactivate_plans(session, north.id)
    with db.session() as session:
        assert session.scalars(select(PaymentPlanRow.active)).all() == [False]


def test_account_ids_are_found_by_external_id_and_counted(db: Database) -> None:
    two_clinics(db)
    with db.engine.connect() as connection:
        found = account_ids_of(connection, ["S-1", "N-1", "X-9"])
        every = dict(every_account_id(connection))
        count = account_count(connection)
    assert set(found) == {"S-1", "N-1"} and found == {ext: every[ext] for ext in found}
    assert (sorted(every), count) == (["N-1", "N-2", "S-1"], 3)


def test_a_bulk_loaded_reversal_is_linked_to_its_payment_by_external_id(db: Database) -> None:
    two_clinics(db)
    names = ("external_id", "account_id", "kind", "amount_cents", "posted_date", "source", "description")
    with db.engine.begin() as connection:
        north = account_ids_of(connection, ["N-1"])["N-1"]
        load_tuples(connection, LedgerLineRow.__table__, names, [
            ("PAY-7", north, "payment", 2000, "2026-02-20", "guarantor", ""),
            ("NSF-7", north, "reversal", 2000, "2026-02-22", None, "returned check"),
        ])  # fmt: skip
        link_reversals(connection, [{"ext": "NSF-7", "target": "PAY-7"}])
    with db.session() as session:
        lines = dict(session.execute(select(LedgerLineRow.external_id, LedgerLineRow.id)).all())
        reverses = session.scalar(select(LedgerLineRow.reverses_id).where(LedgerLineRow.external_id == "NSF-7"))
    assert reverses == lines["PAY-7"]


def test_stored_accounts_and_lines_are_read_by_external_id_for_the_import(db: Database) -> None:
    two_clinics(db)
    open_account(db, Account("W-1", "SOUTH", Party("Lee", "Young")))
    with db.engine.connect() as connection:
        ids = account_ids_of(connection, ["N-1", "W-1"])
        with_lines = accounts_with_lines(connection, sorted(ids.values()))
        accounts = stored_accounts(connection, ("first_name", "last_name"), ["S-1", "X-9"])
        lines = stored_lines(connection, ("kind", "amount_cents"), ["T1", "T9"])
        checked = lines_to_check(connection, ["T1"])
    assert with_lines == {ids["N-1"]}
    assert list(accounts) == ["S-1"] and accounts["S-1"][3:] == (None, "Pat", "Clark", None, None)
    assert lines == {"T1": ("charge", 10000, None, "")}
    assert checked["T1"][1:] == ("charge", "N-1", 10000, d("2026-01-01"), None)
