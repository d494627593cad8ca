"""Call attempts and contact facts in the store: completing a call records its outcome class and moment (and
any rule the call broke when it was made); the facts the release gate reads come back from the tables."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from arrears.domain.compliance import AttemptClass, CallAttempt, PartyRole
from arrears.domain.errors import ValidationFailed
from arrears.services.account_page import account_page
from arrears.services.compliance import facts_for
from arrears.services.run import run_day
from arrears.services.worklist import complete_activity, worklist
from arrears.store.compliance import add_call_attempt
from arrears.store.db import Database
from arrears.store.models import AccountRow, CallAttemptRow, LetterRow, PartyRoleRow, PartyRow, PhoneRow
from tests.notation import d
from tests.services.test_worklist import STRATEGY, given_accounts

NY = ZoneInfo("America/New_York")


def _attempts(db: Database) -> list[tuple[str, str, datetime, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(CallAttemptRow.outcome, CallAttemptRow.outcome_class, CallAttemptRow.at, CallAttemptRow.breach)
            .order_by(CallAttemptRow.at)
        ).all()  # fmt: skip
    return [(o, c, (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(NY), b) for o, c, at, b in rows]


def test_completing_a_call_records_the_attempt_with_its_class_and_moment(db: Database) -> None:
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    (call,) = worklist(db, d("2026-03-02"))
    breach = complete_activity(db, call.id, "LEFTMSG", on=d("2026-03-02"), at=datetime(2026, 3, 2, 10, 15, tzinfo=NY))
    assert breach is None
    assert _attempts(db) == [("LEFTMSG", "voicemail", datetime(2026, 3, 2, 10, 15, tzinfo=NY), None)]


def test_a_call_outcome_must_be_a_configured_code(db: Database) -> None:
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    (call,) = worklist(db, d("2026-03-02"))
    with pytest.raises(ValidationFailed, match=r"is not an outcome code \(known: CONNECTED \(connected "
                                               r"conversation\), PROMISE \(promise\)"):  # fmt: skip
        complete_activity(db, call.id, "MAYBE", on=d("2026-03-02"))
    assert _attempts(db) == [] and len(worklist(db, d("2026-03-02"))) == 1  # nothing written


def test_a_promise_is_recorded_as_such_and_counts_as_the_conversation(db: Database) -> None:
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    (call,) = worklist(db, d("2026-03-02"))
    promised = datetime(2026, 3, 2, 10, 15, tzinfo=NY)
    assert complete_activity(db, call.id, "PROMISE", "pays on the 10th", on=d("2026-03-02"), at=promised) is None
    assert _attempts(db) == [("PROMISE", "promise", promised, None)]
    with db.engine.connect() as connection:
        account_id = connection.scalar(select(AccountRow.id))
        assert account_id is not None
        facts = facts_for(connection, STRATEGY, [account_id], d("2026-03-03"))[account_id]
    assert facts.last_conversation == promised  # the 7-day wait after a conversation starts from it
    assert facts.attempts == (CallAttempt(promised.astimezone(UTC), AttemptClass.PROMISE),)


def test_a_call_made_in_breach_is_recorded_and_flagged(db: Database) -> None:
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    (call,) = worklist(db, d("2026-03-02"))
    with db.engine.begin() as connection:
        account_id = connection.scalar(select(AccountRow.id))
        assert account_id is not None
        for day in range(7):  # seven voicemails from 2026-02-24 09:00 to 2026-03-02 09:00
            moment = datetime(2026, 2, 24, 9, tzinfo=NY) + timedelta(days=day)
            add_call_attempt(connection, account_id, None, moment, "LEFTMSG", AttemptClass.VOICEMAIL, "ann", None)
    breach = complete_activity(db, call.id, "NOANSWER", on=d("2026-03-02"), at=datetime(2026, 3, 2, 21, 30,
                                                                                       tzinfo=NY))  # fmt: skip
    assert breach == (
        "R01: 7 calls in the 7 days to 2026-03-02 21:30 EST (limit 7): next allowed 2026-03-03 09:00 EST; "
        "R03: 21:30:00 in America/New_York: outside 08:00–21:00 local (every candidate zone: America/New_York): "
        "next allowed 2026-03-03 08:00 EST"
    )
    last = _attempts(db)[-1]
    assert last[:3] == ("NOANSWER", "no_answer", datetime(2026, 3, 2, 21, 30, tzinfo=NY)) and last[3] == breach


def test_a_call_to_a_party_who_asked_not_to_be_called_is_recorded_flagged_and_on_the_account_page(
    db: Database,
) -> None:
    """The party asked not to be called after the call was released; the collector calls anyway at 21:30 (the
    time given in the party's zone): the attempt is kept, flagged H06 and R03, and the account's history says so."""
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    (call,) = worklist(db, d("2026-03-02"))
    with db.transaction() as session:
        session.execute(update(PartyRow).values(do_not_call=True))
    breach = complete_activity(db, call.id, "NOANSWER", on=d("2026-03-02"), local_time=time(21, 30),
                               actor="ann", today=d("2026-03-02"))  # fmt: skip
    assert breach is not None and breach.startswith("H06: do not call: no phone calls; R03: 21:30:00 in "
                                                    "America/New_York: outside 08:00–21:00 local")  # fmt: skip
    assert _attempts(db) == [("NOANSWER", "no_answer", datetime(2026, 3, 2, 21, 30, tzinfo=NY), breach)]
    page = account_page(db, "N-1", d("2026-03-02"))
    assert ("history", f"call-breach: call NOANSWER at 21:30 EST by ann broke: {breach}") in [
        (e.kind, e.text) for e in page.timeline
    ]
    assert worklist(db, d("2026-03-02")) == []  # done: recorded, not refused


def test_the_contact_facts_come_back_from_the_tables(db: Database) -> None:
    given_accounts(db, "Adams")
    run_day(db, d("2026-03-02"), strategy=STRATEGY)
    with db.transaction() as session:
        account = session.scalars(select(AccountRow)).one()
        session.execute(
            update(PartyRow).values(time_zone="", state="IL", deceased=True, deceased_notified=d("2026-02-20"),
                                    dispute_date=d("2026-02-01"), dispute_verified=d("2026-02-10"))
        )  # fmt: skip
        account.medical, account.original_balance_cents, account.first_bill_date = True, 50_000, d("2025-12-01")
        session.add(PhoneRow(party_id=account.guarantor_id, number="(808) 555-0100", type="mobile"))
        session.add(PartyRoleRow(party_id=account.guarantor_id, role="estate_representative", name="Lee Adams"))
        session.add(LetterRow(key="l1", account_id=account.id, template="G30", channel="letter",
                              queued_on=d("2026-02-05"), merge_data="{}", status="printed"))  # fmt: skip
        session.add(LetterRow(key="l2", account_id=account.id, template="G60", channel="letter",
                              queued_on=d("2026-02-06"), merge_data="{}", status="returned"))  # fmt: skip
        account_id = account.id
    talk = datetime(2026, 2, 27, 11, 0, tzinfo=NY)
    with db.engine.begin() as connection:
        add_call_attempt(connection, account_id, None, talk, "CONNECTED", AttemptClass.CONNECTED_CONVERSATION, "ann",
                         None)  # fmt: skip
        add_call_attempt(connection, account_id, None, talk - timedelta(days=30), "NOANSWER", AttemptClass.NO_ANSWER,
                         "ann", None)  # fmt: skip
    with db.engine.connect() as connection:
        facts = facts_for(connection, STRATEGY, [account_id], d("2026-03-02"))[account_id]
    assert facts.time_zones == ("America/Chicago", "Pacific/Honolulu")  # the state's zone, and the phone's
    assert facts.deceased and facts.deceased_notified == d("2026-02-20") and not facts.disputed
    assert facts.roles == {PartyRole.ESTATE_REPRESENTATIVE}
    assert facts.attempts == (CallAttempt(talk.astimezone(UTC), AttemptClass.CONNECTED_CONVERSATION),)
    assert facts.last_conversation == talk
    assert [(s.template, s.first_on) for s in facts.letters] == [("G30", d("2026-02-05"))]  # returned mail left out
    assert (facts.medical, facts.original_balance_cents, facts.first_bill_on) == (True, 50_000, d("2025-12-01"))
    assert facts.first_delinquency == d("2026-01-15") and facts.case_entered_on == d("2026-03-02")
    assert facts.balance_cents == 10_000
