"""Promises to pay and payment arrangements: the one rule that judges them (seed 002 and the promises issue).

A promise has an amount, a first due date, an optional repeat period (weekly, biweekly, monthly, or every N
days), a grace of 0–99 days, "advance promise on overpayment", the collector who took it and the channel it was
made on. Its state is the installment it is on (the due date is always computed from the first due date and the
installment, so that a monthly promise of the 31st comes back to the 31st after a shorter month), what has been
paid toward that installment, and a status.

:func:`judge` is the rule for one promise on one day given the guarantor payments of that day:

- a payment (or payments adding up) of at least the amount on or before the due date + grace keeps it: with a
  repeat it moves on one installment, or as many as the payments cover with "advance promise on overpayment"
  (the rest carried to the next installment); without a repeat it is kept for good;
- less than the amount leaves it partially kept, the shortfall tracked;
- a day after the due date + grace without the amount breaks it (a late payment does not mend it);
- the account paid in full completes it.

A payment reversal (NSF) of a payment that counted is judged by :func:`replay`: the promise is judged again from
its first installment over the payments that still stand, which moves it back and reopens it, or breaks it when
the window of the installment it falls back to has passed. ``batch/promises.py`` is the same rule over a frame of
promises (a property test holds the two to the same answers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from arrears.domain.calendar import RepeatPeriod, forward

GRACE_MIN, GRACE_MAX = 0, 99
"""The grace of a promise, in days after its due date (seed 002's range)."""
REPEAT_DAYS_MAX = 999
"""The longest "every N days" repeat."""


class PromiseStatus(StrEnum):
    """Where a promise stands."""

    OPEN = "open"
    """Waiting for its installment's payment (nothing paid toward it yet)."""
    PARTIAL = "partial"
    """Less than the installment's amount paid toward it so far: the shortfall is still owed."""
    KEPT = "kept"
    """A promise without a repeat, paid."""
    BROKEN = "broken"
    COMPLETED = "completed"
    """The account was paid in full while the promise stood."""
    CANCELLED = "cancelled"
    """Ended without a verdict (the account was closed, a plan's delete all pending contacts deleted it)."""
    DONE = "done"
    """Ended without a verdict but kept as done, not deleted: a repeating promise a plan's delete all pending
    contacts ended (seed 002: "marked done instead of deleted to maintain the promise integrity"); the
    installments it kept stand."""


OPEN_PROMISE: Final = frozenset({PromiseStatus.OPEN, PromiseStatus.PARTIAL})
"""Promises the clock and payments still judge."""
REVERSIBLE: Final = frozenset({*OPEN_PROMISE, PromiseStatus.KEPT, PromiseStatus.COMPLETED})
"""Promises a payment reversal (NSF) of a payment that counted judges again."""


class Outcome(StrEnum):
    """What happened to a promise on a day; each may run a contact plan (configured per portfolio)."""

    KEPT = "kept"
    PARTIAL = "partial"
    BROKEN = "broken"
    NSF = "nsf"
    """A payment that counted toward it was reversed: it moved back and reopened."""
    COMPLETED = "completed"


class PromiseChannel(StrEnum):
    """How the promise was made."""

    PHONE = "phone"
    LETTER = "letter"
    PORTAL = "portal"


PERIOD_DAYS: Final[Mapping[str, int]] = {"daily": 1, "weekly": 7, "biweekly": 14}
PERIOD_MONTHS: Final[Mapping[str, int]] = {"monthly": 1, "quarterly": 3, "semiannually": 6, "annually": 12}
assert set(PERIOD_DAYS) | set(PERIOD_MONTHS) == {p.value for p in RepeatPeriod}
REPEAT_CHOICES: Final = ("weekly", "biweekly", "monthly", "N days")


@dataclass(frozen=True, slots=True)
class Repeat:
    """A promise's repeat: a calendar period (weekly, biweekly, monthly) or every ``days`` days."""

    period: RepeatPeriod | None = None
    days: int | None = None

    def __str__(self) -> str:
        return self.period.value if self.period is not None else f"{self.days} days"


_N_DAYS = re.compile(r"(\d{1,3})(?: ?days?)?\Z")


def parse_repeat(text: str) -> Repeat:
    """``weekly``, ``biweekly``, ``monthly``, or ``N days`` (also just ``N``), N from 1 to 999; a ValueError
    with the rule otherwise."""
    value = text.strip().lower()
    if value in ("weekly", "biweekly", "monthly"):
        return Repeat(RepeatPeriod(value))
    match = _N_DAYS.match(value)
    if match is not None and 1 <= int(match.group(1)) <= REPEAT_DAYS_MAX:
        return Repeat(days=int(match.group(1)))
    raise ValueError(f"must be weekly, biweekly, monthly or N days (1–{REPEAT_DAYS_MAX})")


def installment_due(first_due: date, repeat: Repeat | None, installment: int) -> date:
    """The due date of installment ``installment`` (0 is the first), counted from the first due date (a plan's
    promise event may repeat by any of the plans' periods: daily … annually)."""
    if repeat is None or installment == 0:
        return first_due
    if repeat.period is not None:
        return forward(first_due, repeat.period, installment)
    return first_due + timedelta(days=(repeat.days or 0) * installment)


@dataclass(frozen=True, slots=True)
class PromiseTerms:
    """What was promised."""

    amount_cents: int
    first_due: date
    repeat: Repeat | None = None
    grace_days: int = 0
    advance: bool = False
    """Seed 002 "Advance promise on overpayment": a payment covering several installments moves it that many."""

    def due(self, installment: int) -> date:
        """The due date of an installment."""
        return installment_due(self.first_due, self.repeat, installment)

    def window_end(self, installment: int) -> date:
        """The last day a payment keeps the installment: its due date + grace."""
        return self.due(installment) + timedelta(days=self.grace_days)


@dataclass(frozen=True, slots=True)
class PromiseState:
    """Where a promise is: its installment, what has been paid toward it, its status."""

    installment: int = 0
    paid_cents: int = 0
    status: PromiseStatus = PromiseStatus.OPEN


@dataclass(frozen=True, slots=True)
class PromiseOnFile:
    """A promise that stands, as a letter tells it: its terms, where it stands, who took it and how."""

    terms: PromiseTerms
    state: PromiseState
    collector: str
    """The code of the collector who took it."""
    collector_name: str
    """The collector's name as configured (the code when the configuration has none)."""
    channel: str

    @property
    def due(self) -> date:
        """The due date of the installment to pay now."""
        return self.terms.due(self.state.installment)

    @property
    def next_due(self) -> date | None:
        """The due date of the installment after it (None without a repeat)."""
        return self.terms.due(self.state.installment + 1) if self.terms.repeat is not None else None


@dataclass(frozen=True, slots=True)
class StandingPromise:
    """A promise of the account that still stands (open or partially kept) after today's judging: what pauses
    the account's series and action steps, and what a plan's delete all pending contacts ends."""

    promise_id: int
    since: date
    """The day it was taken."""
    key: str = ""
    """What made it (a plan-made promise's key is its contact's)."""
    repeats: bool = False
    state: PromiseState = PromiseState()
    due: date | None = None
    """The current installment's due date."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """A promise's state after a day, what happened to it (in order) and why, in words."""

    state: PromiseState
    outcomes: tuple[Outcome, ...] = ()
    periods: int = 0
    """How many installments the day's payments kept."""
    detail: str = ""

    @property
    def changed(self) -> bool:
        """True when the day did something to the promise."""
        return bool(self.outcomes)


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def judge(
    terms: PromiseTerms, state: PromiseState, paid_cents: int, on: date, balance_cents: int | None = None
) -> Judgement:
    """The promise on ``on`` given the guarantor payments of that day (``paid_cents``, summed) and the account's
    balance after them (None: not known, nothing is completed). See the module docstring for the rule."""
    if state.status not in OPEN_PROMISE:
        return Judgement(state)
    due, end = terms.due(state.installment), terms.window_end(state.installment)
    if on > end:
        short = terms.amount_cents - state.paid_cents
        detail = (f"broken: {_money(short)} of {_money(terms.amount_cents)} due {due} unpaid by {end} "
                  f"(grace {terms.grace_days} days)")  # fmt: skip
        return Judgement(replace(state, status=PromiseStatus.BROKEN), (Outcome.BROKEN,), detail=detail)
    outcomes: list[Outcome] = []
    periods, detail, after = 0, "", state
    if paid_cents > 0:
        total = state.paid_cents + paid_cents
        if total < terms.amount_cents:
            after = PromiseState(state.installment, total, PromiseStatus.PARTIAL)
            outcomes.append(Outcome.PARTIAL)
            detail = (f"partially kept: {_money(total)} of {_money(terms.amount_cents)} due {due} paid, "
                      f"shortfall {_money(terms.amount_cents - total)}")  # fmt: skip
        elif terms.repeat is None:
            after = PromiseState(state.installment, total, PromiseStatus.KEPT)
            outcomes.append(Outcome.KEPT)
            periods = 1
            detail = f"kept: {_money(total)} paid on {on} for {_money(terms.amount_cents)} due {due}"
        else:
            periods = total // terms.amount_cents if terms.advance else 1
            carried = total - periods * terms.amount_cents if terms.advance else 0
            status = PromiseStatus.PARTIAL if carried else PromiseStatus.OPEN
            after = PromiseState(state.installment + periods, carried, status)
            outcomes.append(Outcome.KEPT)
            advanced = f"{periods} periods" if periods > 1 else "one period"
            detail = (f"kept: {_money(total)} paid on {on} for {_money(terms.amount_cents)} due {due}; next due "
                      f"{terms.due(after.installment)} ({advanced} forward)")  # fmt: skip
            if carried:
                detail += f", {_money(carried)} carried to it"
    if balance_cents is not None and balance_cents <= 0 and after.status is not PromiseStatus.BROKEN:
        after = replace(after, status=PromiseStatus.COMPLETED)
        outcomes.append(Outcome.COMPLETED)
        detail = f"{detail}; " if detail else ""
        detail += f"completed: the account is paid in full on {on}"
    return Judgement(after, tuple(outcomes), periods, detail)


def replay(terms: PromiseTerms, payments: Iterable[tuple[date, int]], as_of: date) -> PromiseState:
    """The promise judged from its first installment over ``payments`` (day, cents) up to ``as_of``: what a
    payment reversal leaves of it (the reversed payment left out)."""
    by_day: dict[date, int] = {}
    for day, cents in payments:
        if day <= as_of:
            by_day[day] = by_day.get(day, 0) + cents
    state = PromiseState()
    for day in sorted(by_day):
        state = judge(terms, state, by_day[day], day).state
    return judge(terms, state, 0, as_of).state


def reversed_judgement(
    terms: PromiseTerms, state: PromiseState, standing: Iterable[tuple[date, int]], reversed_cents: int, on: date
) -> Judgement:
    """A promise after a payment that counted toward it is reversed (NSF) on ``on``: judged again over the
    payments that still stand, it moves back and reopens (outcome NSF), and is broken too when the window of
    the installment it falls back to has passed."""
    if state.status not in REVERSIBLE:
        return Judgement(state)
    after = replay(terms, standing, on)
    due = terms.due(after.installment)
    detail = f"payment {_money(reversed_cents)} reversed (NSF) on {on}: back to {_money(terms.amount_cents)} due {due}"
    if after.status is PromiseStatus.BROKEN:
        end = terms.window_end(after.installment)
        return Judgement(after, (Outcome.NSF, Outcome.BROKEN), detail=f"{detail}; broken: its window ended {end}")
    shown = f", {_money(after.paid_cents)} paid toward it" if after.paid_cents else ""
    return Judgement(after, (Outcome.NSF,), detail=f"{detail}{shown}: reopened")


@dataclass(frozen=True, slots=True)
class ClosedPromise:
    """A promise the account's closing cancelled: its terms and the state it stood in when it was cancelled."""

    promise_id: int
    terms: PromiseTerms
    state: PromiseState


@dataclass(frozen=True, slots=True)
class Revival:
    """What reopening the account does to a promise its closing cancelled: ``judgement.state`` is its state
    from the reopening on (still cancelled when it lapsed), ``counted`` the payments made while the account was
    closed that counted toward it: (ledger line, cents, installment)."""

    promise_id: int
    judgement: Judgement
    counted: tuple[tuple[int, int, int], ...] = ()

    @property
    def revived(self) -> bool:
        """True when the promise stands again, or was kept by the payments made while closed."""
        return self.judgement.state.status is not PromiseStatus.CANCELLED


def revive(promises: Sequence[ClosedPromise], payments: Iterable[tuple[int, date, int]], on: date) -> list[Revival]:
    """The promises an account's closing cancelled, when the account is reopened on ``on``.

    The guarantor payments made while it was closed (``payments``: ledger line, day, cents; up to ``on``) are
    judged by the one rule, day by day, each day's going to the oldest promise that still stands, as the run
    would have: they may keep an installment, move a repeating promise on, or leave it partially kept. A promise
    whose window (due date + grace of its installment) is still open on ``on`` stands again from where it was;
    one whose window ended while the account was closed stays cancelled — nobody worked the account, so the
    debtor's lapse is not judged a broken promise (no broken outcome, no broken plan, no mark against the
    collector's kept rate): a collector takes a new promise."""
    states = {p.promise_id: replace(p.state, status=PromiseStatus.PARTIAL if p.state.paid_cents else
                                    PromiseStatus.OPEN) for p in promises}  # fmt: skip
    outcomes: dict[int, list[Outcome]] = {p.promise_id: [] for p in promises}
    details: dict[int, list[str]] = {p.promise_id: [] for p in promises}
    counted: dict[int, list[tuple[int, int, int]]] = {p.promise_id: [] for p in promises}
    lapsed: dict[int, date] = {}
    by_day: dict[date, list[tuple[int, int]]] = {}
    for line, day, cents in payments:
        if day <= on:
            by_day.setdefault(day, []).append((line, cents))
    ordered = sorted(promises, key=lambda p: p.promise_id)

    def lapse(day: date) -> None:
        for p in ordered:
            state = states[p.promise_id]
            end = p.terms.window_end(state.installment)
            if state.status in OPEN_PROMISE and p.promise_id not in lapsed and day > end:
                lapsed[p.promise_id] = end

    for day in sorted(by_day):
        lapse(day)
        taker = next((p for p in ordered if states[p.promise_id].status in OPEN_PROMISE
                      and p.promise_id not in lapsed), None)  # fmt: skip
        if taker is None:
            continue
        lines = by_day[day]
        state = states[taker.promise_id]
        judged = judge(taker.terms, state, sum(cents for _, cents in lines), day)
        states[taker.promise_id] = judged.state
        outcomes[taker.promise_id] += judged.outcomes
        details[taker.promise_id].append(judged.detail)
        counted[taker.promise_id] += [(line, cents, state.installment) for line, cents in lines]
    lapse(on)
    found = []
    for p in ordered:
        state = states[p.promise_id]
        paid = "; ".join(details[p.promise_id])
        paid = f" (paid while closed: {paid})" if paid else ""
        if p.promise_id in lapsed:
            detail = (f"left cancelled: its window ended {lapsed[p.promise_id]} while the account was closed"
                      f"{paid}")  # fmt: skip
            judgement = Judgement(replace(state, status=PromiseStatus.CANCELLED), (), detail=detail)
        elif state.status in OPEN_PROMISE:
            detail = (f"reopened with the account: {_money(p.terms.amount_cents)} due {p.terms.due(state.installment)}"
                      f" (grace {p.terms.grace_days} days){paid}")  # fmt: skip
            judgement = Judgement(state, tuple(outcomes[p.promise_id]), detail=detail)
        else:
            judgement = Judgement(state, tuple(outcomes[p.promise_id]), detail=f"reopened with the account{paid}")
        found.append(Revival(p.promise_id, judgement, tuple(counted[p.promise_id])))
    return found


def shortfall(terms: PromiseTerms, state: PromiseState) -> int:
    """What is still owed on the current installment (0 once kept, completed or ended)."""
    return max(0, terms.amount_cents - state.paid_cents) if state.status in OPEN_PROMISE else 0


def terms_problems(terms: PromiseTerms, today: date) -> Iterator[tuple[str, str]]:
    """(field, rule) for each term of a new promise that is not allowed."""
    if terms.amount_cents <= 0:
        yield "amount", "must be more than $0.00"
    if terms.first_due < today:
        yield "due", f"must not be before today ({today})"
    if not GRACE_MIN <= terms.grace_days <= GRACE_MAX:
        yield "grace", f"must be between {GRACE_MIN} and {GRACE_MAX} days"
    if terms.advance and terms.repeat is None:
        yield "advance", "needs a repeat (an overpayment advances a repeating promise)"


# ----------------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class PortfolioPromises:
    """A portfolio's own promise settings: its default grace and the plans it runs per outcome (an outcome it
    leaves out follows the enterprise)."""

    portfolio: str
    grace_days: int | None = None
    plans: tuple[tuple[Outcome, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PromiseSettings:
    """The promise configuration: default grace, plans per outcome (enterprise, overridable per portfolio),
    and whether an open promise pauses the account's series and action steps."""

    grace_days: int = 0
    plans: tuple[tuple[Outcome, str], ...] = ()
    """(outcome, contact plan code) pairs."""
    pause_series: bool = True
    portfolios: tuple[PortfolioPromises, ...] = ()

    def _own(self, portfolio: str) -> PortfolioPromises | None:
        return next((p for p in self.portfolios if p.portfolio == portfolio), None)

    def grace(self, portfolio: str) -> int:
        """The default grace of a new promise on an account of ``portfolio``."""
        own = self._own(portfolio)
        return own.grace_days if own is not None and own.grace_days is not None else self.grace_days

    def plan(self, portfolio: str, outcome: Outcome) -> str | None:
        """The contact plan an outcome runs on an account of ``portfolio`` (None: none)."""
        found = self._own(portfolio)
        own = dict(found.plans) if found is not None else {}
        if outcome in own:
            return own[outcome] or None
        return dict(self.plans).get(outcome) or None


def settings_problems(
    settings: PromiseSettings, portfolios: Sequence[str] | None, plans: Iterable[str]
) -> Iterator[tuple[str, str]]:
    """(path, rule) for each promise setting that is not allowed (``portfolios`` None: not checked)."""
    known = frozenset(plans)

    def grace(path: str, days: int | None) -> Iterator[tuple[str, str]]:
        if days is not None and (isinstance(days, bool) or not GRACE_MIN <= days <= GRACE_MAX):
            yield path, f"must be between {GRACE_MIN} and {GRACE_MAX} days"

    def plan_codes(path: str, chosen: Iterable[tuple[Outcome, str]]) -> Iterator[tuple[str, str]]:
        for outcome, code in chosen:
            if code and code not in known:
                shown = ", ".join(sorted(known)) or "none configured"
                yield f"{path}.{outcome.value}", f"is not a contact plan (known: {shown})"

    yield from grace("promises.grace_days", settings.grace_days)
    yield from plan_codes("promises.plans", settings.plans)
    seen: set[str] = set()
    for own in settings.portfolios:
        path = f"promises.portfolios[{own.portfolio}]"
        if own.portfolio in seen:
            yield path, "is given twice"
        seen.add(own.portfolio)
        if portfolios is not None and own.portfolio not in portfolios:
            yield f"{path}.portfolio", f"names an unknown portfolio '{own.portfolio}'"
        yield from grace(f"{path}.grace_days", own.grace_days)
        yield from plan_codes(f"{path}.plans", own.plans)
