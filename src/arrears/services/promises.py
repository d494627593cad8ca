"""Promises to pay: making one (a collector's call outcome, ``arrears promise add``, a plan event), the account's
promises, and the promise desk (due today, broken yesterday). The rule that judges them is
:mod:`arrears.domain.promises`; the daily run judges them (:func:`judge_chunk`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from arrears.batch.promises import judge_frame
from arrears.domain.calendar import RepeatPeriod
from arrears.domain.compliance import AttemptClass
from arrears.domain.effects import PromiseUpdate
from arrears.domain.engine import PromiseJudged, StandingPromise
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.model import Mode
from arrears.domain.money import format_cents
from arrears.domain.promises import (
    GRACE_MAX,
    GRACE_MIN,
    OPEN_PROMISE,
    Outcome,
    PromiseChannel,
    PromiseState,
    PromiseStatus,
    PromiseTerms,
    Repeat,
    judge,
    reversed_judgement,
    shortfall,
    terms_problems,
)
from arrears.domain.strategy import Strategy
from arrears.services.config import load_strategy
from arrears.store import promises as store
from arrears.store.account_work import account_for_update, add_history, current_cases
from arrears.store.audit import append_audit
from arrears.store.db import Connection, Database, Session
from arrears.store.models import AccountRow, PromiseRow
from arrears.store.uow import UnitOfWork


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


def line_of(row: PromiseRow, account: str, guarantor: str = "") -> PromiseLine:
    """A stored promise as a :class:`PromiseLine`."""
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
    chosen = request.collector
    if chosen and strategy.collector(chosen) is None and strategy.group(chosen) is None:
        known = ", ".join([c.code for c in strategy.collectors] + [g.code for g in strategy.groups]) or "none"
        problems.append(Problem("collector", f"is not a collector or group (known: {known})", chosen))
    return problems


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
    with db.session() as session:
        account = session.query(AccountRow).filter(AccountRow.external_id == external_id).one_or_none()
        if account is None:
            raise NotFound(f"no account {external_id!r}")
        return [line_of(row, external_id) for row in store.promises_of(session, account.id)]


DESK_DUE, DESK_BROKEN = "due today", "broken yesterday"


def promise_desk(db: Database, on: date, assignees: set[str] | None = None) -> list[tuple[str, PromiseLine]]:
    """The promise desk of ``on``: promises due that day that still stand, then those broken by the previous
    day's run, each by guarantor name (``assignees`` None: everyone's)."""
    found = []
    with db.session() as session:
        for promise, external_id, last, first in store.desk_rows(session, on, on - timedelta(days=1), assignees):
            line = line_of(promise, external_id, f"{last}, {first}".strip(", "))
            found.append((DESK_BROKEN if line.status == PromiseStatus.BROKEN.value else DESK_DUE, line))
    found.sort(key=lambda item: (item[0] == DESK_BROKEN, item[1].guarantor.lower(), -item[1].amount_cents, item[1].id))
    return found


# ------------------------------------------------------------------------------------------- the run

_ENDED = frozenset({PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.COMPLETED})
_FLAGS = ((Outcome.KEPT, "kept"), (Outcome.PARTIAL, "partial"), (Outcome.BROKEN, "broken"),
          (Outcome.COMPLETED, "completed"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class PromiseDay:
    """What the day does to the promises of a chunk: the judged promises by account (triggers of the engine) and
    the promises that still stand afterwards, by account."""

    judged: dict[int, list[PromiseJudged]]
    standing: dict[int, tuple[StandingPromise, ...]]


def _repeat_columns(row: dict[str, Any]) -> Repeat | None:
    return repeat_of(row["repeat_period"], row["repeat_days"])


def standing_promises(connection: Connection, first: int, last: int) -> dict[int, tuple[StandingPromise, ...]]:
    """The promises standing now (open or partially kept) of the accounts with ids in [first, last], by account,
    for a decision made between daily runs (a posting), which judges no promise."""
    standing: dict[int, list[StandingPromise]] = {}
    frame = store.open_promises(connection, first, last)
    for account_id, promise_id, since in frame.select("account_id", "promise_id", "created_on").iter_rows():
        standing.setdefault(account_id, []).append(StandingPromise(promise_id, since))
    return {account_id: tuple(promises) for account_id, promises in standing.items()}


def judge_chunk(connection: Connection, as_of: date, first: int, last: int, balances: pl.DataFrame) -> PromiseDay:
    """Judge the open promises of the accounts with ids in [first, last] on ``as_of``, vectorized: the day's
    guarantor payments not yet counted go to the account's oldest open promise, every open promise is judged at
    once (:func:`arrears.batch.promises.judge_frame`), and the promises a payment reversal (NSF) of a counted
    payment touches are judged again over the payments that still stand; the open promises of a closed account
    are cancelled instead. ``balances``: account_id, balance, mode."""
    frame = store.open_promises(connection, first, last)
    reversals = store.reversed_today(connection, first, last, as_of)
    if frame.is_empty() and not reversals:
        return PromiseDay({}, {})
    payments = store.payments_toward(connection, first, last, as_of)
    takers = frame.group_by("account_id").agg(pl.col("promise_id").min().alias("taker"))
    pay = payments.join(takers, on="account_id")
    done = store.counted_lines(connection, pay.get_column("line_id").to_list())
    if done:  # a payment is counted once toward a promise, however often the day is run
        counted = pl.DataFrame(sorted(done), schema={"taker": pl.Int64, "line_id": pl.Int64}, orient="row")
        pay = pay.join(counted, on=["taker", "line_id"], how="anti")
    lines: dict[int, list[tuple[int, int]]] = {}
    for taker, line_id, cents in pay.select("taker", "line_id", "cents").iter_rows():
        lines.setdefault(taker, []).append((line_id, cents))
    paid = pay.group_by("taker").agg(pl.col("cents").sum().alias("paid_today")).rename({"taker": "promise_id"})
    reversed_ids = {promise_id for promise_id, _, _ in reversals}
    frame = (
        frame.filter(~pl.col("promise_id").is_in(list(reversed_ids)))
        .join(paid, on="promise_id", how="left")
        .with_columns(pl.col("paid_today").fill_null(0))
        .join(balances.select("account_id", "balance", "mode"), on="account_id")  # the run's scope
    )
    closed = frame.filter(pl.col("mode") == "closed")
    judged_frame = judge_frame(frame.filter(pl.col("mode") != "closed"), as_of)
    changed = judged_frame.filter(pl.any_horizontal("kept", "partial", "broken", "completed"))
    judged: dict[int, list[PromiseJudged]] = {}
    still: dict[int, list[StandingPromise]] = {}
    for row in closed.iter_rows(named=True):
        terms = PromiseTerms(row["amount"], row["first_due"], _repeat_columns(row), row["grace"], row["advance"])
        update = PromiseUpdate(
            f"promise:{row['promise_id']}:{as_of}", row["promise_id"], PromiseStatus.CANCELLED.value,
            row["installment"], row["paid"], terms.due(row["installment"]), True,
            (row["status"], row["installment"], row["paid"]),
        )  # fmt: skip
        judged.setdefault(row["account_id"], []).append(
            PromiseJudged(row["promise_id"], row["key"], (), f"cancelled: the account is closed on {as_of}", update,
                          row["created_on"])
        )  # fmt: skip
    for row in judged_frame.filter(pl.col("new_status").is_in([s.value for s in OPEN_PROMISE])).iter_rows(named=True):
        still.setdefault(row["account_id"], []).append(StandingPromise(row["promise_id"], row["created_on"]))
    for row in changed.iter_rows(named=True):
        terms = PromiseTerms(row["amount"], row["first_due"], _repeat_columns(row), row["grace"], row["advance"])
        state = PromiseState(row["installment"], row["paid"], PromiseStatus(row["status"]))
        # The frame decided; the domain rule (held to agree with it) words the history line.
        worded = judge(terms, state, row["paid_today"], as_of, row["balance"])
        status = PromiseStatus(row["new_status"])
        counted = tuple((line, cents, row["installment"]) for line, cents in lines.get(row["promise_id"], ()))
        update = PromiseUpdate(
            f"promise:{row['promise_id']}:{as_of}", row["promise_id"], status.value, row["new_installment"],
            row["new_paid"], row["new_due"], status in _ENDED, (row["status"], row["installment"], row["paid"]),
            counted,
        )  # fmt: skip
        outcomes = tuple(o for o, name in _FLAGS if row[name])
        judged.setdefault(row["account_id"], []).append(
            PromiseJudged(row["promise_id"], row["key"], outcomes, worded.detail, update, row["created_on"])
        )
    _judge_reversals(connection, as_of, reversals, lines, judged, still)
    return PromiseDay(judged, {account: tuple(found) for account, found in still.items()})


def _judge_reversals(
    connection: Connection, as_of: date, reversals: list[tuple[int, int, int]], lines: dict[int, list[tuple[int, int]]],
    judged: dict[int, list[PromiseJudged]], still: dict[int, list[StandingPromise]],
) -> None:
    """Promises a payment reversal touches today: judged again over the payments that still stand (today's
    new ones included)."""
    if not reversals:
        return
    ids = sorted({promise_id for promise_id, _, _ in reversals})
    gone: dict[int, set[int]] = {}
    cents_back: dict[int, int] = {}
    for promise_id, line_id, cents in reversals:
        gone.setdefault(promise_id, set()).add(line_id)
        cents_back[promise_id] = cents_back.get(promise_id, 0) + cents
    standing: dict[int, list[tuple[date, int]]] = {}
    for promise_id, line_id, day, cents in store.standing_payments(connection, ids):
        if line_id not in gone[promise_id]:
            standing.setdefault(promise_id, []).append((day, cents))
    for row in store.promise_rows(connection, ids):
        terms = terms_of(row)
        state = PromiseState(row.installment, row.paid_cents, PromiseStatus(row.status))
        new = lines.get(row.id, [])
        worded = reversed_judgement(terms, state, [*standing.get(row.id, []), *((as_of, c) for _, c in new)],
                                    cents_back[row.id], as_of)  # fmt: skip
        after = worded.state
        update = PromiseUpdate(
            f"promise:{row.id}:{as_of}", row.id, after.status.value, after.installment, after.paid_cents,
            terms.due(after.installment), after.status in _ENDED, (row.status, row.installment, row.paid_cents),
            tuple((line, cents, row.installment) for line, cents in new), tuple(sorted(gone[row.id])),
        )  # fmt: skip
        judged.setdefault(row.account_id, []).append(
            PromiseJudged(row.id, row.key, worded.outcomes, worded.detail, update, row.created_on)
        )
        if after.status in OPEN_PROMISE:
            still.setdefault(row.account_id, []).append(StandingPromise(row.id, row.created_on))


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
