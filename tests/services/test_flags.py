"""Setting compliance flags and representatives (one by one and from a CSV file): checked before anything is
written, audited, in the account's history, and read by the next run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.domain.errors import ValidationFailed
from arrears.domain.flags import FlagChange, RoleChange
from arrears.services.flags import read_flags_file, set_flags
from arrears.services.run import run_day
from arrears.store.db import Database
from arrears.store.models import AuditRow, PartyRoleRow, PartyRow
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, activities, cases, portfolios, table, world

ACCOUNTS = """
abe Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
bea Baker NORTH
    2026-01-01 charge 100.00 due 2026-01-14
"""


def test_a_bankruptcy_set_holds_the_case_and_clearing_it_releases_it_each_in_history(db: Database) -> None:
    portfolios(db)
    world(db, ACCOUNTS)
    set_flags(db, [FlagChange("abe", "bankruptcy", d("2026-02-27"))], on=d("2026-02-28"), actor="ann")
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert cases(db)["abe"][0] == "held" and cases(db)["bea"][0] == "internal"
    set_flags(db, [FlagChange("abe", "bankruptcy", clear=True)], on=d("2026-03-03"), actor="ann")
    run_day(db, d("2026-03-03"), strategy=STRATEGY)
    assert cases(db)["abe"][0] == "internal"
    assert [(str(r.on), r.event, r.detail) for r in table(db, "history", "abe")] == [
        ("2026-02-27", "flag-set", "bankruptcy set filed 2026-02-27 (by ann)"),
        ("2026-03-01", "entered", "balance $100.00 > $25.00; 46 days past due > 45; largest guarantor payment in the "
         "last 30 days $0.00 < required $25.00; assigned to AL (rule 1), work 'Guarantor Letters'"),
        ("2026-03-01", "case-hold", "H01: bankruptcy filed 2026-02-27: no contact, no fees, no credit report, "
         "no referral"),
        ("2026-03-03", "flag-cleared", "bankruptcy cleared (by ann)"),
        ("2026-03-03", "case-release", "H01 no longer applies on 2026-03-03: case released"),
    ]  # fmt: skip
    with db.session() as session:
        audit = session.scalars(select(AuditRow).where(AuditRow.entity_key.endswith("/bankruptcy"))).all()
    off, on = {"bankruptcy": False, "bankruptcy_filed": None}, {"bankruptcy": True, "bankruptcy_filed": "2026-02-27"}
    assert [(a.actor, json.loads(a.before), json.loads(a.after)) for a in audit] == [("ann", off, on), ("ann", on, off)]


def test_a_dispute_holds_the_letter_until_the_verification_is_recorded(db: Database) -> None:
    portfolios(db)
    world(db, ACCOUNTS)
    set_flags(db, [FlagChange("abe", "dispute", d("2026-02-20"))], on=d("2026-02-20"), actor="ann")
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert [a for a in activities(db) if a.startswith("abe")] == ["abe: 2026-03-01 Letter 30 (letter) AL held"]
    set_flags(db, [FlagChange("abe", "dispute_verified", d("2026-03-02"))], on=d("2026-03-02"), actor="ann")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    assert next(a for a in activities(db) if a.startswith("abe")) == "abe: 2026-03-01 Letter 30 (letter) AL done"
    events = [(str(r.on), r.event) for r in table(db, "history", "abe")]
    assert ("2026-03-01", "held") in events and ("2026-03-02", "hold-ended") in events


def test_every_problem_of_a_change_is_reported_and_nothing_written(db: Database) -> None:
    portfolios(db)
    world(db, ACCOUNTS)
    with pytest.raises(ValidationFailed) as failed:
        set_flags(
            db,
            [FlagChange("abe", "bankrupt"), FlagChange("zed", "deceased"), FlagChange("bea", "dispute"),
             RoleChange("abe", "attorney"), FlagChange("abe", "do_not_call", d("2026-03-01"))],
            on=d("2026-03-01"), actor="ann", where=["row 2", "row 3", "row 4", "row 5", "row 6"],
        )  # fmt: skip
    assert [str(p) for p in failed.value.problems] == [
        "row 2: flag: is not a flag (known: bankruptcy, deceased, cease_communication, attorney_represented, "
        "do_not_call, dispute, dispute_verified, medical, first_bill, financial_assistance_applied, "
        "financial_assistance_decided, or a role: attorney, estate_representative)",
        "row 3: account: no account 'zed'",
        "row 4: date: is required to set dispute (the day disputed)",
        "row 5: name: is required for the attorney",
        "row 6: date: do_not_call has no date of its own",
    ]
    with db.session() as session:
        assert session.scalars(select(AuditRow).where(AuditRow.entity != "portfolio")).all() == []


def test_flags_and_representatives_from_a_csv_file(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    world(db, ACCOUNTS)
    path = tmp_path / "flags.csv"
    path.write_text(
        "account,flag,date,clear,name,city,state\n"
        "abe,attorney_represented,,,,,\n"
        "abe,attorney,2026-02-01,,Lee Counsel,Boston,MA\n"
        "bea,deceased,2026-02-10,,,,\n"
        "bea,estate_representative,,,Sam Baker,,\n"
        "bea,medical,,,,,\n"
    )
    changes, rows = read_flags_file(path)
    done = set_flags(db, changes, on=d("2026-02-28"), actor="import", where=rows)
    assert (done.flags_set, done.roles_set) == (3, 2)
    with db.session() as session:
        assert session.scalars(select(PartyRow.deceased_notified).where(PartyRow.last_name == "Baker")).one() == (
            d("2026-02-10")
        )
        assert sorted(session.execute(select(PartyRoleRow.role, PartyRoleRow.name, PartyRoleRow.city))) == [
            ("attorney", "Lee Counsel", "Boston"), ("estate_representative", "Sam Baker", "")
        ]  # fmt: skip
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert [(r.template, r.addressee) for r in table(db, "letter")] == [("L30", "attorney"),
                                                                          ("L30", "estate_representative")]


def test_a_bad_csv_file_names_each_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "flags.csv"
    path.write_text("account,flag,date,clear\nabe,dispute,2026-02-30,\n,deceased,,\nabe,deceased,,maybe\n")
    with pytest.raises(ValidationFailed) as failed:
        read_flags_file(path)
    assert [str(p) for p in failed.value.problems] == [
        "row 2: date: must be a date (YYYY-MM-DD) (got '2026-02-30')",
        "row 3: account: is required",
        "row 4: clear: must be true or false (got 'maybe')",
    ]
    path.write_text("account,kind\nabe,dispute\n")
    with pytest.raises(ValidationFailed, match="header: unknown columns kind; missing columns flag"):
        read_flags_file(path)
