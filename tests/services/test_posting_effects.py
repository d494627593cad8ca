"""What a transaction makes happen when it posts, with the issues' numbers, on SQLite and PostgreSQL: posted one
at a time, reversed, or imported from a file, a payment judges the account's promise, settles its milestone and
runs the plan of its transaction type, in the posting's own transaction and once: the day's run and a replayed
import change nothing.

Promises: Evans (NORTH, BO) owes $1,000.00 and promised $100.00 a month from 2027-03-15, grace 3, on 2027-03-01
(Adams, AL, the same when named); a broken promise runs plan BROKEN, a call the next day.
Milestones: scheme WATER of portfolio OFF (30/60/90 days past due; leaving "60 days" downwards logs "Back under
60 days"; a reversal at "30 days" returns to "60 days", which gives 50 credit points).
Plans: transaction type PAY (payment) runs THANKS, a note "Thank you"; NSF (reversal) runs NSF, a $25.00 fee and
a call "Returned payment".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arrears.domain.errors import ValidationFailed
from arrears.services.accounts import reverse_payment
from arrears.services.importing import ImportKind, ImportReport, import_file
from arrears.services.promises import PromiseRequest, add_promise
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import contents, pay, portfolios, table, world
from tests.services.test_plans import AT, plan_activities
from tests.services.test_plans import plans_db as plans_office
from tests.services.test_promises_run import office, promise, said
from tests.services.test_promises_run import pay as promise_pay
from tests.services.test_run_milestones import _stored, history, state
from tests.services.test_run_milestones import run as scheme_run

plans_db = plans_office  # the contact plans' office of tests/services/test_plans.py, a fixture here too
HEADER = "external_id,account,kind,amount,posted,due,service,source,reverses,description\n"
PROMISE_TABLES = ("promise", "promise_payment")


def transactions(db: Database, tmp_path: Path, rows: str, today: str) -> ImportReport:
    """Import the transactions ``rows`` (CSV lines under :data:`HEADER`) on ``today``."""
    path = tmp_path / "transactions.csv"
    path.write_text(HEADER + rows)
    report = import_file(db, ImportKind.TRANSACTIONS, path, today=d(today))
    assert report.ok, report.problems
    return report


def verdicts(db: Database) -> list[str]:
    """The promise verdicts in history (the pause and resume of the series are the run's)."""
    return [line for line in said(db) if " promise_pause: " not in line and " promise_resume: " not in line]


def promise_facts(db: Database) -> dict[str, Any]:
    """The promises, the payments counted toward them and the verdicts."""
    with db.engine.connect() as connection:
        return {**contents(connection, PROMISE_TABLES), "said": verdicts(db)}


def promise_id(db: Database, account: str = "evans") -> int:
    (row,) = table(db, "promise", account)
    return int(row.id)


# ------------------------------------------------------------------------------------ promises, one posting


def test_100_on_03_18_keeps_it_as_it_posts_and_the_days_run_judges_it_no_more(db: Database) -> None:
    office(db)
    promise_pay(db, 10_000, "2027-03-18")  # no run since 2027-03-01
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    assert said(db, "promise_kept") == [
        f"2027-03-18 promise_kept: promise {promise_id(db)}: kept: $100.00 paid on 2027-03-18 for $100.00 due "
        "2027-03-15; next due 2027-04-15 (one period forward)"]  # fmt: skip
    before = promise_facts(db)
    run_day(db, d("2027-03-18"))
    run_day(db, d("2027-03-18"))
    run_day(db, d("2027-03-19"))
    assert promise_facts(db) == before


@pytest.mark.parametrize(("advance", "due"), [(True, "2027-05-15"), (False, "2027-04-15")])
def test_200_on_03_15_moves_it_two_periods_with_advance_and_one_without_as_it_posts(
    db: Database, advance: bool, due: str
) -> None:
    office(db, advance=advance)
    promise_pay(db, 20_000, "2027-03-15")
    assert promise(db) == ("open", due, 0, 10_000)
    run_day(db, d("2027-03-15"))
    assert promise(db) == ("open", due, 0, 10_000)


def test_60_leaves_it_partial_with_a_shortfall_of_40_and_40_the_same_day_keeps_it(db: Database) -> None:
    office(db)
    promise_pay(db, 6_000, "2027-03-15")
    assert promise(db) == ("partial", "2027-03-15", 6_000, 4_000)
    promise_pay(db, 4_000, "2027-03-15")  # a second verdict of the same day
    assert promise(db) == ("open", "2027-04-15", 0, 10_000)
    assert [line.split(": ")[2].split(":")[0] for line in verdicts(db)] == ["partially kept", "kept"]
    counted = sorted((row.amount_cents, str(row.paid_on), row.installment) for row in table(db, "promise_payment"))
    assert counted == [(4_000, "2027-03-15", 0), (6_000, "2027-03-15", 0)]
    before = promise_facts(db)
    run_day(db, d("2027-03-15"))
    assert promise_facts(db) == before


@pytest.mark.parametrize(("returned", "after", "event"), [
    ("2027-03-17", ("open", "2027-03-15", 0, 10_000), "promise_nsf"),
    ("2027-03-20", ("broken", "2027-03-15", 0, 0), "promise_broken"),
])  # fmt: skip
def test_an_nsf_of_the_100_reopens_it_or_breaks_it_by_the_window_as_it_posts(
    db: Database, returned: str, after: tuple[Any, ...], event: str
) -> None:
    office(db)
    line = promise_pay(db, 10_000, "2027-03-16")
    reverse_payment(db, "evans", line, d(returned))
    assert promise(db) == after
    assert [row.reversed for row in table(db, "promise_payment")] == [True]
    (last,) = said(db, event)
    assert f"payment $100.00 reversed (NSF) on {returned}: back to $100.00 due 2027-03-15" in last
    before = promise_facts(db)
    run_day(db, d(returned))
    assert promise_facts(db) == before


def test_paid_after_the_grace_it_is_broken_as_it_posts_and_the_broken_plan_calls_once(db: Database) -> None:
    office(db)
    promise_pay(db, 10_000, "2027-03-19")
    assert promise(db) == ("broken", "2027-03-15", 0, 0)
    run_day(db, d("2027-03-19"))
    calls = [(a.action, str(a.due_date), a.assignee) for a in table(db, "activity")
             if a.action == "Broken promise call"]  # fmt: skip
    assert calls == [("Broken promise call", "2027-03-20", "BO")]
    assert len(said(db, "promise_broken")) == 1


def test_a_promise_kept_for_good_as_the_payment_posts_resumes_the_series_by_the_pause(db: Database) -> None:
    office(db, who=())
    request = PromiseRequest(10_000, d("2027-03-15"))  # a one-off promise
    add_promise(db, "evans", request, on=d("2027-03-01"), actor="maria", key="one-off")
    assert [(a.action, str(a.due_date)) for a in table(db, "activity", "evans") if a.status == "scheduled"] == [
        ("Call 2", "2027-03-08")]  # fmt: skip
    promise_pay(db, 10_000, "2027-03-10")  # no run since 2027-03-01: kept for good, 9 days after it was taken
    assert promise(db) == ("kept", "2027-03-15", 10_000, 0)
    assert [(a.action, str(a.due_date)) for a in table(db, "activity", "evans") if a.status == "scheduled"] == [
        ("Call 2", "2027-03-17")]  # fmt: skip
    (resumed,) = said(db, "promise_resume")
    assert "resumed on 2027-03-10 after promise" in resumed and "(9 days paused): Call 2 → 2027-03-17" in resumed


# ------------------------------------------------------------------------------------------ promises, import


def test_an_imported_file_judges_each_accounts_promise_day_by_day_and_a_replay_or_rerun_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    office(db, who=("evans", "adams"))
    rows = ("E-1,evans,payment,60.00,2027-03-15,,,guarantor,,\nE-2,evans,payment,40.00,2027-03-17,,,guarantor,,\n"
            "A-1,adams,payment,200.00,2027-03-15,,,guarantor,,\n")  # fmt: skip
    report = transactions(db, tmp_path, rows, "2027-03-17")
    assert report.effects["promises_judged"] == 3
    assert promise(db, "evans") == ("open", "2027-04-15", 0, 10_000)  # $60 partial on 03-15, $40 kept on 03-17
    assert promise(db, "adams") == ("open", "2027-04-15", 0, 10_000)  # $200 without advance: one period
    assert [line.split(": ")[0] for line in verdicts(db)] == [
        "2027-03-15 promise_partial", "2027-03-15 promise_kept", "2027-03-17 promise_kept"]  # fmt: skip
    before = promise_facts(db)
    again = transactions(db, tmp_path, rows, "2027-03-17")
    assert (again.inserted, again.unchanged, dict(again.effects)) == (0, 3, {})
    run_day(db, d("2027-03-17"))
    run_day(db, d("2027-03-17"))
    assert promise_facts(db) == before


def test_an_imported_nsf_reopens_the_promise_its_imported_payment_kept(db: Database, tmp_path: Path) -> None:
    office(db)
    rows = ("E-1,evans,payment,100.00,2027-03-16,,,guarantor,,\n"
            "E-2,evans,reversal,100.00,2027-03-17,,,,E-1,NSF\n")  # fmt: skip
    transactions(db, tmp_path, rows, "2027-03-17")
    assert promise(db) == ("open", "2027-03-15", 0, 10_000)
    assert [line.split(": ")[0] for line in verdicts(db)] == ["2027-03-16 promise_kept", "2027-03-17 promise_nsf"]
    assert [row.reversed for row in table(db, "promise_payment")] == [True]


# ---------------------------------------------------------------------------------------- milestones, import


def test_an_imported_payment_decrements_the_scheme_as_it_posts_and_the_run_moves_it_no_more(
    db: Database, tmp_path: Path
) -> None:
    portfolios(db)
    _stored(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 100.00 due 2026-01-15\n    2026-01-20 charge 100.00 due 2026-02-01")
    scheme_run(db, "2026-03-01")
    scheme_run(db, "2026-03-17")
    assert state(db, "w1") == ("60 days", "2026-03-17", False, "increment")
    rows = "P-1,w1,payment,100.00,2026-03-18,,,guarantor,,\n"
    report = transactions(db, tmp_path, rows, "2026-03-18")  # no run yet: the import itself decrements
    assert report.effects["milestone_moves"] == 1
    assert state(db, "w1") == ("30 days", "2026-03-18", False, "decrement")
    transactions(db, tmp_path, rows, "2026-03-18")
    scheme_run(db, "2026-03-18")
    assert state(db, "w1") == ("30 days", "2026-03-18", False, "decrement")
    assert [row.text for row in table(db, "note", "w1")].count("Back under 60 days") == 1
    assert history(db, "w1")[-1].startswith("milestone")


def test_an_imported_reversal_returns_the_account_to_the_configured_milestone(db: Database, tmp_path: Path) -> None:
    portfolios(db)
    _stored(db)
    world(db, "w1 Adams OFF\n    2026-01-01 charge 200.00 due 2026-01-15")
    scheme_run(db, "2026-03-01")
    assert state(db, "w1") == ("30 days", "2026-03-01", False, "enter")
    rows = "P-1,w1,payment,20.00,2026-03-03,,,guarantor,,\nR-1,w1,reversal,20.00,2026-03-04,,,,P-1,NSF\n"
    transactions(db, tmp_path, rows, "2026-03-04")
    assert state(db, "w1") == ("60 days", "2026-03-04", False, "reversal")
    assert [row.points for row in table(db, "credit_point", "w1")] == [50]
    scheme_run(db, "2026-03-04")
    assert [row.points for row in table(db, "credit_point", "w1")] == [50]


# ------------------------------------------------------------------------------ transaction types and plans


def test_a_posted_payment_of_a_linked_type_runs_its_plan_as_it_posts(plans_db: Database) -> None:
    pay(plans_db, "off", "10.00", "2026-03-11", "p1")  # no run of 2026-03-11
    notes = [(n.text, str(n.on)) for n in table(plans_db, "note", "off")]
    assert notes == [("Thank you", "2026-03-11")]
    run_day(plans_db, d("2026-03-11"))
    assert [n.text for n in table(plans_db, "note", "off")] == ["Thank you"]


def test_a_linked_type_schedules_its_plan_once_after_a_replayed_import_and_a_rerun_of_the_day(
    plans_db: Database, tmp_path: Path
) -> None:
    rows = ("P-1,off,payment,10.00,2026-03-10,,,guarantor,,\nP-2,off,payment,5.00,2026-03-10,,,guarantor,,\n"
            "R-1,off,reversal,10.00,2026-03-10,,,,P-1,NSF\n")  # fmt: skip
    report = transactions(plans_db, tmp_path, rows, "2026-03-10")
    assert report.effects["plans_run"] == 3

    def done() -> tuple[Any, ...]:
        notes = [n.text for n in table(plans_db, "note", "off")].count("Thank you")
        fees = [(f.amount_cents, str(f.posted_date)) for f in table(plans_db, "ledger_line", "off") if f.kind == "fee"]
        calls = [line for line in plan_activities(plans_db, "off") if "Returned payment" in line]
        return notes, fees, calls

    assert done() == (2, [(2500, "2026-03-10")], ["off: 2026-03-10 Returned payment (phone_call)  open"])
    transactions(plans_db, tmp_path, rows, "2026-03-10")
    run_day(plans_db, d("2026-03-10"))
    run_day(plans_db, d("2026-03-10"))
    assert done() == (2, [(2500, "2026-03-10")], ["off: 2026-03-10 Returned payment (phone_call)  open"])


# ---------------------------------------------------------------------------- accounts import, --start-date


def test_an_accounts_import_runs_a_plan_that_prompts_for_a_start_date_from_the_date_given(
    plans_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "new.csv"
    path.write_text("external_id,portfolio,last_name\nnia,NORTH,Nash\n")
    with pytest.raises(ValidationFailed, match="plan START prompts for a start date"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, today=d("2027-02-10"), plan="START", at=AT)
    with pytest.raises(ValidationFailed, match="plan NEW does not prompt for a start date"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, plan="NEW", plan_start=d("2027-03-01"))
    with pytest.raises(ValidationFailed, match="give --plan"):
        import_file(plans_db, ImportKind.ACCOUNTS, path, plan_start=d("2027-03-01"))
    report = import_file(plans_db, ImportKind.ACCOUNTS, path, today=d("2027-02-10"), plan="START", at=AT,
                         plan_start=d("2027-03-01"))  # fmt: skip
    assert report.plan is not None and report.plan.ran == 1
    # delay 7 days from the start date; day of month 31 from the import's date
    assert [line.split()[1] for line in plan_activities(plans_db, "nia")] == ["2027-02-28", "2027-03-08"]
