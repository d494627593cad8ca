"""The files that leave Arrears: letters for the print shop, the agency's placement file, statement holds,
and the runs' records (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.services.exports import (
    export_letters,
    export_referrals,
    export_statement_holds,
    list_letters,
    list_runs,
    show_run,
)
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, pay, portfolios, world

SAVED = replace(STRATEGY, letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))
ACCOUNTS = """
adams Adams NORTH state=OH
    2025-11-01 charge 500.00 due 2025-11-15
    2025-12-01 fee 15.00
baker Baker NORTH
    2025-11-01 charge 200.00 due 2025-11-15
"""
"""Adams and Baker (A–D: AL, Guarantor Letters: Letter 30, 30 days, Letter 60, 30 days, external collections)
enter on 2026-02-20; Baker pays in full on 2026-03-01; Adams is referred on 2026-04-21."""


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def worked(db: Database) -> Database:
    portfolios(db)
    world(db, ACCOUNTS)
    run_day(db, d("2026-02-20"), strategy=SAVED)
    pay(db, "baker", "200.00", "2026-03-01", "baker-pay")
    for day in ("2026-03-02", "2026-03-22", "2026-04-21"):
        run_day(db, d(day), strategy=SAVED)
    return db


def test_letters_list_and_export(worked: Database, tmp_path: Path) -> None:
    db = worked
    assert [(r["account"], r["template"], str(r["queued_on"]), r["status"]) for r in list_letters(db)] == [
        ("adams", "L30", "2026-02-20", "queued"), ("baker", "L30", "2026-02-20", "queued"),
        ("adams", "L60", "2026-03-22", "queued"),
    ]  # fmt: skip
    assert list_letters(db, "printed") == []
    with pytest.raises(ValidationFailed, match="status: must be queued or printed"):
        list_letters(db, "lost")
    assert export_letters(db, d("2026-02-20"), tmp_path / "letters.csv") == 2
    rows = read(tmp_path / "letters.csv")
    columns = ("account", "template", "merge.party.last_name", "merge.position.balance_cents")
    assert [tuple(r[c] for c in columns) for r in rows] == [
        ("adams", "L30", "Adams", "51500"), ("baker", "L30", "Baker", "20000"),
    ]  # fmt: skip


def test_referrals_export_is_the_agency_file_and_the_same_twice(worked: Database, tmp_path: Path) -> None:
    db = worked
    first = export_referrals(db, d("2026-04-01"), tmp_path / "first.csv", on=d("2026-04-22"))
    assert (first.rows, first.newly_sent) == (1, 1)
    (row,) = read(tmp_path / "first.csv")
    assert {k: row[k] for k in ("account", "referred_on", "last_name", "state", "balance", "first_delinquency",
                                "itemization_date", "balance_at_itemization", "fees_since")} == {
        "account": "adams", "referred_on": "2026-04-21", "last_name": "Adams", "state": "OH", "balance": "515.00",
        "first_delinquency": "2025-11-15", "itemization_date": "2025-11-15", "balance_at_itemization": "500.00",
        "fees_since": "15.00",
    }  # fmt: skip
    again = export_referrals(db, d("2026-04-01"), tmp_path / "again.csv", on=d("2026-04-23"))
    assert (again.rows, again.newly_sent) == (1, 0)
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "first.csv").read_bytes()
    assert export_referrals(db, d("2026-04-22"), tmp_path / "none.csv", on=d("2026-04-23")).rows == 0


def test_statement_holds_and_releases(worked: Database, tmp_path: Path) -> None:
    # NORTH suspends statements at entry; Baker's case resolved on 2026-03-02 released them
    assert export_statement_holds(worked, tmp_path / "holds.csv", d("2026-03-01")) == (1, 1)
    assert [(r["account"], r["statements"], r["resolved_on"]) for r in read(tmp_path / "holds.csv")] == [
        ("adams", "hold", ""), ("baker", "release", "2026-03-02"),
    ]
    assert export_statement_holds(worked, tmp_path / "only.csv") == (1, 0)


def test_runs_list_and_show(worked: Database) -> None:
    runs = list_runs(worked)
    assert [(str(r["as_of"]), r["status"], r["errors"]) for r in runs] == [
        ("2026-04-21", "completed", 0), ("2026-03-22", "completed", 0), ("2026-03-02", "completed", 0),
        ("2026-02-20", "completed", 0),
    ]  # fmt: skip
    shown = show_run(worked, runs[-1]["id"])
    assert (shown["counts"]["entered"], shown["errors"]) == (2, [])
    with pytest.raises(NotFound):
        show_run(worked, 999)
