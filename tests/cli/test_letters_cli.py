"""``arrears portfolios letterhead`` and ``arrears letters print``: through the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.domain.strategy import LetterTemplate
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.config_entities import create_letter
from arrears.services.letters import merge_data
from arrears.services.run import run_day
from arrears.store.db import Database, sqlite_url
from tests.services.run_scenarios import STRATEGY

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_a_letterhead_is_saved_and_a_bad_logo_is_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "arrears.db")
    db = Database.connect(url)
    create_portfolio(db, "FAMILY", "Maple Grove Family Practice")
    open_account(db, Account("A-1", "FAMILY", Party("Ann", "Smith")))
    post_transaction(db, "A-1", Posting(Kind.CHARGE, 25000, date(2026, 1, 1), due=date(2026, 1, 1)))
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "logo.txt").write_text("not an image")
    saved = runner.invoke(app, ["portfolios", "letterhead", "FAMILY", "--address1", "400 Maple Grove Rd",
                                "--city", "Dayton", "--phone", "(937) 555-0100", "--logo",
                                str(tmp_path / "logo.png"), "--db", url])  # fmt: skip
    assert saved.exit_code == 0, saved.output
    head = merge_data(db, "A-1", date(2026, 3, 1)).letterhead
    assert (head["address1"], head["phone"], head["logo"][:22]) == ("400 Maple Grove Rd", "(937) 555-0100",
                                                                    "data:image/png;base64,")  # fmt: skip
    refused = runner.invoke(app, ["portfolios", "letterhead", "FAMILY", "--logo", str(tmp_path / "logo.txt"),
                                  "--db", url])  # fmt: skip
    assert refused.exit_code == 1 and "logo: must be a PNG, JPEG or GIF image" in refused.output
    db.dispose()


def test_letters_print_writes_the_batch_and_a_reprint_marks_nothing(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "arrears.db")
    db = Database.connect(url)
    create_portfolio(db, "NORTH", "North Clinic")
    open_account(db, Account("ann", "NORTH", Party("Ann", "Adams", "12 Elm St", "", "Dayton", "OH", "45409")))
    post_transaction(db, "ann", Posting(Kind.CHARGE, 10000, date(2026, 1, 1), due=date(2026, 1, 14)))
    create_letter(db, LetterTemplate("L30", "First notice", body="<p>Dear {{ party.first_name }}: {{ balance }}</p>"))
    run_day(db, date(2026, 3, 1), strategy=STRATEGY)
    args = ["letters", "print", "--output", str(tmp_path / "out"), "--db", url]
    printed = runner.invoke(app, args)
    assert printed.exit_code == 0, printed.output
    assert "1 letter, 2 pages (cover sheet included) of 2026-03-01" in printed.output
    assert "1 marked printed" in printed.output
    assert (tmp_path / "out" / "letters-2026-03-01.pdf").is_file()
    again = runner.invoke(app, [*args, "--date", "2026-03-01", "--portfolio", "NORTH"])
    assert again.exit_code == 0, again.output
    assert "reprint: every letter was printed before" in again.output
    missing = runner.invoke(app, [*args, "--date", "2026-02-01"])
    assert missing.exit_code == 1 and "no letters were queued on 2026-02-01" in missing.output
    db.dispose()
