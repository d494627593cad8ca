"""What the party, claim, payment plan, letter, outbox and audit resources read and write."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from arrears.api.schemas import GuarantorPublic, Moment
from arrears.domain.flags import FLAGS
from arrears.domain.ledger import Frequency
from arrears.domain.model import ClaimStatus

FlagName = Literal[tuple(FLAGS)]  # type: ignore[valid-type]
RoleKind = Literal["attorney", "estate_representative"]
Short = Annotated[str, Field(max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FlagCreate(_In):
    """Set a flag of the guarantor or the debt from a day (a dispute, a first bill … need the day), or clear
    it."""

    flag: FlagName
    on: date | None = None
    clear: bool = False


class RoleUpdate(_In):
    """A representative on file: letters to the guarantor are redirected to them."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    address1: Short = ""
    address2: Short = ""
    city: Annotated[str, Field(max_length=100)] = ""
    state: Annotated[str, Field(max_length=40)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    email: Short = ""
    since: date | None = None


class RolePublic(_Out):
    role: str
    name: str
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    phone: str
    email: str
    since: date | None


class FlagsAppliedPublic(_Out):
    """What a change of flags or representatives did."""

    flags_set: int
    flags_cleared: int
    roles_set: int
    roles_removed: int


class AwardPublic(_Out):
    on: date
    points: int
    counted: bool


class RatingPublic(_Out):
    """The party's credit points within the look-back and the level they give."""

    points: int
    all_points: int
    level: str
    lookback_days: int | None
    awards: list[AwardPublic]


class PartyPublic(_Out):
    """The guarantor of an account: flags, representatives on file, credit rating."""

    account: str
    party_id: int
    guarantor: GuarantorPublic
    roles: list[RolePublic]
    rating: RatingPublic


class ClaimCreate(_In):
    """An insurance claim: what was billed to the payer, what it paid."""

    external_id: Annotated[str, Field(min_length=1, max_length=64)]
    payer: Annotated[str, Field(min_length=1, max_length=200)]
    billed: date
    amount_cents: Annotated[int, Field(ge=0, le=10**13)]
    paid_cents: Annotated[int, Field(ge=0, le=10**13)] = 0
    status: ClaimStatus = ClaimStatus.OPEN


class PaymentPlanCreate(_In):
    """Installments of a fixed amount from a first due date; payments from ``start`` count toward them."""

    external_id: Annotated[str, Field(min_length=1, max_length=64)]
    installment_cents: Annotated[int, Field(ge=1, le=10**13)]
    frequency: Frequency
    first_due: date
    grace_days: Annotated[int, Field(ge=0, le=999)] = 0
    start: date | None = None
    installments: Annotated[int, Field(ge=1, le=10_000)] | None = None


class LetterPublic(_Out):
    id: int
    account: str
    portfolio: str
    template: str
    channel: str
    queued_on: date
    status: str
    printed_on: date | None
    addressee: str
    pages: int | None


class LetterPreviewPublic(_Out):
    letter: str
    account: str
    subject: str
    body: str
    """HTML."""


class LetterBatchCreate(_In):
    """Print the letters queued on ``day`` (default: the latest day with letters), of one portfolio or all."""

    day: date | None = None
    portfolio: Annotated[str, Field(min_length=1, max_length=40)] | None = None


class JobProblem(_Out):
    location: str
    rule: str
    value: str = ""


class JobPublic(_Out):
    """A background job (a large print batch): ``queued``, ``running``, ``done`` (``result`` links to what it
    made: the batch's PDF) or ``failed`` (``problems`` says why: refused, nothing printed; or interrupted, its
    server process having stopped)."""

    id: int
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    actor: str
    portfolio: str | None
    created_at: Moment
    started_at: Moment | None
    finished_at: Moment | None
    result: str | None
    """When done: the URL of what it made."""
    batch: str | None
    """When done: the print batch's name."""
    problems: list[JobProblem]


class LetterBatchPublic(_Out):
    """A print batch: its name, day, portfolio (None: every portfolio), letters and its PDF."""

    name: str
    day: date
    portfolio: str | None
    letters: int
    size_bytes: int
    pdf: str
    """Where to download its combined PDF."""


class OutboxMessagePublic(_Out):
    id: int
    account: str
    portfolio: str
    channel: str
    template: str
    recipient: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: Moment | None
    last_attempt_at: Moment | None
    last_error: str | None
    queued_on: date
    sent_at: Moment | None


class OutboxCountPublic(_Out):
    channel: str
    status: str
    count: int


class AuditPublic(_Out):
    """One change: who, when, what (entity and key), the action, before and after, the API request."""

    id: int
    at: Moment
    actor: str
    entity: str
    entity_key: str
    action: str
    before: Any
    after: Any
    request_id: str | None


JobId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
BatchName = Annotated[str, PathParam(min_length=1, max_length=120, pattern=r"^letters-[A-Za-z0-9_.-]+$")]
