"""``arrears outbox``: sending with settings from the environment, opt-outs and STOP replies from the command line."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli import app
from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party
from arrears.services.accounts import Posting, create_portfolio, open_account, post_transaction
from arrears.services.config_entities import create_action, create_letter
from arrears.services.run import run_day
from arrears.store.db import Database, sqlite_url
from tests.letters.servers import SmtpInbox, smtp_server
from tests.services.run_scenarios import NORTH, STRATEGY, with_portfolio
from tests.services.test_outbox import ACTIONS, LETTERS, RULES

runner = CliRunner()
MESSAGING = with_portfolio(
    replace(STRATEGY, letters=LETTERS, actions=(*STRATEGY.actions, *ACTIONS)),
    replace(NORTH, assignment=replace(NORTH.assignment, rules=RULES)),
)


def test_outbox_send_reads_its_settings_from_the_environment(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "arrears.db")
    db = Database.connect(url)
    create_portfolio(db, "NORTH", "North Clinic")
    for letter in LETTERS:
        create_letter(db, letter)
    for action in ACTIONS:
        create_action(db, action)
    open_account(db, Account("ann", "NORTH", Party("Ann", "Adams", email="ann@example.com")))
    post_transaction(db, "ann", Posting(Kind.CHARGE, 10000, date(2026, 1, 1), due=date(2026, 1, 14)))
    run_day(db, date(2026, 3, 1), strategy=MESSAGING)
    unconfigured = runner.invoke(app, ["outbox", "send", "--db", url], env={"ARREARS_SMTP_HOST": ""})
    assert unconfigured.exit_code == 0, unconfigured.output
    assert "no channel is configured" in unconfigured.output
    bad = runner.invoke(
        app, ["outbox", "send", "--db", url], env={"ARREARS_SMTP_HOST": "x", "ARREARS_SMTP_FROM": "nope"}
    )
    assert bad.exit_code == 1 and "ARREARS_SMTP_FROM must be the sender's e-mail address" in bad.output
    inbox = SmtpInbox()
    with smtp_server(inbox) as port:
        env = {"ARREARS_SMTP_HOST": "127.0.0.1", "ARREARS_SMTP_PORT": str(port), "ARREARS_SMTP_SECURITY": "none",
               "ARREARS_SMTP_FROM": "billing@north.example"}  # fmt: skip
        sent = runner.invoke(app, ["outbox", "send", "--db", url], env=env)
    assert sent.exit_code == 0, sent.output
    assert "sent: 1" in sent.output and [mail["To"] for mail in inbox.messages] == ["ann@example.com"]
    status = runner.invoke(app, ["outbox", "status", "--db", url])
    assert "email" in status.output and "sent" in status.output
    opted = runner.invoke(app, ["outbox", "opt-out", "ann", "--channel", "email", "--db", url])
    assert opted.exit_code == 0 and "email stopped for the guarantor of ann" in opted.output
    wrong = runner.invoke(app, ["outbox", "opt-out", "ann", "--channel", "fax", "--db", url])
    assert wrong.exit_code == 1 and "channel: must be email or sms" in wrong.output
    reply = runner.invoke(app, ["outbox", "reply", "+19375550123", "thanks", "--db", url])
    assert reply.exit_code == 0 and "not an opt-out" in reply.output
    db.dispose()
