"""Account and ledger use cases: open, close, post a transaction, reverse a payment, portfolios."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from arrears.domain.ledger import (
    Entry,
    Kind,
    LedgerError,
    PaymentPlan,
    Source,
    entry_problems,
    plan_problems,
    refund_problem,
    replay,
)
from arrears.domain.model import ENTERPRISE, Account, Claim, Mode, Party, PhoneType, claim_problems
from arrears.domain.money import AmountLimit, Money, maximum_amount_problem
from arrears.services.posting_effects import PostedLine, after_posting
from arrears.services.stored_strategy import load_strategy
from arrears.store import summaries
from arrears.store.accounts import account_by_external_id, account_exists
from arrears.store.audit import append_audit
from arrears.store.db import Database
from arrears.store.ledger import ledger_entries, line_external_id_taken
from arrears.store.models import AccountRow, ClaimRow, LedgerLineRow, PartyRow, PaymentPlanRow, PhoneRow, PortfolioRow
from arrears.store.plans import claim_exists, deactivate_plans, plan_exists
from arrears.store.portfolios import amount_limits, portfolio_by_code, portfolio_ids
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.store.db import Session


@dataclass(frozen=True, slots=True)
class Posting:
    """A ledger line to post: amounts in cents, positive except signed adjustments."""

    kind: Kind
    amount_cents: int
    posted: date
    due: date | None = None
    service: date | None = None
    source: Source | None = None
    external_id: str | None = None
    description: str = ""
    reverses: int | None = None


def time_zone_problem(name: str) -> Problem | None:
    """A problem when ``name`` is not an IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return Problem("time_zone", "must be an IANA time zone such as America/Chicago", name)
    return None


def party_problems(party: Party) -> list[Problem]:
    """Every rule a party breaks."""
    problems = []
    if not party.last_name.strip():
        problems.append(Problem("last_name", "is required"))
    if (zone := time_zone_problem(party.time_zone)) is not None:
        problems.append(zone)
    return problems


def party_row(party: Party) -> PartyRow:
    """A new ``party`` row for ``party``."""
    return PartyRow(
        first_name=party.first_name,
        last_name=party.last_name,
        address1=party.address1,
        address2=party.address2,
        city=party.city,
        state=party.state,
        postal_code=party.postal_code,
        email=party.email,
        time_zone=party.time_zone,
        deceased=party.deceased,
        bankruptcy=party.bankruptcy,
        attorney_represented=party.attorney_represented,
        cease_communication=party.cease_communication,
        dispute_date=party.dispute_date,
        do_not_call=party.do_not_call,
        phones=[PhoneRow(number=p.number, type=PhoneType(p.type).value) for p in party.phones],
    )


def create_portfolio(
    db: Database, code: str, name: str, maximum_cents: int | None = None, *, actor: str = "system"
) -> int:
    """Create a portfolio under the enterprise; return its id. ``maximum_cents`` is the largest amount its
    accounts take (None: the enterprise's maximum, else $10,000,000.00). Audited."""
    problems = []
    if not code.strip() or len(code) > 40:
        problems.append(Problem("code", "is required and at most 40 characters", code))
    if not name.strip():
        problems.append(Problem("name", "is required"))
    if maximum_cents is not None and (rule := maximum_amount_problem(maximum_cents)):
        problems.append(Problem("maximum_amount", rule, str(Money(maximum_cents))))
    with UnitOfWork(db) as uow:
        known = portfolio_ids(uow.session)
        if code in known:
            problems.append(Problem("code", "is already a portfolio", code))
        if problems:
            raise ValidationFailed(problems)
        row = PortfolioRow(code=code, name=name, parent_id=known[ENTERPRISE], maximum_amount_cents=maximum_cents)
        uow.session.add(row)
        uow.session.flush()
        append_audit(uow.session, actor=actor, entity="portfolio", key=code, action="added", before=None,
                     after={"name": name, "maximum_amount_cents": maximum_cents})  # fmt: skip
        uow.commit()
        return row.id


def set_portfolio_maximum(db: Database, code: str, maximum_cents: int | None, actor: str) -> None:
    """Set the largest amount the accounts of portfolio ``code`` take (None: back to the enterprise's, else the
    default); audited. Amounts already stored stay; only what is entered from now on is checked."""
    if maximum_cents is not None and (rule := maximum_amount_problem(maximum_cents)):
        raise ValidationFailed([Problem("maximum_amount", rule, str(Money(maximum_cents)))])
    with UnitOfWork(db) as uow:
        row = portfolio_by_code(uow.session, code)
        if row is None:
            raise NotFound(f"no portfolio {code!r}")
        before, row.maximum_amount_cents = row.maximum_amount_cents, maximum_cents
        append_audit(
            uow.session,
            actor=actor,
            entity="portfolio",
            key=code,
            action="maximum amount set",
            before={"maximum_amount_cents": before},
            after={"maximum_amount_cents": maximum_cents},
        )
        uow.commit()


def _limit(session: Session, account: AccountRow) -> AmountLimit:
    return amount_limits(session.connection())[account.portfolio_id]


def open_account(db: Database, account: Account) -> int:
    """Open ``account`` with its guarantor; return the new account id."""
    problems = party_problems(account.guarantor)
    if not account.external_id.strip():
        problems.append(Problem("external_id", "is required"))
    with UnitOfWork(db) as uow:
        session = uow.session
        portfolio = portfolio_ids(session).get(account.portfolio)
        if portfolio is None:
            problems.append(Problem("portfolio", "is not a known portfolio", account.portfolio))
        if account_exists(session, account.external_id):
            problems.append(Problem("external_id", "is already an account", account.external_id))
        if problems:
            raise ValidationFailed(problems)
        assert portfolio is not None
        row = AccountRow(
            external_id=account.external_id,
            portfolio_id=portfolio,
            guarantor=party_row(account.guarantor),
            mode=Mode(account.mode).value,
            status_code=account.status_code,
            opened_date=account.opened,
        )
        session.add(row)
        session.flush()
        summaries.refresh(session.connection(), [row.id])
        uow.commit()
        return row.id


def _account(session: Session, external_id: str) -> AccountRow:
    row = account_by_external_id(session, external_id)
    if row is None:
        raise NotFound(f"no account {external_id!r}")
    return row


def post_transaction(db: Database, external_id: str, posting: Posting, *, actor: str | None = None) -> int:
    """Post ``posting`` to the account and bring its summary up to date, in one transaction, with what its
    posting makes happen in the same transaction (:mod:`arrears.services.posting_effects`): a guarantor payment
    judges the account's promises, a payment, adjustment or write-off settles the account's place in its
    milestone scheme (decrement, resolution), and a transaction of a type linked to a contact plan runs it.
    Given ``actor`` (a person, not an import), the posting is audited with them."""
    with UnitOfWork(db) as uow:
        line_id = _post(uow.session, external_id, posting)
        _effects(uow.session, external_id, line_id, posting)
        if actor is not None:
            _audit_posting(uow.session, actor, external_id, line_id, posting)
        uow.commit()
        return line_id


def _effects(session: Session, external_id: str, line_id: int, posting: Posting) -> None:
    """What posting the line ``line_id`` makes happen (a reversal also takes back the promise payment it reverses
    and returns the account to its milestone's reversal milestone)."""
    account = _account(session, external_id)
    source = posting.source.value if posting.source else None
    line = PostedLine(account.id, line_id, Kind(posting.kind).value, posting.amount_cents, posting.posted, source)
    after_posting(session.connection(), load_strategy(session), [line])


def _audit_posting(session: Session, actor: str, external_id: str, line_id: int, posting: Posting) -> None:
    after = {"account": external_id, "kind": str(posting.kind), "amount_cents": posting.amount_cents,
             "posted": posting.posted.isoformat(), "due": posting.due.isoformat() if posting.due else None,
             "external_id": posting.external_id, "reverses": posting.reverses, "description": posting.description}
    append_audit(session, actor=actor, entity="transaction", key=str(line_id), action="posted", before=None,
                 after=after)  # fmt: skip


def reverse_payment(
    db: Database, external_id: str, payment_id: int, on: date, reason: str = "NSF", *, actor: str | None = None
) -> int:
    """Reverse a payment (NSF): re-opens what it paid, and what the reversal makes happen happens as it posts
    (:func:`post_transaction`). Returns the reversal's ledger line id. A line that is no payment of the account
    is :class:`NotFound`; a payment reversed already is a :class:`Conflict`. Given ``actor``, the reversal is
    audited with them."""
    with UnitOfWork(db) as uow:
        payment = uow.session.get(LedgerLineRow, payment_id)
        account = _account(uow.session, external_id)
        if payment is None or payment.account_id != account.id or payment.kind != Kind.PAYMENT:
            raise NotFound(f"no payment {payment_id} on account {external_id!r}")
        if any(entry.reverses == payment_id for entry in ledger_entries(uow.session.connection(), account.id)):
            raise Conflict([Problem("payment", "is already reversed", str(payment_id))])
        reversal = Posting(
            Kind.REVERSAL,
            payment.amount_cents,
            on,
            reverses=payment_id,
            description=f"reversal of payment {payment_id}: {reason}",
        )
        line_id = _post(uow.session, external_id, reversal)
        _effects(uow.session, external_id, line_id, reversal)
        if actor is not None:
            _audit_posting(uow.session, actor, external_id, line_id, reversal)
        uow.commit()
        return line_id


def _post(session: Session, external_id: str, posting: Posting) -> int:
    probe = Entry(
        seq=0,
        kind=Kind(posting.kind),
        amount_cents=posting.amount_cents,
        posted=posting.posted,
        due=posting.due,
        service=posting.service,
        source=posting.source,
        reverses=posting.reverses,
    )
    account = _account(session, external_id)
    problems = [Problem(field, rule) for field, rule in entry_problems(probe, _limit(session, account))]
    if posting.external_id and line_external_id_taken(session.connection(), posting.external_id):
        problems.append(Problem("external_id", "is already a posted transaction", posting.external_id))
    entries = ledger_entries(session.connection(), account.id)
    if not problems:
        # Replay with the new line (a sequence after every other) so ledger rules are checked before writing.
        candidate = replace(probe, seq=max((e.seq for e in entries), default=0) + 1)
        try:
            replay([*entries, candidate])
        except LedgerError as error:
            problems.append(Problem("reverses", str(error)))
        over = refund_problem(entries, candidate)
        if over is not None:
            problems.append(Problem(*over, Money(posting.amount_cents).plain()))
    if problems:
        raise ValidationFailed(problems)
    row = LedgerLineRow(
        account_id=account.id,
        external_id=posting.external_id,
        kind=probe.kind.value,
        amount_cents=posting.amount_cents,
        posted_date=posting.posted,
        due_date=posting.due,
        service_date=posting.service,
        source=posting.source.value if posting.source else None,
        reverses_id=posting.reverses,
        description=posting.description,
    )
    session.add(row)
    session.flush()
    summaries.refresh(session.connection(), [account.id])
    return row.id


def add_payment_plan(
    db: Database, external_id: str, plan_id: str, plan: PaymentPlan, *, actor: str | None = None
) -> int:
    """Put the account on ``plan`` (it replaces any active plan) and refresh its summary; audited when a person
    (``actor``) puts it there."""
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        problems = [Problem(field, rule) for field, rule in plan_problems(plan, _limit(session, account))]
        if plan_exists(session, plan_id):
            problems.append(Problem("external_id", "is already a payment plan", plan_id))
        if problems:
            raise ValidationFailed(problems)
        deactivate_plans(session, account.id)
        row = PaymentPlanRow(
            external_id=plan_id,
            account_id=account.id,
            installment_cents=plan.installment_cents,
            frequency=plan.frequency.value,
            first_due_date=plan.first_due,
            grace_days=plan.grace_days,
            start_date=plan.start,
            installments=plan.installments,
            active=True,
        )
        session.add(row)
        session.flush()
        summaries.refresh(session.connection(), [account.id])
        if actor is not None:
            append_audit(session, actor=actor, entity="payment_plan", key=f"{external_id}/{plan_id}", action="added",
                         before=None, after={"installment_cents": plan.installment_cents,
                                             "frequency": plan.frequency.value,
                                             "first_due": plan.first_due.isoformat()})  # fmt: skip
        uow.commit()
        return row.id


def add_claim(db: Database, external_id: str, claim: Claim, *, actor: str | None = None) -> int:
    """Record an insurance claim on the account and refresh its summary; audited when a person (``actor``)
    records it."""
    with UnitOfWork(db) as uow:
        session = uow.session
        account = _account(session, external_id)
        problems = [Problem(field, rule) for field, rule in claim_problems(claim, _limit(session, account))]
        if claim_exists(session, claim.external_id):
            problems.append(Problem("external_id", "is already a claim", claim.external_id))
        if problems:
            raise ValidationFailed(problems)
        row = ClaimRow(
            external_id=claim.external_id,
            account_id=account.id,
            payer=claim.payer,
            billed_date=claim.billed,
            amount_cents=claim.amount_cents,
            paid_cents=claim.paid_cents,
            status=claim.status.value,
        )
        session.add(row)
        session.flush()
        summaries.refresh(session.connection(), [account.id])
        if actor is not None:
            append_audit(session, actor=actor, entity="claim", key=f"{external_id}/{claim.external_id}",
                         action="added", before=None, after={"payer": claim.payer, "amount_cents": claim.amount_cents,
                                                             "paid_cents": claim.paid_cents,
                                                             "status": claim.status.value})  # fmt: skip
        uow.commit()
        return row.id
