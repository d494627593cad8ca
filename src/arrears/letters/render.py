"""Rendering collection letters: Jinja2 templates with documented merge fields, in a sandbox.

A :class:`~arrears.domain.strategy.LetterTemplate` has a ``subject`` and a ``body``, both Jinja2 text. They are
rendered in a :class:`~jinja2.sandbox.SandboxedEnvironment` with :class:`~jinja2.StrictUndefined`, so a
template can read only the merge fields below (see :func:`merge_fields`) and a misspelt field is an error,
never an empty hole in a letter that went out.

Merge fields::

    party.first_name  party.last_name  party.full_name  party.address1  party.address2
    party.address_lines  party.city  party.state  party.postal_code
    account.external_id  account.status_code
    balance  balance_cents  aging["31-60"]  aging_cents["31-60"]  days_past_due  oldest_unpaid_due
    portfolio.code  portfolio.name  today  as_of

Filters: ``money`` (cents → ``$1,234.56``), ``date`` (a date → ``March 1, 2026``, or ``date("%m/%d/%Y")``).

Save-time checks (:func:`template_problems`): the subject and body must compile (a syntax error names the
line), and may only use known top-level merge fields and filters. Attributes (``party.frist_name``) are checked
when a letter is rendered (:func:`render_letter` raises :class:`LetterError` naming the field and the known ones).

Pure apart from Jinja2: imports only :mod:`arrears.domain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from arrears.domain.ledger import Position
from arrears.domain.money import format_cents
from arrears.domain.strategy import ConfigError, LetterTemplate

__all__ = [
    "MERGE_FIELDS",
    "LetterError",
    "MergeData",
    "RenderedLetter",
    "letter_context",
    "merge_fields",
    "render_letter",
    "sample_context",
    "template_problems",
]

MERGE_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "party.first_name": "Guarantor's first name.",
        "party.last_name": "Guarantor's last name.",
        "party.full_name": "First and last name, e.g. 'Ann Smith'.",
        "party.address1": "First address line (street).",
        "party.address2": "Second address line (unit), may be empty.",
        "party.address_lines": "The non-empty address lines, a list: {% for line in party.address_lines %}.",
        "party.city": "City.",
        "party.state": "State, two letters.",
        "party.postal_code": "ZIP / postal code.",
        "account.external_id": "The account number known to the guarantor.",
        "account.status_code": "The account's current status code.",
        "balance": "Balance owed, formatted: '$1,234.56'.",
        "balance_cents": "Balance owed in integer cents (use with the money filter or in comparisons).",
        "aging": "Aging bucket name → formatted amount: aging['current'], aging['1-30'] … aging['120+'].",
        "aging_cents": "Aging bucket name → integer cents.",
        "days_past_due": "Days since the oldest unpaid due date (0 when nothing is past due).",
        "oldest_unpaid_due": "Due date of the oldest unpaid charge (a date, or none).",
        "portfolio.code": "Portfolio (practice) code, e.g. 'FAMILY'.",
        "portfolio.name": "Portfolio (practice) name, e.g. 'Maple Grove Family Practice'.",
        "today": "The letter date (the as-of date of the run or preview).",
        "as_of": "Same as today.",
    }
)
"""Every merge field a letter may use, with what it holds."""

_TOP_LEVEL: Final[frozenset[str]] = frozenset(name.split(".", 1)[0] for name in MERGE_FIELDS)
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def merge_fields() -> Mapping[str, str]:
    """The documented merge fields: name (``party.first_name``) → meaning."""
    return MERGE_FIELDS


class LetterError(ValueError):
    """A letter could not be rendered: unknown merge field, bad template, unsafe operation."""


class _Fields(dict[str, Any]):
    """A merge-field object (``party``, ``account`` …) that knows its name, for clear error messages."""

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.merge_name = name


class _Undefined(StrictUndefined):
    """StrictUndefined whose message names the merge field and the known ones."""

    @property
    def _undefined_message(self) -> str:
        owner, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint is None and owner is missing:
            return f"unknown merge field {name!r} (known: {', '.join(sorted(_TOP_LEVEL))})"
        if self._undefined_hint is None and isinstance(owner, _Fields):
            known = ", ".join(_member(owner.merge_name, key) for key in owner)
            return f"unknown merge field '{_member(owner.merge_name, name)}' (known: {known})"
        return str(super()._undefined_message)


def _member(owner: str, key: object) -> str:
    return f"{owner}.{key}" if isinstance(key, str) and key.isidentifier() else f"{owner}[{key!r}]"


def _money(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LetterError(f"the money filter needs integer cents, got {value!r}")
    return format_cents(value)


def _date(value: object, pattern: str | None = None) -> str:
    if value is None:
        return ""
    if not isinstance(value, date):
        raise LetterError(f"the date filter needs a date, got {value!r}")
    if pattern is None:
        return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"
    return value.strftime(pattern)


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=_Undefined, autoescape=False, keep_trailing_newline=True)
    env.filters["money"] = _money
    env.filters["date"] = _date
    return env


_ENV: Final = _environment()


@dataclass(frozen=True, slots=True)
class MergeData:
    """What a letter is about: the guarantor, the account, its position and portfolio, on a date."""

    party: Mapping[str, str]
    """first_name, last_name, address1, address2, city, state, postal_code."""
    external_id: str
    status_code: str
    portfolio_code: str
    portfolio_name: str
    position: Position
    as_of: date
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RenderedLetter:
    subject: str
    body: str


def letter_context(data: MergeData) -> dict[str, Any]:
    """The merge fields of :data:`MERGE_FIELDS` for one account."""
    p = data.party
    first, last = p.get("first_name", ""), p.get("last_name", "")
    address1, address2 = p.get("address1", ""), p.get("address2", "")
    party = {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "address1": address1,
        "address2": address2,
        "address_lines": [line for line in (address1, address2) if line],
        "city": p.get("city", ""),
        "state": p.get("state", ""),
        "postal_code": p.get("postal_code", ""),
    }
    pos = data.position
    return {
        "party": _Fields("party", party),
        "account": _Fields("account", {"external_id": data.external_id, "status_code": data.status_code}),
        "balance": format_cents(pos.balance_cents),
        "balance_cents": pos.balance_cents,
        "aging": _Fields("aging", {name: format_cents(cents) for name, cents in pos.aging}),
        "aging_cents": _Fields("aging_cents", dict(pos.aging)),
        "days_past_due": pos.days_past_due,
        "oldest_unpaid_due": pos.oldest_unpaid_due,
        "portfolio": _Fields("portfolio", {"code": data.portfolio_code, "name": data.portfolio_name}),
        "today": data.as_of,
        "as_of": data.as_of,
        **data.extra,
    }


def sample_context(as_of: date = date(2026, 3, 1)) -> dict[str, Any]:
    """Merge fields of a made-up account, for trying a template without a database."""
    position = Position(
        as_of=as_of,
        balance_cents=123456,
        oldest_unpaid_due=date(2025, 12, 1),
        days_past_due=(as_of - date(2025, 12, 1)).days,
        aging=(("current", 0), ("1-30", 0), ("31-60", 0), ("61-90", 123456), ("91-120", 0), ("120+", 0)),
        last_payment_date=None,
        last_payment_cents=None,
    )
    party = {"first_name": "Ann", "last_name": "Smith", "address1": "12 Elm St", "address2": "Apt 3",
             "city": "Dayton", "state": "OH", "postal_code": "45402"}  # fmt: skip
    return letter_context(MergeData(party, "A-1", "", "FAMILY", "Maple Grove Family Practice", position, as_of))


def _part_problems(path: str, text: str) -> list[ConfigError]:
    try:
        ast = _ENV.parse(text)
        _ENV.from_string(ast)  # compiling finds unknown filters and tests
    except TemplateSyntaxError as error:
        return [ConfigError(path, f"has a template error on line {error.lineno}: {error.message}")]
    unknown = sorted(meta.find_undeclared_variables(ast) - _TOP_LEVEL)
    return [
        ConfigError(path, f"uses unknown merge field '{name}' (known: {', '.join(sorted(_TOP_LEVEL))})")
        for name in unknown
    ]


def template_problems(template: LetterTemplate) -> tuple[ConfigError, ...]:
    """Syntax errors (with the line) and unknown top-level merge fields in the subject and body."""
    base = f"letters[{template.code}]"
    subject = template.subject if isinstance(template.subject, str) else ""
    body = template.body if isinstance(template.body, str) else ""
    return (*_part_problems(f"{base}.subject", subject), *_part_problems(f"{base}.body", body))


def render_letter(template: LetterTemplate, context: Mapping[str, Any]) -> RenderedLetter:
    """Render the subject and body; any problem is a :class:`LetterError` naming the letter."""
    parts = []
    for part, text in (("subject", template.subject), ("body", template.body)):
        try:
            parts.append(_ENV.from_string(text).render(context))
        except TemplateSyntaxError as error:
            raise LetterError(
                f"letter '{template.code}' {part}: template error on line {error.lineno}: {error.message}"
            ) from error
        except (UndefinedError, SecurityError, LetterError) as error:
            raise LetterError(f"letter '{template.code}' {part}: {error}") from error
        except (TypeError, ValueError, ArithmeticError) as error:
            raise LetterError(f"letter '{template.code}' {part}: {type(error).__name__}: {error}") from error
    return RenderedLetter(*parts)
