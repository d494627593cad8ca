"""Printing a day's letters: the print shop's PDF (cover sheet, letters in postal order), one PDF per letter,
an index; marking the batch printed; a reprint that writes nothing and gives the same bytes.

Given NORTH's strategy (name range A-D: the "Guarantor Letters" series, whose first step is Letter 30) and three
guarantors owing $100.00 due 2026-01-14, the run of 2026-03-01 (46 days past due) queues Letter 30 for each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from arrears.domain.errors import NotFound, ValidationFailed
from arrears.domain.flags import FlagChange, RoleChange
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.domain.strategy import LetterTemplate
from arrears.letters.pdf import WINDOW
from arrears.services.accounts import Posting, open_account, post_transaction
from arrears.services.config_entities import create_letter, update_letter
from arrears.services.flags import set_flags
from arrears.services.letter_print import print_batch
from arrears.services.letters import Letterhead, set_letterhead
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.notation import d
from tests.services.run_scenarios import STRATEGY, portfolios, table

EXAMPLES = Path(__file__).parents[2] / "examples" / "letters"
NOTICE = LetterTemplate(
    "L30", "Validation notice", "Notice of the debt", (EXAMPLES / "validation-notice.html").read_text(),
    validation_notice=True, stylesheet=(EXAMPLES / "letter.css").read_text(),
)  # fmt: skip
GUARANTORS = (  # code, first, last, ZIP: postal order is Cole (43004), Baker (45402), Adams (45409)
    ("ann", "Ann", "Adams", "12 Elm St", "45409"),
    ("bea", "Bea", "Baker", "7 Oak Ave", "45402"),
    ("cal", "Cal", "Cole", "99 Pine Rd", "43004"),
)


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _positions(data: bytes) -> dict[str, tuple[float, float]]:
    """Where each text run of page 1 starts, in inches from the paper's top-left corner."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    height = float(page.mediabox.height)
    found: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip():
            found.setdefault(text.strip(), (x / 72, (height - y) / 72))

    page.extract_text(visitor_text=visit)
    return found


def _queue(db: Database, before_the_run: Callable[[Database], None] = lambda db: None) -> Database:
    portfolios(db, "NORTH")
    set_letterhead(db, "NORTH", Letterhead("400 Maple Grove Rd", "", "Dayton", "OH", "45409", "(937) 555-0100"))
    for code, first, last, street, zip_code in GUARANTORS:
        party = Party(first, last, street, "", "Dayton", "OH", zip_code)
        open_account(db, Account(code, "NORTH", party))
        post_transaction(db, code, Posting(Kind.CHARGE, 10000, d("2026-01-01"), due=d("2026-01-14")))
    create_letter(db, NOTICE)
    before_the_run(db)
    run_day(db, d("2026-03-01"), strategy=STRATEGY)
    assert [(row.template, row.status) for row in table(db, "letter")] == [("L30", "queued")] * 3
    return db


@pytest.fixture
def queued(db: Database) -> Database:
    return _queue(db)


def test_the_batch_prints_in_postal_order_with_a_cover_sheet_one_pdf_per_letter_and_an_index(
    queued: Database, tmp_path: Path
) -> None:
    batch = print_batch(queued, tmp_path, printed_on=d("2026-03-02"))
    assert (batch.day, batch.letters, batch.newly_printed) == (d("2026-03-01"), 3, 3)
    with batch.index.open(newline="") as index:
        rows = list(csv.DictReader(index))
    assert [(r["sequence"], r["account"], r["addressee"], r["postal_code"], r["balance"]) for r in rows] == [
        ("1", "cal", "Cal Cole", "43004", "$100.00"),
        ("2", "bea", "Bea Baker", "45402", "$100.00"),
        ("3", "ann", "Ann Adams", "45409", "$100.00"),
    ]
    pages = [int(r["pages"]) for r in rows]
    assert [int(r["first_page"]) for r in rows] == [2, 2 + pages[0], 2 + pages[0] + pages[1]]  # the cover is page 1
    combined_pages, combined_text = _pdf_text(batch.combined.read_bytes())
    assert combined_pages == batch.pages == 1 + sum(pages)
    assert "Letter batch of 2026-03-01" in combined_text and "Letters 3" in combined_text
    assert combined_text.index("Cal Cole") < combined_text.index("Bea Baker") < combined_text.index("Ann Adams")
    for row in rows:
        count, text = _pdf_text((tmp_path / row["file"]).read_bytes())
        assert count == int(row["pages"]) == 1  # the notice and its remittance stub fit one page
        assert row["addressee"] in text and "Total amount of the debt now: $100.00" in text
        assert "account " + row["account"] in text and "North Clinic" in text


def test_the_address_block_prints_in_the_envelope_window(queued: Database, tmp_path: Path) -> None:
    batch = print_batch(queued, tmp_path, printed_on=d("2026-03-02"))
    single = next((tmp_path / batch.folder.name).glob("*-ann-L30.pdf")).read_bytes()
    positions = _positions(single)
    for line in ("Ann Adams", "12 Elm St", "Dayton, OH 45409"):
        left, top = positions[line]
        assert WINDOW.left <= left <= WINDOW.left + 0.25, (line, left)  # flush with the window's left edge
        assert WINDOW.top <= top <= WINDOW.top + WINDOW.height, (line, top)  # its baseline inside the window
    assert positions["North Clinic"][1] < WINDOW.top  # the letterhead stays above the window


def test_marking_printed_writes_one_note_per_letter_and_the_outcome_and_a_reprint_writes_nothing(
    queued: Database, tmp_path: Path
) -> None:
    first = print_batch(queued, tmp_path / "first", printed_on=d("2026-03-02"))
    letters = table(queued, "letter")
    assert [(row.status, row.printed_on, row.pages) for row in letters] == [("printed", d("2026-03-02"), 1)] * 3
    notes = [row for row in table(queued, "note") if row.key and row.key.startswith("printed:")]
    assert len(notes) == 3
    assert notes[0].text.startswith("Letter L30 printed (1 page) in the batch of 2026-03-01: letters-2026-03-01/")
    letter_activities = [row for row in table(queued, "activity") if row.action == "Letter 30"]
    assert [(row.status, row.outcome) for row in letter_activities] == [("done", "printed")] * 3

    # The template is edited afterwards: a reprint still gives what was mailed, byte for byte.
    update_letter(queued, "L30", replace(NOTICE, body="<p>New text</p>"))
    before = {name: len(table(queued, name)) for name in ("note", "activity", "letter", "audit")}
    again = print_batch(queued, tmp_path / "again", printed_on=d("2026-03-09"))
    assert again.newly_printed == 0
    assert {name: len(table(queued, name)) for name in before} == before
    assert [(row.status, row.printed_on) for row in table(queued, "letter")] == [("printed", d("2026-03-02"))] * 3
    assert again.combined.read_bytes() == first.combined.read_bytes()
    assert again.index.read_text() == first.index.read_text()
    for path in first.folder.iterdir():
        assert (again.folder / path.name).read_bytes() == path.read_bytes()


def test_rendering_the_same_letter_again_gives_the_same_bytes(queued: Database, tmp_path: Path) -> None:
    """Rendered again (on another day, by two processes), the same letters give the same bytes."""
    first = print_batch(queued, tmp_path / "a", printed_on=d("2026-03-02"))
    for row in table(queued, "letter"):
        with queued.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE letter SET status = 'queued', pdf = NULL, pages = NULL, printed_on = NULL WHERE id = "
                + str(row.id)
            )
    second = print_batch(queued, tmp_path / "b", printed_on=d("2026-03-05"), workers=2)  # laid out in 2 processes
    assert second.combined.read_bytes() == first.combined.read_bytes()


def test_a_batch_that_cannot_be_printed_is_refused_whole(queued: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(NotFound, match="no letters were queued on 2026-02-27"):
        print_batch(queued, out, day=d("2026-02-27"), printed_on=d("2026-03-02"))
    with pytest.raises(NotFound, match="no portfolio 'NOPE'"):
        print_batch(queued, out, portfolio="NOPE", printed_on=d("2026-03-02"))
    with queued.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE letter SET template = 'GONE' WHERE id = (SELECT MIN(id) FROM letter)")
    with pytest.raises(ValidationFailed) as failure:
        print_batch(queued, out, printed_on=d("2026-03-02"))
    assert [problem.rule for problem in failure.value.problems] == ["no letter template 'GONE'"]
    assert [row.status for row in table(queued, "letter")] == ["queued"] * 3
    assert not out.exists()


def test_a_letter_redirected_to_the_attorney_is_mailed_to_the_attorneys_address(db: Database, tmp_path: Path) -> None:
    """Ann Adams is represented by an attorney on file: the run addresses her letter to the attorney, and the
    printed letter carries the attorney's name and address in the window, sorted by the attorney's ZIP."""

    def represented(db: Database) -> None:
        attorney = RoleChange("ann", "attorney", "Lee Counsel", "500 Court St", "Suite 9", "Boston", "MA", "02110")
        set_flags(db, [FlagChange("ann", "attorney_represented"), attorney], on=d("2026-02-20"), actor="clerk")

    batch = print_batch(_queue(db, represented), tmp_path, printed_on=d("2026-03-02"))
    with batch.index.open(newline="") as index:
        rows = {row["account"]: row for row in csv.DictReader(index)}
    ann = rows["ann"]
    assert (ann["sequence"], ann["addressee"], ann["representative"], ann["address"], ann["postal_code"]) == (
        "1", "Lee Counsel", "attorney", "500 Court St, Suite 9, Boston, MA 02110", "02110",
    )  # fmt: skip
    assert (rows["bea"]["addressee"], rows["bea"]["address"]) == ("Bea Baker", "7 Oak Ave, Dayton, OH 45402")
    letter = (tmp_path / ann["file"]).read_bytes()
    positions = _positions(letter)
    for line in ("Lee Counsel", "Attorney for Ann Adams", "500 Court St", "Suite 9", "Boston, MA 02110"):
        left, top = positions[line]
        assert WINDOW.left <= left <= WINDOW.left + 0.25 and WINDOW.top <= top <= WINDOW.top + WINDOW.height, line
    text = _pdf_text(letter)[1]
    assert "Ann Adams · account ann" in text  # the remittance stub still names the debtor
    assert "12 Elm St" not in text  # her own address is not printed
