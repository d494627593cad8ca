"""Rendering collection letters: Jinja2 templates with documented merge fields, in a sandbox.

A :class:`~arrears.domain.strategy.LetterTemplate` has a ``subject`` and a ``body``, both Jinja2 text. They are
rendered in a :class:`~jinja2.sandbox.SandboxedEnvironment` with :class:`~jinja2.StrictUndefined`, so a
template can read only the merge fields below (see :func:`merge_fields`) and a misspelt field is an error,
never an empty hole in a letter that went out.

Merge fields::

    party.first_name  party.last_name  party.full_name  party.address1  party.address2
    party.address_lines  party.city  party.state  party.postal_code
    account.external_id  account.status_code
    balance  balance_cents  aging["31-60"]  aging_cents["31-60"]  credit  credit_cents
    days_past_due  oldest_unpaid_due
    portfolio.code  portfolio.name  portfolio.address1  portfolio.address2  portfolio.address_lines
    portfolio.city  portfolio.state  portfolio.postal_code  portfolio.phone  portfolio.logo
    itemization.date  itemization.balance  itemization.charges  itemization.fees  itemization.payments
    itemization.adjustments  itemization.lines (each: date, kind, description, amount, amount_cents)
    plan.active  plan.installment  plan.installment_cents  plan.frequency  plan.first_due  plan.next_due
    plan.installments  plan.installments_paid  plan.installments_remaining
    addressee.name  addressee.representative  addressee.address1  addressee.address2  addressee.address_lines
    addressee.city  addressee.state  addressee.postal_code
    promise.active  promise.amount  promise.amount_cents  promise.due  promise.keep_by  promise.grace_days
    promise.repeat  promise.next_due  promise.installment  promise.paid  promise.paid_cents  promise.shortfall
    promise.shortfall_cents  promise.collector  promise.collector_name  promise.channel
    letterhead  address_block  remittance  remittance.installment  remittance.promise  remittance.dispute
    today  as_of  response_by  validation_end

Filters: ``money`` (cents → ``$1,234.56``), ``date`` (a date → ``March 1, 2026``, or ``date("%m/%d/%Y")``).

Save-time checks (:func:`template_problems`): the subject and body must compile (a syntax error names the
line), may not include, import or extend another template, may only use known merge fields and attributes
(``party.frist_name`` is refused even in a branch the sample never takes), and must render for a sample
account (:func:`sample_context`) without an error and within the limits.

Limits (:data:`LIMITS`), enforced on every render, at save and when a letter is printed: output size (the
rendered text, and every string or list a template builds, e.g. ``"a" * 100000000``), loop iterations, call
depth (a recursive macro) and time. A template that exceeds one is refused with the limit named.

Pure apart from Jinja2: imports only :mod:`arrears.domain`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import do_format as FORMAT_FILTER
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing
from markupsafe import escape

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.compliance_rules import business_days_after, validation_period_end
from arrears.domain.itemization import ItemCategory, Itemization, ItemLine
from arrears.domain.ledger import Frequency, Kind, PaymentPlan, PlanStanding, Position, plan_standing
from arrears.domain.money import format_cents
from arrears.domain.promises import PromiseOnFile, PromiseState, PromiseStatus, PromiseTerms, Repeat, shortfall
from arrears.domain.strategy import ConfigError, LetterTemplate
from arrears.letters.merge_data import MergeData

__all__ = [
    "LIMITS",
    "MERGE_FIELDS",
    "LetterError",
    "Limits",
    "MergeData",
    "RenderedLetter",
    "addressee_of",
    "is_html",
    "letter_context",
    "merge_fields",
    "render_letter",
    "sample_context",
    "sample_data",
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
        "aging": "Aging bucket name → what is owed in it, formatted: aging['current'], aging['1-30'] … "
        "aging['120+'] (a credit balance is never netted into a bucket: see credit).",
        "aging_cents": "Aging bucket name → what is owed in it, integer cents.",
        "credit": "The credit balance (what the guarantor overpaid), formatted, $0.00 when none: the aging "
        "buckets less the credit are the balance.",
        "credit_cents": "The credit balance in integer cents (0 when none).",
        "days_past_due": "Days since the oldest unpaid due date (0 when nothing is past due).",
        "oldest_unpaid_due": "Due date of the oldest unpaid charge (a date, or none).",
        "portfolio.code": "Portfolio (practice) code, e.g. 'FAMILY'.",
        "portfolio.name": "Portfolio (practice) name, e.g. 'Maple Grove Family Practice': the letterhead's name.",
        "portfolio.address1": "Letterhead: first address line of the portfolio.",
        "portfolio.address2": "Letterhead: second address line, may be empty.",
        "portfolio.address_lines": "Letterhead: the non-empty address lines, a list.",
        "portfolio.city": "Letterhead: city.",
        "portfolio.state": "Letterhead: state.",
        "portfolio.postal_code": "Letterhead: ZIP / postal code.",
        "portfolio.phone": "Letterhead: the billing office's phone number.",
        "portfolio.logo": "Letterhead: the logo as a data: URI for <img src=…>, empty when the portfolio has none.",
        "itemization.date": "The itemization date (a date): see docs/letters.md.",
        "itemization.balance": "What was owed on the itemization date, formatted.",
        "itemization.charges": "Charges posted since the itemization date, formatted.",
        "itemization.fees": "Fees, penalties and deposit demands posted since the itemization date, formatted.",
        "itemization.payments": "Payments and credits since the itemization date (a reversed payment adds back), "
        "formatted as a negative amount.",
        "itemization.adjustments": "Adjustments and write-offs since the itemization date, formatted (signed).",
        "itemization.lines": "Every line since the itemization date, a list; each has date, kind, description, "
        "amount (formatted, signed) and amount_cents.",
        "plan.active": "True when the account has an active payment plan; without one the other plan fields are "
        "empty, none or 0.",
        "plan.installment": "The plan's installment, formatted: '$150.00'.",
        "plan.installment_cents": "The plan's installment in integer cents.",
        "plan.frequency": "How often an installment falls due: weekly, biweekly or monthly.",
        "plan.first_due": "Due date of the plan's first installment (a date).",
        "plan.next_due": "Due date of the next installment to pay, the first not paid in full (a date, or none "
        "when nothing remains).",
        "plan.installments": "The plan's number of installments, or none for a plan that runs until the balance "
        "is paid.",
        "plan.installments_paid": "Installments paid in full by the guarantor's payments since the plan's start.",
        "plan.installments_remaining": "Installments still to pay: the rest of the plan's count, or as many as "
        "the balance needs for a plan without a count; 0 once the balance is paid.",
        "addressee.name": "Whom the letter is addressed to: the guarantor's full name, or the name of the "
        "representative it is redirected to (the window address block).",
        "addressee.representative": "'attorney' or 'estate representative' when the letter is redirected to "
        "one, else empty.",
        "addressee.address1": "The addressee's first address line (the representative's when redirected).",
        "addressee.address2": "The addressee's second address line, may be empty.",
        "addressee.address_lines": "The addressee's non-empty address lines, a list.",
        "addressee.city": "The addressee's city.",
        "addressee.state": "The addressee's state.",
        "addressee.postal_code": "The addressee's ZIP / postal code.",
        "promise.active": "True when a promise to pay stands (open or partially kept): the account's oldest, "
        "the one payments count toward; without one the other promise fields are empty, none or 0.",
        "promise.amount": "What was promised per installment, formatted: '$100.00'.",
        "promise.amount_cents": "The promised amount in integer cents.",
        "promise.due": "Due date of the installment to pay now (a date).",
        "promise.keep_by": "The last day a payment keeps it: the due date plus the grace (a date).",
        "promise.grace_days": "Days of grace after the due date.",
        "promise.repeat": "'weekly', 'biweekly', 'monthly' or 'N days'; empty for a one-off promise.",
        "promise.next_due": "Due date of the installment after this one (a date, or none without a repeat).",
        "promise.installment": "Which installment is due now: 1 for the first.",
        "promise.paid": "Paid toward the installment due now, formatted.",
        "promise.paid_cents": "Paid toward the installment due now, in integer cents.",
        "promise.shortfall": "Still to pay on the installment due now, formatted.",
        "promise.shortfall_cents": "Still to pay on the installment due now, in integer cents.",
        "promise.collector": "The code of the collector who took the promise.",
        "promise.collector_name": "The name of the collector who took the promise, as configured.",
        "promise.channel": "How the promise was made: phone, letter or portal.",
        "letterhead": "The letterhead and the letter's date, as one block: the portfolio's logo, name, address "
        "and phone (class letterhead), then the date (class date). Styled by the template's stylesheet; in a "
        "text body, plain lines.",
        "address_block": "The addressee's name and address placed for the envelope's window (class "
        "window-address): the guarantor, or the representative the letter is redirected to, with a line saying "
        "for whom. In a text body, plain lines.",
        "remittance": "The remittance stub to tear off and return with a payment (class remittance): where to "
        "mail it, the guarantor, the account number and the amount due (the balance), a line for the amount "
        "enclosed, to whom to make the check payable, the phone to pay by. In a text body, plain lines.",
        "remittance.installment": "The same stub asking for the payment plan's next installment and its due date "
        "(the balance without an active plan).",
        "remittance.promise": "The same stub asking for the promised installment and its due date (the balance "
        "without a promise).",
        "remittance.dispute": "The validation notice's tear-off response form: dispute reasons, a request for the "
        "original creditor, the amount enclosed.",
        "today": "The letter date (the as-of date of the run or preview).",
        "as_of": "Same as today.",
        "response_by": "The letter date plus the template's response_days business days (a date).",
        "validation_end": "End of the validation period (a date): 30 days after receipt, receipt assumed 5 "
        "business days after the letter date (Saturdays, Sundays and US federal holidays excluded).",
    }
)
"""Every merge field a letter may use, with what it holds."""

_ITEMIZATION_TOTALS: Final = ("charges", "fees", "payments", "adjustments")

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


@dataclass(frozen=True, slots=True)
class Limits:
    """What one render of one part (subject or body) may use."""

    output_chars: int = 2_000_000
    """Characters of output, and of any string or list built on the way (a logo's data: URI fits)."""
    loop_iterations: int = 100_000
    """Iterations of every ``{% for %}`` loop of the render together."""
    call_depth: int = 32
    """Calls nested inside each other: a macro calling itself without end stops here."""
    seconds: float = 2.0
    """Wall-clock time of the render."""


LIMITS: Final = Limits()
"""The limits of every letter render."""

_REFUSED_TAGS: Final = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "import",
                        nodes.Extends: "extends"}  # fmt: skip
_LOOP_FILTER: Final = "_counted_loop"
"""The filter every ``{% for %}`` loop's iterable passes through, so iterations count against the limit."""
_NUMBER = re.compile(r"\d+")


class _Budget:
    """What one render has used so far, checked against :data:`LIMITS` as it goes."""

    __slots__ = ("deadline", "depth", "iterations")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + LIMITS.seconds
        self.iterations = 0
        self.depth = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LetterError(f"exceeds the time limit of {LIMITS.seconds:g} s")


_BUDGET: ContextVar[_Budget | None] = ContextVar("letter_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # compile-time constant folding runs outside a render: give it a budget of its own
        budget = _Budget()
        _BUDGET.set(budget)
    return budget


def _check_size(value: object) -> object:
    if isinstance(value, str | list | tuple | dict) and len(value) > LIMITS.output_chars:
        raise LetterError(f"exceeds the output limit of {LIMITS.output_chars:,} characters")
    return value


def _check_numbers(args: Iterable[object]) -> None:
    """A width or count argument larger than the output limit could build a huge string before it is counted."""
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > LIMITS.output_chars:
            raise LetterError(f"exceeds the output limit of {LIMITS.output_chars:,} characters")


def _check_format(text: object) -> None:
    """A format string's width (``"%999999999s"``, ``"{:>999999999}"``) is a size too."""
    if isinstance(text, str):
        _check_numbers(int(number) for number in _NUMBER.findall(text[:10_000]))


def _limited(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose arguments and result are held to the output limit."""

    def limited(*args: Any, **kwargs: Any) -> Any:
        if function is FORMAT_FILTER and args:
            _check_format(args[0])
        _check_numbers(args[1:])
        _check_numbers(kwargs.values())
        return _check_size(function(*args, **kwargs))

    limited.__name__ = getattr(function, "__name__", "filter")
    for marker in ("jinja_pass_arg",):  # keep pass_context / pass_eval_context / pass_environment
        if hasattr(function, marker):
            setattr(limited, marker, getattr(function, marker))
    return limited


def _counted_loop(iterable: Iterable[Any]) -> Iterator[Any]:
    budget = _budget()
    for item in iterable:
        budget.iterations += 1
        if budget.iterations > LIMITS.loop_iterations:
            raise LetterError(f"exceeds the loop limit of {LIMITS.loop_iterations:,} iterations")
        budget.tick()
        yield item


class _LetterEnvironment(SandboxedEnvironment):
    """The sandbox, with the limits: calls count their depth and time, ``*``, ``**`` and ``+`` their size."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        _check_numbers(args)
        _check_numbers(kwargs.values())
        bound = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(bound, str) and getattr(__obj, "__name__", "") in ("format", "format_map"):
            _check_format(bound)
        if budget.depth >= LIMITS.call_depth:
            raise LetterError(f"exceeds the recursion limit: calls nested more than {LIMITS.call_depth} deep")
        budget.depth += 1
        try:
            return _check_size(super().call(__context, __obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        powers = operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0
        if powers and right * max(abs(left).bit_length(), 1) > 64 * 1024:
            raise LetterError("exceeds the number limit: a power of more than 65,536 bits")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                sized = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if sized and len(sequence) * times > LIMITS.output_chars:
                    raise LetterError(f"exceeds the output limit of {LIMITS.output_chars:,} characters")
        return _check_size(super().call_binop(context, operator, left, right))


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = _LetterEnvironment(undefined=_Undefined, autoescape=autoescape, keep_trailing_newline=True)
    env.filters["money"] = _money
    env.filters["date"] = _date
    env.filters = {name: _limited(function) for name, function in env.filters.items()}
    env.filters[_LOOP_FILTER] = _counted_loop
    return env


def _refused_tags(ast: nodes.Template) -> list[str]:
    """include, import and extends: a letter is one template, never a door to another file."""
    found = []
    for node in ast.find_all(tuple(_REFUSED_TAGS)):
        message = f"uses {{% {_REFUSED_TAGS[type(node)]} %}} on line {node.lineno}: a letter is one template"
        if message not in found:
            found.append(message)
    return found


def _count_loops(ast: nodes.Template) -> nodes.Template:
    """Route every loop's iterable through :func:`_counted_loop` (the loop limit and the time limit)."""
    for loop in ast.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None, lineno=loop.iter.lineno)
    return ast


@lru_cache(maxsize=256)
def _compiled(env: SandboxedEnvironment, text: str) -> Template:
    """The template of ``text``, loops counted; :class:`LetterError` for a syntax error or a refused tag."""
    try:
        ast = env.parse(text)
    except TemplateSyntaxError as error:
        raise LetterError(f"template error on line {error.lineno}: {error.message}") from error
    refused = _refused_tags(ast)
    if refused:
        raise LetterError("; ".join(refused))
    try:
        return env.from_string(_count_loops(ast))
    except TemplateSyntaxError as error:  # compiling finds unknown filters and tests
        raise LetterError(f"template error on line {error.lineno}: {error.message}") from error


_ENV: Final = _environment(autoescape=False)
_HTML_ENV: Final = _environment(autoescape=True)
"""HTML bodies escape every merge value: a name such as ``<b>Ann</b> & Co`` prints as written, never as markup."""

RESPONSE_DAYS_RANGE: Final = range(1, 91)
"""A letter's ``response_days`` (business days): 1 to 90."""


def is_html(template: LetterTemplate) -> bool:
    """True when the body is HTML (it starts with a tag), rendered with escaping and printed with its CSS."""
    return isinstance(template.body, str) and template.body.lstrip().startswith("<")


@dataclass(frozen=True, slots=True)
class RenderedLetter:
    subject: str
    body: str


def _lines(*parts: str) -> list[str]:
    return [line for line in parts if line]


def _itemization(data: MergeData) -> _Fields:
    items = data.itemization or Itemization(data.as_of, data.position.balance_cents, ())
    lines = [
        _Fields("itemization.lines[]", {"date": line.posted, "kind": line.kind.value, "description": line.description,
                                        "amount": format_cents(line.amount_cents), "amount_cents": line.amount_cents})
        for line in items.lines
    ]  # fmt: skip
    totals = {name: format_cents(items.total(ItemCategory(name))) for name in _ITEMIZATION_TOTALS}
    return _Fields(
        "itemization",
        {"date": items.date, "balance": format_cents(items.balance_cents), **totals, "lines": lines},
    )


def _plan(standing: PlanStanding | None) -> _Fields:
    if standing is None:
        return _Fields("plan", {"active": False, "installment": "", "installment_cents": 0, "frequency": "",
                                "first_due": None, "next_due": None, "installments": None, "installments_paid": 0,
                                "installments_remaining": 0})  # fmt: skip
    plan = standing.plan
    return _Fields("plan", {
        "active": True, "installment": format_cents(plan.installment_cents),
        "installment_cents": plan.installment_cents, "frequency": plan.frequency.value, "first_due": plan.first_due,
        "next_due": standing.next_due, "installments": plan.installments, "installments_paid": standing.paid,
        "installments_remaining": standing.remaining,
    })  # fmt: skip


def _promise(promise: PromiseOnFile | None) -> _Fields:
    if promise is None:
        return _Fields("promise", {"active": False, "amount": "", "amount_cents": 0, "due": None, "keep_by": None,
                                   "grace_days": 0, "repeat": "", "next_due": None, "installment": 0, "paid": "",
                                   "paid_cents": 0, "shortfall": "", "shortfall_cents": 0, "collector": "",
                                   "collector_name": "", "channel": ""})  # fmt: skip
    terms, state = promise.terms, promise.state
    short = shortfall(terms, state)
    return _Fields("promise", {
        "active": True, "amount": format_cents(terms.amount_cents), "amount_cents": terms.amount_cents,
        "due": promise.due, "keep_by": terms.window_end(state.installment), "grace_days": terms.grace_days,
        "repeat": str(terms.repeat) if terms.repeat is not None else "", "next_due": promise.next_due,
        "installment": state.installment + 1, "paid": format_cents(state.paid_cents), "paid_cents": state.paid_cents,
        "shortfall": format_cents(short), "shortfall_cents": short, "collector": promise.collector,
        "collector_name": promise.collector_name, "channel": promise.channel,
    })  # fmt: skip


_ADDRESS: Final = ("address1", "address2", "city", "state", "postal_code")


def _addressee(data: MergeData, party: Mapping[str, Any], addressee: str) -> _Fields:
    """The guarantor, or the representative on file the letter is redirected to."""
    if not addressee:
        fields = {"name": party["full_name"], "representative": "", **{key: party[key] for key in _ADDRESS}}
    else:
        found = data.representatives.get(addressee)
        if found is None:
            raise LetterError(f"the letter is addressed to the {addressee.replace('_', ' ')}, but none is on file")
        fields = {"name": found.get("name", ""), "representative": addressee.replace("_", " "),
                  **{key: found.get(key, "") for key in _ADDRESS}}  # fmt: skip
    fields["address_lines"] = _lines(fields["address1"], fields["address2"])
    return _Fields("addressee", fields)


class _Block:
    """A merge field that is a whole block of the letter: its HTML in an HTML body (every value in it escaped),
    its plain lines in a text body or a subject."""

    __slots__ = ("html", "text")

    def __init__(self, html: str, text: str) -> None:
        self.html, self.text = html, text

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text


def _letterhead(portfolio: Mapping[str, Any], today: date) -> _Block:
    place = f"{portfolio['city']}, {portfolio['state']} {portfolio['postal_code']}" if portfolio["city"] else ""
    contact = ", ".join([*portfolio["address_lines"], *([place] if place else [])])
    if portfolio["phone"]:
        contact = f"{contact} · {portfolio['phone']}" if contact else portfolio["phone"]
    logo = f'<img src="{escape(portfolio["logo"])}" alt="">' if portfolio["logo"] else ""
    html = (f'<div class="letterhead">{logo}<div class="name">{escape(portfolio["name"])}</div>'
            f'<div class="contact">{escape(contact)}</div></div>\n<div class="date">{_date(today)}</div>')  # fmt: skip
    heading = "\n".join(line for line in (portfolio["name"], contact) if line)
    return _Block(html, f"{heading}\n\n{_date(today)}")


_FOR_WHOM: Final = {"attorney": "Attorney for", "estate representative": "Estate representative of"}


def _address_block(to: Mapping[str, Any], party: Mapping[str, Any]) -> _Block:
    lines = [to["name"]]
    if to["representative"]:
        lines.append(f"{_FOR_WHOM.get(to['representative'], 'For')} {party['full_name']}")
    lines += [*to["address_lines"], f"{to['city']}, {to['state']} {to['postal_code']}".strip(", ")]
    html = '<div class="window-address">' + "<br>".join(str(escape(line)) for line in lines) + "</div>"
    return _Block(html, "\n".join(lines))


class _Stub(_Fields):
    """The ``remittance`` merge field: the payment stub asking for the balance, printed as a block, with its
    variants as fields (``remittance.installment``, ``remittance.promise``, ``remittance.dispute``)."""

    def __init__(self, block: _Block, variants: Mapping[str, _Block]) -> None:
        super().__init__("remittance", variants)
        self.block = block

    def __html__(self) -> str:
        return self.block.html

    def __str__(self) -> str:
        return self.block.text


def _mail_to(portfolio: Mapping[str, Any]) -> str:
    place = f"{portfolio['city']}, {portfolio['state']} {portfolio['postal_code']}" if portfolio["city"] else ""
    return ", ".join(part for part in (portfolio["name"], *portfolio["address_lines"], place) if part)


def _payment_stub(portfolio: Mapping[str, Any], party: Mapping[str, Any], account: str, due: str) -> _Block:
    """The stub to return with a payment of ``due`` (the amount line: 'Amount due: $1,234.56')."""
    name, phone = portfolio["name"], portfolio["phone"]
    by_phone = f" To pay by phone call {phone}." if phone else ""
    html = (
        '<div class="remittance">\n'
        f"  <b>Please return this part with your payment.</b> Mail to: {escape(_mail_to(portfolio))}\n"
        '  <table class="items">\n'
        f'    <tr><td>{escape(party["full_name"])}</td><td>Account {escape(account)}</td>'
        f'<td class="amount">{escape(due)}</td></tr>\n'
        "  </table>\n"
        '  <p class="small">Amount enclosed: <span class="field"></span> &nbsp; Make your check payable to '
        f"{escape(name)}\n  and write the account number {escape(account)} on it.{escape(by_phone)}</p>\n"
        "</div>"
    )
    text = "\n".join([
        "Please return this part with your payment.", f"Mail to: {_mail_to(portfolio)}",
        f"{party['full_name']} · Account {account} · {due}", "Amount enclosed: ____________",
        f"Make your check payable to {name} and write the account number {account} on it.{by_phone}",
    ])  # fmt: skip
    return _Block(html, text)


def _dispute_form(portfolio: Mapping[str, Any], party: Mapping[str, Any], account: str, due: str) -> _Block:
    """The validation notice's tear-off: how the guarantor wants to respond (the CFPB model form's section)."""
    name = portfolio["name"]
    box = '<span class="check">☐</span>'
    html = (
        '<div class="remittance">\n'
        f"  <b>How do you want to respond?</b> Mail this form to: {escape(_mail_to(portfolio))}\n"
        '  <table class="items">\n'
        f'    <tr><td>{escape(party["full_name"])} · account {escape(account)}</td>'
        f'<td class="amount">{escape(due)}</td></tr>\n'
        "  </table>\n"
        f'  <p class="small"><b>I want to dispute the debt because I think:</b><br>\n  {box} This is not my debt. '
        f"&nbsp; {box} The amount is wrong.\n  &nbsp; {box} Other (please describe on the reverse or attach "
        "additional information).</p>\n"
        f'  <p class="small">{box} I want you to send me the name and address of the original creditor.</p>\n'
        f'  <p class="small">{box} I enclosed this amount: <span class="field"></span>\n  Make your check '
        f"payable to {escape(name)}. Include the account number {escape(account)}.</p>\n"
        "</div>"
    )
    text = "\n".join([
        "How do you want to respond?", f"Mail this form to: {_mail_to(portfolio)}",
        f"{party['full_name']} · account {account} · {due}",
        "I want to dispute the debt because I think: [ ] This is not my debt. [ ] The amount is wrong. "
        "[ ] Other (please describe on the reverse or attach additional information).",
        "[ ] I want you to send me the name and address of the original creditor.",
        f"[ ] I enclosed this amount: ____________ Make your check payable to {name}. Include the account number "
        f"{account}.",
    ])  # fmt: skip
    return _Block(html, text)


def _remittance(data: MergeData, portfolio: Mapping[str, Any], party: Mapping[str, Any]) -> _Stub:
    """The ``remittance`` merge field and its variants, from one place."""
    account, balance = data.external_id, f"Amount due: {format_cents(data.position.balance_cents)}"
    plan, promise = data.plan, data.promise
    installment = balance
    if plan is not None and plan.next_due is not None:
        installment = f"Installment due {_date(plan.next_due, '%m/%d/%Y')}: {format_cents(plan.plan.installment_cents)}"
    promised = balance
    if promise is not None:
        owed = shortfall(promise.terms, promise.state)
        promised = f"Promised payment due {_date(promise.due, '%m/%d/%Y')}: {format_cents(owed)}"
    return _Stub(_payment_stub(portfolio, party, account, balance), {
        "installment": _payment_stub(portfolio, party, account, installment),
        "promise": _payment_stub(portfolio, party, account, promised),
        "dispute": _dispute_form(portfolio, party, account, balance),
    })  # fmt: skip


def _party(data: MergeData) -> dict[str, Any]:
    p = data.party
    first, last = p.get("first_name", ""), p.get("last_name", "")
    address1, address2 = p.get("address1", ""), p.get("address2", "")
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "address1": address1,
        "address2": address2,
        "address_lines": _lines(address1, address2),
        "city": p.get("city", ""),
        "state": p.get("state", ""),
        "postal_code": p.get("postal_code", ""),
    }


def addressee_of(data: MergeData, addressee: str = "") -> Mapping[str, Any]:
    """The ``addressee`` merge field alone (see :func:`letter_context`): whom a letter is mailed to."""
    return _addressee(data, _party(data), addressee)


def letter_context(data: MergeData, template: LetterTemplate | None = None, addressee: str = "") -> dict[str, Any]:
    """The merge fields of :data:`MERGE_FIELDS` for one account (``response_by`` from ``template``'s
    ``response_days``, 10 business days without one), addressed to the guarantor or, with ``addressee`` (a
    role: ``attorney``, ``estate_representative``), to that representative on file (a :class:`LetterError`
    when none is)."""
    party = _party(data)
    head = data.letterhead
    portfolio = {
        "code": data.portfolio_code,
        "name": data.portfolio_name,
        **{key: head.get(key, "") for key in ("address1", "address2")},
        "address_lines": _lines(head.get("address1", ""), head.get("address2", "")),
        **{key: head.get(key, "") for key in ("city", "state", "postal_code", "phone", "logo")},
    }
    days = template.response_days if template is not None else LetterTemplate("", "").response_days
    pos = data.position
    to = _addressee(data, party, addressee)
    return {
        "party": _Fields("party", party),
        "account": _Fields("account", {"external_id": data.external_id, "status_code": data.status_code}),
        "balance": format_cents(pos.balance_cents),
        "balance_cents": pos.balance_cents,
        "aging": _Fields("aging", {name: format_cents(cents) for name, cents in pos.owed_aging}),
        "aging_cents": _Fields("aging_cents", dict(pos.owed_aging)),
        "credit": format_cents(pos.credit_cents),
        "credit_cents": pos.credit_cents,
        "days_past_due": pos.days_past_due,
        "oldest_unpaid_due": pos.oldest_unpaid_due,
        "portfolio": _Fields("portfolio", portfolio),
        "itemization": _itemization(data),
        "plan": _plan(data.plan),
        "addressee": to,
        "promise": _promise(data.promise),
        "letterhead": _letterhead(portfolio, data.as_of),
        "address_block": _address_block(to, party),
        "remittance": _remittance(data, portfolio, party),
        "today": data.as_of,
        "as_of": data.as_of,
        "response_by": business_days_after(data.as_of, days) if days in RESPONSE_DAYS_RANGE else None,
        "validation_end": validation_period_end(data.as_of)[1],
        **data.extra,
    }


SAMPLE_LOGO: Final = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
"""A one-pixel PNG: the sample account's letterhead logo."""


def sample_data(as_of: date = date(2026, 3, 1)) -> MergeData:
    """A made-up account with every merge field filled (both address lines, a logo, one itemization line of
    each kind, a monthly payment plan with two of twelve installments paid, a monthly promise of $100.00 due
    2026-03-15 with $40.00 paid toward it), so a template rendered for it
    shows whether it uses anything that does not exist."""
    position = Position(
        as_of=as_of,
        balance_cents=123456,
        oldest_unpaid_due=date(2025, 12, 1),
        days_past_due=(as_of - date(2025, 12, 1)).days,
        aging=(("current", 0), ("1-30", 0), ("31-60", 0), ("61-90", 123456), ("91-120", 0), ("120+", 0)),
        last_payment_date=date(2026, 1, 20),
        last_payment_cents=5000,
    )
    party = {"first_name": "Ann", "last_name": "Smith", "address1": "12 Elm St", "address2": "Apt 3",
             "city": "Dayton", "state": "OH", "postal_code": "45402"}  # fmt: skip
    letterhead = {"address1": "400 Maple Grove Rd", "address2": "Suite 200", "city": "Dayton", "state": "OH",
                  "postal_code": "45409", "phone": "(937) 555-0100", "logo": SAMPLE_LOGO}  # fmt: skip
    since = date(2025, 12, 1)
    itemization = Itemization(since, 115000, (
        ItemLine(date(2025, 12, 15), Kind.CHARGE, ItemCategory.CHARGE, "Office visit", 9000),
        ItemLine(date(2026, 1, 5), Kind.FEE, ItemCategory.FEE, "Late fee", 2500),
        ItemLine(date(2026, 1, 20), Kind.PAYMENT, ItemCategory.PAYMENT, "Payment, thank you", -5000),
        ItemLine(date(2026, 2, 1), Kind.ADJUSTMENT, ItemCategory.ADJUSTMENT, "Insurance adjustment", 1956),
    ))  # fmt: skip
    plan = PaymentPlan(15000, Frequency.MONTHLY, date(2026, 1, 15), installments=12)
    promise = PromiseOnFile(PromiseTerms(10000, date(2026, 3, 15), Repeat(RepeatPeriod.MONTHLY), 3),
                            PromiseState(0, 4000, PromiseStatus.PARTIAL), "BO", "Bob Ortiz", "phone")  # fmt: skip
    return MergeData(party, "A-1", "", "FAMILY", "Maple Grove Family Practice", position, as_of,
                     letterhead=letterhead, itemization=itemization,
                     plan=plan_standing(plan, 30000, position.balance_cents), promise=promise)  # fmt: skip


def sample_context(as_of: date = date(2026, 3, 1), template: LetterTemplate | None = None) -> dict[str, Any]:
    """Merge fields of a made-up account, for trying a template without a database."""
    return letter_context(sample_data(as_of), template)


def _attribute_problems(ast: nodes.Template, names: set[str]) -> list[str]:
    """Unknown attributes and keys of the merge-field objects (``party.frist_name``, ``aging['1-31']``),
    found in the template's text, so a branch the sample account never takes is checked too."""
    sample = sample_context()
    found: list[str] = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        owner = node.node
        if not isinstance(owner, nodes.Name) or owner.name not in names:
            continue
        fields = sample.get(owner.name)
        if not isinstance(fields, _Fields):
            continue
        if isinstance(node, nodes.Getattr):
            key: object = node.attr
        elif isinstance(node.arg, nodes.Const):
            key = node.arg.value
        else:
            continue  # a computed key is checked when the template renders for the sample account
        if key not in fields:
            known = ", ".join(_member(fields.merge_name, k) for k in fields)
            message = f"uses unknown merge field '{_member(fields.merge_name, key)}' (known: {known})"
            if message not in found:
                found.append(message)
    return found


def _render_part(env: SandboxedEnvironment, text: str, context: Mapping[str, Any]) -> str:
    """Render one part within :data:`LIMITS`; any problem is a :class:`LetterError` saying what went wrong
    (without the letter)."""
    template = _compiled(env, text)
    token = _BUDGET.set(_Budget())
    try:
        budget, size, chunks = _budget(), 0, []
        for chunk in template.generate(context):
            size += len(chunk)
            if size > LIMITS.output_chars:
                raise LetterError(f"exceeds the output limit of {LIMITS.output_chars:,} characters")
            budget.tick()
            chunks.append(chunk)
        return "".join(chunks)
    except (UndefinedError, SecurityError, LetterError) as error:
        raise LetterError(str(error)) from error
    except RecursionError as error:  # Python's own limit, should a structure nest deeper than the call limit
        raise LetterError(f"exceeds the recursion limit: calls nested more than {LIMITS.call_depth} deep") from error
    except MemoryError as error:
        raise LetterError(f"exceeds the output limit of {LIMITS.output_chars:,} characters") from error
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise LetterError(f"{type(error).__name__}: {error}") from error
    finally:
        _BUDGET.reset(token)


def _part_problems(path: str, env: SandboxedEnvironment, text: str, context: Mapping[str, Any]) -> list[ConfigError]:
    try:
        ast = env.parse(text)
        _compiled(env, text)  # compiling finds unknown filters and tests, and refuses include/import/extends
    except TemplateSyntaxError as error:
        return [ConfigError(path, f"has a template error on line {error.lineno}: {error.message}")]
    except LetterError as error:
        return [ConfigError(path, str(error))]
    names = meta.find_undeclared_variables(ast)
    unknown = sorted(names - _TOP_LEVEL)
    found = [
        ConfigError(path, f"uses unknown merge field '{name}' (known: {', '.join(sorted(_TOP_LEVEL))})")
        for name in unknown
    ]
    found += [ConfigError(path, rule) for rule in _attribute_problems(ast, names & _TOP_LEVEL)]
    if found:
        return found
    try:
        _render_part(env, text, context)
    except LetterError as error:
        return [ConfigError(path, f"does not render for the sample account: {error}")]
    return []


def template_problems(template: LetterTemplate) -> tuple[ConfigError, ...]:
    """What is wrong with a template, found when it is saved: syntax errors (with the line), unknown merge
    fields and attributes, a render error for the sample account, a response_days out of range."""
    base = f"letters[{template.code}]"
    subject = template.subject if isinstance(template.subject, str) else ""
    body = template.body if isinstance(template.body, str) else ""
    found: list[ConfigError] = []
    days = template.response_days
    if isinstance(days, bool) or not isinstance(days, int) or days not in RESPONSE_DAYS_RANGE:
        found.append(ConfigError(f"{base}.response_days", "must be a whole number of business days, 1 to 90"))
        template = LetterTemplate(template.code, template.name)
    context = sample_context(template=template)
    found += _part_problems(f"{base}.subject", _ENV, subject, context)
    found += _part_problems(f"{base}.body", _HTML_ENV if is_html(template) else _ENV, body, context)
    return tuple(found)


def render_letter(template: LetterTemplate, context: Mapping[str, Any]) -> RenderedLetter:
    """Render the subject (text) and body (HTML, escaped, when it starts with a tag; else text); any problem is
    a :class:`LetterError` naming the letter and the part."""
    parts = []
    for part, env, text in (("subject", _ENV, template.subject),
                            ("body", _HTML_ENV if is_html(template) else _ENV, template.body)):  # fmt: skip
        try:
            parts.append(_render_part(env, text, context))
        except LetterError as error:
            raise LetterError(f"letter '{template.code}' {part}: {error}") from error
    return RenderedLetter(*parts)
