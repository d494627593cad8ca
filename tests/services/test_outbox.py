"""The outbox end to end: the daily run queues e-mail and SMS, ``send_outbox`` renders and sends them through a
real local SMTP server and a real local SMS provider, retries temporary failures on the backoff, stops a channel
on an opt-out or a bounce, sends the fallback letter to a party without an e-mail address, and never sends
twice after a crash between sending and recording.

Given NORTH assigns A–D to "Email 30" (template E30, fallback letter L30) and E–H to "Text 30" (template S30),
and three guarantors owing $100.00 due 2026-01-14: on 2026-03-01 (46 days past due) the run queues an e-mail
for Adams (ann@example.com) and for Baker (no address), and an SMS for Evans (mobile +19375550123).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from arrears.domain.ledger import Kind
from arrears.domain.model import Account, Party, Phone, PhoneType
from arrears.domain.outbox import RetryPolicy, backoff
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    AssignmentRule,
    CollectionType,
    LetterTemplate,
    validate_strategy,
)
from arrears.letters.channels import HttpSmsChannel, OutboundMessage, SendResult, SmsSettings, SmtpChannel, SmtpSettings
from arrears.services.accounts import Posting, open_account, post_transaction
from arrears.services.config_entities import create_action, create_letter
from arrears.services.outbox import record_delivery, record_opt_out, record_sms_reply, send_outbox
from arrears.services.run import run_day
from arrears.store.db import Database
from tests.letters.servers import SmsProvider, SmtpInbox, sms_provider, smtp_server
from tests.notation import d
from tests.services.run_scenarios import NORTH, STRATEGY, portfolios, table, with_portfolio

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LETTERS = (
    LetterTemplate("E30", "Email 30", "Your balance with {{ portfolio.name }}",
                   "<p>Dear {{ party.first_name }},</p><p>Your balance is {{ balance }}.</p>"),
    LetterTemplate("S30", "Text 30", "", "{{ portfolio.name }}: your balance is {{ balance }}."),
    LetterTemplate("L30", "Letter 30", "", "<p>Dear {{ party.first_name }}, your balance is {{ balance }}.</p>"),
)  # fmt: skip
G = CollectionType.GUARANTOR
ACTIONS = (
    Action("Email 30", G, ActionKind.EMAIL, ActionParams(template_code="E30", fallback_letter="L30"),
           all_portfolios=True),
    Action("Text 30", G, ActionKind.SMS, ActionParams(template_code="S30"), all_portfolios=True),
)  # fmt: skip
RULES = (AssignmentRule("A", "D", collector="AL", default_work="Email 30"),
         AssignmentRule("E", "H", collector="BO", default_work="Text 30"))  # fmt: skip
MESSAGING = with_portfolio(
    replace(STRATEGY, letters=LETTERS, actions=(*STRATEGY.actions, *ACTIONS)),
    replace(NORTH, assignment=replace(NORTH.assignment, rules=RULES)),
)
MOBILE = "+19375550123"


@pytest.fixture
def queued(db: Database) -> Database:
    portfolios(db, "NORTH")
    for letter in LETTERS:
        create_letter(db, letter)
    for action in ACTIONS:
        create_action(db, action)
    for code, party in (
        ("ann", Party("Ann", "Adams", email="ann@example.com")),
        ("bob", Party("Bob", "Baker", "1 Main St", "", "Dayton", "OH", "45402")),
        ("eve", Party("Eve", "Evans", phones=(Phone(MOBILE, PhoneType.MOBILE),))),
    ):
        open_account(db, Account(code, "NORTH", party))
        post_transaction(db, code, Posting(Kind.CHARGE, 10000, d("2026-01-01"), due=d("2026-01-14")))
    run_day(db, d("2026-03-01"), strategy=MESSAGING)
    return db


def _smtp(port: int) -> SmtpChannel:
    settings = SmtpSettings.from_environment({"ARREARS_SMTP_HOST": "127.0.0.1", "ARREARS_SMTP_PORT": str(port),
                                              "ARREARS_SMTP_SECURITY": "none",
                                              "ARREARS_SMTP_FROM": "billing@north.example"})  # fmt: skip
    assert settings is not None
    return SmtpChannel(settings)


def _outbox(db: Database) -> dict[str, tuple[object, ...]]:
    with db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT a.external_id, o.status, o.attempts, o.recipient, o.last_error FROM outbox o "
            "JOIN account a ON a.id = o.account_id ORDER BY o.id"
        ))  # fmt: skip
        return {row[0]: tuple(row[1:]) for row in rows}


def test_messages_are_rendered_sent_once_and_a_party_without_an_address_gets_the_letter(queued: Database) -> None:
    inbox, provider = SmtpInbox(), SmsProvider()
    with smtp_server(inbox) as port, sms_provider(provider) as url:
        channels = {"email": _smtp(port), "sms": HttpSmsChannel(SmsSettings(url, "", "+19375550100"))}
        first = send_outbox(queued, channels, NOW)
        again = send_outbox(queued, channels, NOW + timedelta(hours=1))
    assert (first.moved_in, first.fallback_letters, first.outcomes) == (3, 1, {"sent": 2})
    assert (again.moved_in, again.fallback_letters, again.outcomes) == (0, 0, {})
    assert _outbox(queued) == {
        "ann": ("sent", 1, "ann@example.com", None),
        "bob": ("failed", 0, "", "the party has no e-mail address: letter L30 queued instead"),
        "eve": ("sent", 1, MOBILE, None),
    }
    (mail,) = inbox.messages
    assert mail["To"] == "ann@example.com" and mail["Subject"] == "Your balance with North Clinic"
    assert "Dear Ann,\nYour balance is $100.00." in mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert mail["List-Unsubscribe"].strip().startswith("<mailto:billing@north.example?subject=unsubscribe%20email%3A")
    (sms,) = provider.requests
    assert sms["json"]["body"] == "North Clinic: your balance is $100.00. Reply STOP to opt out."
    letters = [(row.template, row.channel, row.status) for row in table(queued, "letter", "bob")]
    assert letters == [("E30", "email", "outboxed"), ("L30", "letter", "queued")]


def test_a_failing_provider_is_retried_on_the_backoff_then_the_message_fails(queued: Database) -> None:
    policy = RetryPolicy(max_attempts=3)
    provider = SmsProvider(script=[(500, {}), (429, {"Retry-After": "600"}), "timeout"])
    with sms_provider(provider) as url:
        channels = {"sms": HttpSmsChannel(SmsSettings(url, "", "+19375550100", timeout=0.5))}
        first = send_outbox(queued, channels, NOW, policy=policy)
        key = "sms:" + next(row.key for row in table(queued, "activity", "eve") if row.action == "Text 30")
        retry_at = NOW + backoff(1, key, policy)
        assert 48 <= (retry_at - NOW).total_seconds() <= 72  # one minute, ±20 %
        early = send_outbox(queued, channels, retry_at - timedelta(seconds=1), policy=policy)
        second = send_outbox(queued, channels, retry_at, policy=policy)
        third = send_outbox(queued, channels, retry_at + timedelta(seconds=600), policy=policy)
    waiting = "waiting (channel not configured)"  # Adams's e-mail: no SMTP server in this test
    assert [{k: n for k, n in run.outcomes.items() if k != waiting} for run in (first, early, second, third)] == [
        {"retry": 1}, {}, {"retry": 1}, {"failed": 1},  # the second retry waited for Retry-After (600 s)
    ]  # fmt: skip
    assert _outbox(queued)["eve"] == ("failed", 3, MOBILE, "SMS provider: no answer within 0.5 s (after 3 attempts)")
    assert len(provider.requests) == 3 and {r["key"] for r in provider.requests} == {key}


def test_an_opt_out_a_stop_reply_and_a_bounce_stop_the_channel(queued: Database) -> None:
    record_opt_out(queued, "ann", "email", d("2026-03-01"), "unsubscribe link")
    assert record_sms_reply(queued, MOBILE, "stop", d("2026-03-01")) == 1
    inbox, provider = SmtpInbox(), SmsProvider()
    with smtp_server(inbox) as port, sms_provider(provider) as url:
        channels = {"email": _smtp(port), "sms": HttpSmsChannel(SmsSettings(url, "", "+1"))}
        run = send_outbox(queued, channels, NOW)
    assert run.outcomes == {"stopped": 2}
    assert inbox.messages == [] and provider.requests == []
    assert _outbox(queued)["ann"] == ("failed", 0, "ann@example.com", "the party opted out of this channel")
    assert _outbox(queued)["eve"] == ("failed", 0, MOBILE, "the party opted out of this channel")


def test_a_hard_bounce_is_recorded_on_the_party_and_a_delivery_report_updates_the_message(queued: Database) -> None:
    inbox = SmtpInbox(refuse={"ann@example.com"})
    with smtp_server(inbox) as port:
        run = send_outbox(queued, {"email": _smtp(port)}, NOW)
    assert run.outcomes == {"bounced": 1, "waiting (channel not configured)": 1}
    assert _outbox(queued)["ann"][:2] == ("bounced", 1)
    stops = [(row.channel, row.reason) for row in table(queued, "channel_stop")]
    assert stops == [("email", "hard_bounce")]
    with pytest.raises(Exception, match="no message with provider id 'nope'"):
        record_delivery(queued, "nope", "delivered", d("2026-03-02"))


class _CrashAfterSending:
    """A channel that hands the message to the provider, then the process dies before recording it."""

    def __init__(self, channel: HttpSmsChannel | SmtpChannel) -> None:
        self.channel = channel

    def send(self, message: OutboundMessage) -> SendResult:
        self.channel.send(message)
        raise SystemExit("killed between sending and recording")

    def already_sent(self, key: str) -> object:
        return self.channel.already_sent(key)


def test_a_crash_between_sending_and_recording_never_sends_twice(queued: Database) -> None:
    inbox, provider = SmtpInbox(), SmsProvider()
    with smtp_server(inbox) as port, sms_provider(provider) as url:
        sms, email = HttpSmsChannel(SmsSettings(url, "", "+1")), _smtp(port)
        with pytest.raises(SystemExit):
            send_outbox(queued, {"sms": _CrashAfterSending(sms)}, NOW)  # type: ignore[dict-item]
        with pytest.raises(SystemExit):
            send_outbox(queued, {"email": _CrashAfterSending(email)}, NOW)  # type: ignore[dict-item]
        assert _outbox(queued)["eve"][:2] == ("sending", 1) and _outbox(queued)["ann"][:2] == ("sending", 1)
        # a minute later the attempts may still be under way elsewhere: left alone
        assert send_outbox(queued, {"sms": sms, "email": email}, NOW + timedelta(minutes=1)).outcomes == {}
        resumed = send_outbox(queued, {"sms": sms, "email": email}, NOW + timedelta(minutes=10))
    assert resumed.outcomes == {"sent before": 2}
    assert len(provider.requests) == 1 and len(inbox.messages) == 1
    # the SMS provider confirmed it has the message; SMTP cannot tell, so the e-mail counts as sent, flagged
    assert _outbox(queued)["eve"] == ("sent", 1, MOBILE, None)
    assert _outbox(queued)["ann"] == ("sent", 1, "ann@example.com",
                                      "unconfirmed: an attempt was interrupted; not sent again")  # fmt: skip


def test_the_fallback_letter_of_an_action_must_be_a_known_letter() -> None:
    unknown = replace(ACTIONS[0], params=replace(ACTIONS[0].params, fallback_letter="L99"))
    strategy = replace(MESSAGING, actions=(*STRATEGY.actions, unknown, ACTIONS[1]))
    problems = [
        (e.path, e.rule) for e in validate_strategy(strategy, ("NORTH", "SOUTH", "OFF")) if "fallback" in e.path
    ]
    assert problems == [("actions[Email 30].params.fallback_letter", "names an unknown letter template 'L99'")]
