"""Who owes and where: portfolios, accounts, parties and insurance claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from arrears.domain.money import ANY_AMOUNT, AmountLimit


class Mode(StrEnum):
    """Whether an account is worked."""

    ACTIVE = "active"
    CLOSED = "closed"


class PhoneType(StrEnum):
    """The kind of a phone number."""

    HOME = "home"
    MOBILE = "mobile"
    WORK = "work"
    OTHER = "other"


class ClaimStatus(StrEnum):
    """Where an insurance claim stands."""

    OPEN = "open"
    PAID = "paid"
    DENIED = "denied"
    CLOSED = "closed"


ENTERPRISE = "ENTERPRISE"
"""Code of the root portfolio: enterprise-wide configuration hangs here."""


@dataclass(frozen=True, slots=True)
class Portfolio:
    """A practice, creditor or division; the enterprise is the root (``parent`` is None)."""

    code: str
    name: str
    parent: str | None = ENTERPRISE


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number of a party."""

    number: str
    type: PhoneType = PhoneType.HOME


@dataclass(frozen=True, slots=True)
class Party:
    """The person responsible for an account, with the flags that limit contact."""

    first_name: str
    last_name: str
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    email: str = ""
    time_zone: str = "America/New_York"
    phones: tuple[Phone, ...] = ()
    deceased: bool = False
    bankruptcy: bool = False
    attorney_represented: bool = False
    cease_communication: bool = False
    dispute_date: date | None = None
    do_not_call: bool = False

    @property
    def disputed(self) -> bool:
        """True when the party has disputed the debt."""
        return self.dispute_date is not None


@dataclass(frozen=True, slots=True)
class Account:
    """What is collected: belongs to one portfolio, has a guarantor and a ledger."""

    external_id: str
    portfolio: str
    guarantor: Party
    mode: Mode = Mode.ACTIVE
    status_code: str = ""
    opened: date | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """An insurance claim on an account: what was billed and what the payer paid."""

    external_id: str
    payer: str
    billed: date
    amount_cents: int
    paid_cents: int = 0
    status: ClaimStatus = ClaimStatus.OPEN

    @property
    def unpaid_cents(self) -> int:
        """What the payer still owes on the claim (0 once paid, denied or closed)."""
        if self.status is not ClaimStatus.OPEN:
            return 0
        return max(0, self.amount_cents - self.paid_cents)


def claim_problems(claim: Claim, limit: AmountLimit = ANY_AMOUNT) -> list[tuple[str, str]]:
    """The (field, rule) pairs a claim breaks; its amounts may be at most ``limit``."""
    problems: list[tuple[str, str]] = []
    if claim.amount_cents <= 0:
        problems.append(("amount", "must be greater than zero"))
    if claim.paid_cents < 0:
        problems.append(("paid", "must not be negative"))
    if claim.paid_cents > claim.amount_cents:
        problems.append(("paid", "cannot exceed the billed amount"))
    for name, cents in (("amount", claim.amount_cents), ("paid", claim.paid_cents)):
        too_large = limit.problem(cents)
        if too_large:
            problems.append((name, too_large))
    if not claim.payer.strip():
        problems.append(("payer", "is required"))
    return problems
