"""The collections strategy configuration and its validation.

Everything the Collections Admin configures lives here as frozen dataclasses holding tuples (change them
with :func:`dataclasses.replace`): collectors and groups, users, letter templates, actions (seed 000), action
series (seed 001), and the guarantor collections entry policy with its task assignment (seed 003).

Nothing here raises on bad configuration: :func:`validate_strategy` returns every problem as a
:class:`ConfigError` naming the field (``actions[Call 1].follow_up_days``) and the rule
(``must be between 1 and 999``), so a service can refuse to save and show all of them at once.
:func:`usages` says who uses an entity, so a service can refuse a delete and explain why.

Conventions:

* amounts are integer cents in fields named ``*_cents`` (never floats);
* actions and series share one namespace of names (an assignment's default work may name either);
* numbers in paths and messages for series steps and assignment rules count from 1, as the admin pages do
  (``series[Guarantor Letters].steps[2].action``, "assignment rule 3"); :func:`match_assignment` returns a
  0-based index into ``TaskAssignment.rules``.

Pure: no I/O, no framework imports, no clock.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import StrEnum
from itertools import accumulate
from typing import Final, Literal, NamedTuple

from arrears.domain.compliance import LetterFlags
from arrears.domain.compliance_rules import CompliancePolicy, policy_problems
from arrears.domain.conditions import ConditionError, account_condition, evaluate, structured_condition
from arrears.domain.errors import Problem
from arrears.domain.plans import Plan, TransactionType, plan_problems, transaction_type_problems
from arrears.domain.promises import PromiseSettings, settings_problems
from arrears.domain.strategy.schemes import CreditRating, Scheme, credit_rating_problems, scheme_problems

# --------------------------------------------------------------------------------------------- limits

NAME_MAX_LENGTH = 60
"""Longest action or series name."""
FOLLOW_UP_DAYS_MIN, FOLLOW_UP_DAYS_MAX = 1, 999
"""Seed 000: "The number of follow-up days can be any number between 1-999"."""
STEP_DAYS_MIN, STEP_DAYS_MAX = 0, 999
"""Days until the next action of a series step."""
DAYS_MIN, DAYS_MAX = 0, 999
"""Seed 003: "Days value can be between 0 and 999"."""
PERCENT_MIN, PERCENT_MAX = 1, 100
"""Seed 003: "Percentage value must be between 1-100"."""
USER_LEVEL_MIN, USER_LEVEL_MAX = 0, 99
POINTS_MIN, POINTS_MAX = 1, 999
MIN_SERIES_STEPS = 2
"""Seed 001: "An Action Series must include two actions, at minimum"."""

AssignmentLevel = Literal["Enterprise", "Portfolio"]
EntityKind = Literal["action", "series", "letter", "collector", "group", "portfolio", "plan"]


# ---------------------------------------------------------------------------------------------- enums


class CollectionType(StrEnum):
    """Which collections an action or series serves."""

    GUARANTOR = "guarantor"
    INSURANCE = "insurance"
    GUARANTOR_INSURANCE = "guarantor_insurance"
    """Applicable to either guarantor or insurance collections (actions only)."""

    @property
    def label(self) -> str:
        return "guarantor/insurance" if self is CollectionType.GUARANTOR_INSURANCE else self.value

    def fits(self, context: CollectionType) -> bool:
        """True when something of this type may be used where *context* collections run.

        A guarantor/insurance action fits both; in a guarantor/insurance context (the next action of a
        guarantor/insurance action) only guarantor/insurance fits, because the context may be either.
        """
        if self is CollectionType.GUARANTOR_INSURANCE:
            return True
        return self is context


class ActionKind(StrEnum):
    """What an action does; each kind has its own parameters (see :data:`ACTION_PARAMETERS`)."""

    LETTER = "letter"
    PHONE_CALL = "phone_call"
    REVIEW = "review"
    NOTE = "note"
    STATUS_CHANGE = "status_change"
    FEE = "fee"
    SERVICE_REQUEST = "service_request"
    ALERT = "alert"
    EMAIL = "email"
    SMS = "sms"
    EXTERNAL_REFERRAL = "external_referral"
    RUN_PLAN = "run_plan"
    CREDIT_POINTS = "credit_points"
    CREDIT_REPORT = "credit_report"
    """Report the account to the credit bureaus (a third party): it passes the release gate's credit-reporting,
    medical-debt and 501(r) rules, and is recorded for the bureau file (``arrears credit-reports export``)."""


OPERATOR_KINDS: Final = frozenset({ActionKind.PHONE_CALL, ActionKind.REVIEW})
"""Operator-assisted kinds open into a collector's worklist; every other kind is performed automatically."""


class FinalAction(StrEnum):
    """How a series ends (seed 001)."""

    CUSTOM = "custom"
    EXTERNAL_COLLECTIONS = "external_collections"
    """The account drops into pending (external) collections; guarantor series only."""


class AssignmentType(StrEnum):
    """How accounts are distributed to collectors (seed 003)."""

    NAME_RANGE = "name_range"
    """By the first letter of the guarantor's last name (the default)."""
    BALANCE_RANGE = "balance_range"
    """By the account balance, inclusive ranges of cents."""


def final_actions_for(collection_type: CollectionType) -> tuple[FinalAction, ...]:
    """The final actions a series of *collection_type* may choose (seed 001)."""
    if collection_type is CollectionType.GUARANTOR:
        return (FinalAction.CUSTOM, FinalAction.EXTERNAL_COLLECTIONS)
    if collection_type is CollectionType.INSURANCE:
        return (FinalAction.CUSTOM,)
    return ()


# ----------------------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class CollectorGroup:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Collector:
    code: str
    name: str
    groups: tuple[str, ...] = ()
    """Codes of the collector groups this collector belongs to."""
    user_level: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class User:
    login: str
    name: str
    user_level: int = 0
    """0–99; drives plan access ranges."""


@dataclass(frozen=True, slots=True)
class LetterTemplate:
    """A collection letter (also the template of e-mail and SMS actions). ``body`` is Jinja2 text: HTML when
    it starts with a tag, else plain text; ``stylesheet`` is the CSS of a printed letter."""

    code: str
    name: str
    subject: str = ""
    body: str = ""
    validation_notice: bool = False
    """The validation notice (12 CFR 1006.34): the first letter of a guarantor case."""
    demands_payment: bool = False
    """It demands payment, so it waits for the end of the validation period."""
    cease_notice: bool = False
    """A notice allowed after a cease-communication request (collection stops, or a remedy is invoked)."""
    eca_notice: bool = False
    """A nonprofit hospital's notice of extraordinary collection actions (501(r))."""
    stylesheet: str = ""
    response_days: int = 10
    """Business days the guarantor is given to respond: the letter's ``response_by`` date."""

    def flags(self) -> LetterFlags:
        """What the release gate reads about this template."""
        return LetterFlags(self.code, self.validation_notice, self.demands_payment, self.cease_notice,
                           self.eca_notice)  # fmt: skip


# ----------------------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class ActionParams:
    """The parameters of an action; which ones a kind needs is in :data:`ACTION_PARAMETERS`."""

    template_code: str | None = None
    """Letter template code (letter, email, sms)."""
    text: str | None = None
    """Note text, service request or alert text, or the script/notes of a phone call or review."""
    status_code: str | None = None
    """New status code (status_change)."""
    amount_cents: int | None = None
    """Fee amount, more than 0 (fee)."""
    description: str | None = None
    """Fee description (fee)."""
    agency: str | None = None
    """Agency name (external_referral)."""
    plan_code: str | None = None
    """Contact plan to run (run_plan)."""
    points: int | None = None
    """Credit points, 1–999 (credit_points)."""
    fallback_letter: str | None = None
    """Letter template sent instead when the party has no e-mail address or mobile phone (email, sms)."""

    def given(self) -> tuple[str, ...]:
        """Names of the parameters that are set (not None)."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not None)


ACTION_PARAMETERS: Mapping[ActionKind, tuple[frozenset[str], frozenset[str]]] = {
    ActionKind.LETTER: (frozenset({"template_code"}), frozenset()),
    ActionKind.PHONE_CALL: (frozenset(), frozenset({"text"})),
    ActionKind.REVIEW: (frozenset(), frozenset({"text"})),
    ActionKind.NOTE: (frozenset({"text"}), frozenset()),
    ActionKind.STATUS_CHANGE: (frozenset({"status_code"}), frozenset()),
    ActionKind.FEE: (frozenset({"amount_cents", "description"}), frozenset()),
    ActionKind.SERVICE_REQUEST: (frozenset({"text"}), frozenset()),
    ActionKind.ALERT: (frozenset({"text"}), frozenset()),
    ActionKind.EMAIL: (frozenset({"template_code"}), frozenset({"fallback_letter"})),
    ActionKind.SMS: (frozenset({"template_code"}), frozenset({"fallback_letter"})),
    ActionKind.EXTERNAL_REFERRAL: (frozenset({"agency"}), frozenset()),
    ActionKind.RUN_PLAN: (frozenset({"plan_code"}), frozenset()),
    ActionKind.CREDIT_POINTS: (frozenset({"points"}), frozenset()),
    ActionKind.CREDIT_REPORT: (frozenset(), frozenset()),
}
"""Per kind: (required parameters, optional parameters). Any other parameter given is an error."""


def _available(all_portfolios: bool, portfolios: tuple[str, ...], portfolio: str) -> bool:
    return all_portfolios or portfolio in portfolios


@dataclass(frozen=True, slots=True)
class Action:
    """A reusable collections step (seed 000). ``name`` is the key."""

    name: str
    collection_type: CollectionType
    kind: ActionKind
    params: ActionParams = ActionParams()
    letter: str | None = None
    """Code of the optional collection letter; for a letter action, empty or its ``params.template_code``."""
    next_action: str | None = None
    follow_up_days: int | None = None
    """1–999; required when ``next_action`` is set, not allowed otherwise."""
    inactive: bool = False
    portfolios: tuple[str, ...] = ()
    all_portfolios: bool = False
    """Seed "Select All": available to every portfolio, present and future."""

    @property
    def collection_letter(self) -> str | None:
        """The letter this action produces or carries: a letter action's template, else ``letter``."""
        if self.kind is ActionKind.LETTER and _given(self.params.template_code):
            return self.params.template_code
        return self.letter if _given(self.letter) else None

    def available_to(self, portfolio: str) -> bool:
        return _available(self.all_portfolios, self.portfolios, portfolio)


@dataclass(frozen=True, slots=True)
class SeriesStep:
    action: str
    days_until_next: int
    """0–999; for the last step, the days until the final action."""


@dataclass(frozen=True, slots=True)
class Series:
    """An ordered series of actions with days in between, and a final action (seed 001)."""

    name: str
    collection_type: CollectionType
    steps: tuple[SeriesStep, ...]
    final_action: FinalAction
    custom_action: str | None = None
    """Required when ``final_action`` is custom, not allowed otherwise."""
    inactive: bool = False
    portfolios: tuple[str, ...] = ()
    all_portfolios: bool = False

    @property
    def action_names(self) -> tuple[str, ...]:
        return tuple(step.action for step in self.steps)

    def available_to(self, portfolio: str) -> bool:
        return _available(self.all_portfolios, self.portfolios, portfolio)

    def step_letters(self, actions: Iterable[Action]) -> tuple[str | None, ...]:
        """The collection letter code each step shows (None for a step without a letter or unknown action)."""
        by_name = {action.name: action for action in actions}
        return tuple(by_name[step.action].collection_letter if step.action in by_name else None for step in self.steps)


def usable_in(
    used: Action | Series, context_type: CollectionType | None, all_portfolios: bool, portfolios: Iterable[str]
) -> bool:
    """True when *used* (an action or series) may be used by something of *context_type* (None: any type) for
    those portfolios, by the rule :func:`validate_strategy` checks: it fits the collection type and is available
    to every portfolio of what uses it (to all portfolios, present and future, when that is)."""
    if context_type is not None and not used.collection_type.fits(context_type):
        return False
    if used.all_portfolios:
        return True
    return not all_portfolios and all(code in used.portfolios for code in portfolios)


# ------------------------------------------------------------------------------------- entry policy


@dataclass(frozen=True, slots=True)
class EntryRules:
    """When a guarantor account enters internal collections (seed 003).

    Balance greater than $X, AND more than N days past due, AND no guarantor payment of $Y or Z%
    (whichever is higher) in the last D days. Defaults are the lowest valid values.
    """

    balance_over_cents: int = 0
    days_past_due_over: int = 0
    min_payment_cents: int = 0
    min_payment_percent: int = PERCENT_MIN
    payment_window_days: int = 0
    force_delinquent_plans: bool = False
    delinquent_grace_days: int = 0
    suspend_statements: bool = False
    notes_to_account_notes: bool = False
    """Force collection action notes to show as account notes."""
    insurance_claim_days_over: int | None = None
    """Insurance collections: an unpaid claim billed more than this many days ago (0–999) opens an insurance
    case; None leaves insurance collections off."""
    condition: str | None = None
    """An additional condition on the account (docs/conditions.md), ANDed with the rules above, e.g.
    ``NOT bankruptcy AND NOT deceased``: an account enters guarantor collections (by the rules or as a
    delinquent payment plan) only when it holds. None or blank: no condition."""

    def required_payment_cents(self, balance_cents: int) -> int:
        """The payment that keeps an account out: max($Y, Z% of the balance rounded up to the cent)."""
        percent_cents = -(-self.min_payment_percent * balance_cents // 100)
        return max(self.min_payment_cents, percent_cents)

    @property
    def rules_condition(self) -> str:
        """The rules as a condition, which the run evaluates:
        ``balance > 25 AND days_past_due > 45 AND largest_payment < required_payment``."""
        return _rules_condition(self.balance_over_cents, self.days_past_due_over)

    @property
    def has_condition(self) -> bool:
        """True when an additional :attr:`condition` is given."""
        return _given(self.condition)


@functools.lru_cache(maxsize=256)
def _rules_condition(balance_over_cents: int, days_past_due_over: int) -> str:
    # The seed's structured form (field, operator, value), the payment rule as a comparison of two fields.
    return " AND ".join(
        (
            structured_condition("balance", ">", Decimal(balance_over_cents) / 100),
            structured_condition("days_past_due", ">", days_past_due_over),
            "largest_payment < required_payment",
        )
    )


@dataclass(frozen=True, slots=True)
class AssignmentRule:
    """One row of the task assignment table (seed 003).

    For a name range, ``from_``/``to`` are single letters A–Z; for a balance range, cents (inclusive).
    Exactly one of ``collector`` and ``group``.
    """

    from_: str | int
    to: str | int
    collector: str | None = None
    group: str | None = None
    default_work: str | None = None
    """Name of the action or series this rule gives; empty or blank → the assignment's default action."""
    missed_plan_only: bool = False
    """Applies only to accounts delinquent in their payment plan (and is checked before the others)."""
    condition: str | None = None
    """An additional condition on the account (docs/conditions.md): the rule matches only when its range
    and its condition hold. None or blank: no condition."""

    @property
    def assignee(self) -> str:
        return (self.collector if _given(self.collector) else self.group) or ""

    @property
    def has_one_assignee(self) -> bool:
        """Exactly one of collector and group is given (blank counts as not given); other rules never match."""
        return _given(self.collector) != _given(self.group)

    @property
    def has_condition(self) -> bool:
        """True when an additional :attr:`condition` is given."""
        return _given(self.condition)

    def work(self, default_action: str) -> str:
        """The work this rule gives: its default work, else (none or blank) the assignment's default action."""
        return self.default_work if self.default_work is not None and _given(self.default_work) else default_action


@dataclass(frozen=True, slots=True)
class TaskAssignment:
    """How a portfolio's guarantor collections work is assigned (seed 003)."""

    assignment_type: AssignmentType = AssignmentType.NAME_RANGE
    default_collector: str = ""
    default_action: str = ""
    """Name of an action or a series."""
    rules: tuple[AssignmentRule, ...] = ()
    insurance_action: str = ""
    """Name of the insurance action or series that insurance cases start; required when insurance
    collections are on for the portfolio."""

    def with_assignment_type(
        self, assignment_type: AssignmentType
    ) -> tuple[TaskAssignment, tuple[AssignmentRule, ...]]:
        """Change the type; the rules are deleted (seed 003), and returned so the caller can say so."""
        if assignment_type == self.assignment_type:
            return self, ()
        return replace(self, assignment_type=assignment_type, rules=()), self.rules


@dataclass(frozen=True, slots=True)
class PortfolioCollections:
    """A portfolio's guarantor collections page (seed 003)."""

    portfolio: str
    collections_enabled: bool = True
    override_enterprise: bool = False
    rules: EntryRules | None = None
    """Required when ``override_enterprise``, not allowed otherwise."""
    assignment: TaskAssignment = TaskAssignment()


@dataclass(frozen=True, slots=True)
class EntryPolicy:
    """Enterprise entry rules and the per-portfolio settings."""

    enterprise: EntryRules = EntryRules()
    portfolios: tuple[PortfolioCollections, ...] = ()

    def portfolio(self, code: str) -> PortfolioCollections | None:
        return next((p for p in self.portfolios if p.portfolio == code), None)

    def collections_enabled(self, code: str) -> bool:
        """The "Collections Enabled" column; a portfolio without settings is not enabled."""
        settings = self.portfolio(code)
        return settings is not None and settings.collections_enabled

    def effective_rules(self, code: str) -> EntryRules | None:
        """The rules that apply to the portfolio, or None when its collections are not enabled."""
        settings = self.portfolio(code)
        if settings is None or not settings.collections_enabled:
            return None
        if settings.override_enterprise and settings.rules is not None:
            return settings.rules
        return self.enterprise

    def assignment_level(self, code: str) -> AssignmentLevel:
        """The "Assignment Level" column: Portfolio when it overrides the enterprise rules."""
        settings = self.portfolio(code)
        return "Portfolio" if settings is not None and settings.override_enterprise else "Enterprise"

    def assignment(self, code: str) -> TaskAssignment | None:
        """The portfolio's task assignment, or None when its collections are not enabled."""
        settings = self.portfolio(code)
        return settings.assignment if settings is not None and settings.collections_enabled else None


# ------------------------------------------------------------------------------------- assignment


class AssignmentMatch(NamedTuple):
    assignee: str
    """Code of a collector or of a collector group (the two share one namespace)."""
    work: str
    """Name of the action or series to create."""
    rule_index: int | None
    """0-based index into ``TaskAssignment.rules``; None when the defaults applied."""


NAME_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The characters skipped before a last name's first letter: every character Python calls a space
(``str.isspace``), spelled out so that the vectorized rules skip exactly the same ones."""


def name_initial(last_name: str) -> str | None:
    """The first letter A–Z of a last name (spaces skipped, accents removed, upper case); None when the name
    does not start with a letter. Name-range assignment rules compare it with their ends."""
    stripped = last_name.lstrip(NAME_WHITESPACE)
    if not stripped:
        return None
    return _letter(unicodedata.normalize("NFKD", stripped[0])[0])


def _letter(value: object) -> str | None:
    """The value as an upper-case letter A–Z, or None when it is not a single ASCII letter."""
    if isinstance(value, str) and len(value) == 1 and value.isascii() and value.isalpha():
        return value.upper()
    return None


def _cents(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _end(value: object, assignment_type: AssignmentType) -> int | None:
    """One end of a range as a number (a letter as its code point), or None when not valid for the type."""
    if assignment_type is AssignmentType.NAME_RANGE:
        letter = _letter(value)
        return None if letter is None else ord(letter)
    return _cents(value)


def rule_bounds(rule: AssignmentRule, assignment_type: AssignmentType) -> tuple[int, int] | None:
    """The rule's (from, to) as numbers (letters as code points, balances in cents), or None when it is not
    a valid range (such a rule never matches)."""
    low, high = _end(rule.from_, assignment_type), _end(rule.to, assignment_type)
    if low is None or high is None or low > high:
        return None
    return low, high


def _rule_matches(
    rule: AssignmentRule, assignment_type: AssignmentType, initial: str | None, balance_cents: int
) -> bool:
    bounds = rule_bounds(rule, assignment_type)
    if bounds is None:
        return False
    if assignment_type is AssignmentType.NAME_RANGE:
        return initial is not None and bounds[0] <= ord(initial) <= bounds[1]
    return bounds[0] <= balance_cents <= bounds[1]


def match_assignment(
    assignment: TaskAssignment,
    last_name: str,
    balance_cents: int,
    plan_delinquent: bool,
    account: Mapping[str, object] | None = None,
) -> AssignmentMatch:
    """Who gets an account and which work it starts (seed 003).

    Name ranges use the first letter of the guarantor's last name (any case, accents ignored; a name that
    does not start with a letter matches no rule); balance ranges are inclusive. Rules marked missed payment
    plan only apply when the plan is delinquent, and are checked first. Table order decides among the rest.
    A rule with a condition matches only when the condition holds on ``account`` (the account's fields, as
    the features row holds them; required when a rule has a condition). No rule → the default collector and
    default action; a rule without default work → the default action.
    """
    initial = name_initial(last_name)
    indexed = list(enumerate(assignment.rules))
    ordered = [(i, r) for i, r in indexed if r.missed_plan_only] if plan_delinquent else []
    ordered += [(i, r) for i, r in indexed if not r.missed_plan_only]
    for index, rule in ordered:
        if not rule.has_one_assignee:
            continue  # invalid rule: no assignee or two
        if not _rule_matches(rule, assignment.assignment_type, initial, balance_cents):
            continue
        if rule.has_condition and rule.condition is not None:
            if account is None:
                raise ValueError(f"assignment rule {index + 1} has a condition: pass the account's fields")
            if not evaluate(account_condition(rule.condition), account):
                continue
        return AssignmentMatch(rule.assignee, rule.work(assignment.default_action), index)
    return AssignmentMatch(assignment.default_collector, assignment.default_action, None)


def condition_texts(strategy: Strategy) -> frozenset[str]:
    """The account conditions of ``strategy`` as written (entry rules, their additional conditions, assignment
    rule conditions, milestone schemes)."""
    policy = strategy.entry_policy
    rules = [policy.enterprise, *(p.rules for p in policy.portfolios if p.rules is not None)]
    texts = [r.rules_condition for r in rules] + [r.condition for r in rules if r.has_condition]
    texts += [
        rule.condition for p in policy.portfolios for rule in p.assignment.rules if rule.has_condition
    ]  # fmt: skip
    for scheme in strategy.schemes:
        texts += [scheme.entry_condition]
        for m in scheme.milestones:
            texts += [m.reach_text(), m.decrement_condition, m.resolve_condition, *(a.condition for a in m.actions)]
    return frozenset(text for text in texts if text is not None)


def condition_fields(strategy: Strategy) -> frozenset[str]:
    """The names of the account fields that the conditions of ``strategy`` read: what the daily run must read for
    every account."""
    return frozenset(f.name for text in condition_texts(strategy) for f in account_condition(text).fields)


# ------------------------------------------------------------------------------------------ strategy


@dataclass(frozen=True, slots=True)
class Strategy:
    """The whole collections configuration."""

    collectors: tuple[Collector, ...] = ()
    groups: tuple[CollectorGroup, ...] = ()
    users: tuple[User, ...] = ()
    letters: tuple[LetterTemplate, ...] = ()
    actions: tuple[Action, ...] = ()
    series: tuple[Series, ...] = ()
    entry_policy: EntryPolicy = field(default_factory=EntryPolicy)
    compliance: CompliancePolicy = field(default_factory=CompliancePolicy)
    """The contact rules every outbound activity passes (US defaults unless configured)."""
    plans: tuple[Plan, ...] = ()
    """Contact plans (seed 002), by code."""
    transaction_types: tuple[TransactionType, ...] = ()
    """Transaction types linking ledger kinds to the plans a posted transaction runs."""
    schemes: tuple[Scheme, ...] = ()
    """Milestone schemes (seed 004)."""
    credit_rating: CreditRating = field(default_factory=CreditRating)
    """Credit rating levels and look-back (seed 004)."""
    promises: PromiseSettings = field(default_factory=PromiseSettings)
    """Promises to pay: default grace, plans per outcome, pausing series while a promise stands."""
    _index: tuple[dict[str, Action], dict[str, Series]] | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )
    """Actions and series by name, built on first use: the daily run looks them up for every activity."""
    _letters: dict[str, LetterTemplate] | None = field(default=None, init=False, repr=False, compare=False, hash=False)
    _plans: dict[str, Plan] | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def _names(self) -> tuple[dict[str, Action], dict[str, Series]]:
        if self._index is None:
            # Built from the end so that, as with a search from the start, the first of a duplicate name wins.
            actions = {a.name: a for a in reversed(self.actions)}
            series = {s.name: s for s in reversed(self.series)}
            object.__setattr__(self, "_index", (actions, series))
        assert self._index is not None
        return self._index

    def action(self, name: str) -> Action | None:
        return self._names()[0].get(name)

    def series_named(self, name: str) -> Series | None:
        return self._names()[1].get(name)

    def work(self, name: str) -> Action | Series | None:
        """The action or series of that name (actions and series share one namespace)."""
        return self.action(name) or self.series_named(name)

    def letter(self, code: str) -> LetterTemplate | None:
        if self._letters is None:
            # Built on first use, first of a duplicate code winning: the run asks for every letter it sends.
            object.__setattr__(self, "_letters", {t.code: t for t in reversed(self.letters)})
        assert self._letters is not None
        return self._letters.get(code)

    def collector(self, code: str) -> Collector | None:
        return next((c for c in self.collectors if c.code == code), None)

    def plan(self, code: str) -> Plan | None:
        """The contact plan of that code."""
        return self.plan_index().get(code)

    def transaction_plans(self) -> dict[str, str]:
        """Ledger kind → the plan a transaction of that kind runs (transaction types with a plan)."""
        return {t.kind: t.plan for t in self.transaction_types if t.plan}

    def plan_index(self) -> Mapping[str, Plan]:
        """Contact plans by code (the first of a duplicate code wins), built on first use."""
        if self._plans is None:
            object.__setattr__(self, "_plans", {p.code: p for p in reversed(self.plans)})
        assert self._plans is not None
        return self._plans

    def scheme(self, code: str) -> Scheme | None:
        """The milestone scheme of that code."""
        return next((s for s in self.schemes if s.code == code), None)

    def group(self, code: str) -> CollectorGroup | None:
        return next((g for g in self.groups if g.code == code), None)

    def assignee_problem(self, code: str, location: str = "collector") -> Problem | None:
        """Why work cannot be given to (or listed for) ``code``: it is neither a collector nor a group of this
        configuration; None when it is one."""
        if self.collector(code) is not None or self.group(code) is not None:
            return None
        known = ", ".join([c.code for c in self.collectors] + [g.code for g in self.groups]) or "none configured"
        return Problem(location, f"is not a collector or group (known: {known})", code)

    def action_label(self, name: str) -> str:
        """Seed 001: an action's name with its collection letter's name in parentheses, if it has one."""
        action = self.action(name)
        code = action.collection_letter if action is not None else None
        if code is None:
            return name
        template = self.letter(code)
        return f"{name} ({template.name if template is not None else code})"


@dataclass(frozen=True, slots=True)
class ConfigError:
    """One problem: the field (``actions[Call 1].follow_up_days``) and the rule it breaks."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}"

    def as_problem(self) -> Problem:
        """This error in the one problem shape."""
        return Problem(self.path, self.rule)


# --------------------------------------------------------------------------------------- references

_Target = Literal["action", "series", "work", "letter", "collector", "group", "portfolio", "plan"]

_TARGET_LABELS: Mapping[_Target, str] = {
    "action": "action",
    "series": "series",
    "work": "action or series",
    "letter": "letter template",
    "collector": "collector",
    "group": "group",
    "portfolio": "portfolio",
    "plan": "plan",
}


@dataclass(frozen=True, slots=True)
class _Ref:
    target: _Target
    name: str
    owner: str
    """``action[X]``, ``series[X]``, ``collector[X]`` or ``portfolio[X]``: who holds the reference."""
    owner_active: bool
    path: str
    phrase: str
    """Completes "<kind> '<name>' ..." in :func:`usages`."""


def _given(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _references(strategy: Strategy) -> Iterator[_Ref]:
    """Every reference from one configured entity to another, in configuration order."""
    # per owner: (owner, owner active, [(target, referenced name, path, phrase), ...])
    owners: list[tuple[str, bool, list[tuple[_Target, str | None, str, str]]]] = []
    for action in strategy.actions:
        base, of = f"actions[{action.name}]", f"of action '{action.name}'"
        template = action.params.template_code
        found: list[tuple[_Target, str | None, str, str]] = []
        if action.kind in (ActionKind.LETTER, ActionKind.EMAIL, ActionKind.SMS):
            found.append(("letter", template, f"{base}.params.template_code", f"is the {action.kind} template {of}"))
        if action.params.fallback_letter is not None:
            found.append(("letter", action.params.fallback_letter, f"{base}.params.fallback_letter",
                          f"is the fallback letter {of}"))  # fmt: skip
        if not (action.kind is ActionKind.LETTER and action.letter == template):
            found.append(("letter", action.letter, f"{base}.letter", f"is the collection letter {of}"))
        found.append(("action", action.next_action, f"{base}.next_action", f"is the next action {of}"))
        if action.kind is ActionKind.RUN_PLAN:
            found.append(("plan", action.params.plan_code, f"{base}.params.plan_code", f"is the plan run {of}"))
        found += [("portfolio", code, f"{base}.portfolios", f"is a portfolio {of}") for code in action.portfolios]
        owners.append((f"action[{action.name}]", not action.inactive, found))
    for series in strategy.series:
        base, of = f"series[{series.name}]", f"of series '{series.name}'"
        found = [
            ("action", step.action, f"{base}.steps[{number}].action", f"is step {number} {of}")
            for number, step in enumerate(series.steps, start=1)
        ]
        found.append(("action", series.custom_action, f"{base}.custom_action", f"is the custom final action {of}"))
        found += [("portfolio", code, f"{base}.portfolios", f"is a portfolio {of}") for code in series.portfolios]
        owners.append((f"series[{series.name}]", not series.inactive, found))
    for collector in strategy.collectors:
        path, of = f"collectors[{collector.code}].groups", f"of collector '{collector.code}'"
        found = [("group", group, path, f"is a group {of}") for group in collector.groups]
        owners.append((f"collector[{collector.code}]", collector.active, found))
    for settings in strategy.entry_policy.portfolios:
        code, assignment = settings.portfolio, settings.assignment
        base, of = f"entry_policy.portfolios[{code}]", f"of portfolio '{code}'"
        found = [
            ("portfolio", code, f"{base}.portfolio", "has guarantor collections settings"),
            ("collector", assignment.default_collector, f"{base}.assignment.default_collector",
             f"is the default collector {of}"),
            ("work", assignment.default_action, f"{base}.assignment.default_action", f"is the default action {of}"),
            ("work", assignment.insurance_action, f"{base}.assignment.insurance_action",
             f"is the insurance action {of}"),
        ]  # fmt: skip
        for number, rule in enumerate(assignment.rules, start=1):
            path, of_rule = f"{base}.assignment.rules[{number}]", f"of assignment rule {number} {of}"
            found += [
                ("collector", rule.collector, f"{path}.collector", f"is the collector {of_rule}"),
                ("group", rule.group, f"{path}.group", f"is the group {of_rule}"),
                ("work", rule.default_work, f"{path}.default_work", f"is the default work {of_rule}"),
            ]
        owners.append((f"portfolio[{code}]", settings.collections_enabled, found))
    for plan in strategy.plans:
        found = []
        for event in plan.events:
            path, of = f"plans[{plan.code}].events[{event.sequence}].description", f"of plan '{plan.code}'"
            if event.type.value in ("letter", "email", "sms"):
                found.append(("letter", event.description, path, f"is the template of event {event.sequence} {of}"))
            elif event.type.value == "run_plan":
                found.append(("plan", event.description, path, f"is run by event {event.sequence} {of}"))
        owners.append((f"plan[{plan.code}]", True, found))
    for kind in strategy.transaction_types:
        path, phrase = f"transaction_types[{kind.code}].plan", f"is run by transaction type '{kind.code}'"
        owners.append((f"transaction_type[{kind.code}]", True, [("plan", kind.plan, path, phrase)]))
    promised: list[tuple[_Target, str | None, str, str]] = [
        ("plan", code, f"promises.plans.{outcome.value}", f"is run by a {outcome.value} promise")
        for outcome, code in strategy.promises.plans
    ]
    for own in strategy.promises.portfolios:
        promised += [("plan", code, f"promises.portfolios[{own.portfolio}].plans.{outcome.value}",
                      f"is run by a {outcome.value} promise of portfolio '{own.portfolio}'")
                     for outcome, code in own.plans]  # fmt: skip
    owners.append(("promises", True, promised))
    for owner, active, found in owners:
        for target, name, path, phrase in found:
            if name is not None and _given(name):
                yield _Ref(target, name, owner, active, path, phrase)


def usages(strategy: Strategy, kind: EntityKind, name: str) -> tuple[str, ...]:
    """Readable descriptions of everything in *strategy* that uses the entity (empty: free to delete).

    e.g. ``"action 'Call 1' is step 2 of series 'Guarantor Letters'"`` or
    ``"collector 'ann' is the default collector of portfolio 'NORTH'"``.
    """
    action_names = {a.name for a in strategy.actions}
    series_names = {s.name for s in strategy.series}
    neither = name not in action_names and name not in series_names
    work = (kind == "action" and (name in action_names or neither)) or (
        kind == "series" and (name in series_names or neither)
    )
    found: list[str] = []
    for ref in _references(strategy):
        if ref.name == name and (ref.target == kind or (work and ref.target == "work")):
            text = f"{kind} '{name}' {ref.phrase}"
            if text not in found:
                found.append(text)
    return tuple(found)


# --------------------------------------------------------------------------------------- validation


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Validator:
    def __init__(
        self,
        strategy: Strategy,
        portfolios: Collection[str] | None,
        previous: Strategy | None,
    ) -> None:
        self.strategy = strategy
        self.portfolios = None if portfolios is None else frozenset(portfolios)
        self.plans = frozenset(p.code for p in strategy.plans)
        self.previous = previous
        self.errors: list[ConfigError] = []
        self.actions: dict[str, Action] = {}
        for action in strategy.actions:
            self.actions.setdefault(action.name, action)
        self.series: dict[str, Series] = {}
        for series in strategy.series:
            self.series.setdefault(series.name, series)

    def error(self, path: str, rule: str) -> None:
        self.errors.append(ConfigError(path, rule))

    # ---- field checks

    def key(self, path: str, value: object, max_length: int | None = None) -> None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, "is required")
        elif value != value.strip():
            self.error(path, "must not start or end with spaces")
        elif max_length is not None and len(value) > max_length:
            self.error(path, f"must be between 1 and {max_length} characters")

    def text(self, path: str, value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, "must not be empty")

    def between(self, path: str, value: object, low: int, high: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(path, f"must be a whole number between {low} and {high}")
        elif not low <= value <= high:
            self.error(path, f"must be between {low} and {high}")

    def cents(self, path: str, value: object) -> None:
        if _cents(value) is None:
            self.error(path, "must be a whole number of cents, 0 or more")

    def one_of(self, path: str, value: object, choices: type[StrEnum]) -> bool:
        if isinstance(value, choices):
            return True
        self.error(path, f"must be one of {', '.join(c.value for c in choices)}")
        return False

    def portfolio_selection(self, base: str, all_portfolios: bool, portfolios: tuple[str, ...]) -> None:
        path = f"{base}.portfolios"
        if all_portfolios and portfolios:
            self.error(path, "must be empty when all portfolios are selected")
        elif not all_portfolios and not portfolios:
            self.error(path, "must name at least one portfolio, or select all portfolios")
        seen: set[str] = set()
        for code in portfolios:
            if code in seen:
                self.error(path, f"names portfolio '{code}' more than once")
            seen.add(code)

    def fits(
        self,
        path: str,
        used: Action | Series,
        context_type: CollectionType | None,
        context: str,
        all_portfolios: bool,
        portfolios: tuple[str, ...],
    ) -> None:
        """*used* (an action or series) must fit the collection type and every portfolio of *context*."""
        what = "action" if isinstance(used, Action) else "series"
        used_type = used.collection_type
        if context_type is not None and isinstance(used_type, CollectionType) and not used_type.fits(context_type):
            self.error(
                path,
                f"{what} '{used.name}' is {_article(used_type.label)} {used_type.label} {what} "
                f"and cannot be used in {context}",
            )
        if used.all_portfolios:
            return
        if all_portfolios:
            self.error(path, f"{what} '{used.name}' must be available to all portfolios, as {context} is")
            return
        missing = [code for code in dict.fromkeys(portfolios) if code not in used.portfolios]
        if missing:
            names = ", ".join(f"'{code}'" for code in missing)
            self.error(path, f"{what} '{used.name}' is not available to portfolio {names}")

    # ---- duplicates

    def unique(self, section: str, keys: Iterable[str]) -> None:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                self.error(f"{section}[{key}]", "is defined more than once")
            seen.add(key)

    def duplicates(self) -> None:
        s = self.strategy
        self.unique("collectors", (c.code for c in s.collectors))
        self.unique("groups", (g.code for g in s.groups))
        self.unique("users", (u.login for u in s.users))
        self.unique("letters", (t.code for t in s.letters))
        self.unique("actions", (a.name for a in s.actions))
        self.unique("series", (x.name for x in s.series))
        self.unique("entry_policy.portfolios", (p.portfolio for p in s.entry_policy.portfolios))
        collector_codes = {c.code for c in s.collectors}
        for group in s.groups:
            if group.code in collector_codes:
                self.error(
                    f"groups[{group.code}].code",
                    "is already the code of a collector (collectors and groups share codes)",
                )
        for series in s.series:
            if series.name in self.actions:
                self.error(
                    f"series[{series.name}].name",
                    "is already the name of an action (actions and series share names)",
                )

    # ---- entities

    def people(self) -> None:
        for collector in self.strategy.collectors:
            base = f"collectors[{collector.code}]"
            self.key(f"{base}.code", collector.code)
            self.text(f"{base}.name", collector.name)
            self.between(f"{base}.user_level", collector.user_level, USER_LEVEL_MIN, USER_LEVEL_MAX)
        for group in self.strategy.groups:
            self.key(f"groups[{group.code}].code", group.code)
            self.text(f"groups[{group.code}].name", group.name)
        for user in self.strategy.users:
            base = f"users[{user.login}]"
            self.key(f"{base}.login", user.login)
            self.text(f"{base}.name", user.name)
            self.between(f"{base}.user_level", user.user_level, USER_LEVEL_MIN, USER_LEVEL_MAX)
        for template in self.strategy.letters:
            base = f"letters[{template.code}]"
            self.key(f"{base}.code", template.code)
            self.text(f"{base}.name", template.name)
            self.text(f"{base}.body", template.body)

    def params(self, base: str, kind: ActionKind, params: ActionParams) -> None:
        required, optional = ACTION_PARAMETERS[kind]
        for name in params.given():
            if name not in required and name not in optional:
                self.error(f"{base}.params.{name}", f"is not used by actions of kind {kind.value}")
        for name in sorted(required):
            value = getattr(params, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                self.error(f"{base}.params.{name}", f"is required for actions of kind {kind.value}")
        amount = params.amount_cents
        if kind is ActionKind.FEE and amount is not None and (not _is_int(amount) or amount <= 0):
            self.error(f"{base}.params.amount_cents", "must be greater than 0")
        if kind is ActionKind.CREDIT_POINTS and params.points is not None:
            self.between(f"{base}.params.points", params.points, POINTS_MIN, POINTS_MAX)

    def action(self, action: Action) -> None:
        base = f"actions[{action.name}]"
        self.key(f"{base}.name", action.name, NAME_MAX_LENGTH)
        type_ok = self.one_of(f"{base}.collection_type", action.collection_type, CollectionType)
        if self.one_of(f"{base}.kind", action.kind, ActionKind):
            if action.kind is ActionKind.CREDIT_REPORT and type_ok and action.collection_type is not (
                CollectionType.GUARANTOR
            ):
                self.error(f"{base}.collection_type", "must be guarantor for a credit report (it reports the "
                           "guarantor's debt)")  # fmt: skip
            self.params(base, action.kind, action.params)
            template = action.params.template_code
            if action.kind is ActionKind.LETTER and _given(action.letter) and action.letter != template:
                self.error(f"{base}.letter", "must be empty or the same as params.template_code for a letter action")
        if _given(action.next_action):
            if action.next_action == action.name:
                self.error(f"{base}.next_action", "must not be the action itself")
            if action.follow_up_days is None:
                self.error(f"{base}.follow_up_days", "is required when a next action is set")
            else:
                self.between(f"{base}.follow_up_days", action.follow_up_days, FOLLOW_UP_DAYS_MIN, FOLLOW_UP_DAYS_MAX)
            following = self.actions.get(action.next_action or "")
            if following is not None and following is not action:
                self.fits(
                    f"{base}.next_action",
                    following,
                    action.collection_type if type_ok else None,
                    f"action '{action.name}'",
                    action.all_portfolios,
                    action.portfolios,
                )
        elif action.follow_up_days is not None:
            self.error(f"{base}.follow_up_days", "is only allowed when a next action is set")
        self.portfolio_selection(base, action.all_portfolios, action.portfolios)

    def series_(self, series: Series) -> None:
        base = f"series[{series.name}]"
        self.key(f"{base}.name", series.name, NAME_MAX_LENGTH)
        context_type: CollectionType | None = None
        if self.one_of(f"{base}.collection_type", series.collection_type, CollectionType):
            if series.collection_type is CollectionType.GUARANTOR_INSURANCE:
                self.error(f"{base}.collection_type", "must be guarantor or insurance")
            else:
                context_type = series.collection_type
        if self.one_of(f"{base}.final_action", series.final_action, FinalAction):
            if context_type is not None and series.final_action not in final_actions_for(context_type):
                self.error(
                    f"{base}.final_action",
                    f"must be custom for {_article(context_type.label)} {context_type.label} series "
                    "(external collections is for guarantor series only)",
                )
            custom = series.final_action is FinalAction.CUSTOM
            if custom and not _given(series.custom_action):
                self.error(f"{base}.custom_action", "is required when the final action is custom")
            elif not custom and series.custom_action is not None:
                self.error(f"{base}.custom_action", "is only allowed when the final action is custom")
        if len(series.steps) < MIN_SERIES_STEPS:
            self.error(f"{base}.steps", f"must include at least {MIN_SERIES_STEPS} actions")
        context = f"series '{series.name}'"
        for number, step in enumerate(series.steps, start=1):
            path = f"{base}.steps[{number}]"
            if not _given(step.action):
                self.error(f"{path}.action", "is required")
            self.between(f"{path}.days_until_next", step.days_until_next, STEP_DAYS_MIN, STEP_DAYS_MAX)
            used = self.actions.get(step.action)
            if used is not None:
                self.fits(f"{path}.action", used, context_type, context, series.all_portfolios, series.portfolios)
        final = self.actions.get(series.custom_action or "")
        if final is not None and series.final_action is FinalAction.CUSTOM:
            self.fits(f"{base}.custom_action", final, context_type, context, series.all_portfolios, series.portfolios)
        self.portfolio_selection(base, series.all_portfolios, series.portfolios)
        self.validation_period(base, series)

    def validation_period(self, base: str, series: Series) -> None:
        """A guarantor series with a letter that demands payment opens with the validation notice, and sends
        the demand only after the validation period (12 CFR 1006.34); the release gate defers it too."""
        params = self.strategy.compliance.enterprise.validation
        if series.collection_type is not CollectionType.GUARANTOR or not params.enabled:
            return
        templates = {template.code: template for template in self.strategy.letters}
        letters = [
            (number, templates[code], elapsed)
            for number, code, elapsed in zip(
                range(1, len(series.steps) + 1), series.step_letters(self.strategy.actions),
                accumulate((step.days_until_next for step in series.steps), initial=0), strict=False,
            )
            if code in templates
        ]  # fmt: skip
        if not any(template.demands_payment for _, template, _ in letters):
            return
        number, notice, sent = letters[0]
        if not notice.validation_notice:
            self.error(f"{base}.steps[{number}].action", f"letter {notice.code} is the first letter of a guarantor "
                       "series with a payment demand: it must be the validation notice (flagged validation_notice)")
            return
        business = params.receipt_business_days
        least = business + 2 * (business // 5) + params.period_days + 1  # five business days span a weekend
        for number, template, elapsed in letters[1:]:
            if template.demands_payment and elapsed - sent < least:
                self.error(f"{base}.steps[{number}].action", f"letter {template.code} demands payment "
                           f"{elapsed - sent} days after the validation notice {notice.code}: not before the "
                           f"validation period ends ({least} days at the earliest: {business} business days to "
                           f"receipt + {params.period_days} days)")  # fmt: skip

    def entry_rules(self, base: str, rules: EntryRules) -> None:
        self.cents(f"{base}.balance_over_cents", rules.balance_over_cents)
        self.between(f"{base}.days_past_due_over", rules.days_past_due_over, DAYS_MIN, DAYS_MAX)
        self.cents(f"{base}.min_payment_cents", rules.min_payment_cents)
        self.between(f"{base}.min_payment_percent", rules.min_payment_percent, PERCENT_MIN, PERCENT_MAX)
        self.between(f"{base}.payment_window_days", rules.payment_window_days, DAYS_MIN, DAYS_MAX)
        self.between(f"{base}.delinquent_grace_days", rules.delinquent_grace_days, DAYS_MIN, DAYS_MAX)
        if rules.insurance_claim_days_over is not None:
            self.between(f"{base}.insurance_claim_days_over", rules.insurance_claim_days_over, DAYS_MIN, DAYS_MAX)
        self.condition(f"{base}.condition", rules.condition)

    def condition(self, path: str, text: str | None) -> None:
        """Every problem of a condition, each with its position in the text (unknown fields list the known)."""
        if text is None or not _given(text):
            return
        try:
            account_condition(text)
        except ConditionError as error:
            for issue in error.issues:
                self.error(path, str(issue))

    def work(
        self, path: str, name: str, portfolio: str, context: CollectionType = CollectionType.GUARANTOR
    ) -> None:
        used = self.actions.get(name) or self.series.get(name)
        if used is not None:
            self.fits(path, used, context, f"portfolio '{portfolio}'", False, (portfolio,))

    def assignment(
        self, base: str, portfolio: str, enabled: bool, assignment: TaskAssignment, insurance_on: bool = False
    ) -> None:
        type_ok = self.one_of(f"{base}.assignment_type", assignment.assignment_type, AssignmentType)
        for name in ("default_collector", "default_action"):
            value = getattr(assignment, name)
            if _given(value):
                if name == "default_action":
                    self.work(f"{base}.default_action", value, portfolio)
            elif enabled:
                self.error(f"{base}.{name}", "is required")
        if _given(assignment.insurance_action):
            self.work(f"{base}.insurance_action", assignment.insurance_action, portfolio, CollectionType.INSURANCE)
        elif enabled and insurance_on:
            self.error(f"{base}.insurance_action", "is required when insurance collections are on")
        bounds: list[tuple[int, int] | None] = []
        for number, rule in enumerate(assignment.rules, start=1):
            path = f"{base}.rules[{number}]"
            if _given(rule.collector) and _given(rule.group):
                self.error(path, "must name a collector or a group, not both")
            elif not _given(rule.collector) and not _given(rule.group):
                self.error(path, "must name a collector or a group")
            if rule.default_work is not None and _given(rule.default_work):
                self.work(f"{path}.default_work", rule.default_work, portfolio)
            self.condition(f"{path}.condition", rule.condition)
            bounds.append(self.rule_bounds(path, rule, assignment.assignment_type) if type_ok else None)
        for later, rule in enumerate(assignment.rules):
            for earlier in range(later):
                first, second = bounds[earlier], bounds[later]
                other = assignment.rules[earlier]
                if first is None or second is None or other.missed_plan_only != rule.missed_plan_only:
                    continue
                if other.has_condition or rule.has_condition:
                    continue  # a condition narrows a range: table order decides between the two
                if first[0] <= second[1] and second[0] <= first[1]:
                    shown = _show_range(first, assignment.assignment_type)
                    self.error(f"{base}.rules[{later + 1}]", f"overlaps assignment rule {earlier + 1} ({shown})")

    def rule_bounds(self, path: str, rule: AssignmentRule, assignment_type: AssignmentType) -> tuple[int, int] | None:
        low, high = _end(rule.from_, assignment_type), _end(rule.to, assignment_type)
        for end, value in (("from", low), ("to", high)):
            if value is None:
                wanted = "a single letter A–Z" if assignment_type is AssignmentType.NAME_RANGE else None
                self.error(f"{path}.{end}", f"must be {wanted or 'a whole number of cents, 0 or more'}")
        if low is not None and high is not None and low > high:
            low_shown, high_shown = _show_range((low, high), assignment_type).split("–")
            self.error(path, f"from ({low_shown}) must not be greater than to ({high_shown})")
        return rule_bounds(rule, assignment_type)

    def entry_policy(self) -> None:
        policy = self.strategy.entry_policy
        self.entry_rules("entry_policy.enterprise", policy.enterprise)
        for settings in policy.portfolios:
            base = f"entry_policy.portfolios[{settings.portfolio}]"
            self.key(f"{base}.portfolio", settings.portfolio)
            if settings.override_enterprise and settings.rules is None:
                self.error(f"{base}.rules", "is required when override_enterprise is set")
            elif not settings.override_enterprise and settings.rules is not None:
                self.error(f"{base}.rules", "is only allowed when override_enterprise is set")
            if settings.rules is not None:
                self.entry_rules(f"{base}.rules", settings.rules)
            effective = settings.rules if settings.override_enterprise and settings.rules else policy.enterprise
            self.assignment(
                f"{base}.assignment",
                settings.portfolio,
                settings.collections_enabled,
                settings.assignment,
                effective.insurance_claim_days_over is not None,
            )

    # ---- cross references

    def references(self) -> None:
        s = self.strategy
        known: dict[_Target, set[str]] = {
            "action": set(self.actions),
            "series": set(self.series),
            "work": set(self.actions) | set(self.series),
            "letter": {t.code for t in s.letters},
            "collector": {c.code for c in s.collectors},
            "group": {g.code for g in s.groups},
        }
        previous = {(ref.owner, ref.name) for ref in _references(self.previous)} if self.previous is not None else set()
        for ref in _references(s):
            if ref.owner.startswith(("plan[", "transaction_type[", "promises")):
                continue  # checked with the plan (domain/plans.py) and the promise settings (domain/promises.py)
            if ref.target in ("portfolio", "plan"):
                names: frozenset[str] | None = self.portfolios if ref.target == "portfolio" else self.plans
                if names is not None and ref.name not in names:
                    self.error(ref.path, f"names an unknown {ref.target} '{ref.name}'")
                continue
            if ref.name not in known[ref.target]:
                if ref.target == "action" and ref.name in self.series:
                    self.error(ref.path, f"names series '{ref.name}', but must name an action")
                else:
                    self.error(ref.path, f"names an unknown {_TARGET_LABELS[ref.target]} '{ref.name}'")
                continue
            if ref.target not in ("action", "series", "work") or not ref.owner_active:
                continue
            used: Action | Series | None = self.actions.get(ref.name)
            if used is None or ref.target == "series":
                used = self.series.get(ref.name)
            if used is not None and used.inactive and (ref.owner, ref.name) not in previous:
                what = "action" if isinstance(used, Action) else "series"
                self.error(ref.path, f"{what} '{ref.name}' is inactive and cannot be used in new configuration")

    def run(self) -> tuple[ConfigError, ...]:
        self.duplicates()
        self.people()
        for action in self.strategy.actions:
            self.action(action)
        for series in self.strategy.series:
            self.series_(series)
        self.entry_policy()
        self.references()
        self.errors.extend(
            ConfigError(f"compliance.{path}", rule)
            for path, rule in policy_problems(self.strategy.compliance, self.portfolios)
        )
        self.contact_plans()
        s = self.strategy
        assignees = {c.code for c in s.collectors} | {g.code for g in s.groups}
        self.errors.extend(
            ConfigError(path, rule)
            for path, rule in scheme_problems(s.schemes, self.portfolios, assignees, {t.code for t in s.letters})
        )
        self.errors.extend(ConfigError(path, rule) for path, rule in credit_rating_problems(s.credit_rating))
        portfolios = None if self.portfolios is None else sorted(self.portfolios)
        self.errors.extend(
            ConfigError(path, rule) for path, rule in settings_problems(s.promises, portfolios, self.plans)
        )
        return tuple(self.errors)

    def contact_plans(self) -> None:
        s = self.strategy
        letters = frozenset(t.code for t in s.letters)
        operators = frozenset(c.code for c in s.collectors) | frozenset(g.code for g in s.groups)
        for path, rule in plan_problems(s.plans, letters, operators):
            self.error(path, rule)
        for path, rule in transaction_type_problems(s.transaction_types, self.plans):
            self.error(path, rule)


def _show_range(bounds: tuple[int, int], assignment_type: AssignmentType) -> str:
    """A range as the admin page shows it: ``A–D`` or ``$500.00–$2,500.00``."""
    if assignment_type is AssignmentType.NAME_RANGE:
        return f"{chr(bounds[0])}–{chr(bounds[1])}"
    return f"{_dollars(bounds[0])}–{_dollars(bounds[1])}"


def validate_strategy(
    strategy: Strategy,
    portfolios: Collection[str] | None = None,
    *,
    previous: Strategy | None = None,
) -> tuple[ConfigError, ...]:
    """Every problem of *strategy*, in configuration order; empty when it can be saved.

    *portfolios*: the known portfolio codes (unknown codes are reported when given). A run_plan action must
    name one of the strategy's contact plans. *previous*: the configuration being
    replaced; a reference to an inactive action or series is an error only when it is new (seeds 000/001:
    inactive actions "will not be available" for new configuration), so existing series keep working when
    one of their actions is made inactive. Follow-up cycles between actions are allowed; an action naming
    itself as its next action is not.
    """
    return _Validator(strategy, portfolios, previous).run()
