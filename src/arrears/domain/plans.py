"""Contact plans (seed 002): a plan's events, their validation, and what running a plan on an account does.

A :class:`Plan` is a code, switches (delete all pending contacts, prompt before deleting, do not run on
closed accounts, sub-plan, prompt for start date), up to three user-level access ranges, and an ordered list
of :class:`PlanEvent`. Each event schedules a contact of a type; its timing (schedule immediately, delay days,
day of month, next month same day; timeless or delay minutes), repeat, priority, deletion switches and
"schedule if" condition are all here, as data.

:func:`schedule_plan` is what running a plan decides, pure: which pending contacts it deletes (or marks done),
which contacts it creates with which due date and moment, and which effects happen now. :func:`perform_contact`
is what a plan-made contact does when the daily run reaches it (its effects and its repeat). The engine
(:mod:`arrears.domain.engine`) calls both, so a plan run from the command line, a batch, a trigger or the daily
run decides the same way.

Pure: no I/O, no clock (the moment a plan is invoked is passed in).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

from arrears.domain.calendar import (
    RepeatPeriod,
    add_days,
    day_of_month,
    delayed_moment,
    forward_past,
    next_month_same_day,
)
from arrears.domain.cases import ActivityEvent, ActivityStatus, PlanEventOrigin
from arrears.domain.conditions import ConditionError, account_condition, evaluate, structured_condition
from arrears.domain.effects import (
    Channel,
    CommissionRate,
    CreditReport,
    Effect,
    Message,
    ModeChange,
    Note,
    OperatorAssignment,
    Posting,
    PostingKind,
    StatusChange,
)
from arrears.domain.ledger import Kind as LedgerKind
from arrears.domain.priority import DEFAULT_PRIORITY, PRIORITY_MAX, PRIORITY_MIN
from arrears.domain.promises import PromiseStatus, StandingPromise

# --------------------------------------------------------------------------------------------- limits

PLAN_CODE_MAX_LENGTH = 7
"""Seed 002: "The Code field holds up to 7 alpha-numeric characters"."""
MAX_ACCESS_RANGES = 3
"""Seed 002: "up to 3 ranges of Users per Contact plan"."""
DELAY_DAYS_MIN, DELAY_DAYS_MAX = 0, 999
DELAY_MINUTES_MAX = 24 * 60 * 7
"""A week: a longer delay is a delay in days."""
SEQUENCE_MIN, SEQUENCE_MAX = 1, 999
PERCENT_MIN, PERCENT_MAX = 1, 100
USER_LEVEL_MIN, USER_LEVEL_MAX = 0, 99
MAX_PLAN_DEPTH = 10
"""How deep plans may call plans immediately (a cycle of immediate sub-plans is refused on save)."""



# ---------------------------------------------------------------------------------------------- enums


class EventType(StrEnum):
    """The type of contact an event schedules (seed 002 "Event Types"); values shared with action kinds where
    the two mean the same thing, so an activity's kind reads the same whatever made it."""

    LETTER = "letter"
    PHONE_CALL = "phone_call"
    REVIEW = "review"
    NOTE = "note"
    STATUS_CHANGE = "status_change"
    MODE = "mode"
    PROMISE = "promise"
    TRANSACTION = "transaction"
    RUN_PLAN = "run_plan"
    OPERATOR = "operator"
    COMMISSION = "commission"
    EMAIL = "email"
    SMS = "sms"
    CREDIT_REPORT = "credit_report"


WORKLIST_TYPES: Final = frozenset({EventType.PHONE_CALL, EventType.REVIEW})
"""Operator-assisted contacts: they wait in a collector's worklist."""
AWAITED_TYPES: Final = frozenset({EventType.PROMISE})
"""Contacts the daily run neither performs nor opens: a promise is kept or broken by payments."""
OUTBOUND_TYPES: Final = frozenset({EventType.LETTER, EventType.EMAIL, EventType.SMS, EventType.CREDIT_REPORT})
"""Automatic contacts that go out about the debt (to the party, or a credit report to the bureaus): they pass the
release gate when they go out, never when the plan schedules them."""
NEVER_DELETED: Final = frozenset({EventType.CREDIT_REPORT})
"""Seed 002: "Scheduled Metro contacts for reporting to credit bureaus are not deleted regardless"."""
DONE_ON_CLOSE: Final = frozenset({EventType.PROMISE, EventType.TRANSACTION})
"""Seed 002: "Promises and Transactions will be marked done when accounts are closed, regardless"."""
MODES: Final = ("active", "closed")


class Timing(StrEnum):
    """When an event's contact is due (seed 002: one of four radio buttons)."""

    IMMEDIATELY = "immediately"
    DELAY_DAYS = "delay_days"
    DAY_OF_MONTH = "day_of_month"
    NEXT_MONTH_SAME_DAY = "next_month_same_day"


class AssignTo(StrEnum):
    """Whose worklist an event's contact goes to."""

    ACCOUNT_OPERATOR = "account_operator"
    CURRENT_OPERATOR = "current_operator"
    SPECIFIC_OPERATOR = "specific_operator"


SCHEDULE_IF_OPERATORS: Final = ("=", ">", "<", "<>", "..", ">=", "<=")


# ---------------------------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class ScheduleIf:
    """Seed 002 "Schedule if": field, comparison operator, value 1 and (for ``..``) value 2."""

    field: str
    operator: str
    value1: str | int | bool
    value2: str | int | bool | None = None

    def condition(self) -> str:
        """The condition text this compiles to (``balance BETWEEN $100.00 AND $200.00``); raises
        :class:`ConditionError` when it does not compile."""
        return structured_condition(self.field, self.operator, self.value1, self.value2)


@dataclass(frozen=True, slots=True)
class LevelRange:
    """An inclusive range of user levels allowed to see and run a plan."""

    low: int
    high: int

    def admits(self, level: int) -> bool:
        """True when ``level`` is within the range (both ends included)."""
        return self.low <= level <= self.high


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """One event of a plan: a contact of ``type`` with its timing, repeat, switches and condition."""

    sequence: int
    type: EventType
    description: str = ""
    """What the type needs: the letter template, the note text, the status code, the mode, the plan code, the
    operator code, the commission rate, the ledger kind of a transaction; free text for calls and reviews."""
    assign_to: AssignTo = AssignTo.ACCOUNT_OPERATOR
    operator: str | None = None
    """The operator of ``specific_operator``."""
    timing: Timing = Timing.IMMEDIATELY
    days: int | None = None
    """Delay days (0–999; 0 is due today), with ``delay_days``."""
    day_of_month: int | None = None
    """1–31, with ``day_of_month``."""
    delay_minutes: int | None = None
    """None: timeless; else minutes after the moment the plan runs."""
    repeat: RepeatPeriod | None = None
    copy_on_repeat: bool = False
    log_repeat_to_notes: bool = False
    priority: int = DEFAULT_PRIORITY
    no_autocomplete: bool = False
    no_autodelete: bool = False
    mark_done_immediately: bool = False
    delete_same_type: bool = False
    same_description_only: bool = False
    record_event_history: bool = True
    amount_cents: int | None = None
    """The amount of a transaction event."""
    promise_percent: int | None = None
    """A promise of this percentage (1–100) of the amount owing."""
    advance_promise_on_overpayment: bool = False
    schedule_if: ScheduleIf | None = None

    @property
    def needs_contact(self) -> bool:
        """Seed 002: a contact is needed (record event history forced on, read only) for delayed events and for
        worklist, promise and credit-report contacts; only an immediate automatic event may go without one."""
        return (
            self.timing is not Timing.IMMEDIATELY
            or self.delay_minutes is not None
            or self.repeat is not None
            or self.type in WORKLIST_TYPES | AWAITED_TYPES | NEVER_DELETED
        )

    @property
    def records_history(self) -> bool:
        """Whether running the event leaves a contact on the account."""
        return self.record_event_history or self.needs_contact


@dataclass(frozen=True, slots=True)
class Plan:
    """A contact plan (seed 002). ``code`` is the key."""

    code: str
    description: str = ""
    delete_all_pending: bool = False
    prompt_before_deleting: bool = False
    do_not_run_on_closed: bool = False
    """Seed "Do not run on closed debtors"."""
    sub_plan: bool = False
    """Hidden from the list users pick from; still selectable in setup (transaction types, plan events)."""
    prompt_for_start_date: bool = False
    run_on_close: bool = False
    """The daily run runs the plan on an account closed that day (once per close)."""
    access: tuple[LevelRange, ...] = ()
    """Up to three user-level ranges; none: every user level."""
    events: tuple[PlanEvent, ...] = ()

    def admits(self, level: int) -> bool:
        """True when a user of ``level`` may see and run the plan."""
        return not self.access or any(r.admits(level) for r in self.access)

    def ordered_events(self) -> tuple[PlanEvent, ...]:
        """The events in sequence order (the order they execute in; ties keep their listed order)."""
        return tuple(sorted(self.events, key=lambda e: e.sequence))

    def event(self, sequence: int) -> PlanEvent | None:
        """The event of that sequence number."""
        return next((e for e in self.events if e.sequence == sequence), None)


@dataclass(frozen=True, slots=True)
class TransactionType:
    """A transaction type (seed 002 "run a contact plan when you post a transaction"): a code for a ledger kind,
    and the plan the daily run runs once for each transaction of that kind posted on its date."""

    code: str
    kind: str
    """A ledger kind: charge, payment, adjustment, fee, penalty, deposit, write_off, reversal."""
    plan: str | None = None
    description: str = ""


TRANSACTION_TYPE_CODE_MAX_LENGTH = 20


def transaction_type_problems(types: tuple[TransactionType, ...], plans: frozenset[str]) -> Iterator[tuple[str, str]]:
    """Every (path, rule) the transaction types break: codes, ledger kinds (each linked once), plans."""
    codes: set[str] = set()
    kinds: dict[str, str] = {}
    for item in types:
        base = f"transaction_types[{item.code}]"
        if item.code in codes:
            yield base, "is defined more than once"
        codes.add(item.code)
        if not item.code.strip() or len(item.code) > TRANSACTION_TYPE_CODE_MAX_LENGTH:
            yield f"{base}.code", f"must be 1 to {TRANSACTION_TYPE_CODE_MAX_LENGTH} characters"
        if item.kind not in {k.value for k in LedgerKind}:
            yield f"{base}.kind", f"must be a ledger kind: one of {', '.join(k.value for k in LedgerKind)}"
        elif item.kind in kinds:
            yield f"{base}.kind", f"{item.kind} is already the kind of transaction type '{kinds[item.kind]}'"
        else:
            kinds[item.kind] = item.code
        if item.plan is not None and item.plan not in plans:
            yield f"{base}.plan", f"names an unknown plan '{item.plan}'"


# -------------------------------------------------------------------------------------------- validation


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def commission_basis_points(text: str) -> int | None:
    """A commission rate as the description writes it (``12.5`` percent) in basis points; None when it is not
    a percentage from 0 to 100 with at most two decimals."""
    try:
        rate = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        return None
    if not rate.is_finite() or not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.01")):
        return None
    return int(rate * 100)


def plan_problems(
    plans: tuple[Plan, ...],
    letters: frozenset[str],
    operators: frozenset[str],
) -> Iterator[tuple[str, str]]:
    """Every (path, rule) a set of plans breaks: fields, ranges, what each type's description needs, references
    to letters, operators and plans, and cycles of plans that call each other immediately."""
    codes = {p.code for p in plans}
    seen: set[str] = set()
    for plan in plans:
        base = f"plans[{plan.code}]"
        if plan.code in seen:
            yield base, "is defined more than once"
        seen.add(plan.code)
        if not isinstance(plan.code, str) or not plan.code.isascii() or not plan.code.isalnum():
            yield f"{base}.code", "must be 1 to 7 letters or digits"
        elif len(plan.code) > PLAN_CODE_MAX_LENGTH:
            yield f"{base}.code", f"must be at most {PLAN_CODE_MAX_LENGTH} letters or digits"
        if plan.prompt_before_deleting and not plan.delete_all_pending:
            yield f"{base}.prompt_before_deleting", "is only used when delete_all_pending is set"
        if len(plan.access) > MAX_ACCESS_RANGES:
            yield f"{base}.access", f"must have at most {MAX_ACCESS_RANGES} ranges"
        for number, level in enumerate(plan.access, start=1):
            path = f"{base}.access[{number}]"
            for end in ("low", "high"):
                value = getattr(level, end)
                if not _int(value) or not USER_LEVEL_MIN <= value <= USER_LEVEL_MAX:
                    yield f"{path}.{end}", f"must be a user level between {USER_LEVEL_MIN} and {USER_LEVEL_MAX}"
            if _int(level.low) and _int(level.high) and level.low > level.high:
                yield path, f"low ({level.low}) must not be greater than high ({level.high})"
        if not plan.events:
            yield f"{base}.events", "must have at least one event"
        sequences: set[int] = set()
        for event in plan.events:
            path = f"{base}.events[{event.sequence}]"
            if event.sequence in sequences:
                yield path, "sequence is used by another event of the plan"
            sequences.add(event.sequence)
            yield from _event_problems(path, plan, event, codes, letters, operators)
    yield from _cycles(plans)


def _event_problems(
    path: str, plan: Plan, event: PlanEvent, plans: set[str], letters: frozenset[str], operators: frozenset[str]
) -> Iterator[tuple[str, str]]:
    if not _int(event.sequence) or not SEQUENCE_MIN <= event.sequence <= SEQUENCE_MAX:
        yield f"{path}.sequence", f"must be between {SEQUENCE_MIN} and {SEQUENCE_MAX}"
    if not _int(event.priority) or not PRIORITY_MIN <= event.priority <= PRIORITY_MAX:
        yield f"{path}.priority", f"must be between {PRIORITY_MIN} and {PRIORITY_MAX}"
    yield from _timing_problems(path, event)
    yield from _description_problems(path, plan, event, plans, letters, operators)
    if event.assign_to is AssignTo.SPECIFIC_OPERATOR:
        if not event.operator:
            yield f"{path}.operator", "is required when assign_to is specific_operator"
        elif event.operator not in operators:
            yield f"{path}.operator", f"names an unknown collector or group '{event.operator}'"
    elif event.operator is not None:
        yield f"{path}.operator", "is only used when assign_to is specific_operator"
    if event.repeat is None and (event.copy_on_repeat or event.log_repeat_to_notes):
        which = "copy_on_repeat" if event.copy_on_repeat else "log_repeat_to_notes"
        yield f"{path}.{which}", "is only used when the event repeats"
    if event.same_description_only and not event.delete_same_type:
        yield f"{path}.same_description_only", "only works when delete_same_type is set"
    if not event.record_event_history and event.needs_contact:
        yield f"{path}.record_event_history", (
            "must stay on: a delayed, timed or repeating event, and a phone call, review, promise or credit "
            "report, needs a contact"
        )
    if event.type is EventType.PROMISE:
        if event.promise_percent is None:
            yield f"{path}.promise_percent", "is required for a promise (a percentage of the amount owing)"
        elif not _int(event.promise_percent) or not PERCENT_MIN <= event.promise_percent <= PERCENT_MAX:
            yield f"{path}.promise_percent", f"must be between {PERCENT_MIN} and {PERCENT_MAX}"
    else:
        if event.promise_percent is not None:
            yield f"{path}.promise_percent", "is only used by promise events"
        if event.advance_promise_on_overpayment:
            yield f"{path}.advance_promise_on_overpayment", "is only used by promise events"
    if event.type is EventType.TRANSACTION:
        if event.amount_cents is None or not _int(event.amount_cents) or event.amount_cents <= 0:
            yield f"{path}.amount", "is required for a transaction and must be greater than 0"
    elif event.amount_cents is not None:
        yield f"{path}.amount", "is only used by transaction events"
    if event.schedule_if is not None:
        try:
            event.schedule_if.condition()
        except ConditionError as error:
            for issue in error.issues:
                yield f"{path}.schedule_if", str(issue)


def _timing_problems(path: str, event: PlanEvent) -> Iterator[tuple[str, str]]:
    timing = event.timing
    if timing is Timing.DELAY_DAYS:
        if event.days is None:
            yield f"{path}.days", "is required when timing is delay_days"
        elif not _int(event.days) or not DELAY_DAYS_MIN <= event.days <= DELAY_DAYS_MAX:
            yield f"{path}.days", f"must be between {DELAY_DAYS_MIN} and {DELAY_DAYS_MAX}"
    elif event.days is not None:
        yield f"{path}.days", "is only used when timing is delay_days"
    if timing is Timing.DAY_OF_MONTH:
        if event.day_of_month is None:
            yield f"{path}.day_of_month", "is required when timing is day_of_month"
        elif not _int(event.day_of_month) or not 1 <= event.day_of_month <= 31:
            yield f"{path}.day_of_month", "must be between 1 and 31"
    elif event.day_of_month is not None:
        yield f"{path}.day_of_month", "is only used when timing is day_of_month"
    minutes = event.delay_minutes
    if minutes is not None and (not _int(minutes) or not 0 <= minutes <= DELAY_MINUTES_MAX):
        yield f"{path}.delay_minutes", f"must be between 0 and {DELAY_MINUTES_MAX} minutes (a week)"


def _description_problems(
    path: str, plan: Plan, event: PlanEvent, plans: set[str], letters: frozenset[str], operators: frozenset[str]
) -> Iterator[tuple[str, str]]:
    text, where, kind = event.description.strip(), f"{path}.description", event.type
    if kind in (EventType.LETTER, EventType.EMAIL, EventType.SMS):
        if not text:
            yield where, f"must name the {kind.value} template"
        elif text not in letters:
            yield where, f"names an unknown letter template '{text}'"
    elif kind in (EventType.NOTE, EventType.STATUS_CHANGE):
        if not text:
            yield where, "must be the note text" if kind is EventType.NOTE else "must be the new status code"
    elif kind is EventType.MODE:
        if text not in MODES:
            yield where, f"must be one of {', '.join(MODES)}"
    elif kind is EventType.RUN_PLAN:
        if not text:
            yield where, "must name the plan to run"
        elif text not in plans:
            yield where, f"names an unknown plan '{text}'"
        elif text == plan.code and event.timing is Timing.IMMEDIATELY:
            yield where, "a plan may call itself only later (next month same day, a delay), never immediately"
    elif kind is EventType.OPERATOR:
        if not text:
            yield where, "must name the operator the account is assigned to"
        elif text not in operators:
            yield where, f"names an unknown collector or group '{text}'"
    elif kind is EventType.COMMISSION:
        if commission_basis_points(text) is None:
            yield where, "must be a commission rate from 0 to 100 percent (e.g. 12.5)"
    elif kind is EventType.TRANSACTION and text not in {k.value for k in PostingKind}:
        yield where, f"must be the ledger kind: one of {', '.join(k.value for k in PostingKind)}"


def _cycles(plans: tuple[Plan, ...]) -> Iterator[tuple[str, str]]:
    """Plans that call each other immediately, round and round, would never finish: each cycle once."""
    calls = {
        plan.code: [e.description.strip() for e in plan.events
                    if e.type is EventType.RUN_PLAN and e.timing is Timing.IMMEDIATELY and e.delay_minutes is None]
        for plan in plans
    }  # fmt: skip
    reported: set[frozenset[str]] = set()
    for start in calls:
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        while stack:
            code, trail = stack.pop()
            for called in calls.get(code, []):
                if called == start and len(trail) > 1:
                    cycle = frozenset(trail)
                    if cycle not in reported:
                        reported.add(cycle)
                        shown = " → ".join([*trail, start])
                        yield f"plans[{start}].events", f"plans call each other immediately in a cycle: {shown}"
                elif called not in trail and called in calls:
                    stack.append((called, [*trail, called]))


# --------------------------------------------------------------------------------------------- running


@dataclass(frozen=True, slots=True)
class PendingContact:
    """A pending activity of the account, as deleting pending work reads it."""

    key: str
    kind: str
    description: str
    status: ActivityStatus
    no_auto_delete: bool = False
    origin: PlanEventOrigin | None = None
    """The plan event that made it (its repeat settings are the event's)."""


@dataclass(frozen=True, slots=True)
class AccountView:
    """What running a plan reads about the account."""

    account_id: int
    owing_cents: int
    operator: str
    """The account operator (the collector the account is assigned to); empty when none."""
    closed: bool = False
    fields: Mapping[str, object] = field(default_factory=dict)
    """The account's condition fields (:data:`arrears.domain.fields.ACCOUNT_FIELDS`), for "schedule if"."""
    pending: tuple[PendingContact, ...] = ()
    promises: tuple[StandingPromise, ...] = ()
    """The promises to pay that stand (open or partially kept): delete all pending contacts ends them too."""


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """Run plan ``plan`` on an account, because of fact ``run`` (its idempotency key)."""

    plan: str
    run: str
    on: date
    at: datetime
    """The moment the plan is invoked (timezone-aware): the base of delay minutes."""
    user: str = ""
    """The current operator (the signed-on user, or the system for the daily run)."""
    start_date: date | None = None
    """The prompted start date: the reference of delay days (not of day of month)."""
    deletes: bool = True
    """False for the batch that processes previously scheduled contacts: it never deletes pending work."""


@dataclass(frozen=True, slots=True)
class PlanContact:
    """A contact a plan run creates."""

    key: str
    origin: PlanEventOrigin
    type: EventType
    description: str
    assignee: str
    due: date
    due_at: datetime | None
    priority: int
    status: ActivityStatus
    no_auto_delete: bool
    reason: str
    recorded: bool = True
    """False: the event's effect happens but no contact row is kept (record event history off)."""
    release_now: bool = False
    """An immediate outbound or worklist contact: released (through the release gate) in the same pass."""
    amount_cents: int | None = None
    """A promise's amount (its percentage of the amount owing)."""


@dataclass(frozen=True, slots=True)
class Removal:
    """A pending contact that running the plan deletes (cancel) or marks done (a repeating promise)."""

    key: str
    event: ActivityEvent
    status: ActivityStatus
    reason: str


@dataclass(frozen=True, slots=True)
class PromiseRemoval:
    """A promise to pay that deleting all pending contacts ends: deleted (cancelled) or marked done."""

    promise: StandingPromise
    status: PromiseStatus
    reason: str


@dataclass(slots=True)
class PlanOutcome:
    """What running a plan on one account decided."""

    plan: str
    removals: list[Removal] = field(default_factory=list)
    promise_removals: list[PromiseRemoval] = field(default_factory=list)
    contacts: list[PlanContact] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Why events or plans did not run (a condition that does not hold, a closed account)."""
    refused: str = ""
    """Set when the plan did not run at all (a closed account and do not run on closed accounts)."""

    @property
    def deletions(self) -> int:
        """How many pending contacts the run deletes or marks done."""
        return len(self.removals)


class PlanError(ValueError):
    """A plan cannot run (unknown plan, event or a description the configuration no longer accepts)."""


def contact_key(account_id: int, origin: PlanEventOrigin, due: date) -> str:
    """The idempotency key of a plan-made contact: account, plan, event, the fact that ran the plan, due date."""
    return f"{account_id}/{origin.key}/{due.isoformat()}"


def removal(contact: PendingContact, plans: Mapping[str, Plan], why: str) -> Removal | None:
    """What deleting all pending contacts does to ``contact`` (seed 002): nothing to credit-report (Metro) and
    do-not-autodelete contacts; a promise that repeats without create copy on repeat is marked done to keep
    the promise's integrity; every other pending contact is deleted (cancelled)."""
    if contact.kind in NEVER_DELETED or contact.no_auto_delete:
        return None
    return _deleted(contact, plans, why)


def _deleted(contact: PendingContact, plans: Mapping[str, Plan], why: str) -> Removal:
    """Deleting a pending contact, by delete all pending or delete same type contacts: a promise that repeats
    without create copy on repeat is marked done to keep the promise's integrity, any other contact cancelled."""
    if contact.kind == EventType.PROMISE and _repeats_without_copy(contact, plans):
        return _done(contact, why)
    return _cancel(contact, why)


def promise_removal(
    promise: StandingPromise, contact: PendingContact | None, plans: Mapping[str, Plan], why: str
) -> PromiseRemoval | None:
    """What deleting all pending contacts — or a delete same type contacts event deleting its contact — does to
    a promise to pay that stands (seed 002 "Promises"), the same rule as for its contact: a promise with a
    repeat and without create copy on repeat is marked done instead of deleted, to keep the promise's integrity
    (its kept installments and history stand); a promise without a repeat, or whose event creates a copy on
    repeat, is deleted (cancelled). A plan-made promise follows its
    contact (``contact``): its event's repeat and copy switches, and a do-not-autodelete contact keeps the
    promise open. A promise taken on a call or directly has no contact: one promise carries every installment
    (no copy is made), so a repeating one is marked done and any other is cancelled."""
    if contact is not None:
        if contact.no_auto_delete:
            return None
        keep = _repeats_without_copy(contact, plans)
    else:
        keep = promise.repeats
    if keep:
        return PromiseRemoval(promise, PromiseStatus.DONE, f"marked done: {why} (a repeating promise is kept)")
    return PromiseRemoval(promise, PromiseStatus.CANCELLED, f"cancelled: {why}")


def close_disposition(contact: PendingContact, why: str) -> Removal | None:
    """What closing the account does to a pending contact (seed 002): promises and transactions are marked done
    regardless of do not autodelete; other do-not-autodelete contacts stay; the rest are deleted."""
    if contact.kind in DONE_ON_CLOSE:
        return _done(contact, why)
    if contact.no_auto_delete:
        return None
    return _cancel(contact, why)


def revived_with_promise(
    done_on: date | None, ended_on: date | None, origin: PlanEventOrigin | None, plans: Mapping[str, Plan]
) -> bool:
    """Whether a plan-made promise's contact, marked done, is scheduled again when reopening the account revives
    its promise: when the closing marked it done (seed 002: promises regardless of do not autodelete), the day it
    cancelled the promise — so the contact's switches (do not autodelete, repeat, copy on repeat) hold for the
    revived promise as they did before; not a contact its event marks done immediately, which never was pending."""
    if origin is None or done_on is None or done_on != ended_on:
        return False
    event = _event_of(origin, plans)
    return event is None or not event.mark_done_immediately


def _event_of(origin: PlanEventOrigin | None, plans: Mapping[str, Plan]) -> PlanEvent | None:
    plan = plans.get(origin.plan) if origin is not None else None
    return plan.event(origin.event) if plan is not None and origin is not None else None


def _repeats_without_copy(contact: PendingContact, plans: Mapping[str, Plan]) -> bool:
    event = _event_of(contact.origin, plans)
    return event is not None and event.repeat is not None and not event.copy_on_repeat


def _done(contact: PendingContact, why: str) -> Removal:
    event = ActivityEvent.COMPLETE if contact.status is ActivityStatus.OPEN else ActivityEvent.PERFORM
    return Removal(contact.key, event, ActivityStatus.DONE, why)


def _cancel(contact: PendingContact, why: str) -> Removal:
    return Removal(contact.key, ActivityEvent.CANCEL, ActivityStatus.CANCELLED, why)


def deletable(plan: Plan, account: AccountView, plans: Mapping[str, Plan]) -> tuple[PendingContact, ...]:
    """The pending contacts running ``plan`` as the primary plan would delete or mark done (what a prompt before
    deleting asks about)."""
    if not plan.delete_all_pending:
        return ()
    return tuple(c for c in account.pending if removal(c, plans, "") is not None)


def deletable_promises(plan: Plan, account: AccountView, plans: Mapping[str, Plan]) -> tuple[PromiseRemoval, ...]:
    """The promises to pay running ``plan`` as the primary plan would cancel or mark done."""
    if not plan.delete_all_pending:
        return ()
    contacts = {c.key: c for c in account.pending}
    found = (promise_removal(p, contacts.get(p.key), plans, "") for p in account.promises)
    return tuple(r for r in found if r is not None)


def due_date(event: PlanEvent, on: date, start_date: date | None) -> date:
    """The day an event's contact is due when its plan runs on ``on`` (seed 002 timing): immediately today;
    delay days from the prompted start date when one is given, else from today (0 is today); day of month this
    month or next, clamped to the month's end; next month same day, clamped the same way."""
    match event.timing:
        case Timing.IMMEDIATELY:
            return on
        case Timing.DELAY_DAYS:
            return add_days(start_date or on, event.days or 0)
        case Timing.DAY_OF_MONTH:
            return day_of_month(on, event.day_of_month or 1)
        case Timing.NEXT_MONTH_SAME_DAY:
            return next_month_same_day(on)


def due_moment(event: PlanEvent, due: date, at: datetime) -> datetime | None:
    """The moment a timed event is due: the time the plan is invoked plus the delay, on the due day (15:26:43 +
    1:00 → 16:26:43); None for a timeless event."""
    if event.delay_minutes is None:
        return None
    return delayed_moment(at, event.delay_minutes) + (due - at.date())


def promise_amount(percent: int, owing_cents: int) -> int:
    """A promise of ``percent`` of the amount owing, rounded half up to the cent."""
    cents = (Decimal(percent) * Decimal(max(owing_cents, 0)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(cents)


def assignee(event: PlanEvent, account: AccountView, user: str) -> str:
    """Who the contact is for: the account operator, the current operator, or the specific operator."""
    match event.assign_to:
        case AssignTo.ACCOUNT_OPERATOR:
            return account.operator
        case AssignTo.CURRENT_OPERATOR:
            return user
        case AssignTo.SPECIFIC_OPERATOR:
            return event.operator or ""


def _holds(event: PlanEvent, account: AccountView) -> bool:
    if event.schedule_if is None:
        return True
    return evaluate(account_condition(event.schedule_if.condition()), account.fields)


def schedule_plan(
    request: PlanRequest, account: AccountView, plans: Mapping[str, Plan], *, sub_plan: bool = False
) -> PlanOutcome:
    """Everything running plan ``request.plan`` on ``account`` decides (seed 002), events in sequence order.

    A closed account is skipped when the plan says not to run on closed accounts. Delete all pending contacts
    works on the primary plan only (never when it is called as a sub-plan, nor from the batch of previously
    scheduled contacts); delete same type contacts works per event, on the pending contacts and on those this
    run created before it. "Schedule if" is evaluated when the event is scheduled. Sub-plans set to run
    immediately run now, in place; a delayed plan event is a contact that runs its plan when due.
    """
    outcome = PlanOutcome(request.plan)
    _run(request, account, plans, outcome, sub_plan, depth=0, origin_run=request.run)
    return outcome


def _plan(plans: Mapping[str, Plan], code: str) -> Plan:
    plan = plans.get(code)
    if plan is None:
        raise PlanError(f"contact plan {code!r} is not configured")
    return plan


def _run(
    request: PlanRequest, account: AccountView, plans: Mapping[str, Plan], outcome: PlanOutcome, sub_plan: bool,
    depth: int, origin_run: str, code: str | None = None,
) -> None:  # fmt: skip
    plan = _plan(plans, code or request.plan)
    if depth > MAX_PLAN_DEPTH:
        raise PlanError(f"contact plan {plan.code!r} is called more than {MAX_PLAN_DEPTH} plans deep")
    if account.closed and plan.do_not_run_on_closed:
        why = f"plan {plan.code} does not run on closed accounts: account {account.account_id} skipped"
        outcome.skipped.append(why)
        if depth == 0:
            outcome.refused = why
        return
    removed = {r.key for r in outcome.removals}
    if plan.delete_all_pending and not sub_plan and request.deletes:
        why = f"deleted by plan {plan.code} (delete all pending contacts) on {request.on}"
        for contact in account.pending:
            if contact.key in removed or _made_by(contact, request.run):
                continue
            found = removal(contact, plans, why)
            if found is not None:
                outcome.removals.append(found)
                removed.add(found.key)
        _delete_promises(request, account, plans, outcome, why)
    for event in plan.ordered_events():
        if not _holds(event, account):
            outcome.skipped.append(
                f"plan {plan.code} event {event.sequence}: {event.schedule_if.condition() if event.schedule_if else ''}"
                " does not hold"
            )
            continue
        origin = PlanEventOrigin(plan.code, event.sequence, origin_run)
        if event.delete_same_type:
            _delete_same_type(event, plan, account, plans, outcome, request)
        if event.type is EventType.RUN_PLAN and event.timing is Timing.IMMEDIATELY and event.delay_minutes is None:
            if event.records_history:
                outcome.contacts.append(_contact(request, account, plan, event, origin, ActivityStatus.DONE))
            _run(request, account, plans, outcome, True, depth + 1, f"{origin_run}>{plan.code}.{event.sequence}",
                 event.description.strip())  # fmt: skip
            continue
        outcome.contacts.extend(_schedule_event(request, account, plan, event, origin, outcome))


def _delete_promises(
    request: PlanRequest, account: AccountView, plans: Mapping[str, Plan], outcome: PlanOutcome, why: str
) -> None:
    """Delete all pending contacts ends the promises that stand, as :func:`promise_removal` says (a promise the
    same fact made, or one already ended by this run, is left alone)."""
    contacts = {c.key: c for c in account.pending}
    for promise in account.promises:
        contact = contacts.get(promise.key)
        if contact is None or not _made_by(contact, request.run):
            _end_promise(promise, contact, plans, outcome, why)


def _end_promise(
    promise: StandingPromise, contact: PendingContact | None, plans: Mapping[str, Plan], outcome: PlanOutcome,
    why: str,
) -> None:  # fmt: skip
    """End a standing promise as :func:`promise_removal` says, once per run, whichever deletion reaches it."""
    if any(r.promise.promise_id == promise.promise_id for r in outcome.promise_removals):
        return
    found = promise_removal(promise, contact, plans, why)
    if found is not None:
        outcome.promise_removals.append(found)


def _made_by(contact: PendingContact, run: str) -> bool:
    """Whether the fact ``run`` itself made the contact (a rerun of the same fact deletes none of its own)."""
    origin = contact.origin
    return origin is not None and (origin.run == run or origin.run.startswith(f"{run}>"))


def _delete_same_type(
    event: PlanEvent, plan: Plan, account: AccountView, plans: Mapping[str, Plan], outcome: PlanOutcome,
    request: PlanRequest,
) -> None:  # fmt: skip
    """Seed 002 "Delete same type contacts" (and "same description only"): pending contacts of the event's type
    are deleted when this one is scheduled; contacts this run created before it count as pending. A promise's
    contact is deleted by the rule of delete all pending contacts, and its promise ends with it (the same
    :func:`promise_removal`: marked done when it repeats without create copy on repeat, else cancelled)."""
    why = f"replaced by plan {plan.code} event {event.sequence} (delete same type contacts) on {request.on}"
    removed = {r.key for r in outcome.removals}
    wanted = event.description.strip()
    for contact in account.pending:
        if contact.key in removed or contact.kind != event.type or contact.no_auto_delete:
            continue
        if _made_by(contact, request.run):
            continue
        if event.same_description_only and contact.description.strip() != wanted:
            continue
        outcome.removals.append(_deleted(contact, plans, why))
        for promise in account.promises:
            if promise.key == contact.key:
                _end_promise(promise, contact, plans, outcome, why)
    kept = []
    for made in outcome.contacts:
        same = made.type is event.type and made.status is ActivityStatus.SCHEDULED and not made.no_auto_delete
        if same and (not event.same_description_only or made.description.strip() == wanted):
            continue
        kept.append(made)
    outcome.contacts[:] = kept


def _contact(
    request: PlanRequest, account: AccountView, plan: Plan, event: PlanEvent, origin: PlanEventOrigin,
    status: ActivityStatus, *, release_now: bool = False,
) -> PlanContact:  # fmt: skip
    due = due_date(event, request.on, request.start_date)
    moment = due_moment(event, due, request.at)
    if moment is not None:
        due = moment.date()
    why = _why(plan, event, request, due, moment)
    promise = event.type is EventType.PROMISE
    amount = promise_amount(event.promise_percent or 0, account.owing_cents) if promise else None
    return PlanContact(
        contact_key(account.account_id, origin, due), origin, event.type, event.description.strip(),
        assignee(event, account, request.user), due, moment, event.priority, status, event.no_autodelete, why,
        event.records_history, release_now, amount,
    )  # fmt: skip


def _why(plan: Plan, event: PlanEvent, request: PlanRequest, due: date, moment: datetime | None) -> str:
    """Why the contact has its date, for the account's history and ``explain``."""
    timing = {
        Timing.IMMEDIATELY: "scheduled immediately",
        Timing.DELAY_DAYS: f"{event.days} delay days from "
        + (f"the start date {request.start_date}" if request.start_date else f"the run date {request.on}"),
        Timing.DAY_OF_MONTH: f"day of month {event.day_of_month} from {request.on}",
        Timing.NEXT_MONTH_SAME_DAY: f"next month same day from {request.on}",
    }[event.timing]
    at = f", at {moment.strftime('%H:%M:%S')} ({event.delay_minutes} minutes after {request.at.strftime('%H:%M:%S')})" \
        if moment is not None and event.delay_minutes is not None else ""  # fmt: skip
    return f"plan {plan.code} event {event.sequence} ({event.type.value}): {timing} → {due}{at}"


def _schedule_event(
    request: PlanRequest, account: AccountView, plan: Plan, event: PlanEvent, origin: PlanEventOrigin,
    outcome: PlanOutcome,
) -> list[PlanContact]:  # fmt: skip
    immediate = event.timing is Timing.IMMEDIATELY and event.delay_minutes is None
    if event.mark_done_immediately:
        contact = _contact(request, account, plan, event, origin, ActivityStatus.DONE)
        if immediate and event.type not in WORKLIST_TYPES | AWAITED_TYPES | OUTBOUND_TYPES:
            outcome.effects.extend(event_effects(event, contact.key, account.owing_cents))
        return [contact]
    if immediate and event.type in OUTBOUND_TYPES | WORKLIST_TYPES:
        return [_contact(request, account, plan, event, origin, ActivityStatus.SCHEDULED, release_now=True)]
    if immediate and event.type not in AWAITED_TYPES | NEVER_DELETED:
        contact = _contact(request, account, plan, event, origin, ActivityStatus.DONE)
        outcome.effects.extend(event_effects(event, contact.key, account.owing_cents))
        return [contact]
    return [_contact(request, account, plan, event, origin, ActivityStatus.SCHEDULED)]


def event_effects(event: PlanEvent, key: str, owing_cents: int, addressee: str = "") -> list[Effect]:
    """What an automatic event does when it happens (its contact's ``key`` keys every effect; a credit report
    carries ``owing_cents`` as the balance reported). Calls, reviews, promises and plan runs have no effect of
    their own here (the engine runs a plan event's plan; a promise waits for payments)."""
    text = event.description.strip()
    match event.type:
        case EventType.LETTER | EventType.EMAIL | EventType.SMS:
            return [Message(key, Channel(event.type.value), text, addressee)]
        case EventType.NOTE:
            return [Note(key, text)]
        case EventType.STATUS_CHANGE:
            return [StatusChange(key, text)]
        case EventType.MODE:
            return [ModeChange(key, text)]
        case EventType.TRANSACTION:
            return [Posting(key, PostingKind(text), event.amount_cents or 0, f"plan transaction ({text})")]
        case EventType.OPERATOR:
            return [OperatorAssignment(key, text)]
        case EventType.COMMISSION:
            return [CommissionRate(key, commission_basis_points(text) or 0)]
        case EventType.CREDIT_REPORT:
            return [CreditReport(key, owing_cents)]
        case EventType.PHONE_CALL | EventType.REVIEW | EventType.PROMISE | EventType.RUN_PLAN:
            return []


# ----------------------------------------------------------------------------------------- performing


@dataclass(frozen=True, slots=True)
class Forward:
    """A repeating contact forwarded to its next period (seed 002 "Repeat")."""

    key: str
    due: date
    due_at: datetime | None
    copy: PlanContact | None
    """The completed copy (create copy on repeat), else None."""
    note: Note | None
    """The line written to the notes (log repeat to notes), else None."""


def repeat_note(event: PlanEvent, due: date, operator: str) -> str:
    """Seed 002's note: ``[Type] type contact [Description], due [Date] processed by [Op ID]``."""
    label = event.type.value.replace("_", " ").title()
    return f"{label} type contact {event.description.strip()}, due {due.isoformat()} processed by {operator}"


def forward_contact(
    event: PlanEvent, key: str, origin: PlanEventOrigin, due: date, due_at: datetime | None, assignee_: str,
    on: date, operator: str, reason: str,
) -> Forward | None:  # fmt: skip
    """The next period of a repeating contact processed on ``on`` (None when it does not repeat): its new due
    date (forwarded past ``on``), a completed copy when create copy on repeat is set, and the notes line when
    log repeat to notes is set."""
    if event.repeat is None:
        return None
    following = forward_past(due, event.repeat, on)
    moment = due_at + (following - due) if due_at is not None else None
    copy = None
    if event.copy_on_repeat:
        copy = PlanContact(
            f"{key}/copy/{due.isoformat()}", origin, event.type, event.description.strip(), assignee_, due, due_at,
            event.priority, ActivityStatus.DONE, event.no_autodelete, f"completed copy of a repeat: {reason}"[:300],
        )  # fmt: skip
    note = Note(f"{key}/repeat/{due.isoformat()}", repeat_note(event, due, operator)) if event.log_repeat_to_notes \
        else None  # fmt: skip
    return Forward(key, following, moment, copy, note)


@dataclass(frozen=True, slots=True)
class NextPeriod:
    """What completing a repeating worklist contact (a call, a review) schedules (seed 002 "Repeat")."""

    due: date
    due_at: datetime | None
    keep_completed: bool
    """Create copy on repeat: the completed contact stays as the period's completed copy and the next period is
    a contact of its own; otherwise the contact itself is forwarded (back to scheduled, on the new date)."""
    note: str | None
    """The line written to the notes (log repeat to notes), else None."""


def next_period_on_completion(
    event: PlanEvent, due: date, due_at: datetime | None, on: date, operator: str
) -> NextPeriod | None:
    """The next period of a repeating worklist contact due ``due`` that ``operator`` completed on ``on`` (None
    when the event does not repeat): forwarded past the completion day by the repeat period, as the daily run
    forwards an automatic one."""
    if event.repeat is None:
        return None
    following = forward_past(due, event.repeat, on)
    moment = due_at + (following - due) if due_at is not None else None
    note = repeat_note(event, due, operator) if event.log_repeat_to_notes else None
    return NextPeriod(following, moment, event.copy_on_repeat, note)


def find_event(plans: Mapping[str, Plan], origin: PlanEventOrigin) -> PlanEvent:
    """The event that made a contact; :class:`PlanError` when the configuration no longer has it."""
    plan = _plan(plans, origin.plan)
    event = plan.event(origin.event)
    if event is None:
        raise PlanError(f"contact plan {origin.plan!r} has no event {origin.event} any more")
    return event
