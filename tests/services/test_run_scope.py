"""Which days a run may have, and which days a catch-up runs: per portfolio, up to today.

The strategy is :mod:`tests.services.run_scenarios`' (enterprise rules: balance greater than $25.00, more than
45 days past due; SOUTH overrides them: $100.00, more than 30 days); FAMILY is set up like NORTH.

An ALL run covers every portfolio: a portfolio's latest completed day is the later of its own runs and ALL's.
A catch-up runs, day by day, one ALL run on a day every portfolio misses, and one run per portfolio on a day
only some of them miss; it never runs a portfolio on a day before its own latest run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from arrears.services.run import (
    ALL,
    PendingRun,
    RunRefused,
    catch_up_plan,
    pending_runs,
    run_day,
    run_through,
)
from arrears.store.db import Database
from arrears.store.models import RunRow
from tests.notation import d
from tests.services.run_scenarios import NORTH, STRATEGY, cases, portfolios, with_portfolio, world

FAMILY = with_portfolio(STRATEGY, replace(NORTH, portfolio="FAMILY"))
# Each account crosses its portfolio's days-past-due threshold on the day in its code, so the day its case
# opens tells which day's run saw it first.
ACCOUNTS = """
fam-1202 Evans FAMILY
    2026-09-01 charge 100.00 due 2026-10-17
north-1201 Zed NORTH
    2026-09-01 charge 100.00 due 2026-10-16
north-1203 Zed NORTH
    2026-09-01 charge 100.00 due 2026-10-18
south-1201 Zed SOUTH
    2026-09-01 charge 200.00 due 2026-10-31
south-1204 Zed SOUTH
    2026-09-01 charge 200.00 due 2026-11-03
"""


def runs_made(db: Database) -> list[tuple[str, str, str]]:
    with db.engine.connect() as connection:
        query = select(RunRow.as_of, RunRow.scope, RunRow.status).order_by(RunRow.id)
        return [(day.isoformat(), scope, status) for day, scope, status in connection.execute(query)]


def entered(db: Database) -> dict[str, str]:
    return {code: case[1] for code, case in cases(db).items()}


def test_a_run_of_one_portfolio_leaves_the_other_portfolios_days_to_the_catch_up(db: Database) -> None:
    portfolios(db, "FAMILY", "NORTH", "SOUTH")
    world(db, ACCOUNTS)
    run_day(db, d("2026-11-30"), strategy=FAMILY)
    run_day(db, d("2026-12-05"), "FAMILY", strategy=FAMILY)
    assert entered(db) == {"fam-1202": "2026-12-05"}  # FAMILY skipped 12-01 to 12-04: its own choice

    results = run_through(db, d("2026-12-05"), strategy=FAMILY)

    assert [(r.as_of.isoformat(), r.scope) for r in results] == [
        (f"2026-12-0{day}", portfolio) for day in range(1, 6) for portfolio in ("NORTH", "SOUTH")
    ]
    assert entered(db) == {
        "fam-1202": "2026-12-05",
        "north-1201": "2026-12-01",
        "north-1203": "2026-12-03",
        "south-1201": "2026-12-01",
        "south-1204": "2026-12-04",
    }
    assert run_through(db, d("2026-12-05"), strategy=FAMILY) == []
    assert pending_runs(db, d("2026-12-06")) == [PendingRun(d("2026-12-06"), ALL)]  # in step again: one run
    assert run_day(db, d("2026-12-06"), strategy=FAMILY).scope == ALL


def test_a_refusal_names_the_scope_of_the_run_that_blocks(db: Database) -> None:
    portfolios(db, "FAMILY", "NORTH", "SOUTH")
    world(db, ACCOUNTS)
    run_day(db, d("2026-11-30"), strategy=FAMILY)
    with pytest.raises(RunRefused) as refused:
        run_day(db, d("2026-11-29"), "FAMILY", strategy=FAMILY)
    assert str(refused.value) == (
        "a run for 2026-11-30 has already completed for ALL; a run of FAMILY for an earlier date (2026-11-29) is "
        "refused because it would act on a past the later run has already acted on"
    )
    run_day(db, d("2026-12-05"), "FAMILY", strategy=FAMILY)
    with pytest.raises(RunRefused) as refused:
        run_day(db, d("2026-12-03"), strategy=FAMILY)
    assert str(refused.value) == (
        "a run for 2026-12-05 has already completed for FAMILY; a run of ALL for an earlier date (2026-12-03) is "
        "refused because it would act on a past the later run has already acted on; arrears run --through "
        "2026-12-05 runs each day for the portfolios that still miss it"
    )
    assert run_day(db, d("2026-12-03"), "NORTH", strategy=FAMILY).scope == "NORTH"  # NORTH has not run it
    assert pending_runs(db, d("2026-12-06"), "FAMILY") == [PendingRun(d("2026-12-06"), "FAMILY")]


def test_a_run_date_after_today_is_refused_and_nothing_is_written(db: Database) -> None:
    portfolios(db)
    world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    today = d("2026-12-01")
    with pytest.raises(RunRefused) as refused:
        run_day(db, date(9999, 12, 31), strategy=STRATEGY, today=today)
    assert str(refused.value) == (
        "the run date 9999-12-31 is after today (2026-12-01): a run acts on its date (it releases the work due "
        "by then, queues letters, posts fees, refers accounts), so a future date is refused; "
        "arrears run --allow-future runs it anyway"
    )
    with pytest.raises(RunRefused, match=r"the run date 2026-12-02 is after today \(2026-12-01\)"):
        run_day(db, d("2026-12-02"), strategy=STRATEGY, today=today)
    with pytest.raises(RunRefused, match=r"the run date 9999-12-31 is after today \(2026-12-01\)"):
        run_through(db, date(9999, 12, 31), since=d("2026-11-30"), strategy=STRATEGY, today=today)
    with db.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RunRow)) == 0
    assert run_day(db, today, strategy=STRATEGY, today=today).counts["entered"] == 1  # today itself may run


def test_workers_must_be_at_least_one(db: Database) -> None:
    for workers in (0, -3):
        with pytest.raises(ValueError, match=rf"workers must be at least 1 \(got {workers}\)"):
            run_day(db, d("2026-03-01"), strategy=STRATEGY, workers=workers)


def test_catch_up_resumes_unfinished_runs_in_their_own_scope_on_their_day() -> None:
    """FAMILY's run of 12-03 failed after it had run 12-01 and 12-02 alone; ALL last ran 11-30."""
    latest = {ALL: d("2026-11-30"), "FAMILY": d("2026-12-02")}
    plan = catch_up_plan(ALL, [ALL, "FAMILY", "NORTH"], latest, [("FAMILY", d("2026-12-03"))], d("2026-12-05"), None)
    assert [(step.as_of.isoformat(), step.scope) for step in plan] == [
        ("2026-12-01", "NORTH"),
        ("2026-12-02", "NORTH"),
        ("2026-12-03", "FAMILY"),  # resumed
        ("2026-12-03", "NORTH"),
        ("2026-12-04", ALL),  # every portfolio misses it again: one run
        ("2026-12-05", ALL),
    ]
    # Without any run, from --since (else the date itself); a failed ALL run covers every portfolio.
    assert catch_up_plan(ALL, [ALL, "NORTH"], {}, [], d("2026-12-02"), d("2026-12-01")) == [
        PendingRun(d("2026-12-01"), ALL),
        PendingRun(d("2026-12-02"), ALL),
    ]
    assert catch_up_plan("NORTH", ["NORTH"], latest, [(ALL, d("2026-12-01"))], d("2026-12-02"), None) == [
        PendingRun(d("2026-12-01"), ALL),
        PendingRun(d("2026-12-02"), "NORTH"),
    ]
