"""The daily run with the compliance guardrails (on by default), on SQLite and PostgreSQL.

The strategy is that of :mod:`tests.services.run_scenarios`: NORTH sends A–D to the series "Guarantor
Letters" (Letter 30 first) and E–H to "Call 1"; SOUTH posts a "Late Fee" on $500.01–$2,500.00. Every party
is in New York unless said otherwise; the US default rules apply.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from arrears.domain.compliance import AttemptClass
from arrears.domain.compliance_rules import SWITCHED_OFF, CompliancePolicy
from arrears.services.compliance import compliance_report
from arrears.services.explain import explain
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity, worklist, worklist_holds_until
from arrears.store.compliance import add_call_attempt
from arrears.store.db import Database
from arrears.store.models import LetterRow, PartyRoleRow, PartyRow
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, activities, case_row, cases, portfolios, table, world

NY = ZoneInfo("America/New_York")


def _gate_log(db: Database) -> list[tuple[str, str, str, str]]:
    return [(str(r.on), r.verdict, r.rule, r.reason) for r in table(db, "compliance_event")]


def test_a_bankrupt_party_enters_held_no_letter_no_fee_and_is_released_when_the_bankruptcy_ends(
    db: Database,
) -> None:
    portfolios(db)
    ids = world(
        db,
        """
abe Adams NORTH bankruptcy
    2026-01-01 charge 100.00 due 2026-01-14
sam Smith SOUTH bankruptcy
    2026-01-01 charge 600.00 due 2026-01-14
""",
    )
    with db.transaction() as session:
        session.execute(update(PartyRow).values(bankruptcy_filed=d("2026-02-20")))
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert cases(db) == {
        "abe": ("held", "2026-03-01", "AL", "Guarantor Letters"),
        "sam": ("held", "2026-03-01", "HI", "Late Fee"),
    }
    held = "H01: bankruptcy filed 2026-02-20: no contact, no fees, no credit report, no referral"
    assert case_row(db, "abe").hold_reason == held
    assert activities(db) == [
        "abe: 2026-03-01 Letter 30 (letter) AL scheduled",
        "sam: 2026-03-01 Late Fee (fee) HI scheduled",
    ]
    assert table(db, "letter") == [] and [r.kind for r in table(db, "ledger_line")] == ["charge", "charge"]
    assert [(r.event, r.detail) for r in table(db, "history", "abe")][-1] == ("case-hold", held)

    with db.transaction() as session:  # the bankruptcy is dismissed for Adams
        session.execute(update(PartyRow).where(PartyRow.id == _party(db, ids["abe"])).values(bankruptcy=False))
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    assert cases(db)["abe"][0] == "internal" and case_row(db, "abe").hold_reason is None
    assert [(r.event, r.detail) for r in table(db, "history", "abe")][-1] == (
        "case-release", "H01 no longer applies on 2026-03-02: case released"
    )
    assert activities(db)[:2] == [
        "abe: 2026-03-01 Letter 30 (letter) AL done",
        "abe: 2026-04-01 Letter 60 (letter) AL scheduled",
    ]
    assert cases(db)["sam"][0] == "held"


def _party(db: Database, account_id: int) -> int:
    (row,) = [r for r in table(db, "account") if r.id == account_id]
    return int(row.guarantor_id)


def test_do_not_call_holds_the_call_with_its_rule_and_letters_still_go(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
eve Evans NORTH do_not_call
    2026-01-01 charge 100.00 due 2026-01-14
ada Adams NORTH do_not_call
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    result = run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert activities(db) == [
        "ada: 2026-03-01 Letter 30 (letter) AL done",
        "ada: 2026-03-31 Letter 60 (letter) AL scheduled",
        "eve: 2026-03-01 Call 1 (phone_call) BO held",
    ]
    (call,) = [r for r in table(db, "activity") if r.action == "Call 1"]
    assert call.hold_reason == "H06: do not call: no phone calls"
    assert _gate_log(db) == [("2026-03-01", "held", "H06", "do not call: no phone calls")]
    assert result.counts["compliance.held.H06"] == 1
    run_day(db, d("2026-03-02"), strategy=STRATEGY)  # asked again: still held, logged once
    assert len(_gate_log(db)) == 1


def test_a_letter_to_a_represented_party_goes_to_the_attorney_on_file(db: Database) -> None:
    portfolios(db)
    ids = world(
        db,
        """
ada Adams NORTH attorney_represented
    2026-01-01 charge 100.00 due 2026-01-14
bea Baker NORTH attorney_represented
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    with db.transaction() as session:
        session.add(PartyRoleRow(party_id=_party(db, ids["ada"]), role="attorney", name="Lee Counsel"))
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert [(r.account_id, r.template, r.addressee) for r in table(db, "letter")] == [(ids["ada"], "L30", "attorney")]
    assert [a for a in activities(db) if a.startswith("bea")] == ["bea: 2026-03-01 Letter 30 (letter) AL held"]
    assert _gate_log(db) == [
        ("2026-03-01", "redirected", "H04", "represented by an attorney: letter to the attorney"),
        ("2026-03-01", "held", "H04", "represented by an attorney and no attorney on file to write to"),
    ]


def test_the_eighth_call_in_seven_days_is_deferred_to_the_moment_the_first_leaves_the_window(db: Database) -> None:
    portfolios(db)
    ids = world(
        db,
        """
eve Evans NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    with db.engine.begin() as connection:  # seven voicemails, 2026-02-22 ... 2026-02-28 at 14:02 New York
        for day in range(7):
            moment = datetime(2026, 2, 22, 14, 2, tzinfo=NY) + timedelta(days=day)
            add_call_attempt(connection, ids["eve"], None, moment, "LEFTMSG", AttemptClass.VOICEMAIL, "ann", None)
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    call, call_2 = table(db, "activity")
    assert call_2.action == "Call 2" and str(call_2.due_date) == "2026-03-08"
    due_at = call.due_at if call.due_at.tzinfo else call.due_at.replace(tzinfo=UTC)
    assert (call.status, str(call.due_date), due_at) == ("open", "2026-03-01", datetime(2026, 3, 1, 14, 2, tzinfo=NY))
    assert _gate_log(db) == [
        ("2026-03-01", "deferred", "R01", "7 calls in the 7 days to 2026-03-01 00:00 EST (limit 7): next allowed "
         "2026-03-01 14:02 EST"),
    ]  # fmt: skip


def test_without_guardrails_the_same_accounts_are_contacted(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
eve Evans NORTH do_not_call
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    unguarded = replace(STRATEGY, compliance=CompliancePolicy(enterprise=SWITCHED_OFF))
    run_day(db, d("2026-03-01"), strategy=unguarded)
    assert activities(db) == [
        "eve: 2026-03-01 Call 1 (phone_call) BO open",
        "eve: 2026-03-08 Call 2 (phone_call) BO scheduled",
    ]
    assert _gate_log(db) == []
    with db.engine.connect() as connection:
        assert connection.scalar(select(PartyRow.do_not_call)) is True


def test_explain_lists_each_rule_that_held_or_deferred_work_with_its_numbers(db: Database) -> None:
    portfolios(db)
    ids = world(
        db,
        """
eve Evans NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    with db.engine.begin() as connection:  # seven voicemails, 2026-03-02 ... 2026-03-08 at 14:02 New York
        for day in range(7):
            moment = datetime(2026, 3, 2, 14, 2, tzinfo=NY) + timedelta(days=day)
            add_call_attempt(connection, ids["eve"], None, moment, "LEFTMSG", AttemptClass.VOICEMAIL, "ann", None)
    run_day(db, d("2026-03-01"), strategy=STRATEGY)  # Call 1 released; Call 2 due 2026-03-08
    with db.transaction() as session:
        session.execute(update(PartyRow).values(dispute_date=d("2026-03-05")))
    run_day(db, d("2026-03-08"), strategy=STRATEGY)
    result = explain(db, "eve", d("2026-03-08"), STRATEGY)
    assert [(c["on"], c["rule"], c["verdict"], c["reason"]) for c in result.compliance] == [
        (d("2026-03-08"), "H05", "held", "disputed on 2026-03-05: held until the verification is recorded"),
    ]
    with db.transaction() as session:
        session.execute(update(PartyRow).values(dispute_verified=d("2026-03-08")))
    run_day(db, d("2026-03-09"), strategy=STRATEGY)
    result = explain(db, "eve", d("2026-03-09"), STRATEGY)
    # The first call leaves the window 7 × 24 hours after it was made: 15:02 on the clocks moved on 2026-03-08.
    assert [(c["on"], c["rule"], c["verdict"], c["reason"]) for c in result.compliance][1:] == [
        (d("2026-03-09"), "R01", "deferred", "7 calls in the 7 days to 2026-03-09 00:00 EDT (limit 7): next allowed "
         "2026-03-09 15:02 EDT"),
    ]  # fmt: skip


def test_the_report_counts_contacts_holds_and_a_collectors_call_in_breach(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
ada Adams NORTH
    2026-01-01 charge 100.00 due 2026-01-14
eve Evans NORTH do_not_call
    2026-01-01 charge 100.00 due 2026-01-14
fay Fox NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    (call,) = [item for item in worklist(db, d("2026-03-01")) if item.account == "fay"]
    complete_activity(db, call.id, "NOANSWER", on=d("2026-03-01"), at=datetime(2026, 3, 1, 7, 45, tzinfo=NY))
    report = compliance_report(db, d("2026-03-01"), d("2026-03-01"), STRATEGY)
    north = report.portfolios["NORTH"]
    assert (dict(north.contacts), dict(north.held), dict(north.deferred)) == ({"letter": 1, "phone": 1}, {"H06": 1}, {})
    assert report.engine_breaches == 0
    (breach,) = report.breaches
    assert (breach.account, breach.channel, breach.made_by, breach.rule) == ("fay", "phone", "cli", "R03")
    assert breach.reason.startswith("R03: 07:45:00 in America/New_York: outside 08:00–21:00 local")
    assert compliance_report(db, d("2026-03-02"), d("2026-03-31"), STRATEGY).as_dict()["manual_breaches"] == 0


def test_the_report_finds_a_letter_the_rules_would_have_held(db: Database) -> None:
    """The report checks the engine's letters again: one queued without guardrails to a bankrupt party is a
    breach (which the run with guardrails never makes)."""
    portfolios(db)
    world(
        db,
        """
abe Adams NORTH bankruptcy
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run_day(db, d("2026-03-01"), strategy=replace(STRATEGY, compliance=CompliancePolicy(enterprise=SWITCHED_OFF)))
    report = compliance_report(db, d("2026-03-01"), d("2026-03-01"), STRATEGY)
    assert [(b.account, b.channel, b.made_by, b.rule, b.reason) for b in report.breaches] == [
        ("abe", "letter", "engine", "H01", "bankruptcy: no contact, no fees, no credit report, no referral"),
    ]


def test_the_worklist_hides_the_calls_that_may_not_be_made_now_and_says_when_they_may(db: Database) -> None:
    portfolios(db)
    ids = world(
        db,
        """
eve Evans NORTH
    2026-01-01 charge 100.00 due 2026-01-14
fay Fox NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    with db.engine.begin() as connection:  # Fox was reached from another desk at 09:15
        add_call_attempt(connection, ids["fay"], None, datetime(2026, 3, 1, 9, 15, tzinfo=NY), "CONNECTED",
                         AttemptClass.CONNECTED_CONVERSATION, "ben", None)  # fmt: skip
    early = {i.account: i for i in worklist(db, d("2026-03-01"), now=datetime(2026, 3, 1, 7, 30, tzinfo=NY))}
    assert early["eve"].not_before == datetime(2026, 3, 1, 8, 0, tzinfo=NY) and early["eve"].blocked.startswith(
        "R03: 07:30:00 in America/New_York: outside 08:00–21:00 local"
    )
    later = {i.account: i for i in worklist(db, d("2026-03-01"), now=datetime(2026, 3, 1, 11, 0, tzinfo=NY))}
    assert later["eve"].callable_now and later["eve"].not_before is None
    assert not later["fay"].callable_now and later["fay"].not_before == datetime(2026, 3, 8, 8, 0, tzinfo=NY)
    assert later["fay"].blocked.startswith(
        "R02: telephone conversation on 2026-03-01 (day 1): no calls through 2026-03-07 (day 7): next allowed "
        "2026-03-08; then R03"
    )


def test_todays_worklist_holds_until_the_next_whole_minute_or_the_first_call_allowed_again(db: Database) -> None:
    portfolios(db)
    world(
        db,
        """
eve Evans NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run_day(db, d("2026-03-01"), strategy=STRATEGY)

    def at(hour: int, minute: int, second: int) -> datetime:
        return datetime(2026, 3, 1, hour, minute, second, tzinfo=NY)

    def listed(now: datetime) -> tuple[bool, datetime | None]:
        items = worklist(db, d("2026-03-01"), now=now)
        return items[0].callable_now, worklist_holds_until(items, now)

    # before the window opens at 08:00 the list holds for the rest of the minute, and no longer than 08:00
    assert listed(at(7, 30, 20)) == (False, at(7, 31, 0))
    assert listed(at(7, 59, 40)) == (False, at(8, 0, 0))
    # in the last minute of the window the call may be made, and the list holds until 21:00; at 21:00 itself
    # it still may (the window's end is in it) but not a moment later, so that list holds no longer
    assert listed(at(20, 59, 30)) == (True, at(21, 0, 0))
    assert listed(at(21, 0, 0)) == (True, at(21, 0, 0))
    assert listed(at(21, 0, 1)) == (False, at(21, 1, 0))
    # a day's list that is not today's depends on the data only
    assert worklist_holds_until(worklist(db, d("2026-03-01")), None) is None


def test_after_a_first_conversation_the_validation_notice_is_due_in_5_days_and_other_contact_waits_for_it(
    db: Database,
) -> None:
    """V02: Evans is worked by calls (Call 1, then Call 2 a week later) and reached on 2026-03-01: the validation
    notice is due by 2026-03-06; none went out, so Call 2 is held on 2026-03-08 until it has been sent."""
    portfolios(db)
    ids = world(
        db,
        """
eve Evans NORTH
    2026-01-01 charge 100.00 due 2026-01-14
""",
    )
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    (call,) = worklist(db, d("2026-03-01"))
    assert complete_activity(db, call.id, "CONNECTED", on=d("2026-03-01"),
                             at=datetime(2026, 3, 1, 10, 0, tzinfo=NY)) is None  # fmt: skip
    run_day(db, d("2026-03-08"), strategy=STRATEGY)
    held = ("first contact on 2026-03-01 and no validation notice sent by 2026-03-06 (5 days): no other contact until "
            "it is")
    assert _gate_log(db) == [("2026-03-08", "held", "V02", held)]
    assert activities(db)[-1] == "eve: 2026-03-08 Call 2 (phone_call) BO held"
    with db.transaction() as session:  # the collector sends the validation notice (L30) by hand
        session.add(LetterRow(key="manual:eve:L30", account_id=ids["eve"], template="L30", channel="letter",
                              queued_on=d("2026-03-09"), status="queued", addressee="", merge_data="{}"))  # fmt: skip
    run_day(db, d("2026-03-09"), strategy=STRATEGY)
    assert activities(db)[-1] == "eve: 2026-03-08 Call 2 (phone_call) BO open"
    assert [(r.event, r.detail) for r in table(db, "history", "eve")][-1] == (
        "hold-ended", "Call 2 (phone_call): no rule holds it on 2026-03-09: released"
    )
