"""The account list a manager asks for: in collections, by collector, case status, balance, days past due, a
condition; the collector, case status and days past due of each; paging (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from arrears.domain.errors import ValidationFailed
from arrears.services.account_list import AccountFilter, search_accounts
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, world

SAVED = replace(STRATEGY, letters=tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters))
ACCOUNTS = """
evans Evans NORTH
    2025-11-01 charge 500.00 due 2025-11-15
adams Adams NORTH
    2025-12-01 charge 900.00 due 2025-12-20
jones Jones NORTH
    2026-01-20 charge 300.00 due 2026-02-10
south Smith SOUTH
    2026-02-01 charge 40.00 due 2026-02-15
"""
"""On 2026-02-20 Evans (97 days past due, E–H: BO) and Adams (62 days, A–D: AL) enter collections; Jones
(10 days) and Smith (5 days, $40.00 under SOUTH's $100.00) do not."""


@pytest.fixture
def office(db: Database) -> Database:
    portfolios(db)
    world(db, ACCOUNTS)
    assert apply_document(db, dump_strategy(SAVED), actor="admin", confirm=True).errors == ()
    run_day(db, d("2026-02-20"), strategy=SAVED)
    return db


def listed(db: Database, **criteria: object) -> list[tuple[str, int, int, str | None, str | None]]:
    rows = search_accounts(db, AccountFilter(**criteria), d("2026-02-20"))  # type: ignore[arg-type]
    return [(r.external_id, r.balance_cents, r.days_past_due, r.case_status, r.collector) for r in rows]


def test_every_filter_narrows_the_list(office: Database) -> None:
    db = office
    assert listed(db) == [
        ("adams", 90000, 62, "internal", "AL"), ("evans", 50000, 97, "internal", "BO"),
        ("jones", 30000, 10, None, None), ("south", 4000, 5, None, None),
    ]  # fmt: skip
    assert [row[0] for row in listed(db, in_collections=True)] == ["adams", "evans"]
    assert [row[0] for row in listed(db, collector="BO")] == ["evans"]
    assert [row[0] for row in listed(db, status="internal", portfolio="NORTH")] == ["adams", "evans"]
    assert [row[0] for row in listed(db, min_balance_cents=30000)] == ["adams", "evans", "jones"]
    assert [row[0] for row in listed(db, dpd_over=62)] == ["evans"]
    assert [row[0] for row in listed(db, where="days_past_due BETWEEN 5 AND 62 AND NOT in_collections")] == [
        "jones", "south",
    ]  # fmt: skip
    assert [row[0] for row in listed(db, limit=2, offset=1)] == ["evans", "jones"]
    assert [row[0] for row in listed(db, where="balance > 100", limit=1, offset=2)] == ["jones"]


def test_unknown_names_and_bad_conditions_are_refused_not_an_empty_list(office: Database) -> None:
    with pytest.raises(ValidationFailed) as refused:
        listed(office, portfolio="EAST", collector="ZED", status="open", dpd_over=-1, limit=0)
    assert [p.location for p in refused.value.problems] == ["status", "dpd-over", "limit", "portfolio", "collector"]
    with pytest.raises(ValidationFailed, match=r"where: .*balanse"):
        listed(office, where="balanse > 5")
