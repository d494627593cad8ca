"""``arrears schemes show`` (the collections actions summary) and ``arrears party rating`` (seed 004), on the
example strategy: its OUTPT scheme at 30/60/90 days past due, the final notice giving 50 credit points, and the
credit rating setup Gold 0–49, Silver 50–99, Bronze 100+ over a 730-day look-back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services import config
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.run import run_day
from arrears.store.db import Database, sqlite_url

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """The example strategy applied; Oscar Quinn of OUTPT owes $300.00 due 2025-12-01, run to day 61 and more."""
    database_url = sqlite_url(tmp_path / "arrears.db")
    db = Database.connect(database_url)
    for code in ("FAMILY", "ORTHO", "OUTPT"):
        create_portfolio(db, code, code)
    assert config.apply_document(db, EXAMPLE.read_text(), str(EXAMPLE)).applied
    open_account(db, Account("O-1", "OUTPT", Party("Oscar", "Quinn", "1 Main St", city="Austin", state="TX")))
    post_transaction(db, "O-1", Posting(Kind.CHARGE, 30_000, date(2025, 12, 1), due=date(2025, 12, 1)))
    for day in (date(2026, 1, 5), date(2026, 1, 30), date(2026, 2, 14)):  # 35, 60 and 75 days past due
        run_day(db, day)
    db.dispose()
    return database_url


def test_schemes_show_lists_every_action_of_every_milestone(url: str) -> None:
    shown = runner.invoke(app, ["schemes", "show", "OUTPT-STAGES", "--db", url, "--json"])
    assert shown.exit_code == 0, shown.output
    lines = json.loads(shown.stdout)
    assert [(line["milestone"], line["number"], line["kind"]) for line in lines][:3] == [
        ("First notice", 1, "notice"), ("First notice", 2, "one_off_charge"), ("First notice", 3, "log")
    ]  # fmt: skip
    assert len(lines) == 11 and lines[2]["perform_on"] == "resolved due to full payment"
    table = runner.invoke(app, ["schemes", "show", "OUTPT-STAGES", "--db", url])
    assert table.exit_code == 0 and "collections actions of OUTPT-STAGES" in table.stdout and "notice" in table.stdout
    missing = runner.invoke(app, ["schemes", "show", "NOPE", "--db", url])
    assert missing.exit_code != 0 and "no scheme 'NOPE' (known: OUTPT-STAGES)" in missing.output


def test_party_rating_counts_the_points_within_the_look_back(url: str) -> None:
    rated = runner.invoke(app, ["party", "rating", "O-1", "--as-of", "2026-03-01", "--db", url, "--json"])
    assert rated.exit_code == 0, rated.output
    result = json.loads(rated.stdout)
    assert (result["points"], result["level"]) == (50, "Silver")
    assert result["awards"] == [{"on": "2026-01-30", "points": 50, "counted": True}]
    later = runner.invoke(app, ["party", "rating", "O-1", "--as-of", "2028-01-30", "--db", url, "--json"])
    assert (json.loads(later.stdout)["points"], json.loads(later.stdout)["level"]) == (0, "Gold")  # 730 days on
    text = runner.invoke(app, ["party", "rating", "O-1", "--as-of", "2026-03-01", "--db", url])
    assert "Oscar Quinn" in text.stdout and "50 points in the last 730 days" in text.stdout and "Silver" in text.stdout


def test_schemes_hold_and_release_an_account(url: str) -> None:
    held = runner.invoke(app, ["schemes", "hold", "O-1", "--reason", "Payment arrangement pending", "--on",
                               "2026-02-15", "--until", "2026-03-01", "--user", "ann", "--db", url])  # fmt: skip
    assert held.exit_code == 0, held.output
    assert "O-1 held in scheme OUTPT-STAGES from 2026-02-15 through 2026-03-01" in " ".join(held.output.split())
    refused = runner.invoke(app, ["schemes", "hold", "O-1", "--reason", "", "--db", url])
    assert refused.exit_code == 1 and "reason: is required" in refused.output
    released = runner.invoke(app, ["schemes", "release", "O-1", "--on", "2026-02-20", "--db", url])
    assert released.exit_code == 0 and "scheme hold released" in released.output
    again = runner.invoke(app, ["schemes", "release", "O-1", "--db", url])
    assert again.exit_code == 1 and "has no scheme hold to release" in again.output
