"""Importing accounts again updates them (a keyed upsert): field by field, audited, for the columns the file
has; all-or-nothing; a dry run lists the changes (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from arrears.services.importing import Conflict, ImportKind, import_file
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, cases, charge, portfolios, table

FIRST = """\
external_id,portfolio,first_name,last_name,city,email,phone,phone_type,bankruptcy,dispute_date,status_code
A-1,NORTH,Ann,Evans,Dayton,ann@example.com,555-0100,mobile,,2026-01-15,ACT
A-2,NORTH,Bob,Jones,Austin,,,,,,ACT
"""
"""What the billing system sent on Monday."""
SECOND = """\
external_id,portfolio,first_name,last_name,city,phone,bankruptcy,dispute_date,status_code
A-1,NORTH,Ann,Evans,Dayton,555-0199,yes,,ACT
A-2,NORTH,Bob,Jones,Austin,,,,ACT
A-3,NORTH,Cy,Moss,Reno,,,,NEW
"""
"""Tuesday's file: Ann's phone changed, she filed for bankruptcy, her dispute was withdrawn (the empty cell);
the e-mail and phone type columns are not in this file; Cy is new."""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def account_audit(db: Database) -> list[tuple[str, str, str, dict[str, object], dict[str, object]]]:
    return [
        (row.actor, row.action, row.entity_key, json.loads(row.before), json.loads(row.after))
        for row in table(db, "audit")
        if row.entity == "account"
    ]


def test_reimport_updates_changed_fields_and_leaves_absent_columns(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    assert import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "mon.csv", FIRST)).inserted == 2

    report = import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "tue.csv", SECOND), actor="billing-feed")

    assert (report.ok, report.inserted, report.updated, report.unchanged, report.conflicts) == (True, 1, 1, 1, [])
    assert [(u.row, u.external_id, u.field, u.before, u.after) for u in report.updates] == [
        (2, "A-1", "bankruptcy", False, True),
        (2, "A-1", "dispute_date", "2026-01-15", None),
        (2, "A-1", "phone", "555-0100", "555-0199"),
    ]
    ann = next(p for p in table(db, "party") if p.first_name == "Ann")
    assert (ann.bankruptcy, ann.dispute_date, ann.email) == (True, None, "ann@example.com")  # e-mail column absent
    assert [(p.number, p.type) for p in table(db, "phone") if p.party_id == ann.id] == [("555-0199", "mobile")]
    assert account_audit(db) == [
        ("billing-feed", "imported", "A-1", {"bankruptcy": False}, {"bankruptcy": True}),
        ("billing-feed", "imported", "A-1", {"dispute_date": "2026-01-15"}, {"dispute_date": None}),
        ("billing-feed", "imported", "A-1", {"phone": "555-0100"}, {"phone": "555-0199"}),
    ]
    again = import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "tue.csv", SECOND), actor="billing-feed")
    assert (again.inserted, again.updated, again.unchanged, again.updates) == (0, 0, 3, [])
    assert len(account_audit(db)) == 3


def test_a_dry_run_lists_the_changes_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "mon.csv", FIRST))
    report = import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "tue.csv", SECOND), dry_run=True)
    assert (report.dry_run, report.inserted, report.updated, len(report.updates)) == (True, 1, 1, 3)
    assert len(table(db, "account")) == 2
    assert [p.number for p in table(db, "phone")] == ["555-0100"]
    assert account_audit(db) == []


def test_a_bad_row_updates_nothing_and_a_new_portfolio_is_a_conflict(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "mon.csv", FIRST))
    bad = SECOND.replace("A-3,NORTH,Cy,Moss,Reno,,,,NEW", "A-3,NORTH,Cy,Moss,Reno,,perhaps,,NEW")
    report = import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "bad.csv", bad))
    assert not report.ok and [str(p) for p in report.problems] == [
        "row 4, bankruptcy: must be true or false (got 'perhaps')"
    ]
    assert [p.number for p in table(db, "phone")] == ["555-0100"] and account_audit(db) == []
    moved = "external_id,portfolio,last_name,city\nA-2,SOUTH,Jones,Boston\n"
    report = import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "moved.csv", moved))
    assert report.conflicts == [Conflict(2, "A-2", ("portfolio",))]
    assert [(u.field, u.after) for u in report.updates] == [("city", "Boston")]


def test_a_bankruptcy_set_by_import_holds_the_case(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "mon.csv", FIRST))
    charge(db, "A-1", "500.00", "2025-11-01", "2025-11-15", "A-1-visit")
    run_day(db, d("2026-02-20"), strategy=STRATEGY)
    assert cases(db)["A-1"][0] == "internal"
    import_file(db, ImportKind.ACCOUNTS, write(tmp_path, "tue.csv", SECOND))
    run_day(db, d("2026-02-21"), strategy=STRATEGY)
    case = next(c for c in table(db, "collections_case") if c.is_current)
    assert case.status == "held" and (case.hold_reason or "").startswith("H01")
