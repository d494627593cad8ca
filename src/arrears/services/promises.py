"""Promises to pay: making one (a collector's call outcome, ``arrears promise add``, a plan event), the account's
promises, and the promise desk (due today, broken yesterday). The rule that judges them is
:mod:`arrears.domain.promises`; payments judge them as they post (:mod:`arrears.services.posting_effects`) and the
daily run by the clock (:mod:`arrears.services.promise_judging`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.compliance import AttemptClass
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.model import Mode
from arrears.domain.money import format_cents
from arrears.domain.promises import (
    GRACE_MAX,
    GRACE_MIN,
    OPEN_PROMISE,
    PromiseChannel,
    PromiseState,
    PromiseStatus,
    PromiseTerms,
    Repeat,
    shortfall,
    terms_problems,
)
from arrears.store import promises as store
from arrears.store.account_work import account_for_update, add_history, current_cases
from arrears.store.accounts import account_id_of
from arrears.store.audit import append_audit
from arrears.store.db import Database
from arrears.store.models import AccountRow, PromiseRow
from arrears.store.uow import UnitOfWork

if TYPE_CHECKING:
    from arrears.domain.strategy import Strategy
    from arrears.store.db import Session


@dataclass(frozen=True, slots=True)
class PromiseRequest:
    """A promise as a collector takes it: the amount, the due date, the repeat, the grace (None: the portfolio's
    default), "advance promise on overpayment", who took it and how."""

    amount_cents: int
    due: date
    repeat: Repeat | None = None
    grace_days: int | None = None
    advance: bool = False
    collector: str | None = None
    """Who took it (default: the account's collector, else the user)."""
    channel: PromiseChannel = PromiseChannel.PHONE


@dataclass(frozen=True, slots=True)
class PromiseLine:
    """One promise as the account page, ``arrears promise list`` and the desk show it."""

    id: int
    account: str
    amount_cents: int
    due: date
    repeat: str
    grace_days: int
    advance: bool
    status: str
    paid_cents: int
    shortfall_cents: int
    collector: str
    channel: str
    source: str
    created_on: date
    ended_on: date | None
    guarantor: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {name: getattr(self, name) for name in self.__slots__}

    def describe(self) -> str:
        """The promise in words: ``$100.00 monthly due 2027-04-15 (grace 3 days): open``."""
        repeat = f" {self.repeat}" if self.repeat else ""
        paid = f", {format_cents(self.paid_cents)} paid, shortfall {format_cents(self.shortfall_cents)}" \
            if self.status == PromiseStatus.PARTIAL.value else ""  # fmt: skip
        amount = format_cents(self.amount_cents)
        return f"{amount}{repeat} due {self.due} (grace {self.grace_days} days): {self.status}{paid}"


def repeat_of(period: str | None, days: int | None) -> Repeat | None:
    """The stored repeat columns as a :class:`Repeat`."""
    if period:
        return Repeat(RepeatPeriod(period))
    return Repeat(days=days) if days else None


def terms_of(row: Any) -> PromiseTerms:
    """The terms of a stored promise (a row of the promise table)."""
    return PromiseTerms(row.amount_cents, row.first_due, repeat_of(row.repeat_period, row.repeat_days),
                        row.grace_days, bool(row.advance))  # fmt: skip


def line_of(row: Any, account: str, guarantor: str = "") -> PromiseLine:
    """A stored promise (a row of the promise table, or its ORM object) as a :class:`PromiseLine`."""
    terms = terms_of(row)
    state = PromiseState(row.installment, row.paid_cents, PromiseStatus(row.status))
    repeat = repeat_of(row.repeat_period, row.repeat_days)
    return PromiseLine(
        row.id, account, row.amount_cents, row.due_date, str(repeat) if repeat else "", row.grace_days,
        bool(row.advance), row.status, row.paid_cents, shortfall(terms, state), row.collector, row.channel,
        row.source, row.created_on, row.ended_on, guarantor,
    )  # fmt: skip


def is_promise_outcome(strategy: Strategy, code: str) -> bool:
    """True when the outcome ``code`` makes a promise: a configured code of class ``promise``."""
    return any(o.code == code and o.outcome_class is AttemptClass.PROMISE for o in strategy.compliance.call_outcomes)


def _collector(strategy: Strategy, session: Session, account: AccountRow, chosen: str | None, actor: str) -> str:
    if chosen:
        return chosen
    case = next((c for c in current_cases(session, account.id) if c.track == "guarantor" and c.closed_on is None),
                None)  # fmt: skip
    return case.assignee if case is not None else actor


def request_problems(request: PromiseRequest, strategy: Strategy, on: date) -> list[Problem]:
    """Every rule a promise request breaks (before anything is written)."""
    grace = request.grace_days if request.grace_days is not None else 0
    terms = PromiseTerms(request.amount_cents, request.due, request.repeat, grace, request.advance)
    problems = [Problem(name, rule, _shown(request, name)) for name, rule in terms_problems(terms, on)]
    if request.grace_days is not None and not GRACE_MIN <= request.grace_days <= GRACE_MAX:
        problems = [p for p in problems if p.location != "grace"]
        problems.append(Problem("grace", f"must be between {GRACE_MIN} and {GRACE_MAX} days", str(request.grace_days)))
    unknown = strategy.assignee_problem(request.collector) if request.collector else None
    return [*problems, unknown] if unknown is not None else problems


def _shown(request: PromiseRequest, name: str) -> str:
    value = {"amount": format_cents(request.amount_cents), "due": request.due.isoformat(),
             "grace": str(request.grace_days), "advance": str(request.advance)}  # fmt: skip
    return value.get(name, "")


def make_promise(
    session: Session, strategy: Strategy, account: AccountRow, request: PromiseRequest, *, on: date, actor: str,
    key: str, source: str, activity_id: int | None = None,
) -> int | None:
    """Write a promise validated by :func:`request_problems` (in the caller's transaction), with a line of
    history and an audit row; its id (None when a promise of that key exists)."""
    grace = request.grace_days if request.grace_days is not None else strategy.promises.grace(account.portfolio.code)
    repeat = request.repeat
    row = PromiseRow(
        key=key, account_id=account.id, amount_cents=request.amount_cents, first_due=request.due, installment=0,
        due_date=request.due, repeat_period=repeat.period.value if repeat and repeat.period else None,
        repeat_days=repeat.days if repeat else None, grace_days=grace, advance=request.advance, paid_cents=0,
        status=PromiseStatus.OPEN.value, collector=_collector(strategy, session, account, request.collector, actor),
        channel=request.channel.value, source=source, activity_id=activity_id, created_on=on, created_by=actor,
    )  # fmt: skip
    promise_id = store.add_promise(session, row)
    if promise_id is None:
        return None
    line = line_of(row, account.external_id)
    advance = ", advance on overpayment" if request.advance else ""
    add_history(session, account.id, on, "promise",
                f"promise {promise_id} taken by {row.collector} ({row.channel}): {line.describe()}{advance}")
    append_audit(session, actor=actor, entity="promise", key=str(promise_id), action="added", before=None,
                 after={"account": account.external_id, "amount_cents": row.amount_cents, "due": str(row.due_date),
                        "repeat": line.repeat or None, "grace_days": grace, "advance": request.advance,
                        "collector": row.collector, "channel": row.channel, "source": source})  # fmt: skip
    return promise_id


def add_promise(db: Database, external_id: str, request: PromiseRequest, *, on: date, actor: str, key: str) -> int:
    """``arrears promise add``: a promise on the account, taken directly (not from a call); its id. ``key``
    identifies the request, so the same request twice makes one promise."""
    with UnitOfWork(db) as uow:
        session = uow.session
        account = account_for_update(session, external_id)
        if account is None:
            raise NotFound(f"no account {external_id!r}")
        from arrears.services.stored_strategy import load_strategy  # here: the account page lists promises without it

        strategy = load_strategy(session)
        problems = request_problems(request, strategy, on)
        if account.mode == Mode.CLOSED.value:
            problems.append(Problem("account", "is closed: a promise is taken on an active account", external_id))
        if problems:
            raise ValidationFailed(problems)
        promise_id = make_promise(session, strategy, account, request, on=on, actor=actor, key=key, source="direct")
        if promise_id is None:
            raise ValidationFailed([Problem("promise", "was already taken (the same request twice)", key)])
        uow.commit()
    return promise_id


def list_promises(db: Database, external_id: str) -> list[PromiseLine]:
    """The account's promises, newest first."""
    with db.engine.connect() as connection:
        account_id = account_id_of(connection, external_id)
        if account_id is None:
            raise NotFound(f"no account {external_id!r}")
        return [line_of(row, external_id) for row in store.promises_of(connection, account_id)]


DESK_DUE, DESK_BROKEN = "due today", "broken yesterday"


def promise_desk(db: Database, on: date, assignees: set[str] | None = None) -> list[tuple[str, PromiseLine]]:
    """The promise desk of ``on``: promises due that day that still stand, then those broken by the previous
    day's run, each by guarantor name (``assignees`` None: everyone's)."""
    found = []
    with db.engine.connect() as connection:
        for row in store.desk_rows(connection, on, on - timedelta(days=1), assignees):
            line = line_of(row, row.account_external_id, f"{row.guarantor_last}, {row.guarantor_first}".strip(", "))
            found.append((DESK_BROKEN if line.status == PromiseStatus.BROKEN.value else DESK_DUE, line))
    found.sort(key=lambda item: (item[0] == DESK_BROKEN, item[1].guarantor.lower(), -item[1].amount_cents, item[1].id))
    return found


# ------------------------------------------------------------------------------------------- reporting


@dataclass(slots=True)
class PromiseReportLine:
    """Promises taken in a period by one collector on one portfolio (collector ``*``: the portfolio's total)."""

    portfolio: str
    collector: str
    taken: int = 0
    kept: int = 0
    """Kept for good or completed."""
    broken: int = 0
    standing: int = 0
    """Still open or partially kept."""
    installments_kept: int = 0
    promised_cents: int = 0
    """The amounts promised (one installment each)."""
    collected_cents: int = 0
    """Payments counted toward them in the period, less those reversed."""

    @property
    def kept_rate(self) -> float | None:
        """Kept / (kept + broken): the share of the decided promises that were kept (None: none decided)."""
        decided = self.kept + self.broken
        return round(self.kept / decided, 4) if decided else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {name: getattr(self, name) for name in self.__slots__} | {"kept_rate": self.kept_rate}


def promise_report(db: Database, start: date, end: date) -> list[PromiseReportLine]:
    """The promise kept rate per collector and portfolio over the promises taken from ``start`` to ``end``, with
    the amounts promised and collected; each portfolio's total follows its collectors."""
    if end < start:
        raise ValidationFailed([Problem("to", f"is before --from ({start})", end.isoformat())])
    lines: dict[tuple[str, str], PromiseReportLine] = {}
    with db.engine.connect() as connection:
        rows = store.report_rows(connection, start, end)
    for portfolio, collector, status, installment, amount, collected in rows:
        for key in ((portfolio, collector), (portfolio, "*")):
            line = lines.setdefault(key, PromiseReportLine(*key))
            line.taken += 1
            line.kept += status in (PromiseStatus.KEPT.value, PromiseStatus.COMPLETED.value)
            line.broken += status == PromiseStatus.BROKEN.value
            line.standing += status in {s.value for s in OPEN_PROMISE}
            line.installments_kept += installment + (status == PromiseStatus.KEPT.value)
            line.promised_cents += amount
            line.collected_cents += collected
    return sorted(lines.values(), key=lambda line: (line.portfolio, line.collector == "*", line.collector))
