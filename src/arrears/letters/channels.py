"""Outbound channels: e-mail over SMTP (the standard library's smtplib) and SMS through an HTTP provider (httpx).

Each channel sends one :class:`OutboundMessage` and says what happened — :class:`Sent` (with the provider's
message id), :class:`Temporary` (try again, perhaps not before ``retry_after``) or :class:`Permanent` (never
again; ``bounced`` when the address or number does not exist) — and answers the sent-before check
(:meth:`already_sent`) after a crash between sending and recording. The message's idempotency key travels with
it: as the e-mail's ``Message-ID`` and as the SMS request's ``Idempotency-Key`` header.

Settings come from the environment (credentials never live in the configuration document):

==========================  ===================================================================
``ARREARS_SMTP_HOST``       SMTP server (e-mail is off without it)
``ARREARS_SMTP_PORT``       port (default 587 with STARTTLS, 465 with TLS, 25 without)
``ARREARS_SMTP_SECURITY``   ``starttls`` (default), ``tls`` or ``none``
``ARREARS_SMTP_USER``       login, with ``ARREARS_SMTP_PASSWORD`` (no login without it)
``ARREARS_SMTP_FROM``       the sender address
``ARREARS_UNSUBSCRIBE``     where unsubscribe requests go: a ``mailto:`` address, and/or an ``https:`` URL
                            (comma-separated) — the List-Unsubscribe header of every e-mail
``ARREARS_SMS_URL``         the SMS provider's messages endpoint (SMS is off without it)
``ARREARS_SMS_TOKEN``       its bearer token
``ARREARS_SMS_FROM``        the sending number
==========================  ===================================================================
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from html import unescape
from typing import Final, Protocol
from urllib.parse import quote

import httpx

__all__ = [
    "HttpSmsChannel",
    "OutboundMessage",
    "Permanent",
    "SendResult",
    "Sent",
    "SmsSettings",
    "SmtpChannel",
    "SmtpSettings",
    "Temporary",
]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A rendered e-mail or SMS to one recipient."""

    key: str
    """The idempotency key."""
    recipient: str
    subject: str
    body: str
    html: bool = False


@dataclass(frozen=True, slots=True)
class Sent:
    provider_message_id: str


@dataclass(frozen=True, slots=True)
class Temporary:
    reason: str
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Permanent:
    reason: str
    bounced: bool = False
    """The address or number does not exist: the channel stops for the party."""


SendResult = Sent | Temporary | Permanent


class Channel(Protocol):
    """What the outbox needs of a channel."""

    def send(self, message: OutboundMessage) -> SendResult:
        """Send ``message`` once."""
        ...

    def already_sent(self, key: str) -> Sent | bool | None:
        """After a crash between sending and recording: :class:`Sent` when the provider has ``key``, None when
        it has not, ``True`` when it cannot tell (the message may have gone: it is not sent again)."""
        ...


# ------------------------------------------------------------------------------------------------ e-mail


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    sender: str
    unsubscribe: tuple[str, ...]
    timeout: float = 30.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> SmtpSettings | None:
        """The settings in ``env``, or None when no SMTP host is set; ValueError naming a bad variable."""
        host = env.get("ARREARS_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("ARREARS_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "tls", "none"):
            raise ValueError(f"ARREARS_SMTP_SECURITY must be starttls, tls or none, not {security!r}")
        default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
        port_text = env.get("ARREARS_SMTP_PORT", "").strip() or str(default_port)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"ARREARS_SMTP_PORT must be a port number, not {port_text!r}")
        sender = env.get("ARREARS_SMTP_FROM", "").strip()
        if "@" not in sender:
            raise ValueError("ARREARS_SMTP_FROM must be the sender's e-mail address")
        unsubscribe = tuple(part.strip() for part in env.get("ARREARS_UNSUBSCRIBE", "").split(",") if part.strip())
        if not unsubscribe:
            unsubscribe = (f"mailto:{sender}",)
        if any(not part.startswith(("mailto:", "https:")) for part in unsubscribe):
            raise ValueError("ARREARS_UNSUBSCRIBE must be mailto: addresses and https: URLs, comma-separated")
        return cls(host, int(port_text), security, env.get("ARREARS_SMTP_USER", ""),
                   env.get("ARREARS_SMTP_PASSWORD", ""), sender, unsubscribe)  # fmt: skip


_TAG = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
PERMANENT_BOUNCE_CODES: Final = frozenset({550, 551, 553})
"""SMTP replies meaning the mailbox does not exist (a hard bounce)."""


def message_id(key: str, sender: str) -> str:
    """The e-mail's Message-ID, fixed by its idempotency key: the same message always has the same id."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{sender.rsplit('@', 1)[1]}>"


def _plain(html: str) -> str:
    text = unescape(_TAG.sub("", re.sub(r"<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", html, flags=re.I)))
    return _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


class SmtpChannel:
    """E-mail through an SMTP server; each e-mail carries List-Unsubscribe and an opt-out line."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def email(self, message: OutboundMessage) -> EmailMessage:
        """The e-mail of ``message``: headers, a plain-text part, and the HTML part when the body is HTML."""
        s = self.settings
        mail = EmailMessage(policy=policy.SMTP)
        mail["From"], mail["To"], mail["Subject"] = s.sender, message.recipient, message.subject
        mail["Message-ID"] = message_id(message.key, s.sender)
        targets = [
            f"{part}?subject={quote('unsubscribe ' + message.key)}" if part.startswith("mailto:") else part
            for part in s.unsubscribe
        ]
        mail["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in targets)
        if any(target.startswith("https:") for target in targets):
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        where = next((t.removeprefix("mailto:").split("?")[0] for t in targets if t.startswith("mailto:")), s.sender)
        footer = f"To stop e-mails about this account, reply UNSUBSCRIBE or write to {where}."
        text = _plain(message.body) if message.html else message.body.strip()
        mail.set_content(f"{text}\n\n-- \n{footer}\n")
        if message.html:
            mail.add_alternative(f'{message.body}<hr><p style="font-size:small">{footer}</p>', subtype="html")
        return mail

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one e-mail: a refused mailbox (550, 551, 553) is a bounce, other 5xx permanent, the rest temporary."""
        mail = self.email(message)
        try:
            with self._connect() as client:
                if self.settings.user:
                    client.login(self.settings.user, self.settings.password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return _smtp_failure(code, reply)
        except smtplib.SMTPResponseException as error:
            return _smtp_failure(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            return Temporary(f"SMTP: {type(error).__name__}: {error}")
        return Sent(str(mail["Message-ID"]))

    def already_sent(self, key: str) -> Sent | bool | None:
        """SMTP keeps no record a client can ask: it cannot tell."""
        return True


def _smtp_failure(code: int, reply: bytes | str) -> SendResult:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    reason = f"SMTP {code}: {text}"
    if code in PERMANENT_BOUNCE_CODES:
        return Permanent(reason, bounced=True)
    if 500 <= code < 600:
        return Permanent(reason)
    return Temporary(reason)


# ---------------------------------------------------------------------------------------------------- SMS


@dataclass(frozen=True, slots=True)
class SmsSettings:
    url: str
    token: str
    sender: str
    timeout: float = 10.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> SmsSettings | None:
        """The settings in ``env``, or None when no provider URL is set; ValueError naming a bad variable."""
        url = env.get("ARREARS_SMS_URL", "").strip()
        if not url:
            return None
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("ARREARS_SMS_URL must be an https:// URL (http only to this machine)")
        return cls(url.rstrip("/"), env.get("ARREARS_SMS_TOKEN", ""), env.get("ARREARS_SMS_FROM", ""))


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    return timedelta(seconds=int(value)) if value.isdigit() else None


class HttpSmsChannel:
    """SMS through a provider's HTTP API: ``POST URL`` with the message as JSON, the idempotency key in the
    ``Idempotency-Key`` header; ``GET URL/KEY`` answers the sent-before check."""

    def __init__(self, settings: SmsSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.timeout)

    def _headers(self, key: str) -> dict[str, str]:
        headers = {"Idempotency-Key": key}
        if self.settings.token:
            headers["Authorization"] = f"Bearer {self.settings.token}"
        return headers

    def send(self, message: OutboundMessage) -> SendResult:
        """Send one SMS: 2xx sent, 429 and 5xx and timeouts temporary (Retry-After kept), 404/410/422 a bounce
        (no such number), any other 4xx permanent."""
        payload = {"to": message.recipient, "from": self.settings.sender, "body": message.body,
                   "reference": message.key}  # fmt: skip
        try:
            response = self.client.post(self.settings.url, json=payload, headers=self._headers(message.key))
        except httpx.TimeoutException:
            return Temporary(f"SMS provider: no answer within {self.settings.timeout:g} s")
        except httpx.TransportError as error:
            return Temporary(f"SMS provider: {type(error).__name__}: {error}")
        status = response.status_code
        if 200 <= status < 300:
            return Sent(_message_id(response, message.key))
        reason = f"SMS provider: HTTP {status} {response.text[:200]}".strip()
        if status == 429 or status >= 500 or status == 408:
            return Temporary(reason, _retry_after(response))
        return Permanent(reason, bounced=status in (404, 410, 422))

    def already_sent(self, key: str) -> Sent | bool | None:
        """Ask the provider whether it has a message with ``key``."""
        try:
            response = self.client.get(f"{self.settings.url}/{quote(key, safe='')}", headers=self._headers(key))
        except httpx.HTTPError:
            return True  # cannot tell: do not risk a second text
        if response.status_code == 404:
            return None
        if 200 <= response.status_code < 300:
            return Sent(_message_id(response, key))
        return True


def _message_id(response: httpx.Response, key: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return key
    return str(data.get("id", key)) if isinstance(data, dict) else key
