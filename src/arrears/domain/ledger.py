"""The account ledger: transactions, FIFO application of credits, balances, aging and plan delinquency.

Every amount is integer cents. A ledger is replayed in posting order (posted date, then sequence):
debits (charges, fees, penalties, deposit demands, refunds, positive adjustments) open items; credits
(payments, write-offs, negative adjustments) pay the oldest unpaid items first (by due date, then
posting order); credit left over waits for the next debit. A payment reversal (NSF) re-opens exactly
what that payment paid and withdraws what it had left unapplied.

An overpayment leaves a **credit balance** (a negative balance: nothing is owed, the credit is unapplied);
a refund pays it back to the guarantor. A refund is a debit due the day it is posted, so the credit pays it at
once. A refund may pay back at most the credit balance of the day it is posted (:func:`refund_problem`, checked
on every way a refund posts); replayed, a larger one (a bounced payment after it) leaves the rest owed from that
day.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from arrears.domain.calendar import add_days, add_months
from arrears.domain.money import ANY_AMOUNT, AmountLimit, format_cents


class Kind(StrEnum):
    """What a ledger line is."""

    CHARGE = "charge"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"
    FEE = "fee"
    PENALTY = "penalty"
    DEPOSIT = "deposit"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"
    REFUND = "refund"
    """Money paid back to the guarantor out of a credit balance (an overpayment)."""


class Source(StrEnum):
    """Who paid a payment."""

    GUARANTOR = "guarantor"
    INSURANCE = "insurance"


DEBIT_KINDS = frozenset({Kind.CHARGE, Kind.FEE, Kind.PENALTY, Kind.DEPOSIT, Kind.REFUND})
CREDIT_KINDS = frozenset({Kind.PAYMENT, Kind.WRITE_OFF})


class LedgerError(ValueError):
    """A ledger line that breaks a ledger rule."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger line. ``amount_cents`` is positive, except for adjustments, which are signed."""

    seq: int
    kind: Kind
    amount_cents: int
    posted: date
    due: date | None = None
    service: date | None = None
    source: Source | None = None
    reverses: int | None = None

    @property
    def is_debit(self) -> bool:
        """True when the line raises what is owed and opens an item."""
        return self.kind in DEBIT_KINDS or (self.kind is Kind.ADJUSTMENT and self.amount_cents > 0)

    @property
    def due_date(self) -> date:
        """When a debit falls due: its due date, else the day it was posted."""
        return self.due or self.posted


def entry_problems(entry: Entry, limit: AmountLimit = ANY_AMOUNT) -> list[tuple[str, str]]:
    """The (field, rule) pairs that ``entry`` breaks on its own, without the rest of the ledger; its amount may
    be at most ``limit`` (its portfolio's maximum)."""
    problems: list[tuple[str, str]] = []
    if entry.kind is Kind.ADJUSTMENT:
        if entry.amount_cents == 0:
            problems.append(("amount", "an adjustment must not be zero"))
    elif entry.amount_cents <= 0:
        problems.append(("amount", f"a {entry.kind.value} amount must be greater than zero"))
    too_large = limit.problem(entry.amount_cents)
    if too_large:
        problems.append(("amount", too_large))
    if entry.kind is Kind.CHARGE:
        if entry.due is None:
            problems.append(("due_date", "a charge needs a due date"))
        if entry.service is not None and entry.due is not None and entry.due < entry.service:
            problems.append(("due_date", "a charge cannot fall due before its service date"))
    if entry.kind is Kind.PAYMENT and entry.source is None:
        problems.append(("source", "a payment needs a source: guarantor or insurance"))
    if entry.kind is not Kind.PAYMENT and entry.source is not None:
        problems.append(("source", "only payments have a source"))
    if entry.kind is Kind.REVERSAL and entry.reverses is None:
        problems.append(("reverses", "a reversal must name the payment it reverses"))
    if entry.kind is not Kind.REVERSAL and entry.reverses is not None:
        problems.append(("reverses", "only a reversal reverses a payment"))
    return problems


def balance_effect(kind: Kind, amount_cents: int) -> int:
    """What a line adds to the balance: a credit (payment, write-off) takes its amount off, every other line
    (debits, reversals, signed adjustments) adds its amount."""
    return -amount_cents if kind in CREDIT_KINDS else amount_cents


def refund_rule(credit_cents: int, refund_cents: int, on: date) -> str | None:
    """The rule a refund of ``refund_cents`` posted on ``on`` breaks when the account's credit balance then is
    ``credit_cents``: a refund pays back an overpayment, so at most the credit; None when it is within it."""
    if refund_cents <= credit_cents:
        return None
    return (f"a refund must not be more than the account's credit balance on {on} ({format_cents(credit_cents)}): "
            "it pays back an overpayment")  # fmt: skip


def refund_problem(entries: Iterable[Entry], refund: Entry) -> tuple[str, str] | None:
    """(field, rule) when ``refund`` pays back more than the credit balance of the ledger ``entries`` just before
    it (the lines posted before it in posting order: posted date, then sequence); None for any other line or a
    refund within the credit."""
    if refund.kind is not Kind.REFUND:
        return None
    before = (refund.posted, refund.seq)
    balance = sum(balance_effect(e.kind, e.amount_cents) for e in entries if (e.posted, e.seq) < before)
    rule = refund_rule(max(0, -balance), refund.amount_cents, refund.posted)
    return ("amount", rule) if rule is not None else None


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A debit not yet fully paid."""

    seq: int
    kind: Kind
    due: date
    original_cents: int
    open_cents: int


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """A payment as the ledger sees it now."""

    seq: int
    posted: date
    amount_cents: int
    source: Source
    reversed: bool


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The result of replaying a ledger."""

    balance_cents: int
    open_items: tuple[OpenItem, ...]
    unapplied_credit_cents: int
    payments: tuple[PaymentLine, ...]
    allocations: tuple[tuple[int, int, int], ...]
    """(credit seq, debit seq, cents) for every application of a credit to a debit still standing."""

    @property
    def oldest_unpaid_due(self) -> date | None:
        """The earliest due date among unpaid items, if any."""
        return min((item.due for item in self.open_items), default=None)

    def live_payments(self, source: Source | None = None) -> list[PaymentLine]:
        """Payments that have not been reversed, optionally of one source."""
        return [p for p in self.payments if not p.reversed and (source is None or p.source is source)]

    @property
    def last_payment(self) -> PaymentLine | None:
        """The most recent payment that stands (latest posted, then latest sequence)."""
        live = self.live_payments()
        return max(live, key=lambda p: (p.posted, p.seq)) if live else None


@dataclass(slots=True)
class _Replay:
    open_cents: dict[int, int] = field(default_factory=dict)
    debits: dict[int, Entry] = field(default_factory=dict)
    queue: list[tuple[date, int]] = field(default_factory=list)  # a heap of the open items' (due, seq)
    pool: list[list[int]] = field(default_factory=list)  # [credit seq, unapplied cents], oldest first
    allocations: dict[int, list[list[int]]] = field(default_factory=dict)  # credit -> [[debit, cents]]
    payments: dict[int, Entry] = field(default_factory=dict)
    reversed: set[int] = field(default_factory=set)

    def open_debit(self, debit: Entry, cents: int) -> None:
        if self.open_cents.get(debit.seq, 0) == 0:
            heapq.heappush(self.queue, (debit.due_date, debit.seq))
        self.open_cents[debit.seq] = self.open_cents.get(debit.seq, 0) + cents

    def apply(self, credit_seq: int, cents: int) -> int:
        """Pay the oldest open items with ``cents`` of credit; return what is left."""
        while cents > 0 and self.queue:
            _, debit_seq = self.queue[0]
            paid = min(cents, self.open_cents[debit_seq])
            self.open_cents[debit_seq] -= paid
            cents -= paid
            self.allocations.setdefault(credit_seq, []).append([debit_seq, paid])
            if self.open_cents[debit_seq] == 0:
                heapq.heappop(self.queue)
        return cents

    def apply_pool(self) -> None:
        while self.pool and self.queue:
            credit = self.pool[0]
            credit[1] = self.apply(credit[0], credit[1])
            if credit[1] == 0:
                self.pool.pop(0)

    def credit(self, credit_seq: int, cents: int) -> None:
        left = self.apply(credit_seq, cents)
        if left:
            self.pool.append([credit_seq, left])

    def reverse(self, reversal: Entry) -> None:
        target = reversal.reverses
        if target is None or target not in self.payments:
            raise LedgerError(f"reversal {reversal.seq} names no earlier payment ({target})")
        if target in self.reversed:
            raise LedgerError(f"payment {target} is already reversed")
        payment = self.payments[target]
        if reversal.amount_cents != payment.amount_cents:
            raise LedgerError(
                f"reversal {reversal.seq} amount {reversal.amount_cents} differs from payment "
                f"{target} amount {payment.amount_cents}"
            )
        self.reversed.add(target)
        for debit_seq, cents in self.allocations.pop(target, []):
            self.open_debit(self.debits[debit_seq], cents)
        self.pool = [credit for credit in self.pool if credit[0] != target]
        self.apply_pool()


def replay(entries: Iterable[Entry]) -> LedgerState:
    """Replay ``entries`` in posting order and return balances, open items and payments."""
    state = _Replay()
    balance = 0
    for entry in sorted(entries, key=lambda e: (e.posted, e.seq)):
        if entry.is_debit:
            state.debits[entry.seq] = entry
            state.open_debit(entry, entry.amount_cents)
            state.apply_pool()
            balance += entry.amount_cents
        elif entry.kind is Kind.REVERSAL:
            state.reverse(entry)
            balance += entry.amount_cents
        else:
            cents = -entry.amount_cents if entry.kind is Kind.ADJUSTMENT else entry.amount_cents
            if entry.kind is Kind.PAYMENT:
                state.payments[entry.seq] = entry
            state.credit(entry.seq, cents)
            balance -= cents
    open_items = tuple(
        OpenItem(seq, state.debits[seq].kind, due, state.debits[seq].amount_cents, state.open_cents[seq])
        for due, seq in sorted(state.queue)
    )
    payments = tuple(
        PaymentLine(p.seq, p.posted, p.amount_cents, p.source or Source.GUARANTOR, p.seq in state.reversed)
        for p in state.payments.values()
    )
    allocations = tuple(
        (credit, debit, cents) for credit, rows in state.allocations.items() for debit, cents in rows
    )
    return LedgerState(
        balance_cents=balance,
        open_items=open_items,
        unapplied_credit_cents=sum(credit[1] for credit in state.pool),
        payments=payments,
        allocations=allocations,
    )


AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", -(10**6), 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-120", 91, 120),
    ("120+", 121, None),
)
"""Bucket name, first and last day past due (inclusive); ``None`` means no upper bound."""


def aging_bucket(days_past_due: int) -> str:
    """The aging bucket for an item ``days_past_due`` days past its due date (0 or less is current)."""
    for name, low, high in AGING_BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return name
    raise AssertionError("the buckets cover every integer")  # pragma: no cover


def days_past_due(oldest_unpaid_due: date | None, as_of: date) -> int:
    """Days from the oldest unpaid due date to ``as_of``; 0 when nothing is unpaid or not yet due."""
    if oldest_unpaid_due is None:
        return 0
    return max(0, (as_of - oldest_unpaid_due).days)


@dataclass(frozen=True, slots=True)
class Position:
    """What an account owes at a date."""

    as_of: date
    balance_cents: int
    oldest_unpaid_due: date | None
    days_past_due: int
    aging: tuple[tuple[str, int], ...]
    last_payment_date: date | None
    last_payment_cents: int | None

    def bucket(self, name: str) -> int:
        """Cents in the aging bucket ``name``."""
        return dict(self.aging)[name]

    @property
    def credit_cents(self) -> int:
        """The credit balance: what the guarantor overpaid and is owed back (0 unless the balance is negative)."""
        return max(0, -self.balance_cents)

    @property
    def owed_aging(self) -> tuple[tuple[str, int], ...]:
        """What is owed in each aging bucket, the credit balance not netted into *current* (``aging`` nets it, so
        that its buckets sum to the balance): these buckets less :attr:`credit_cents` are the balance. Reports
        show the credit as a bucket of its own, so that a credit does not understate what is current."""
        return tuple((name, cents + self.credit_cents if name == "current" else cents) for name, cents in self.aging)


def position(entries: Iterable[Entry], as_of: date) -> Position:
    """The account's balance, days past due, aging and last payment on ``as_of`` (lines posted by then)."""
    state = replay(e for e in entries if e.posted <= as_of)
    buckets = dict.fromkeys((name for name, _, _ in AGING_BUCKETS), 0)
    for item in state.open_items:
        buckets[aging_bucket((as_of - item.due).days)] += item.open_cents
    buckets["current"] -= state.unapplied_credit_cents
    last = state.last_payment
    oldest = state.oldest_unpaid_due
    return Position(
        as_of=as_of,
        balance_cents=state.balance_cents,
        oldest_unpaid_due=oldest,
        days_past_due=days_past_due(oldest, as_of),
        aging=tuple(buckets.items()),
        last_payment_date=last.posted if last else None,
        last_payment_cents=last.amount_cents if last else None,
    )


def in_window(posted: date, as_of: date, days: int) -> bool:
    """True when ``posted`` is within the last ``days`` days up to and including ``as_of``."""
    return as_of - timedelta(days=days) < posted <= as_of


def largest_payment(
    entries: Iterable[Entry], as_of: date, days: int, source: Source | None = Source.GUARANTOR
) -> int:
    """The largest standing payment (of ``source``) posted in the last ``days`` days; 0 if none."""
    state = replay(e for e in entries if e.posted <= as_of)
    return max(
        (p.amount_cents for p in state.live_payments(source) if in_window(p.posted, as_of, days)), default=0
    )


class Frequency(StrEnum):
    """How often a payment plan's installments fall due."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """Installments of a fixed amount from a first due date.

    Standing guarantor payments posted on or after ``start`` count towards the installments; without
    a start, every standing guarantor payment counts.
    """

    installment_cents: int
    frequency: Frequency
    first_due: date
    grace_days: int = 0
    start: date | None = None
    installments: int | None = None

    def due_date(self, index: int) -> date:
        """Due date of installment ``index`` (0 is the first)."""
        if self.frequency is Frequency.MONTHLY:
            return add_months(self.first_due, index)
        step = 7 if self.frequency is Frequency.WEEKLY else 14
        return add_days(self.first_due, step * index)


MAX_INSTALLMENTS = 9_999
"""The most installments a plan may have (two centuries of weekly ones): a larger count is a typing error."""


def plan_problems(plan: PaymentPlan, limit: AmountLimit = ANY_AMOUNT) -> list[tuple[str, str]]:
    """The (field, rule) pairs a payment plan breaks; its installment may be at most ``limit``."""
    problems: list[tuple[str, str]] = []
    if plan.installment_cents <= 0:
        problems.append(("installment", "must be greater than zero"))
    too_large = limit.problem(plan.installment_cents)
    if too_large:
        problems.append(("installment", too_large))
    if not 0 <= plan.grace_days <= 999:
        problems.append(("grace_days", "must be between 0 and 999"))
    if plan.installments is not None and not 1 <= plan.installments <= MAX_INSTALLMENTS:
        problems.append(("installments", f"must be between 1 and {MAX_INSTALLMENTS:,}"))
    return problems


def plan_paid_cents(plan: PaymentPlan, payments: Sequence[PaymentLine], as_of: date | None = None) -> int:
    """Standing guarantor payments posted from the plan's start (up to ``as_of``) that count towards it."""
    return sum(
        p.amount_cents
        for p in payments
        if not p.reversed
        and p.source is Source.GUARANTOR
        and (plan.start is None or p.posted >= plan.start)
        and (as_of is None or p.posted <= as_of)
    )


def installments_covered(plan: PaymentPlan, paid_cents: int) -> int:
    """How many installments ``paid_cents`` covers in full (an installment partly paid is not covered)."""
    return paid_cents // plan.installment_cents


def plan_next_unpaid_due(plan: PaymentPlan, paid_cents: int) -> date | None:
    """Due date of the first installment that ``paid_cents`` does not fully cover; None when all are paid."""
    covered = installments_covered(plan, paid_cents)
    if plan.installments is not None and covered >= plan.installments:
        return None
    return plan.due_date(covered)


@dataclass(frozen=True, slots=True)
class PlanStanding:
    """Where a payment plan stands on a date: what its letters say about it."""

    plan: PaymentPlan
    paid: int
    """Installments covered in full by the payments that count towards the plan."""
    remaining: int
    """Installments still to pay: the rest of the plan's count, or, for a plan without a count, as many as
    the balance needs (the last one may be smaller); 0 once the balance is paid."""
    next_due: date | None
    """Due date of the next installment to pay (the first not covered in full); None when none remains."""


def plan_standing(plan: PaymentPlan, paid_cents: int, balance_cents: int) -> PlanStanding:
    """The standing of ``plan`` given the payments counted towards it (:func:`plan_paid_cents`) and the
    account's balance, both on the same date."""
    paid = installments_covered(plan, paid_cents)
    if balance_cents <= 0:
        remaining = 0
    elif plan.installments is not None:
        remaining = max(plan.installments - paid, 0)
    else:
        remaining = -(-balance_cents // plan.installment_cents)
    return PlanStanding(plan, paid, remaining, plan_next_unpaid_due(plan, paid_cents) if remaining else None)


def plan_delinquent(next_unpaid_due: date | None, grace_days: int, as_of: date) -> bool:
    """True when an installment is still unpaid more than ``grace_days`` after it fell due (counted in days
    between the dates, so no grace is too long to count)."""
    return next_unpaid_due is not None and (as_of - next_unpaid_due).days > grace_days


@dataclass(frozen=True, slots=True)
class Summary:
    """The facts about an account that the daily run reads, kept current on every posting."""

    balance_cents: int
    oldest_unpaid_due: date | None
    last_payment_date: date | None
    last_payment_cents: int | None
    last_guarantor_payment_date: date | None
    plan_next_unpaid_due: date | None
    plan_grace_days: int | None
    on_payment_plan: bool


def summarize(entries: Iterable[Entry], plan: PaymentPlan | None = None) -> Summary:
    """Summarize a whole ledger (and the account's active plan) into the daily run's facts."""
    state = replay(entries)
    last = state.last_payment
    guarantor = state.live_payments(Source.GUARANTOR)
    last_guarantor = max(guarantor, key=lambda p: (p.posted, p.seq)) if guarantor else None
    next_due = None
    if plan is not None and state.balance_cents > 0:
        next_due = plan_next_unpaid_due(plan, plan_paid_cents(plan, state.payments))
    return Summary(
        balance_cents=state.balance_cents,
        oldest_unpaid_due=state.oldest_unpaid_due,
        last_payment_date=last.posted if last else None,
        last_payment_cents=last.amount_cents if last else None,
        last_guarantor_payment_date=last_guarantor.posted if last_guarantor else None,
        plan_next_unpaid_due=next_due,
        plan_grace_days=plan.grace_days if plan is not None else None,
        on_payment_plan=plan is not None,
    )


LedgerLine = tuple[int, str, int, date, date | None, str | None, int | None]
"""A ledger line as plain values: ``(seq, kind, amount_cents, posted, due, source, reverses)``, the kind and
the source as their text (``"charge"``, ``"guarantor"``). Summarizing many ledgers (a rebuild, an import)
reads lines in this form, without an :class:`Entry` or an enum per line."""

_DEBIT_TEXTS = frozenset(kind.value for kind in DEBIT_KINDS)


@dataclass(slots=True)
class _LinesState:
    """What :func:`_replay_lines` leaves: the balance, the open items, the unapplied credit and the payments."""

    balance: int
    heap: list[list[object]]
    """Open items as ``[due, seq, open cents]`` (a heap by due date, then posting order)."""
    pool: list[list[int]]
    payments: dict[int, tuple[date, int, str | None]]
    reversed: set[int]


def _replay_lines(lines: Iterable[LedgerLine]) -> _LinesState:
    """The replay of :func:`replay` over plain :data:`LedgerLine` values **in posting order** (posted, then seq).

    FIFO by due date, then posting order; credit left over waits for the next debit; a reversal re-opens what
    its payment paid. Kept to what summaries and positions need: open items on a heap, and applications
    recorded for payments only (the only credits a reversal can take back). Raises :class:`LedgerError`
    where :func:`replay` does.
    """

    heappush, heappop = heapq.heappush, heapq.heappop
    debit_texts = _DEBIT_TEXTS
    balance = 0
    heap: list[list[object]] = []  # open items: [due, seq, open cents]
    pool: list[list[int]] = []  # [credit seq, unapplied cents], oldest first
    payments: dict[int, tuple[date, int, str | None]] = {}  # seq -> (posted, amount, source)
    applied: dict[int, list[tuple[list[object], int]]] = {}  # payment seq -> [(item, cents)]
    reversed_: set[int] = set()

    def apply(credit_seq: int, cents: int) -> int:
        record = applied.get(credit_seq)
        while cents > 0 and heap:
            item = heap[0]
            open_cents: int = item[2]  # type: ignore[assignment]
            if open_cents <= cents:
                paid = open_cents
                item[2] = 0
                heappop(heap)
            else:
                paid = cents
                item[2] = open_cents - cents
            cents -= paid
            if record is not None:
                record.append((item, paid))
        return cents

    def apply_pool() -> None:
        while pool and heap:
            credit = pool[0]
            credit[1] = apply(credit[0], credit[1])
            if credit[1] == 0:
                pool.pop(0)

    for seq, kind, amount, posted, due, source, reverses in lines:
        if kind in debit_texts or (kind == "adjustment" and amount > 0):
            heappush(heap, [due or posted, seq, amount])
            balance += amount
            if pool:
                apply_pool()
        elif kind == "reversal":
            if reverses is None or reverses not in payments:
                raise LedgerError(f"reversal {seq} names no earlier payment ({reverses})")
            if reverses in reversed_:
                raise LedgerError(f"payment {reverses} is already reversed")
            paid_cents = payments[reverses][1]
            if amount != paid_cents:
                raise LedgerError(
                    f"reversal {seq} amount {amount} differs from payment {reverses} amount {paid_cents}"
                )
            reversed_.add(reverses)
            for item, cents in applied.pop(reverses, []):
                if item[2] == 0:
                    item[2] = cents
                    heappush(heap, item)
                else:
                    item[2] = item[2] + cents  # type: ignore[operator]
            if pool:
                pool[:] = [credit for credit in pool if credit[0] != reverses]
                apply_pool()
            balance += amount
        else:
            cents = -amount if kind == "adjustment" else amount
            if kind == "payment":
                payments[seq] = (posted, amount, source)
                applied[seq] = []
            balance -= cents
            left = apply(seq, cents)
            if left:
                pool.append([seq, left])

    return _LinesState(balance, heap, pool, payments, reversed_)


def summarize_lines(lines: Iterable[LedgerLine], plan: PaymentPlan | None = None) -> Summary:
    """:func:`summarize` for a ledger of plain :data:`LedgerLine` values **in posting order** (posted, then seq)."""
    state = _replay_lines(lines)
    balance, heap, payments, reversed_ = state.balance, state.heap, state.payments, state.reversed
    live = [(posted, seq, amount, source) for seq, (posted, amount, source) in payments.items() if seq not in reversed_]
    guarantor = [payment for payment in live if payment[3] in (None, "guarantor")]
    last = max(live, key=lambda p: (p[0], p[1])) if live else None
    last_guarantor = max(guarantor, key=lambda p: (p[0], p[1])) if guarantor else None
    next_due = None
    if plan is not None and balance > 0:
        start = plan.start
        paid = sum(amount for posted, _, amount, _ in guarantor if start is None or posted >= start)
        next_due = plan_next_unpaid_due(plan, paid)
    oldest: date | None = heap[0][0] if heap else None  # type: ignore[assignment]
    return Summary(
        balance_cents=balance,
        oldest_unpaid_due=oldest,
        last_payment_date=last[0] if last else None,
        last_payment_cents=last[2] if last else None,
        last_guarantor_payment_date=last_guarantor[0] if last_guarantor else None,
        plan_next_unpaid_due=next_due,
        plan_grace_days=plan.grace_days if plan is not None else None,
        on_payment_plan=plan is not None,
    )


def entry_from_line(line: LedgerLine) -> Entry:
    """The :class:`Entry` of a plain :data:`LedgerLine`."""
    seq, kind, amount, posted, due, source, reverses = line
    return Entry(seq, Kind(kind), amount, posted, due, None, Source(source) if source else None, reverses)


def position_lines(lines: Iterable[LedgerLine], as_of: date) -> Position:
    """:func:`position` for plain :data:`LedgerLine` values in posting order (lines posted after ``as_of`` are
    left out): the same balance, aging and last payment, without an :class:`Entry` per line."""
    state = _replay_lines(line for line in lines if line[3] <= as_of)
    buckets = dict.fromkeys((name for name, _, _ in AGING_BUCKETS), 0)
    for due, _, open_cents in state.heap:
        if open_cents:
            buckets[aging_bucket((as_of - due).days)] += open_cents  # type: ignore[operator]
    buckets["current"] -= sum(credit[1] for credit in state.pool)
    live = [(posted, seq, amount) for seq, (posted, amount, _) in state.payments.items() if seq not in state.reversed]
    last = max(live) if live else None
    open_dues = [item[0] for item in state.heap if item[2]]
    oldest: date | None = min(open_dues) if open_dues else None  # type: ignore[type-var, assignment]
    return Position(
        as_of=as_of,
        balance_cents=state.balance,
        oldest_unpaid_due=oldest,
        days_past_due=days_past_due(oldest, as_of),
        aging=tuple(buckets.items()),
        last_payment_date=last[0] if last else None,
        last_payment_cents=last[2] if last else None,
    )
