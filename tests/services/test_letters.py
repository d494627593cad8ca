"""Letters' merge data as the run records it: letterhead (a portfolio's own, else its parent's), itemization
from the case's anchor date, and letterheads refused when they break a rule."""

from __future__ import annotations

import json

import pytest

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.ledger import Frequency, Kind, PaymentPlan, Source
from arrears.domain.model import ENTERPRISE
from arrears.domain.promises import Repeat
from arrears.domain.strategy import LetterTemplate
from arrears.letters.records import merge_data_from_record, merge_record
from arrears.letters.render import letter_context, render_letter
from arrears.services.accounts import Posting, add_payment_plan, post_transaction
from arrears.services.letters import Letterhead, merge_data, set_letterhead
from arrears.services.promises import PromiseRequest, add_promise
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, table, world

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
HEAD = Letterhead("400 Maple Grove Rd", "Suite 200", "Dayton", "OH", "45409", "(937) 555-0100", PNG)
ITEMIZED = LetterTemplate(
    "ITEM", "Itemized", "",
    "As of {{ itemization.date | date }} you owed {{ itemization.balance }}.\n"
    "{% for line in itemization.lines %}{{ line.date }} {{ line.kind }} {{ line.description }} {{ line.amount }}\n"
    "{% endfor %}Now: {{ balance }}. {{ portfolio.name }}, {{ portfolio.address_lines | join(', ') }}, "
    "{{ portfolio.city }} {{ portfolio.phone }}",
)  # fmt: skip


def test_the_queued_letter_records_the_letterhead_and_the_itemization_since_the_cases_anchor(db: Database) -> None:
    portfolios(db)
    set_letterhead(db, ENTERPRISE, HEAD)
    set_letterhead(db, "NORTH", Letterhead(phone="(937) 555-0199"))  # its own phone, the enterprise's address
    world(db, "ann Adams NORTH\n    2026-01-01 charge 100.00 due 2026-01-14")
    post_transaction(db, "ann", Posting(Kind.PAYMENT, 2000, d("2026-02-01"), source=Source.GUARANTOR))
    post_transaction(db, "ann", Posting(Kind.CHARGE, 4500, d("2026-02-20"), due=d("2026-03-20"),
                                        description="Lab work"))  # fmt: skip
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    (letter,) = table(db, "letter")
    record = json.loads(letter.merge_data)
    assert record["letterhead"] == {"address1": "400 Maple Grove Rd", "address2": "Suite 200", "city": "Dayton",
                                    "state": "OH", "postal_code": "45409", "phone": "(937) 555-0199"}  # fmt: skip
    # The case entered on 2026-03-01 anchored on the oldest unpaid due date, 2026-01-14.
    assert record["itemization"] == {
        "date": "2026-01-14", "balance_cents": 10000,
        "lines": [["2026-02-01", "payment", "", -2000], ["2026-02-20", "charge", "Lab work", 4500]],
    }  # fmt: skip
    rendered = render_letter(ITEMIZED, letter_context(merge_data_from_record(record)))
    assert rendered.body == (
        "As of January 14, 2026 you owed $100.00.\n2026-02-01 payment  -$20.00\n2026-02-20 charge Lab work $45.00\n"
        "Now: $125.00. North Clinic, 400 Maple Grove Rd, Suite 200, Dayton (937) 555-0199"
    )
    # The logo is the portfolio's (inherited here), read when the letter is rendered, never copied per letter.
    assert "logo" not in record["letterhead"]
    assert merge_data(db, "ann", d("2026-03-01")).letterhead["logo"].startswith("data:image/png;base64,iVBORw0KGgo")


PLAN_LETTER = LetterTemplate(
    "PLAN", "Plan", "",
    "{% if plan.active %}{{ plan.installments_paid }} of {{ plan.installments }} installments of "
    "{{ plan.installment }} ({{ plan.frequency }}, from {{ plan.first_due | date }}) paid; "
    "{{ plan.installments_remaining }} to go, the next due {{ plan.next_due | date }}. Balance {{ balance }}."
    "{% else %}No plan.{% endif %}",
)  # fmt: skip


def test_a_letter_tells_where_the_payment_plan_stands_on_its_date(db: Database) -> None:
    """$600 on a plan of six $100 monthly installments from 2026-01-15; $250 paid by 2026-03-01."""
    portfolios(db)
    world(db, "pat Park NORTH\n    2026-01-01 charge 600.00 due 2026-01-14\nann Adams NORTH")
    add_payment_plan(db, "pat", "pat-plan", PaymentPlan(10000, Frequency.MONTHLY, d("2026-01-15"), installments=6,
                                                          start=d("2026-01-01")))  # fmt: skip
    for cents, day in ((10000, "2026-01-15"), (10000, "2026-02-14"), (5000, "2026-02-25"), (10000, "2026-03-05")):
        post_transaction(db, "pat", Posting(Kind.PAYMENT, cents, d(day), source=Source.GUARANTOR))
    data = merge_data(db, "pat", d("2026-03-01"))  # the payment of 2026-03-05 is after the letter's date
    expected = ("2 of 6 installments of $100.00 (monthly, from January 15, 2026) paid; 4 to go, the next due "
                "March 15, 2026. Balance $350.00.")  # fmt: skip
    assert render_letter(PLAN_LETTER, letter_context(data)).body == expected
    # A queued letter records the plan's standing: printed later, it says what was true on its date.
    record = json.loads(json.dumps(merge_record(data)))
    assert render_letter(PLAN_LETTER, letter_context(merge_data_from_record(record))).body == expected
    assert render_letter(PLAN_LETTER, letter_context(merge_data(db, "ann", d("2026-03-01")))).body == "No plan."


PROMISE_LETTER = LetterTemplate(
    "PRM", "Promise", "",
    "{% if promise.active %}{{ promise.amount }} every {{ promise.repeat }} due {{ promise.due | date }}, "
    "{{ promise.paid }} paid, {{ promise.shortfall }} to go, next {{ promise.next_due | date }}, taken by "
    "{{ promise.collector_name }}{% else %}No promise.{% endif %}",
)  # fmt: skip


def test_a_letter_tells_the_oldest_promise_that_stands_and_a_queued_letter_records_it(db: Database) -> None:
    """Pat promised $50.00 every 14 days from 2026-03-10 (then $80.00 once, later); $20.00 of it is paid."""
    portfolios(db)
    world(db, "pat Park NORTH\n    2026-01-01 charge 600.00 due 2026-01-14\nann Adams NORTH")
    add_promise(db, "pat", PromiseRequest(5000, d("2026-03-10"), Repeat(days=14)), on=d("2026-03-01"),
                actor="maria", key="first")  # fmt: skip
    add_promise(db, "pat", PromiseRequest(8000, d("2026-04-01")), on=d("2026-03-01"), actor="maria",
                key="second")  # fmt: skip
    with db.engine.begin() as connection:  # the run counted a $20.00 payment toward the first
        connection.exec_driver_sql("UPDATE promise SET paid_cents = 2000, status = 'partial' WHERE key = 'first'")
    data = merge_data(db, "pat", d("2026-03-02"))
    expected = ("$50.00 every 14 days due March 10, 2026, $20.00 paid, $30.00 to go, next March 24, 2026, taken by "
                "maria")  # fmt: skip
    assert render_letter(PROMISE_LETTER, letter_context(data)).body == expected
    record = json.loads(json.dumps(merge_record(data)))
    assert record["promise"]["collector"] == "maria"
    assert render_letter(PROMISE_LETTER, letter_context(merge_data_from_record(record))).body == expected
    assert render_letter(PROMISE_LETTER, letter_context(merge_data(db, "ann", d("2026-03-02")))).body == "No promise."
    assert "promise" not in merge_record(merge_data(db, "ann", d("2026-03-02")))  # old records read back the same


def test_a_letterhead_that_breaks_a_rule_is_refused_with_every_field(db: Database) -> None:
    portfolios(db)
    with pytest.raises(ValidationFailed) as failure:
        set_letterhead(db, "NORTH", Letterhead(state="O" * 41, logo=b"<svg/>"))
    assert [(p.location, p.rule) for p in failure.value.problems] == [
        ("state", "is at most 40 characters"), ("logo", "must be a PNG, JPEG or GIF image"),
    ]  # fmt: skip
    with pytest.raises(NotFound):
        set_letterhead(db, "NOPE", HEAD)
