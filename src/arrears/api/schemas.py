"""What the API reads and writes: ``XCreate`` / ``XUpdate`` bodies and ``XPublic`` answers (pydantic).

Amounts are integer cents (``amount_cents``), days ISO dates, moments ISO date-times with their offset.
Bodies refuse unknown fields, so a misspelt field is an error rather than silently ignored.
"""

from __future__ import annotations

import operator
from dataclasses import MISSING
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime, time
from functools import reduce
from types import UnionType
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from fastapi import Path as PathParam
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from arrears.domain.access import Role, Scope
from arrears.domain.ledger import Kind, Source
from arrears.domain.promises import PromiseChannel
from arrears.services.account_list import AccountLine
from arrears.services.account_page import ActivityLine, CaseEpisode, TimelineEntry
from arrears.services.promises import PromiseLine
from arrears.services.queries import LedgerLine

T = TypeVar("T")
TimeOfDay = time


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]
"""A moment with its offset: one stored without (SQLite keeps none) is UTC, as every moment is written."""

Text = Annotated[str, Field(max_length=10_000)]
Code = Annotated[str, Field(min_length=1, max_length=60)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _with_moments(annotation: Any) -> Any:
    """``datetime`` (alone or in a union) as a :data:`Moment`, which answers a moment with its offset."""
    if annotation is datetime:
        return Moment
    if get_origin(annotation) in (Union, UnionType) and datetime in get_args(annotation):
        return reduce(operator.or_, (Moment if arg is datetime else arg for arg in get_args(annotation)))
    return annotation


def public_of(source: type, name: str, doc: str, **extra: Any) -> type[_Out]:
    """The ``XPublic`` schema of the use cases' dataclass ``source``: its fields in its order, with their types
    and defaults (moments as :data:`Moment`), then the ``extra`` fields the answer adds (``name=(type,
    default)``), so the shape has one source: the dataclass."""
    hints = get_type_hints(source)
    fields: dict[str, Any] = {
        field.name: (_with_moments(hints[field.name]), field.default if field.default is not MISSING else ...)
        for field in dataclass_fields(source)
    }
    model: type[_Out] = create_model(name, __base__=_Out, __doc__=doc, __module__=__name__, **fields, **extra)
    return model


# ---------------------------------------------------------------------------------------------- errors


class ProblemPublic(_Out):
    """One broken rule: where, which rule, the value (the engine's problem shape)."""

    location: str
    rule: str
    value: str = ""


class ErrorPublic(_Out):
    """Every refusal: a sentence, and each rule broken."""

    detail: str
    problems: list[ProblemPublic] = []


# ------------------------------------------------------------------------------------------- security


class LoginCreate(_In):
    """Sign in with a login and password: the answer is a session token."""

    login: Annotated[str, Field(min_length=1, max_length=60)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenCreate(_In):
    """A bearer token to make: its name, scopes (default: every scope the role allows), days it lasts."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: list[Scope] | None = None
    expires_in_days: Annotated[int, Field(ge=1, le=365)] = 90


class TokenPublic(_Out):
    """A token as listed (never the token itself)."""

    id: int
    login: str
    name: str
    kind: str
    scopes: list[str]
    created_at: Moment
    expires_at: Moment
    revoked_at: Moment | None
    last_used_at: Moment | None


class TokenIssuedPublic(_Out):
    """A token just made: ``token`` goes in ``Authorization: Bearer TOKEN``; it is shown this once."""

    token: str
    details: TokenPublic


class MePublic(_Out):
    """Who the request acts as."""

    login: str
    role: Role
    portfolios: list[str] | None
    """None: every portfolio."""
    scopes: list[Scope]


# -------------------------------------------------------------------------------------------- accounts


class Page(_Out, Generic[T]):
    """One page of a list and how many items the criteria select over every page."""

    items: list[T]
    total: int
    limit: int
    offset: int


AccountListPublic = public_of(AccountLine, "AccountListPublic", "An account in a list.")


class PhonePublic(_Out):
    number: str
    type: str


class GuarantorPublic(_Out):
    name: str
    address: str
    email: str
    time_zone: str
    phones: list[PhonePublic]
    flags: list[str]


LedgerLinePublic = public_of(LedgerLine, "LedgerLinePublic", "A line of the account's ledger.")


CasePublic = public_of(CaseEpisode, "CasePublic", "An episode of the account's collections case (``open``: not "
                       "resolved or closed).", open=(bool, ...))  # fmt: skip


class PaymentPlanPublic(_Out):
    external_id: str
    installment_cents: int
    frequency: str
    first_due_date: date
    grace_days: int
    active: bool


class ClaimPublic(_Out):
    external_id: str
    payer: str
    billed_date: date
    amount_cents: int
    paid_cents: int
    status: str


ActivityLinePublic = public_of(ActivityLine, "ActivityLinePublic", "An activity of the account, whatever its state.")


PromisePublic = public_of(PromiseLine, "PromisePublic", "A promise to pay: its terms, where it stands, who took it.")


TimelineEntryPublic = public_of(TimelineEntry, "TimelineEntryPublic", "One thing that happened on the account.")


class AccountPublic(_Out):
    """The account page: guarantor and flags, ledger and aging, cases, plans, claims, promises, pending work and
    the timeline, newest first."""

    external_id: str
    portfolio: str
    mode: str
    status_code: str
    guarantor: GuarantorPublic
    as_of: date
    balance_cents: int
    credit_cents: int
    oldest_unpaid_due: date | None
    days_past_due: int
    aging_cents: dict[str, int]
    last_payment_date: date | None
    last_payment_cents: int | None
    ledger: list[LedgerLinePublic]
    statement_hold: bool
    cases: list[CasePublic]
    plans: list[PaymentPlanPublic]
    claims: list[ClaimPublic]
    promises: list[PromisePublic]
    pending: list[ActivityLinePublic]
    timeline: list[TimelineEntryPublic]


class CheckPublic(_Out):
    rule: str
    value: str
    threshold: str
    holds: bool


class ExplanationPublic(_Out):
    """Why the account is where it is on a date, and what comes next."""

    account: str
    as_of: date
    portfolio: str
    policy: str
    checks: list[CheckPublic]
    verdict: str
    assignment: str
    cases: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    history: list[dict[str, Any]]
    compliance: list[dict[str, Any]]
    milestone: str
    promises: list[str]


# ---------------------------------------------------------------------------------------------- writes


class TransactionCreate(_In):
    """A ledger line to post: a charge needs its due date; amounts are positive cents (an adjustment may be
    negative)."""

    kind: Literal[Kind.CHARGE, Kind.PAYMENT, Kind.ADJUSTMENT, Kind.FEE, Kind.PENALTY, Kind.DEPOSIT,
                  Kind.WRITE_OFF, Kind.REFUND]  # fmt: skip
    amount_cents: Annotated[int, Field(ge=-10**13, le=10**13)]
    posted: date
    due: date | None = None
    service: date | None = None
    source: Source | None = None
    external_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    description: Annotated[str, Field(max_length=200)] = ""


class ReversalCreate(_In):
    """Reverse a payment (NSF) on a day."""

    on: date
    reason: Annotated[str, Field(min_length=1, max_length=150)] = "NSF"


class TransactionPublic(_Out):
    """The line posted."""

    id: int
    account: str
    kind: str
    amount_cents: int | None
    """None for a reversal: its amount is the payment's."""
    posted: date
    reverses: int | None = None


class RepeatIn(_In):
    """A promise's repeat: a period, or every N days."""

    period: Literal["weekly", "biweekly", "monthly"] | None = None
    days: Annotated[int, Field(ge=1, le=999)] | None = None


class PromiseCreate(_In):
    """A promise to pay taken directly."""

    amount_cents: Annotated[int, Field(ge=1, le=10**13)]
    due: date
    repeat: RepeatIn | None = None
    grace_days: Annotated[int, Field(ge=0, le=999)] | None = None
    advance: bool = False
    collector: Code | None = None
    channel: PromiseChannel = PromiseChannel.PHONE
    on: date | None = None
    """The day it is taken (default: today)."""


class NoteCreate(_In):
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    on: date | None = None


class NotePublic(_Out):
    id: int
    account: str
    on: date
    text: str


class ActivityCreate(_In):
    """A follow-up call or review on an account in collections."""

    kind: Literal["review", "phone_call"]
    due: date
    time: TimeOfDay | None = None
    priority: Annotated[int, Field(ge=1, le=99)] = 50
    collector: Code | None = None
    reason: Annotated[str, Field(max_length=300)] = ""
    no_auto_delete: bool = False
    on: date | None = None


class ActivityUpdate(_In):
    """Give pending work to another collector or group."""

    assignee: Code


class ActivityComplete(_In):
    """The outcome of a call or review, done on a day (default today), with an optional promise."""

    outcome: Annotated[str, Field(min_length=1, max_length=20)]
    note: Annotated[str, Field(max_length=4000)] = ""
    on: date | None = None
    time: TimeOfDay | None = None
    promise: PromiseCreate | None = None


class ActivityPublic(_Out):
    """What a write did to an activity."""

    id: int
    account: str | None = None
    assignee: str | None = None
    previous_assignee: str | None = None
    status: str
    breach: str | None = None
    """A completed call that broke a contact rule: the rule and reason (recorded all the same)."""


class WorkItemPublic(_Out):
    id: int
    account: str
    guarantor: str
    kind: str
    action: str
    assignee: str
    due: date
    due_at: Moment | None
    priority: int
    band: str
    reason: str
    not_before: Moment | None
    blocked: str
    flags: list[str] = []
    """The guarantor's flags (bankruptcy, attorney represented, disputed DATE …)."""


# ------------------------------------------------------------------------------------------------ runs


class RunCreate(_In):
    """Start the daily run of a date (default today), for every portfolio or one."""

    as_of: date | None = None
    portfolio: Code | None = None


class RunErrorPublic(_Out):
    account: str
    reason: str


class RunPublic(_Out):
    id: int
    scope: str
    as_of: date
    status: str
    started_at: Moment | None
    finished_at: Moment | None
    attempts: int
    config_version: int | None
    counts: dict[str, int]
    failure: str | None
    errors: list[RunErrorPublic] | int
    """The per-account errors (a count in a list of runs)."""


class HealthPublic(_Out):
    status: str
    detail: str = ""


INT32 = 2**31 - 1
INT64 = 2**63 - 1
TokenId = Annotated[int, PathParam(ge=1, le=INT32)]
RunId = Annotated[int, PathParam(ge=1, le=INT32)]
ActivityId = Annotated[int, PathParam(ge=1, le=INT64)]
LineId = Annotated[int, PathParam(ge=1, le=INT64)]
AccountId = Annotated[str, PathParam(min_length=1, max_length=64)]
