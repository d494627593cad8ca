"""The six example letters (examples/letters/) rendered from what was queued: each prints its remittance stub once,
from the one ``remittance`` merge field, and the promise confirmation tells the promise that stands (SQLite and
PostgreSQL).

Ann Adams (NORTH, 12 Elm St, Dayton OH 45409) owes $1,000.00 due 2027-01-01, is on a payment plan of $150.00 a
month from 2027-03-20, and promised collector BO (Bob Ortiz) $100.00 a month from 2027-03-15 with 3 days of grace.
On 2027-03-05 a plan queues the six example letters; the batch is printed from their recorded merge data.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pypdf import PdfReader

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.ledger import Frequency, Kind, PaymentPlan
from arrears.domain.model import Account, Party
from arrears.domain.plans import EventType, Plan, PlanEvent
from arrears.domain.promises import PromiseSettings, Repeat
from arrears.domain.strategy import LetterTemplate
from arrears.services.accounts import Posting, add_payment_plan, open_account, post_transaction
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.letter_print import print_batch
from arrears.services.letters import Letterhead, set_letterhead
from arrears.services.plans import run_plan
from arrears.services.promises import PromiseRequest, add_promise
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, table

EXAMPLES = Path(__file__).parents[2] / "examples" / "letters"
NAMES = ("validation-notice", "second-notice", "final-notice", "payment-plan-confirmation", "promise-confirmation",
         "insurance-follow-up")  # fmt: skip
CSS = (EXAMPLES / "letter.css").read_text()
LETTERS = tuple(
    LetterTemplate(f"X{number}", name, name, (EXAMPLES / f"{name}.html").read_text(), stylesheet=CSS,
                   validation_notice=name == "validation-notice")
    for number, name in enumerate(NAMES, start=1)
)  # fmt: skip
SEND = Plan("SEND", "The example letters", events=tuple(
    PlanEvent(number, EventType.LETTER, letter.code) for number, letter in enumerate(LETTERS, start=1)))  # fmt: skip


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_the_example_letters_print_their_stub_once_and_the_promise_from_what_was_queued(
    db: Database, tmp_path: Path
) -> None:
    portfolios(db)
    set_letterhead(db, "NORTH", Letterhead("400 Maple Grove Rd", "", "Dayton", "OH", "45409", "(937) 555-0100"))
    own = tuple(replace(t, body="Dear {{ party.first_name }}") for t in STRATEGY.letters)
    collectors = tuple(replace(c, name="Bob Ortiz") if c.code == "BO" else c for c in STRATEGY.collectors)
    strategy = replace(STRATEGY, letters=(*own, *LETTERS), plans=(SEND,), collectors=collectors,
                       promises=PromiseSettings(grace_days=3))  # fmt: skip
    assert apply_document(db, dump_strategy(strategy), actor="admin", confirm=True).errors == ()
    open_account(db, Account("ann", "NORTH", Party("Ann", "Adams", "12 Elm St", "", "Dayton", "OH", "45409")))
    post_transaction(db, "ann", Posting(Kind.CHARGE, 100_000, d("2026-12-01"), due=d("2027-01-01")))
    add_payment_plan(db, "ann", "ann-plan", PaymentPlan(15_000, Frequency.MONTHLY, d("2027-03-20")))
    add_promise(db, "ann", PromiseRequest(10_000, d("2027-03-15"), Repeat(RepeatPeriod.MONTHLY), collector="BO"),
                on=d("2027-03-05"), actor="maria", key="ann-promise")  # fmt: skip
    run_plan(db, "SEND", "ann", on=d("2027-03-05"), at=datetime(2027, 3, 5, 10, tzinfo=UTC), user="BO")
    assert sorted(row.template for row in table(db, "letter")) == [letter.code for letter in LETTERS]
    batch = print_batch(db, tmp_path, printed_on=d("2027-03-06"))
    texts = {path.name.rsplit("-", 1)[-1].removesuffix(".pdf"): _text(path.read_bytes())
             for path in (tmp_path / batch.folder.name).glob("*.pdf")}  # fmt: skip
    stub = ("Mail to: North Clinic, 400 Maple Grove Rd, Dayton, OH 45409", "Account ann",
            "Make your check payable to North Clinic and write the account number ann on it. To pay by phone call "
            "(937) 555-0100.")  # fmt: skip
    for code in ("X2", "X3", "X6"):
        assert texts[code].count("Please return this part with your payment.") == 1
        assert all(part in texts[code] for part in stub) and "Amount due: $1,000.00" in texts[code]
    assert "Installment due 03/20/2027: $150.00" in texts["X4"] and all(part in texts["X4"] for part in stub)
    assert texts["X1"].count("How do you want to respond?") == 1
    assert "Mail this form to: North Clinic, 400 Maple Grove Rd, Dayton, OH 45409" in texts["X1"]
    promise = texts["X5"]
    assert ("This confirms your promise to Bob Ortiz about account ann: you will pay $100.00 by March 15, 2027, "
            "then $100.00 an installment (monthly): the next is due April 15, 2027.") in promise
    assert "A payment we receive by March 18, 2027 keeps the promise (3 days of grace)." in promise
    assert "Promised payment due 03/15/2027: $100.00" in promise and all(part in promise for part in stub)
