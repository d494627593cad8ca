"""Milestone schemes (seed 004): staged escalation with actions performed on entry, decrement and resolution.

A :class:`Scheme` belongs to a portfolio (or the enterprise) and a collection track. An account enters it
when the entry condition holds and its amount is strictly greater than the minimum entry amount; it then
moves through ordered :class:`Milestone` s. Each milestone says what reaches it (days past due, an amount,
a formula of the condition language: all that are given must hold), how long the account stays before the
next may be reached (calendar or business days; business days skip weekends and the holidays of the
scheme's country and state), when it decrements and resolves (fixed, or by formula; "resolve when below
amount"), and which milestone a payment reversal returns the account to. Its :class:`MilestoneAction` s are
performed on one of the four events of the seed's "Perform On" list.

:func:`milestone_step` is the one rule that says where an account goes today; the daily run evaluates its
vectorized twin (``arrears.batch.milestones``) over the whole features frame, and a property test keeps the
two in agreement. :func:`scheme_problems` validates the configuration with paths
(``schemes[WATER].milestones[2].duration_days``), like the rest of the strategy.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from arrears.domain.calendar import add_business_days, add_days, holiday_calendar_problem
from arrears.domain.cases import Track
from arrears.domain.conditions import ConditionError, account_condition, evaluate

CODE_MAX_LENGTH = 40
"""Longest scheme code (it is stored in the milestone state and in every milestone action's key)."""
NAME_MAX_LENGTH = 60
"""Longest milestone name."""
DURATION_DAYS_MAX = 999
DAYS_PAST_DUE_MAX = 9999
POINTS_MIN, POINTS_MAX = 1, 999
PERCENT_MIN, PERCENT_MAX = 1, 100


class PerformOn(StrEnum):
    """When a milestone action is performed (seed 004's "Perform On" list)."""

    ENTRY = "entry"
    """Entry or increment to this milestone."""
    DECREMENT = "decrement"
    """Decrement from this milestone."""
    FULL_PAYMENT = "full_payment"
    """Resolved due to full payment."""
    FORMULA = "formula"
    """Resolved from formula or below amount."""

    @property
    def label(self) -> str:
        """The seed's words for the event."""
        return _PERFORM_ON_LABELS[self]


_PERFORM_ON_LABELS: Mapping[PerformOn, str] = {
    PerformOn.ENTRY: "entry or increment to this milestone",
    PerformOn.DECREMENT: "decrement from this milestone",
    PerformOn.FULL_PAYMENT: "resolved due to full payment",
    PerformOn.FORMULA: "resolved from formula or below amount",
}


class MilestoneActionKind(StrEnum):
    """The kinds of action a milestone can perform (the nodes under a milestone in seed 004)."""

    SERVICE_REQUEST = "service_request"
    ONE_OFF_CHARGE = "one_off_charge"
    ALERT = "alert"
    NOTICE = "notice"
    LOG = "log"
    DEPOSIT_DEMAND = "deposit_demand"
    ONE_OFF_PENALTY = "one_off_penalty"
    CREDIT_RATING = "credit_rating"


CHARGE_KINDS = frozenset(
    {MilestoneActionKind.ONE_OFF_CHARGE, MilestoneActionKind.DEPOSIT_DEMAND, MilestoneActionKind.ONE_OFF_PENALTY}
)
"""Kinds that post a ledger line of a line-item type: a fixed amount or a percentage of the balance."""


CHARGE_AMOUNTS = ("amount_cents", "percent_of_balance")
"""A charge kind's two ways of saying how much (exactly one is given)."""
ACTION_PARAMETER_NAMES = ("request_type", "assignee", "line_item_type", "amount_cents", "percent_of_balance", "text",
                          "template", "points")  # fmt: skip
"""Every parameter a milestone action may have."""
ACTION_PARAMETERS: Mapping[MilestoneActionKind, tuple[str, ...]] = {
    MilestoneActionKind.SERVICE_REQUEST: ("request_type", "assignee"),
    MilestoneActionKind.ONE_OFF_CHARGE: ("line_item_type", *CHARGE_AMOUNTS),
    MilestoneActionKind.ALERT: ("text",),
    MilestoneActionKind.NOTICE: ("template",),
    MilestoneActionKind.LOG: ("text",),
    MilestoneActionKind.DEPOSIT_DEMAND: ("line_item_type", *CHARGE_AMOUNTS),
    MilestoneActionKind.ONE_OFF_PENALTY: ("line_item_type", *CHARGE_AMOUNTS),
    MilestoneActionKind.CREDIT_RATING: ("points",),
}
"""The parameters each kind uses (every other one is refused); all are required but a charge's amounts."""


class DurationUnit(StrEnum):
    """How a milestone's duration is counted."""

    CALENDAR = "calendar"
    BUSINESS = "business"
    """Monday to Friday, without the holidays of the scheme's country and state."""


class BalanceBasis(StrEnum):
    """Which balance a milestone's amount is compared with."""

    ENTRY = "entry"
    """The balance the account had when it entered the scheme."""
    DELINQUENT = "delinquent"
    """The account's balance on the day (what it owes now)."""


class JumpActions(StrEnum):
    """Which entry actions run when an account jumps past several milestones in one run."""

    EACH = "each"
    """The entry actions of every milestone passed, in order."""
    LAST = "last"
    """Only those of the milestone reached."""


@dataclass(frozen=True, slots=True)
class MilestoneAction:
    """One action of a milestone: its kind, when it is performed, an optional condition, its parameters.

    Parameters by kind: service request — ``request_type`` and ``assignee`` (a collector or group); one-off
    charge, deposit demand, one-off penalty — ``line_item_type`` and ``amount_cents`` or ``percent_of_balance``;
    alert and log — ``text``; notice — ``template`` (a letter template); credit rating — ``points``.
    """

    kind: MilestoneActionKind
    perform_on: PerformOn = PerformOn.ENTRY
    condition: str | None = None
    request_type: str | None = None
    assignee: str | None = None
    line_item_type: str | None = None
    amount_cents: int | None = None
    percent_of_balance: int | None = None
    text: str | None = None
    template: str | None = None
    points: int | None = None

    def charge_cents(self, balance_cents: int) -> int:
        """The amount a charge kind posts: the fixed amount, or the percentage of the balance rounded up."""
        if self.amount_cents is not None:
            return self.amount_cents
        percent = self.percent_of_balance or 0
        return max(0, math.ceil(balance_cents * percent / 100))

    def describe(self) -> str:
        """The action in words, for the collections actions summary and the account's history."""
        match self.kind:
            case MilestoneActionKind.SERVICE_REQUEST:
                return f"service request '{self.request_type}' for {self.assignee}"
            case MilestoneActionKind.ONE_OFF_CHARGE:
                return f"one-off charge '{self.line_item_type}' of {self._amount()}"
            case MilestoneActionKind.DEPOSIT_DEMAND:
                return f"deposit demand '{self.line_item_type}' of {self._amount()}"
            case MilestoneActionKind.ONE_OFF_PENALTY:
                return f"one-off penalty '{self.line_item_type}' of {self._amount()}"
            case MilestoneActionKind.ALERT:
                return f"alert '{self.text}'"
            case MilestoneActionKind.NOTICE:
                return f"notice '{self.template}'"
            case MilestoneActionKind.LOG:
                return f"log '{self.text}'"
            case MilestoneActionKind.CREDIT_RATING:
                return f"{self.points} credit points"

    def _amount(self) -> str:
        if self.amount_cents is not None:
            return f"${self.amount_cents / 100:,.2f}"
        return f"{self.percent_of_balance}% of the balance"


@dataclass(frozen=True, slots=True)
class Milestone:
    """One stage of a scheme: what reaches it, how long it lasts, when it decrements and resolves, its actions."""

    name: str
    days_past_due: int | None = None
    """Reached when the account is at least this many days past due."""
    amount_cents: int | None = None
    """Reached when the scheme's balance is at least this amount."""
    condition: str | None = None
    """Reached when this formula (condition language) holds."""
    duration_days: int = 0
    """Days the account stays before the next milestone may be reached."""
    duration_unit: DurationUnit = DurationUnit.CALENDAR
    decrement_condition: str | None = None
    """Decrement when this formula holds; without it, when what reaches the milestone no longer holds."""
    resolve_below_cents: int | None = None
    """Resolve ("formula or below amount") when the balance is below this amount."""
    resolve_condition: str | None = None
    """Resolve ("formula or below amount") when this formula holds."""
    reversal_milestone: str | None = None
    """The milestone a payment reversal (NSF) returns the account to; None: it stays where it is."""
    actions: tuple[MilestoneAction, ...] = ()

    def reach_text(self) -> str:
        """What reaches the milestone as one condition of the condition language (without the amount, which
        is compared with the scheme's balance basis)."""
        parts = []
        if self.days_past_due is not None:
            parts.append(f"days_past_due >= {self.days_past_due}")
        if self.condition is not None and self.condition.strip():
            parts.append(f"({self.condition})")
        return " AND ".join(parts) or "TRUE"

    def actions_on(self, event: PerformOn) -> tuple[tuple[int, MilestoneAction], ...]:
        """The actions performed on ``event``, with their position (1-based, as the summary numbers them)."""
        return tuple((number, a) for number, a in enumerate(self.actions, start=1) if a.perform_on is event)


@dataclass(frozen=True, slots=True)
class Scheme:
    """A collections scheme: who enters it, its ordered milestones and how accounts move through them."""

    code: str
    name: str
    milestones: tuple[Milestone, ...]
    portfolio: str | None = None
    """The portfolio it belongs to; None: the enterprise (every portfolio without a scheme of its own)."""
    track: Track = Track.GUARANTOR
    entry_condition: str | None = None
    min_entry_cents: int = 0
    """The account enters only if its amount is strictly greater."""
    balance_basis: BalanceBasis = BalanceBasis.ENTRY
    jump: bool = False
    """Jump straight to the highest milestone that applies (otherwise one step per run)."""
    jump_actions: JumpActions = JumpActions.EACH
    holds_auto_resolve: bool = False
    """Held accounts may still decrement and resolve automatically (they never increment)."""
    holiday_country: str = "US"
    """The country whose public holidays business-day durations skip (ISO 3166 code)."""
    holiday_state: str = ""
    """The state or province within it whose holidays are skipped too (empty: the country's only)."""
    inactive: bool = False

    def index(self, name: str) -> int | None:
        """The position (0-based) of the milestone of that name."""
        return next((i for i, m in enumerate(self.milestones) if m.name == name), None)


@dataclass(frozen=True, slots=True)
class CreditLevel:
    """A credit rating level: a party with at least ``min_points`` (and fewer than the next level's) has it."""

    name: str
    min_points: int


@dataclass(frozen=True, slots=True)
class CreditRating:
    """Credit rating setup: levels by minimum accumulated points, and a look-back (None: the whole history)."""

    levels: tuple[CreditLevel, ...] = (CreditLevel("Gold", 0), CreditLevel("Silver", 50), CreditLevel("Bronze", 100))
    lookback_days: int | None = 730

    def level(self, points: int) -> str:
        """The level of a party with ``points`` (more points, worse rating)."""
        found = self.levels[0].name if self.levels else ""
        for level in sorted(self.levels, key=lambda each: each.min_points):
            if points >= level.min_points:
                found = level.name
        return found

    def counted(self, awarded_on: date, as_of: date) -> bool:
        """True when points awarded on ``awarded_on`` count toward the level on ``as_of`` (within the look-back)."""
        return self.lookback_days is None or (as_of - awarded_on).days < self.lookback_days


# ------------------------------------------------------------------------------------------- the rule


class Move(StrEnum):
    """What happens to an account in a scheme today."""

    STAY = "stay"
    ENTER = "enter"
    INCREMENT = "increment"
    DECREMENT = "decrement"
    RESOLVE_FULL_PAYMENT = "resolve_full_payment"
    RESOLVE_FORMULA = "resolve_formula"
    REVERSAL = "reversal"


@dataclass(frozen=True, slots=True)
class MilestoneState:
    """Where an account stands in a scheme: the milestone (0-based; None before the first) and since when."""

    scheme: str
    milestone: int | None
    reached_on: date
    entry_balance_cents: int
    moved_on: date | None = None
    """The last day the account moved in the scheme: it moves at most once a day, so a rerun moves nothing."""
    resolved: bool = False
    """The account left the scheme (on ``moved_on``); it may enter again from the next day."""


@dataclass(frozen=True, slots=True)
class MilestoneStep:
    """Where :func:`milestone_step` sends an account today, and why."""

    move: Move
    milestone: int | None
    """The milestone after the move (0-based; None: before the first, or out of the scheme)."""
    passed: tuple[int, ...] = ()
    """The milestones entered, in order (several when a jump passes them; their entry actions may run)."""
    reason: str = ""


def reaches(scheme: Scheme, milestone: Milestone, row: Mapping[str, object], basis_cents: int) -> bool:
    """True when what reaches ``milestone`` holds for the account's row (the amount against ``basis_cents``)."""
    if milestone.amount_cents is not None and basis_cents < milestone.amount_cents:
        return False
    return evaluate(account_condition(milestone.reach_text()), row)


def enters(scheme: Scheme, row: Mapping[str, object]) -> bool:
    """True when the account enters the scheme: its balance is strictly greater than the minimum entry amount
    and the entry condition holds."""
    balance = row.get("balance")
    if not isinstance(balance, int) or balance <= scheme.min_entry_cents:
        return False
    return scheme.entry_condition is None or evaluate(account_condition(scheme.entry_condition), row)


def next_allowed(scheme: Scheme, milestone: Milestone, reached_on: date) -> date:
    """The first day the milestone after ``milestone`` may be reached (its duration counted from ``reached_on``)."""
    if milestone.duration_unit is DurationUnit.BUSINESS:
        return add_business_days(reached_on, milestone.duration_days, scheme.holiday_country, scheme.holiday_state)
    return add_days(reached_on, milestone.duration_days)


def _highest(scheme: Scheme, row: Mapping[str, object], basis: int) -> int | None:
    found = None
    for index, milestone in enumerate(scheme.milestones):
        if reaches(scheme, milestone, row, basis):
            found = index
    return found


def _resolution(scheme: Scheme, current: Milestone | None, row: Mapping[str, object]) -> Move | None:
    balance = row.get("balance")
    if isinstance(balance, int) and balance <= 0:
        return Move.RESOLVE_FULL_PAYMENT
    if current is None:
        return None
    if current.resolve_below_cents is not None and isinstance(balance, int) and balance < current.resolve_below_cents:
        return Move.RESOLVE_FORMULA
    if current.resolve_condition is not None and evaluate(account_condition(current.resolve_condition), row):
        return Move.RESOLVE_FORMULA
    return None


def milestone_step(
    scheme: Scheme,
    state: MilestoneState | None,
    row: Mapping[str, object],
    as_of: date,
    *,
    held: bool = False,
    reversed_payment: bool = False,
) -> MilestoneStep:
    """Where the account with this feature ``row`` goes in ``scheme`` on ``as_of`` (the one rule).

    An account moves at most once a day (``state.moved_on``), so running the same date again moves nothing.
    Out of the scheme (``state`` None, resolved, or of another scheme): it enters when :func:`enters` holds,
    at the first milestone that applies (the highest, when the scheme jumps). In it, in this order: a zero or
    negative balance resolves it by full payment; the current milestone's resolve rule (below amount,
    formula) resolves it; a payment reversal returns it to the milestone configured; the decrement rule moves
    it down to the highest milestone that still applies; otherwise it increments to the next milestone when
    that applies and the current milestone's duration has elapsed — one step per run, or to the highest that
    applies when the scheme jumps. A held account moves only when the scheme lets holds decrement and
    resolve, and then never up.
    """
    if state is not None and state.moved_on is not None and state.moved_on >= as_of:
        return MilestoneStep(Move.STAY, state.milestone, (), "already moved today")
    if state is not None and (state.resolved or state.scheme != scheme.code):
        state = None
    if state is None:
        if held or not enters(scheme, row):
            return MilestoneStep(Move.STAY, None)
        balance = row.get("balance")
        basis = balance if isinstance(balance, int) else 0
        highest = _highest(scheme, row, basis)
        if highest is None:
            return MilestoneStep(Move.ENTER, None, (), "entered the scheme; no milestone applies yet")
        target = highest if scheme.jump else 0
        return MilestoneStep(Move.ENTER, target, tuple(range(target + 1)), _reached(scheme, target))
    current = scheme.milestones[state.milestone] if state.milestone is not None else None
    if held and not scheme.holds_auto_resolve:
        return MilestoneStep(Move.STAY, state.milestone, (), "on hold")
    resolution = _resolution(scheme, current, row)
    if resolution is not None:
        why = "balance paid in full" if resolution is Move.RESOLVE_FULL_PAYMENT else "resolve rule of the milestone"
        return MilestoneStep(resolution, None, (), why)
    if reversed_payment and current is not None and current.reversal_milestone is not None:
        back = scheme.index(current.reversal_milestone)
        if back is not None and back != state.milestone:
            why = f"payment reversed: back to '{current.reversal_milestone}'"
            return MilestoneStep(Move.REVERSAL, back, (back,), why)
    basis = _basis(scheme, state, row)
    highest = _highest(scheme, row, basis)
    if current is not None and state.milestone is not None and _decrements(scheme, current, row, basis):
        lower = highest if highest is not None and highest < state.milestone else None
        if current.decrement_condition is not None and lower is None and state.milestone > 0:
            lower = state.milestone - 1
        return MilestoneStep(Move.DECREMENT, lower, (), f"'{current.name}' no longer applies")
    if held:
        return MilestoneStep(Move.STAY, state.milestone, (), "on hold")
    position = -1 if state.milestone is None else state.milestone
    if highest is None or highest <= position:
        return MilestoneStep(Move.STAY, state.milestone)
    if current is not None and as_of < next_allowed(scheme, current, state.reached_on):
        return MilestoneStep(Move.STAY, state.milestone, (), f"duration of '{current.name}' not elapsed")
    target = highest if scheme.jump else position + 1
    return MilestoneStep(Move.INCREMENT, target, tuple(range(position + 1, target + 1)), _reached(scheme, target))


def _basis(scheme: Scheme, state: MilestoneState, row: Mapping[str, object]) -> int:
    if scheme.balance_basis is BalanceBasis.ENTRY:
        return state.entry_balance_cents
    balance = row.get("balance")
    return balance if isinstance(balance, int) else 0


def _decrements(scheme: Scheme, current: Milestone, row: Mapping[str, object], basis: int) -> bool:
    if current.decrement_condition is not None:
        return evaluate(account_condition(current.decrement_condition), row)
    return not reaches(scheme, current, row, basis)


def _reached(scheme: Scheme, index: int) -> str:
    milestone = scheme.milestones[index]
    return f"reached '{milestone.name}' ({milestone.reach_text()})"


def describe_move(scheme: Scheme, move: Move, previous: int | None, target: int | None) -> str:
    """Why an account moved, in words, for its history and for explain."""
    def named(index: int | None) -> str:
        return f"'{scheme.milestones[index].name}'" if index is not None else "no milestone"

    match move:
        case Move.ENTER | Move.INCREMENT:
            if target is None:
                return f"entered scheme '{scheme.code}'; no milestone applies yet"
            return f"reached {named(target)} ({scheme.milestones[target].reach_text()})"
        case Move.REVERSAL:
            return f"payment reversed: back to {named(target)}"
        case Move.DECREMENT:
            return f"{named(previous)} no longer applies: down to {named(target)}"
        case Move.RESOLVE_FULL_PAYMENT:
            return "balance paid in full"
        case Move.RESOLVE_FORMULA:
            milestone = scheme.milestones[previous] if previous is not None else None
            below = milestone.resolve_below_cents if milestone is not None else None
            rule = f"balance below ${below / 100:,.2f}" if below is not None else "the resolve formula"
            condition = milestone.resolve_condition if milestone is not None else None
            return f"resolve rule of {named(previous)}: {rule}" + (f" or {condition}" if condition else "")
        case Move.STAY:
            return "no move"


def explain_state(scheme: Scheme, state: MilestoneState | None, as_of: date, why: str = "") -> str:
    """The account's place in ``scheme`` in words: the milestone and why, and what the next one needs and when."""
    if state is None or state.scheme != scheme.code:
        condition = f" and {scheme.entry_condition}" if scheme.entry_condition else ""
        return (f"scheme '{scheme.code}': not in it; enters when the balance is more than "
                f"${scheme.min_entry_cents / 100:,.2f}{condition}")  # fmt: skip
    if state.resolved:
        return f"scheme '{scheme.code}': resolved on {state.moved_on} ({why})"
    index = state.milestone
    where = f"milestone '{scheme.milestones[index].name}' since {state.reached_on}" if index is not None else (
        "in the scheme, before its first milestone"
    )  # fmt: skip
    text = f"scheme '{scheme.code}': {where}" + (f" ({why})" if why else "")
    following = 0 if index is None else index + 1
    if following < len(scheme.milestones):
        milestone = scheme.milestones[following]
        needs = milestone.reach_text()
        if milestone.amount_cents is not None:
            needs += f" and a {scheme.balance_basis.value} balance of ${milestone.amount_cents / 100:,.2f} or more"
        current = scheme.milestones[index] if index is not None else None
        earliest = next_allowed(scheme, current, state.reached_on) if current is not None else as_of
        text += f"; next '{milestone.name}' needs {needs}, not before {max(earliest, as_of)}"
    return text


@dataclass(frozen=True, slots=True)
class ActionSummaryLine:
    """One line of a scheme's read-only collections actions summary."""

    milestone: str
    number: int
    kind: str
    perform_on: str
    condition: str
    action: str


def actions_summary(scheme: Scheme) -> tuple[ActionSummaryLine, ...]:
    """Every action of every milestone of ``scheme``, in order (seed 004's Collections Actions node)."""
    return tuple(
        ActionSummaryLine(milestone.name, number, action.kind.value, action.perform_on.label, action.condition or "",
                          action.describe())
        for milestone in scheme.milestones
        for number, action in enumerate(milestone.actions, start=1)
    )  # fmt: skip


def scheme_for(schemes: Collection[Scheme], portfolio: str, track: Track = Track.GUARANTOR) -> Scheme | None:
    """The active scheme of the portfolio on ``track``: its own, else the enterprise's (the first of each)."""
    active = [s for s in schemes if not s.inactive and s.track is track]
    own = next((s for s in active if s.portfolio == portfolio), None)
    return own or next((s for s in active if s.portfolio is None), None)


# ------------------------------------------------------------------------------------------ validation


def _condition(path: str, text: str | None) -> Iterator[tuple[str, str]]:
    if text is None:
        return
    if not text.strip():
        yield path, "must not be empty (leave it out instead)"
        return
    try:
        account_condition(text)
    except ConditionError as error:
        for issue in error.issues:
            yield path, str(issue)


def _key(path: str, value: str, limit: int) -> Iterator[tuple[str, str]]:
    if not value.strip():
        yield path, "is required"
    elif value != value.strip():
        yield path, "must not start or end with spaces"
    elif len(value) > limit:
        yield path, f"must be between 1 and {limit} characters"


def _between(path: str, value: int | None, low: int, high: int) -> Iterator[tuple[str, str]]:
    if value is not None and not low <= value <= high:
        yield path, f"must be between {low} and {high}"


def _action_problems(base: str, action: MilestoneAction, known: _Known) -> Iterator[tuple[str, str]]:
    yield from _condition(f"{base}.condition", action.condition)
    kind = action.kind
    for name in ACTION_PARAMETER_NAMES:
        value = getattr(action, name)
        used = name in ACTION_PARAMETERS[kind]
        needed = used and name not in CHARGE_AMOUNTS  # a charge gives one of its two amounts (checked below)
        if needed and (value is None or (isinstance(value, str) and not value.strip())):
            yield f"{base}.{name}", f"is required for a {kind.value.replace('_', ' ')}"
        elif value is not None and not used:
            yield f"{base}.{name}", f"is not used by a {kind.value.replace('_', ' ')}"
    if kind in CHARGE_KINDS:
        if (action.amount_cents is None) == (action.percent_of_balance is None):
            yield f"{base}.amount", "give either a fixed amount or percent_of_balance"
        if action.amount_cents is not None and action.amount_cents <= 0:
            yield f"{base}.amount", "must be more than $0.00"
        yield from _between(f"{base}.percent_of_balance", action.percent_of_balance, PERCENT_MIN, PERCENT_MAX)
    yield from _between(f"{base}.points", action.points, POINTS_MIN, POINTS_MAX)
    if action.assignee and known.assignees is not None and action.assignee not in known.assignees:
        yield f"{base}.assignee", f"names an unknown collector or group '{action.assignee}'"
    if action.template and known.letters is not None and action.template not in known.letters:
        yield f"{base}.template", f"names an unknown letter template '{action.template}'"


def _milestone_problems(base: str, scheme: Scheme, milestone: Milestone, known: _Known) -> Iterator[tuple[str, str]]:
    yield from _key(f"{base}.name", milestone.name, NAME_MAX_LENGTH)
    if milestone.days_past_due is None and milestone.amount_cents is None and milestone.condition is None:
        yield base, "must say what reaches it: days_past_due, amount or condition"
    yield from _between(f"{base}.days_past_due", milestone.days_past_due, 0, DAYS_PAST_DUE_MAX)
    yield from _between(f"{base}.duration_days", milestone.duration_days, 0, DURATION_DAYS_MAX)
    if milestone.amount_cents is not None and milestone.amount_cents < 0:
        yield f"{base}.amount", "must not be negative"
    if milestone.resolve_below_cents is not None and milestone.resolve_below_cents <= 0:
        yield f"{base}.resolve_below", "must be more than $0.00"
    for name in ("condition", "decrement_condition", "resolve_condition"):
        yield from _condition(f"{base}.{name}", getattr(milestone, name))
    if milestone.reversal_milestone is not None and scheme.index(milestone.reversal_milestone) is None:
        names = ", ".join(m.name for m in scheme.milestones)
        unknown = f"names an unknown milestone '{milestone.reversal_milestone}' (known: {names})"
        yield f"{base}.reversal_milestone", unknown
    for number, action in enumerate(milestone.actions, start=1):
        yield from _action_problems(f"{base}.actions[{number}]", action, known)


@dataclass(frozen=True, slots=True)
class _Known:
    portfolios: frozenset[str] | None
    assignees: frozenset[str] | None
    letters: frozenset[str] | None


def scheme_problems(
    schemes: tuple[Scheme, ...],
    portfolios: Collection[str] | None = None,
    assignees: Collection[str] | None = None,
    letters: Collection[str] | None = None,
) -> Iterator[tuple[str, str]]:
    """Every (path, rule) the schemes break: codes, milestones in order of days past due, durations, formulas,
    action parameters, the milestone a reversal returns to, and (when given) unknown portfolios, collectors or
    groups and letter templates."""
    known = _Known(
        None if portfolios is None else frozenset(portfolios),
        None if assignees is None else frozenset(assignees),
        None if letters is None else frozenset(letters),
    )
    seen: set[str] = set()
    scopes: dict[tuple[str | None, Track], str] = {}
    for scheme in schemes:
        base = f"schemes[{scheme.code}]"
        yield from _key(f"{base}.code", scheme.code, CODE_MAX_LENGTH)
        if scheme.code in seen:
            yield base, f"scheme '{scheme.code}' is defined more than once"
        seen.add(scheme.code)
        if not scheme.name.strip():
            yield f"{base}.name", "is required"
        if scheme.portfolio is not None and known.portfolios is not None and scheme.portfolio not in known.portfolios:
            yield f"{base}.portfolio", f"names an unknown portfolio '{scheme.portfolio}'"
        scope = (scheme.portfolio, scheme.track)
        if not scheme.inactive:
            if scope in scopes:
                owner = f"portfolio '{scheme.portfolio}'" if scheme.portfolio else "the enterprise"
                yield base, f"{owner} already has the active {scheme.track.value} scheme '{scopes[scope]}'"
            scopes.setdefault(scope, scheme.code)
        if scheme.min_entry_cents < 0:
            yield f"{base}.min_entry_amount", "must not be negative"
        yield from _condition(f"{base}.entry_condition", scheme.entry_condition)
        problem = holiday_calendar_problem(scheme.holiday_country, scheme.holiday_state)
        if problem is not None:
            yield f"{base}.holidays", problem
        if not scheme.milestones:
            yield f"{base}.milestones", "must have at least one milestone"
        names: set[str] = set()
        previous_days: int | None = None
        for number, milestone in enumerate(scheme.milestones, start=1):
            path = f"{base}.milestones[{number}]"
            if milestone.name in names:
                yield f"{path}.name", f"milestone '{milestone.name}' is defined more than once"
            names.add(milestone.name)
            days = milestone.days_past_due
            if days is not None and previous_days is not None and days <= previous_days:
                yield f"{path}.days_past_due", f"must be more than the previous milestone's ({previous_days})"
            previous_days = days if days is not None else previous_days
            yield from _milestone_problems(path, scheme, milestone, known)


def credit_rating_problems(rating: CreditRating) -> Iterator[tuple[str, str]]:
    """Every (path, rule) the credit rating setup breaks: levels named once, the first from 0 points, rising
    minimums, a look-back of at least one day."""
    base = "credit_rating"
    if not rating.levels:
        yield f"{base}.levels", "must have at least one level"
    names: set[str] = set()
    previous: int | None = None
    for number, level in enumerate(rating.levels, start=1):
        path = f"{base}.levels[{number}]"
        yield from _key(f"{path}.name", level.name, NAME_MAX_LENGTH)
        if level.name in names:
            yield f"{path}.name", f"level '{level.name}' is defined more than once"
        names.add(level.name)
        if number == 1 and level.min_points != 0:
            yield f"{path}.min_points", "must be 0 for the first level (every party has a level)"
        elif previous is not None and level.min_points <= previous:
            yield f"{path}.min_points", f"must be more than the previous level's ({previous})"
        previous = level.min_points
    if rating.lookback_days is not None and rating.lookback_days < 1:
        yield f"{base}.lookback_days", "must be at least 1 (leave it out for the whole history)"
