"""E-mail through a real SMTP server and SMS through a real HTTP provider, both local: what arrives, headers
included, and how failures are classed (temporary with Retry-After, permanent, bounced)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.letters.channels import (
    HttpSmsChannel,
    OutboundMessage,
    Permanent,
    Sent,
    SmsSettings,
    SmtpChannel,
    SmtpSettings,
    Temporary,
    message_id,
)
from tests.letters.servers import SmsProvider, SmtpInbox, _free_port, sms_provider, smtp_server

ENV = {"ARREARS_SMTP_HOST": "127.0.0.1", "ARREARS_SMTP_SECURITY": "none", "ARREARS_SMTP_FROM": "billing@maple.example",
       "ARREARS_UNSUBSCRIBE": "mailto:unsubscribe@maple.example, https://maple.example/unsubscribe"}  # fmt: skip
NOTICE = OutboundMessage("email:A-1/s1", "ann@example.com", "Your balance with Maple Grove",
                         "<p>Dear Ann Smith,</p><p>Your balance is <b>$1,234.56</b>.</p>", html=True)  # fmt: skip


def _smtp(port: int) -> SmtpChannel:
    settings = SmtpSettings.from_environment({**ENV, "ARREARS_SMTP_PORT": str(port)})
    assert settings is not None
    return SmtpChannel(settings)


def test_an_email_arrives_with_its_headers_an_unsubscribe_and_both_parts() -> None:
    inbox = SmtpInbox()
    with smtp_server(inbox) as port:
        result = _smtp(port).send(NOTICE)
    assert result == Sent(message_id("email:A-1/s1", "billing@maple.example"))
    (mail,) = inbox.messages
    assert (mail["From"], mail["To"], mail["Subject"]) == (
        "billing@maple.example", "ann@example.com", "Your balance with Maple Grove",
    )  # fmt: skip
    assert mail["Message-ID"] == result.provider_message_id  # the idempotency key, as the provider sees it
    assert mail["List-Unsubscribe"].strip() == (  # folded: the first address is on its own line
        "<mailto:unsubscribe@maple.example?subject=unsubscribe%20email%3AA-1/s1>, <https://maple.example/unsubscribe>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = (part.get_content().replace("\r\n", "\n") for part in mail.walk() if not part.is_multipart())
    assert plain.startswith("Dear Ann Smith,\nYour balance is $1,234.56.")
    assert "To stop e-mails about this account, reply UNSUBSCRIBE or write to unsubscribe@maple.example." in plain
    assert "<b>$1,234.56</b>" in html and "UNSUBSCRIBE" in html


def test_a_refused_mailbox_is_a_bounce_and_an_unreachable_server_is_temporary() -> None:
    inbox = SmtpInbox(refuse={"gone@example.com"})
    with smtp_server(inbox) as port:
        refused = _smtp(port).send(OutboundMessage("email:k", "gone@example.com", "s", "b"))
    assert isinstance(refused, Permanent) and refused.bounced and refused.reason.startswith("SMTP 550")
    assert inbox.messages == []
    down = _smtp(_free_port()).send(NOTICE)
    assert isinstance(down, Temporary) and "ConnectionRefusedError" in down.reason


def test_smtp_settings_come_from_the_environment_and_a_bad_one_is_named() -> None:
    assert SmtpSettings.from_environment({}) is None
    settings = SmtpSettings.from_environment({"ARREARS_SMTP_HOST": "smtp.example", "ARREARS_SMTP_FROM": "a@b.example",
                                              "ARREARS_SMTP_USER": "u", "ARREARS_SMTP_PASSWORD": "p"})  # fmt: skip
    assert settings is not None and (settings.port, settings.security, settings.unsubscribe) == (
        587, "starttls", ("mailto:a@b.example",),
    )  # fmt: skip
    with pytest.raises(ValueError, match="ARREARS_SMTP_SECURITY must be starttls, tls or none"):
        SmtpSettings.from_environment({**ENV, "ARREARS_SMTP_SECURITY": "ssl3"})
    with pytest.raises(ValueError, match="ARREARS_SMTP_PORT must be a port number"):
        SmtpSettings.from_environment({**ENV, "ARREARS_SMTP_PORT": "99999"})


def test_sms_errors_are_classed_and_the_idempotency_key_travels_with_every_attempt() -> None:
    provider = SmsProvider(script=[(500, {}), (429, {"Retry-After": "120"}), "timeout", (422, {})])
    text = OutboundMessage("sms:A-1/s2", "+19375550123", "", "Your balance is $100.00. Reply STOP to opt out.")
    with sms_provider(provider) as url:
        channel = HttpSmsChannel(SmsSettings(url, "token-1", "+19375550100", timeout=0.5))
        assert channel.already_sent(text.key) is None
        server_error, busy, silent, invalid = (channel.send(text) for _ in range(4))
        sent = channel.send(text)
        assert channel.already_sent(text.key) == sent
    assert isinstance(server_error, Temporary) and server_error.reason.startswith("SMS provider: HTTP 500")
    assert busy == Temporary('SMS provider: HTTP 429 {"error": "scripted"}', timedelta(seconds=120))
    assert silent == Temporary("SMS provider: no answer within 0.5 s")
    assert isinstance(invalid, Permanent) and invalid.bounced
    assert sent == Sent("SM0001")
    assert [r["key"] for r in provider.requests] == ["sms:A-1/s2"] * 5
    assert provider.requests[0]["json"] == {"to": "+19375550123", "from": "+19375550100", "body": text.body,
                                            "reference": "sms:A-1/s2"}  # fmt: skip
    assert provider.requests[0]["auth"] == "Bearer token-1"
