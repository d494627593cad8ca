"""The configuration document: the YAML (or JSON) form of the whole collections strategy.

The document is described by pydantic v2 models (unknown keys are errors, types are strict: ``"10"`` is not a
number and ``10`` is not text) and maps one-to-one to :class:`arrears.domain.strategy.Strategy`::

    version: 1
    collectors: [{code, name, groups, user_level, active}]
    groups:     [{code, name}]
    users:      [{login, name, user_level}]
    letters:    [{code, name, subject, body | body_file, stylesheet | stylesheet_file, response_days,
                  validation_notice, demands_payment, cease_notice, eca_notice}]
    actions:    [{name, collection_type, kind, params: {...}, letter, next_action, follow_up_days,
                  inactive, all_portfolios, portfolios}]
    series:     [{name, collection_type, steps: [{action, days_until_next}], final_action, custom_action,
                  inactive, all_portfolios, portfolios}]
    plans:      [{code, description, delete_all_pending, prompt_before_deleting, do_not_run_on_closed, sub_plan,
                  prompt_for_start_date, access: [{low, high}],
                  events: [{sequence, type, description, assign_to, operator, timing, days, day_of_month,
                            delay_minutes, repeat, copy_on_repeat, log_repeat_to_notes, priority, no_autocomplete,
                            no_autodelete, mark_done_immediately, delete_same_type, same_description_only,
                            record_event_history, amount, promise_percent, advance_promise_on_overpayment,
                            schedule_if: {field, operator, value1, value2}}]}]
    entry_policy:
      enterprise: {balance_over, days_past_due_over, min_payment, min_payment_percent, payment_window_days,
                   force_delinquent_plans, delinquent_grace_days, suspend_statements, notes_to_account_notes,
                   insurance_claim_days_over, condition}
      portfolios: [{portfolio, collections_enabled, override_enterprise, rules: {...as enterprise},
                    assignment: {type, default_collector, default_action, insurance_action,
                                 rules: [{from, to, collector | group, action, missed_plan_only, condition}]}}]
    compliance:
      enterprise: {holds: {bankruptcy, deceased, cease_communication, attorney, dispute, do_not_call},
                   call_frequency: {enabled, attempts, days, conversation_days},
                   time_of_day: {enabled, start, end, state_windows: [{state, start, end, zone}]},
                   state_caps: {enabled, caps: [{state, calls, days, phone_types}]},
                   validation: {enabled, receipt_business_days, period_days, first_contact_days},
                   credit_reporting: {enabled, letter_wait_days},
                   medical: {enabled, min_age_days, min_original_balance},
                   nonprofit_hospital: {enabled, days_after_first_bill, days_after_notice, application_days}}
      portfolios: [{portfolio, ...any block of enterprise: the values the portfolio sets itself}]
      call_outcomes: [{code, class, description}]   # class: connected_conversation, voicemail, no_answer,
                                       # not_connected, wrong_number, promise, refused, dispute, paid, other

Money is written as text dollars (``"25.00"``); days, percentages and levels as whole numbers; name-range
ends as letters, balance-range ends as text dollars; times of day as quoted ``"HH:MM"`` text. Every value of
``compliance`` may be left out: the enterprise's then keep the US defaults, and a portfolio's the enterprise's.

A letter's ``body_file`` and ``stylesheet_file`` name files beside the document (a path relative to the
document's folder, which it may not leave); they are read into ``body`` and ``stylesheet`` when the document
is read, so the stored configuration and its export hold the text itself.

Problems are :class:`DocumentError` ``(file, path, rule)``. Paths name list items by their key where they
have one (``actions[Call 1].follow_up_days``, ``entry_policy.portfolios[ORTHO].rules.min_payment_percent``),
else by their position counting from 1 (``series[Guarantor Letters].steps[2].action``, ``actions[3].name``
when the third action has no name). Schema problems (pydantic) and configuration problems
(:func:`arrears.domain.strategy.validate_strategy`, letter templates) are reported together.

The same per-entity bodies are what the ``config_entity`` table stores (see :func:`entity_bodies`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, WithJsonSchema
from pydantic_core import ErrorDetails

from arrears.domain.calendar import RepeatPeriod, format_delay_minutes, parse_delay_minutes
from arrears.domain.cases import Track
from arrears.domain.compliance import AttemptClass
from arrears.domain.compliance_rules import (
    BLOCKS,
    DEFAULT_OUTCOMES,
    CallOutcome,
    ComplianceParams,
    CompliancePolicy,
    PortfolioCompliance,
    StateCallCap,
    StateWindow,
    override,
)
from arrears.domain.errors import Problem
from arrears.domain.money import AMOUNT_CEILING_CENTS, Money, MoneyError
from arrears.domain.plans import (
    AssignTo,
    EventType,
    LevelRange,
    Plan,
    PlanEvent,
    ScheduleIf,
    Timing,
    TransactionType,
)
from arrears.domain.priority import DEFAULT_PRIORITY
from arrears.domain.promises import Outcome, PortfolioPromises, PromiseSettings
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    AssignmentRule,
    AssignmentType,
    CollectionType,
    Collector,
    CollectorGroup,
    ConfigError,
    EntryPolicy,
    EntryRules,
    FinalAction,
    LetterTemplate,
    PortfolioCollections,
    Series,
    SeriesStep,
    Strategy,
    TaskAssignment,
    User,
    validate_strategy,
)
from arrears.domain.strategy.schemes import (
    BalanceBasis,
    CreditLevel,
    CreditRating,
    DurationUnit,
    JumpActions,
    Milestone,
    MilestoneAction,
    MilestoneActionKind,
    PerformOn,
    Scheme,
)
from arrears.store import tables

DOCUMENT_VERSION = 1

# ------------------------------------------------------------------------------------------ errors


@dataclass(frozen=True, slots=True)
class DocumentError:
    """One problem of a configuration document: the file, the path in the document and the rule."""

    file: str
    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.rule}" if self.path else f"{self.file}: {self.rule}"

    def as_problem(self) -> Problem:
        """This error in the one problem shape (the location is the file and the path in it)."""
        return Problem(f"{self.file}: {self.path}" if self.path else self.file, self.rule)


# ------------------------------------------------------------------------------------------ models


def _money_text(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError('must be an amount written as text, e.g. "25.00"')
    try:
        cents = Money.parse(value).cents
    except MoneyError as error:
        raise ValueError(f'must be an amount such as "25.00" ({error})') from error
    if cents < 0:
        raise ValueError("must not be negative")
    return cents


def _range_end(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError('must be text: a letter A–Z (name range) or an amount such as "500.00" (balance range)')
    return value


def _delay_minutes(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError('must be minutes (40) or hours and minutes on a 24-hour clock ("1:00")')
    return value if isinstance(value, int) else parse_delay_minutes(value)


MoneyText = Annotated[
    int, BeforeValidator(_money_text), PlainSerializer(lambda cents: Money(cents).plain()),
    WithJsonSchema({"type": "string", "description": 'An amount in dollars written as text, e.g. "25.00"'}),
]  # fmt: skip
"""Cents in the model, text dollars ("25.00") in the document."""
DelayText = Annotated[
    int, BeforeValidator(_delay_minutes), PlainSerializer(format_delay_minutes),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string"}],
                    "description": 'Minutes (40) or hours and minutes ("1:00")'}),
]  # fmt: skip
"""Minutes in the model; ``40`` or ``"1:00"`` in the document."""
RangeEnd = Annotated[str, BeforeValidator(_range_end)]

CollectionTypeText = Literal["guarantor", "insurance", "guarantor_insurance"]
SeriesTypeText = Literal["guarantor", "insurance"]
ActionKindText = Literal[
    "letter", "phone_call", "review", "note", "status_change", "fee", "service_request", "alert", "email", "sms",
    "external_referral", "run_plan", "credit_points", "credit_report",
]  # fmt: skip
FinalActionText = Literal["custom", "external_collections"]
AssignmentTypeText = Literal["name_range", "balance_range"]

EventTypeText = Literal[
    "letter", "phone_call", "review", "note", "status_change", "mode", "promise", "transaction", "run_plan",
    "operator", "commission", "email", "sms", "credit_report",
]  # fmt: skip
TimingText = Literal["immediately", "delay_days", "day_of_month", "next_month_same_day"]
AssignToText = Literal["account_operator", "current_operator", "specific_operator"]
RepeatText = Literal["daily", "weekly", "biweekly", "monthly", "quarterly", "semiannually", "annually"]

assert set(ActionKindText.__args__) == {k.value for k in ActionKind}  # type: ignore[attr-defined]
assert set(EventTypeText.__args__) == {k.value for k in EventType}  # type: ignore[attr-defined]
assert set(TimingText.__args__) == {k.value for k in Timing}  # type: ignore[attr-defined]
assert set(AssignToText.__args__) == {k.value for k in AssignTo}  # type: ignore[attr-defined]
assert set(RepeatText.__args__) == {k.value for k in RepeatPeriod}  # type: ignore[attr-defined]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CollectorDoc(_Doc):
    code: str
    name: str
    groups: list[str] = []
    user_level: int = 0
    active: bool = True


class GroupDoc(_Doc):
    code: str
    name: str


class UserDoc(_Doc):
    login: str
    name: str
    user_level: int = 0


class LetterDoc(_Doc):
    code: str
    name: str
    subject: str = ""
    body: str = ""
    body_file: None = None
    """Read into ``body`` before the document is validated (see :func:`_read_letter_files`)."""
    stylesheet: str | None = None
    stylesheet_file: None = None
    response_days: int | None = None
    validation_notice: bool | None = None
    demands_payment: bool | None = None
    cease_notice: bool | None = None
    eca_notice: bool | None = None


class ParamsDoc(_Doc):
    template_code: str | None = None
    text: str | None = None
    status_code: str | None = None
    amount: MoneyText | None = None
    description: str | None = None
    agency: str | None = None
    plan_code: str | None = None
    points: int | None = None
    fallback_letter: str | None = None


class ActionDoc(_Doc):
    name: str
    collection_type: CollectionTypeText
    kind: ActionKindText
    params: ParamsDoc = ParamsDoc()
    letter: str | None = None
    next_action: str | None = None
    follow_up_days: int | None = None
    inactive: bool = False
    all_portfolios: bool = False
    portfolios: list[str] = []


class StepDoc(_Doc):
    action: str
    days_until_next: int


class SeriesDoc(_Doc):
    name: str
    collection_type: SeriesTypeText
    steps: list[StepDoc]
    final_action: FinalActionText
    custom_action: str | None = None
    inactive: bool = False
    all_portfolios: bool = False
    portfolios: list[str] = []


class ScheduleIfDoc(_Doc):
    field: str
    operator: Literal["=", ">", "<", "<>", "..", ">=", "<="]
    value1: str | int | bool
    value2: str | int | bool | None = None


class LevelRangeDoc(_Doc):
    low: int
    high: int


class PlanEventDoc(_Doc):
    sequence: int
    type: EventTypeText
    description: str = ""
    assign_to: AssignToText = "account_operator"
    operator: str | None = None
    timing: TimingText = "immediately"
    days: int | None = None
    day_of_month: int | None = None
    delay_minutes: DelayText | None = None
    repeat: RepeatText | None = None
    copy_on_repeat: bool = False
    log_repeat_to_notes: bool = False
    priority: int = DEFAULT_PRIORITY
    no_autocomplete: bool = False
    no_autodelete: bool = False
    mark_done_immediately: bool = False
    delete_same_type: bool = False
    same_description_only: bool = False
    record_event_history: bool = True
    amount: MoneyText | None = None
    promise_percent: int | None = None
    advance_promise_on_overpayment: bool = False
    schedule_if: ScheduleIfDoc | None = None


class PlanDoc(_Doc):
    code: str
    description: str = ""
    delete_all_pending: bool = False
    prompt_before_deleting: bool = False
    do_not_run_on_closed: bool = False
    sub_plan: bool = False
    prompt_for_start_date: bool = False
    run_on_close: bool = False
    access: list[LevelRangeDoc] = []
    events: list[PlanEventDoc] = []


class TransactionTypeDoc(_Doc):
    code: str
    kind: str
    plan: str | None = None
    description: str = ""


class EntryRulesDoc(_Doc):
    balance_over: MoneyText
    days_past_due_over: int
    min_payment: MoneyText
    min_payment_percent: int
    payment_window_days: int
    force_delinquent_plans: bool = False
    delinquent_grace_days: int = 0
    suspend_statements: bool = False
    notes_to_account_notes: bool = False
    insurance_claim_days_over: int | None = None
    condition: str | None = None


class RuleDoc(_Doc):
    from_: RangeEnd = Field(alias="from")
    to: RangeEnd
    collector: str | None = None
    group: str | None = None
    action: str | None = None
    missed_plan_only: bool = False
    condition: str | None = None


class AssignmentDoc(_Doc):
    type: AssignmentTypeText = "name_range"
    default_collector: str = ""
    default_action: str = ""
    insurance_action: str = ""
    rules: list[RuleDoc] = []


class PortfolioDoc(_Doc):
    portfolio: str
    collections_enabled: bool = True
    override_enterprise: bool = False
    rules: EntryRulesDoc | None = None
    assignment: AssignmentDoc = AssignmentDoc()


class EntryPolicyDoc(_Doc):
    enterprise: EntryRulesDoc | None = None
    portfolios: list[PortfolioDoc] = []


# ------------------------------------------------------------------------------------- compliance


def _time_text(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        raise ValueError('must be a time written as text, e.g. "08:00" (quoted: YAML reads 08:00 as a number)')
    try:
        return time.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f'must be a time such as "08:00" ({error})') from error


TimeText = Annotated[
    time, BeforeValidator(_time_text), PlainSerializer(lambda moment: f"{moment:%H:%M}"),
    WithJsonSchema({"type": "string", "description": 'A time of day on a 24-hour clock, e.g. "08:00"'}),
]  # fmt: skip
"""A time of day in the model, ``"HH:MM"`` text in the document."""
AttemptClassText = Literal["connected_conversation", "voicemail", "no_answer", "not_connected", "wrong_number",
                           "promise", "refused", "dispute", "paid", "other"]  # fmt: skip

assert set(AttemptClassText.__args__) == {c.value for c in AttemptClass}  # type: ignore[attr-defined]


class HoldsDoc(_Doc):
    bankruptcy: bool | None = None
    deceased: bool | None = None
    cease_communication: bool | None = None
    attorney: bool | None = None
    dispute: bool | None = None
    do_not_call: bool | None = None


class CallFrequencyDoc(_Doc):
    enabled: bool | None = None
    attempts: int | None = None
    days: int | None = None
    conversation_days: int | None = None


class StateWindowDoc(_Doc):
    state: str
    start: TimeText
    end: TimeText
    zone: str = ""


class TimeOfDayDoc(_Doc):
    enabled: bool | None = None
    start: TimeText | None = None
    end: TimeText | None = None
    state_windows: list[StateWindowDoc] | None = None


class StateCapDoc(_Doc):
    state: str
    calls: int
    days: int
    phone_types: list[str] = ["home", "mobile"]


class StateCapsDoc(_Doc):
    enabled: bool | None = None
    caps: list[StateCapDoc] | None = None


class ValidationPeriodDoc(_Doc):
    enabled: bool | None = None
    receipt_business_days: int | None = None
    period_days: int | None = None
    first_contact_days: int | None = None


class CreditReportingDoc(_Doc):
    enabled: bool | None = None
    letter_wait_days: int | None = None


class MedicalDebtDoc(_Doc):
    enabled: bool | None = None
    min_age_days: int | None = None
    min_original_balance: MoneyText | None = None


class NonprofitHospitalDoc(_Doc):
    enabled: bool | None = None
    days_after_first_bill: int | None = None
    days_after_notice: int | None = None
    application_days: int | None = None


class ComplianceParamsDoc(_Doc):
    """Parameters of the compliance rules: each one left out keeps the US default (the enterprise's, for a
    portfolio)."""

    holds: HoldsDoc | None = None
    call_frequency: CallFrequencyDoc | None = None
    time_of_day: TimeOfDayDoc | None = None
    state_caps: StateCapsDoc | None = None
    validation: ValidationPeriodDoc | None = None
    credit_reporting: CreditReportingDoc | None = None
    medical: MedicalDebtDoc | None = None
    nonprofit_hospital: NonprofitHospitalDoc | None = None


class PortfolioComplianceDoc(ComplianceParamsDoc):
    portfolio: str


class CallOutcomeDoc(_Doc):
    code: str
    class_: AttemptClassText = Field(alias="class")
    description: str = ""


class ComplianceEnterpriseDoc(ComplianceParamsDoc):
    """The enterprise's parameters and the call outcome codes (stored as one entity)."""

    call_outcomes: list[CallOutcomeDoc] | None = None


class ComplianceDoc(_Doc):
    enterprise: ComplianceParamsDoc | None = None
    portfolios: list[PortfolioComplianceDoc] = []
    call_outcomes: list[CallOutcomeDoc] | None = None


_DOC_NAMES: Mapping[tuple[str, str], str] = {("medical", "min_original_cents"): "min_original_balance"}
"""(block, parameter) → its name in the document, where the two differ."""
_PARAM_NAMES = {(block, doc): name for (block, name), doc in _DOC_NAMES.items()}


def _block_value(block: str, name: str, value: Any) -> Any:
    """A document value (as the model holds it) as the domain parameter."""
    if block == "time_of_day" and name == "state_windows":
        return tuple(StateWindow(w.state, w.start, w.end, w.zone) for w in value)
    if block == "state_caps" and name == "caps":
        return tuple(StateCallCap(c.state, c.calls, c.days, tuple(c.phone_types)) for c in value)
    return value


def _doc_value(block: str, name: str, value: Any) -> Any:
    """A domain parameter as its document value (as the model takes it)."""
    if block == "time_of_day" and name == "state_windows":
        return [{"state": w.state, "start": f"{w.start:%H:%M}", "end": f"{w.end:%H:%M}", "zone": w.zone} for w in value]
    if block == "state_caps" and name == "caps":
        return [{"state": c.state, "calls": c.calls, "days": c.days, "phone_types": list(c.phone_types)} for c in value]
    if block == "time_of_day" and name in ("start", "end"):
        return f"{value:%H:%M}"
    if block == "medical" and name == "min_original_cents":
        return Money(value).plain()
    return value


def _given(doc: ComplianceParamsDoc) -> dict[str, dict[str, Any]]:
    """The parameters a document block sets, as ``{block: {parameter: domain value}}``."""
    given: dict[str, dict[str, Any]] = {}
    for block in BLOCKS:
        part = getattr(doc, block)
        if part is None:
            continue
        values = {
            _PARAM_NAMES.get((block, name), name): _block_value(block, name, value)
            for name in type(part).model_fields
            if (value := getattr(part, name)) is not None
        }
        if values:
            given[block] = values
    return given


def _params_doc(values: Mapping[str, Mapping[str, Any]], model: type[ComplianceParamsDoc], **extra: Any) -> Any:
    data = {
        block: {_DOC_NAMES.get((block, name), name): _doc_value(block, name, value) for name, value in given.items()}
        for block, given in values.items()
    }
    return model.model_validate({**data, **extra})


def _differences(params: ComplianceParams, base: ComplianceParams, names: Collection[str] | None = None) -> dict[
    str, dict[str, Any]
]:
    """The parameters of ``params`` that differ from ``base`` (or, given ``names`` as ``block.name``, those)."""
    found: dict[str, dict[str, Any]] = {}
    for block in BLOCKS:
        mine, theirs = getattr(params, block), getattr(base, block)
        for name in (f.name for f in dataclass_fields(mine)):
            if name == "counted" or (block, name) == ("time_of_day", "channels") or name == "unknown_zones":
                continue  # not configurable in the document
            value = getattr(mine, name)
            if (names is not None and f"{block}.{name}" in names) or (names is None and value != getattr(theirs, name)):
                found.setdefault(block, {})[name] = value
    return found


def compliance_doc(policy: CompliancePolicy) -> ComplianceDoc | None:
    """The ``compliance`` section of ``policy``: what differs from the US defaults (None when nothing does)."""
    enterprise = _differences(policy.enterprise, ComplianceParams())
    portfolios = [
        _params_doc(_differences(p.params, policy.enterprise, p.overridden), PortfolioComplianceDoc,
                    portfolio=p.portfolio)
        for p in policy.portfolios
    ]  # fmt: skip
    outcomes = (
        None if policy.call_outcomes == DEFAULT_OUTCOMES
        else [CallOutcomeDoc.model_validate({"code": o.code, "class": o.outcome_class.value,
                                             "description": o.description}) for o in policy.call_outcomes]
    )  # fmt: skip
    if not enterprise and not portfolios and outcomes is None:
        return None
    return ComplianceDoc(
        enterprise=_params_doc(enterprise, ComplianceParamsDoc) if enterprise else None, portfolios=portfolios,
        call_outcomes=outcomes,
    )  # fmt: skip


def compliance_from(
    enterprise: ComplianceParamsDoc | None,
    portfolios: Iterable[PortfolioComplianceDoc],
    outcomes: Iterable[CallOutcomeDoc] | None,
) -> CompliancePolicy:
    """The compliance policy of a document's ``compliance`` section (or of its stored entities)."""
    base = override(ComplianceParams(), _given(enterprise)) if enterprise is not None else ComplianceParams()
    settings = []
    for doc in portfolios:
        given = _given(doc)
        names = frozenset(f"{block}.{name}" for block, values in given.items() for name in values)
        settings.append(PortfolioCompliance(doc.portfolio, override(base, given), names))
    codes = (
        DEFAULT_OUTCOMES if outcomes is None
        else tuple(CallOutcome(o.code, AttemptClass(o.class_), o.description) for o in outcomes)
    )
    return CompliancePolicy(base, tuple(settings), codes)


# ----------------------------------------------------------------------------------- milestone schemes

PerformOnText = Literal["entry", "decrement", "full_payment", "formula"]
MilestoneActionKindText = Literal[
    "service_request", "one_off_charge", "alert", "notice", "log", "deposit_demand", "one_off_penalty",
    "credit_rating",
]  # fmt: skip

assert set(PerformOnText.__args__) == {p.value for p in PerformOn}  # type: ignore[attr-defined]
assert set(MilestoneActionKindText.__args__) == {k.value for k in MilestoneActionKind}  # type: ignore[attr-defined]


class MilestoneActionDoc(_Doc):
    kind: MilestoneActionKindText
    perform_on: PerformOnText = "entry"
    condition: str | None = None
    request_type: str | None = None
    assignee: str | None = None
    line_item_type: str | None = None
    amount: MoneyText | None = None
    percent_of_balance: int | None = None
    text: str | None = None
    template: str | None = None
    points: int | None = None


class MilestoneDoc(_Doc):
    name: str
    days_past_due: int | None = None
    amount: MoneyText | None = None
    condition: str | None = None
    duration_days: int = 0
    duration_unit: Literal["calendar", "business"] = "calendar"
    decrement_condition: str | None = None
    resolve_below: MoneyText | None = None
    resolve_condition: str | None = None
    reversal_milestone: str | None = None
    actions: list[MilestoneActionDoc] = []


class SchemeDoc(_Doc):
    code: str
    name: str
    portfolio: str | None = None
    collection_type: SeriesTypeText = "guarantor"
    entry_condition: str | None = None
    min_entry_amount: MoneyText = 0
    balance_basis: Literal["entry", "delinquent"] = "entry"
    jump: bool = False
    jump_actions: Literal["each", "last"] = "each"
    holds_auto_resolve: bool = False
    holiday_country: str = "US"
    holiday_state: str = ""
    inactive: bool = False
    milestones: list[MilestoneDoc]


class CreditLevelDoc(_Doc):
    name: str
    min_points: int


class CreditRatingDoc(_Doc):
    levels: list[CreditLevelDoc]
    lookback_days: int | None = None
    """Blank (left out): the whole history."""


def scheme_doc(s: Scheme) -> SchemeDoc:
    milestones = [
        MilestoneDoc(
            name=m.name, days_past_due=m.days_past_due, amount=_text(m.amount_cents), condition=m.condition,
            duration_days=m.duration_days, duration_unit=m.duration_unit.value,
            decrement_condition=m.decrement_condition, resolve_below=_text(m.resolve_below_cents),
            resolve_condition=m.resolve_condition, reversal_milestone=m.reversal_milestone,
            actions=[
                MilestoneActionDoc(
                    kind=a.kind.value, perform_on=a.perform_on.value, condition=a.condition,
                    request_type=a.request_type, assignee=a.assignee, line_item_type=a.line_item_type,
                    amount=_text(a.amount_cents), percent_of_balance=a.percent_of_balance, text=a.text,
                    template=a.template, points=a.points,
                )
                for a in m.actions
            ],
        )
        for m in s.milestones
    ]  # fmt: skip
    return SchemeDoc(
        code=s.code, name=s.name, portfolio=s.portfolio, collection_type=s.track.value,
        entry_condition=s.entry_condition, min_entry_amount=_text(s.min_entry_cents),
        balance_basis=s.balance_basis.value, jump=s.jump, jump_actions=s.jump_actions.value,
        holds_auto_resolve=s.holds_auto_resolve, holiday_country=s.holiday_country, holiday_state=s.holiday_state,
        inactive=s.inactive, milestones=milestones,
    )  # fmt: skip


def scheme_from(d: SchemeDoc) -> Scheme:
    milestones = tuple(
        Milestone(
            m.name, m.days_past_due, m.amount, m.condition, m.duration_days, DurationUnit(m.duration_unit),
            m.decrement_condition, m.resolve_below, m.resolve_condition, m.reversal_milestone,
            tuple(
                MilestoneAction(
                    MilestoneActionKind(a.kind), PerformOn(a.perform_on), a.condition, a.request_type, a.assignee,
                    a.line_item_type, a.amount, a.percent_of_balance, a.text, a.template, a.points,
                )
                for a in m.actions
            ),
        )
        for m in d.milestones
    )  # fmt: skip
    return Scheme(
        d.code, d.name, milestones, d.portfolio, Track(d.collection_type), d.entry_condition, d.min_entry_amount,
        BalanceBasis(d.balance_basis), d.jump, JumpActions(d.jump_actions), d.holds_auto_resolve, d.holiday_country,
        d.holiday_state, d.inactive,
    )  # fmt: skip


def credit_rating_section(rating: CreditRating) -> CreditRatingDoc | None:
    """The ``credit_rating`` section (None when it is the default setup, which the document leaves out)."""
    return None if rating == CreditRating() else credit_rating_doc(rating)


def credit_rating_doc(rating: CreditRating) -> CreditRatingDoc:
    """The credit rating setup in the document's form (the default one too)."""
    levels = [CreditLevelDoc(name=level.name, min_points=level.min_points) for level in rating.levels]
    return CreditRatingDoc(levels=levels, lookback_days=rating.lookback_days)


def credit_rating_from(d: CreditRatingDoc | None) -> CreditRating:
    """The credit rating setup of a document's ``credit_rating`` section (the default setup without one)."""
    if d is None:
        return CreditRating()
    return CreditRating(tuple(CreditLevel(level.name, level.min_points) for level in d.levels), d.lookback_days)


# ----------------------------------------------------------------------------------------- promises


class PromisePlansDoc(_Doc):
    """The contact plan each promise outcome runs (left out: none, or the enterprise's for a portfolio)."""

    kept: str | None = None
    partial: str | None = None
    broken: str | None = None
    nsf: str | None = None
    completed: str | None = None


assert set(PromisePlansDoc.model_fields) == {o.value for o in Outcome}


class PortfolioPromisesDoc(_Doc):
    portfolio: str
    grace_days: int | None = None
    plans: PromisePlansDoc = PromisePlansDoc()


class PromisesDoc(_Doc):
    grace_days: int = 0
    """The default grace of a new promise, 0–99 days after its due date."""
    pause_series: bool = True
    """While a promise stands, the account's series and action steps wait."""
    plans: PromisePlansDoc = PromisePlansDoc()
    portfolios: list[PortfolioPromisesDoc] = []


def _plans_doc(plans: tuple[tuple[Outcome, str], ...]) -> PromisePlansDoc:
    return PromisePlansDoc.model_validate({outcome.value: code for outcome, code in plans})


def _plans_from(d: PromisePlansDoc) -> tuple[tuple[Outcome, str], ...]:
    return tuple((o, getattr(d, o.value)) for o in Outcome if getattr(d, o.value) is not None)


def promises_section(settings: PromiseSettings) -> PromisesDoc | None:
    """The ``promises`` section (None when it is the default setup, which the document leaves out)."""
    return None if settings == PromiseSettings() else promises_doc(settings)


def promises_doc(settings: PromiseSettings) -> PromisesDoc:
    """The promise settings in the document's form (the defaults too)."""
    portfolios = [
        PortfolioPromisesDoc(portfolio=p.portfolio, grace_days=p.grace_days, plans=_plans_doc(p.plans))
        for p in settings.portfolios
    ]
    return PromisesDoc(grace_days=settings.grace_days, pause_series=settings.pause_series,
                       plans=_plans_doc(settings.plans), portfolios=portfolios)  # fmt: skip


def promises_from(d: PromisesDoc | None) -> PromiseSettings:
    """The promise settings of a document's ``promises`` section (the defaults without one)."""
    if d is None:
        return PromiseSettings()
    portfolios = tuple(PortfolioPromises(p.portfolio, p.grace_days, _plans_from(p.plans)) for p in d.portfolios)
    return PromiseSettings(d.grace_days, _plans_from(d.plans), d.pause_series, portfolios)


class MigrationDoc(_Doc):
    move_to: str | None = None
    cancel: bool = False


class MigrationsDoc(_Doc):
    """What to do with the collections work of what the document removes or renames (never exported)."""

    actions: dict[str, MigrationDoc] = {}
    series: dict[str, MigrationDoc] = {}
    collectors: dict[str, MigrationDoc] = {}
    groups: dict[str, MigrationDoc] = {}
    letters: dict[str, MigrationDoc] = {}


class ConfigDocument(_Doc):
    """The whole document (used for export and for the JSON schema; parsing goes item by item)."""

    version: Literal[1] = 1
    collectors: list[CollectorDoc] = []
    groups: list[GroupDoc] = []
    users: list[UserDoc] = []
    letters: list[LetterDoc] = []
    actions: list[ActionDoc] = []
    series: list[SeriesDoc] = []
    plans: list[PlanDoc] = []
    transaction_types: list[TransactionTypeDoc] = []
    entry_policy: EntryPolicyDoc = EntryPolicyDoc()
    compliance: ComplianceDoc | None = None
    schemes: list[SchemeDoc] = []
    credit_rating: CreditRatingDoc | None = None
    promises: PromisesDoc | None = None
    migrations: MigrationsDoc | None = None


SECTIONS: Mapping[str, tuple[str, str, type[_Doc]]] = {
    "collectors": ("collector", "code", CollectorDoc),
    "groups": ("group", "code", GroupDoc),
    "users": ("user", "login", UserDoc),
    "letters": ("letter", "code", LetterDoc),
    "actions": ("action", "name", ActionDoc),
    "series": ("series", "name", SeriesDoc),
    "plans": ("plan", "code", PlanDoc),
    "transaction_types": ("transaction_type", "code", TransactionTypeDoc),
    "schemes": ("scheme", "code", SchemeDoc),
}
"""Document section → (entity kind, key field, item model)."""

ENTERPRISE_RULES, PORTFOLIO_COLLECTIONS = "enterprise_rules", "portfolio_collections"
COMPLIANCE, PORTFOLIO_COMPLIANCE = "compliance", "portfolio_compliance"
CREDIT_RATING = "credit_rating"
PROMISES = "promises"
ENTERPRISE_KEY = "enterprise"
ENTITY_KINDS: tuple[str, ...] = (
    *(kind for kind, _, _ in SECTIONS.values()), ENTERPRISE_RULES, PORTFOLIO_COLLECTIONS, COMPLIANCE,
    PORTFOLIO_COMPLIANCE, CREDIT_RATING, PROMISES,
)  # fmt: skip
"""Every kind of stored configuration entity, in document order."""
_KEY_OF_SECTION = {
    **{section: key for section, (_, key, _) in SECTIONS.items()}, "portfolios": "portfolio", "events": "sequence",
}


# ------------------------------------------------------------------------------- domain ↔ document


def collector_doc(c: Collector) -> CollectorDoc:
    return CollectorDoc(code=c.code, name=c.name, groups=list(c.groups), user_level=c.user_level, active=c.active)


def group_doc(g: CollectorGroup) -> GroupDoc:
    return GroupDoc(code=g.code, name=g.name)


def user_doc(u: User) -> UserDoc:
    return UserDoc(login=u.login, name=u.name, user_level=u.user_level)


LETTER_FLAGS = ("validation_notice", "demands_payment", "cease_notice", "eca_notice")
"""A letter's compliance flags: written in the document only when true."""


def letter_doc(t: LetterTemplate) -> LetterDoc:
    days = None if t.response_days == LetterTemplate("", "").response_days else t.response_days
    flags = {name: True for name in LETTER_FLAGS if getattr(t, name)}
    return LetterDoc(code=t.code, name=t.name, subject=t.subject, body=t.body, stylesheet=t.stylesheet or None,
                     response_days=days, **flags)  # fmt: skip


def _text(cents: int | None) -> Any:
    """Cents as the document's text dollars (the models parse them back)."""
    return None if cents is None else Money(cents).plain()


def action_doc(a: Action) -> ActionDoc:
    p = a.params
    params = ParamsDoc(
        template_code=p.template_code, text=p.text, status_code=p.status_code, amount=_text(p.amount_cents),
        description=p.description, agency=p.agency, plan_code=p.plan_code, points=p.points,
        fallback_letter=p.fallback_letter,
    )  # fmt: skip
    return ActionDoc(
        name=a.name, collection_type=a.collection_type.value, kind=a.kind.value, params=params, letter=a.letter,
        next_action=a.next_action, follow_up_days=a.follow_up_days, inactive=a.inactive,
        all_portfolios=a.all_portfolios, portfolios=list(a.portfolios),
    )  # fmt: skip


def series_doc(s: Series) -> SeriesDoc:
    return SeriesDoc(
        name=s.name, collection_type=cast(Any, s.collection_type.value),
        steps=[StepDoc(action=step.action, days_until_next=step.days_until_next) for step in s.steps],
        final_action=s.final_action.value, custom_action=s.custom_action, inactive=s.inactive,
        all_portfolios=s.all_portfolios, portfolios=list(s.portfolios),
    )  # fmt: skip


_EVENT_DEFAULTS = PlanEvent(0, EventType.NOTE)


def plan_event_doc(e: PlanEvent) -> PlanEventDoc:
    condition = e.schedule_if
    return PlanEventDoc(
        sequence=e.sequence, type=e.type.value, description=e.description, assign_to=e.assign_to.value,
        operator=e.operator, timing=e.timing.value, days=e.days, day_of_month=e.day_of_month,
        delay_minutes=e.delay_minutes, repeat=e.repeat.value if e.repeat else None, copy_on_repeat=e.copy_on_repeat,
        log_repeat_to_notes=e.log_repeat_to_notes, priority=e.priority, no_autocomplete=e.no_autocomplete,
        no_autodelete=e.no_autodelete, mark_done_immediately=e.mark_done_immediately,
        delete_same_type=e.delete_same_type, same_description_only=e.same_description_only,
        record_event_history=e.record_event_history, amount=_text(e.amount_cents), promise_percent=e.promise_percent,
        advance_promise_on_overpayment=e.advance_promise_on_overpayment,
        schedule_if=ScheduleIfDoc(field=condition.field, operator=condition.operator,  # type: ignore[arg-type]
                                  value1=condition.value1, value2=condition.value2) if condition else None,
    )  # fmt: skip


def plan_doc(p: Plan) -> PlanDoc:
    return PlanDoc(
        code=p.code, description=p.description, delete_all_pending=p.delete_all_pending,
        prompt_before_deleting=p.prompt_before_deleting, do_not_run_on_closed=p.do_not_run_on_closed,
        sub_plan=p.sub_plan, prompt_for_start_date=p.prompt_for_start_date, run_on_close=p.run_on_close,
        access=[LevelRangeDoc(low=r.low, high=r.high) for r in p.access], events=[plan_event_doc(e) for e in p.events],
    )  # fmt: skip


def transaction_type_doc(t: TransactionType) -> TransactionTypeDoc:
    return TransactionTypeDoc(code=t.code, kind=t.kind, plan=t.plan, description=t.description)


def transaction_type_from(d: TransactionTypeDoc) -> TransactionType:
    return TransactionType(d.code, d.kind, d.plan, d.description)


def rules_doc(r: EntryRules) -> EntryRulesDoc:
    return EntryRulesDoc(
        balance_over=_text(r.balance_over_cents), days_past_due_over=r.days_past_due_over,
        min_payment=_text(r.min_payment_cents),
        min_payment_percent=r.min_payment_percent, payment_window_days=r.payment_window_days,
        force_delinquent_plans=r.force_delinquent_plans, delinquent_grace_days=r.delinquent_grace_days,
        suspend_statements=r.suspend_statements, notes_to_account_notes=r.notes_to_account_notes,
        insurance_claim_days_over=r.insurance_claim_days_over, condition=r.condition,
    )  # fmt: skip


def _end_text(value: str | int) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return Money(value).plain()
    return str(value)


def portfolio_doc(p: PortfolioCollections) -> PortfolioDoc:
    a = p.assignment
    rules = [rule_doc(rule) for rule in a.rules]
    assignment = AssignmentDoc(
        type=a.assignment_type.value, default_collector=a.default_collector, default_action=a.default_action,
        insurance_action=a.insurance_action, rules=rules,
    )  # fmt: skip
    return PortfolioDoc(
        portfolio=p.portfolio, collections_enabled=p.collections_enabled, override_enterprise=p.override_enterprise,
        rules=rules_doc(p.rules) if p.rules is not None else None, assignment=assignment,
    )  # fmt: skip


def collector_from(d: CollectorDoc) -> Collector:
    return Collector(d.code, d.name, tuple(d.groups), d.user_level, d.active)


def group_from(d: GroupDoc) -> CollectorGroup:
    return CollectorGroup(d.code, d.name)


def user_from(d: UserDoc) -> User:
    return User(d.login, d.name, d.user_level)


def letter_from(d: LetterDoc) -> LetterTemplate:
    options: dict[str, Any] = {name: True for name in LETTER_FLAGS if getattr(d, name)}
    if d.response_days is not None:
        options["response_days"] = d.response_days
    return LetterTemplate(d.code, d.name, d.subject, d.body, stylesheet=d.stylesheet or "", **options)


def action_from(d: ActionDoc) -> Action:
    p = d.params
    params = ActionParams(
        p.template_code, p.text, p.status_code, p.amount, p.description, p.agency, p.plan_code, p.points,
        p.fallback_letter,
    )
    return Action(
        name=d.name, collection_type=CollectionType(d.collection_type), kind=ActionKind(d.kind), params=params,
        letter=d.letter, next_action=d.next_action, follow_up_days=d.follow_up_days, inactive=d.inactive,
        portfolios=tuple(d.portfolios), all_portfolios=d.all_portfolios,
    )  # fmt: skip


def series_from(d: SeriesDoc) -> Series:
    return Series(
        name=d.name, collection_type=CollectionType(d.collection_type),
        steps=tuple(SeriesStep(step.action, step.days_until_next) for step in d.steps),
        final_action=FinalAction(d.final_action), custom_action=d.custom_action, inactive=d.inactive,
        portfolios=tuple(d.portfolios), all_portfolios=d.all_portfolios,
    )  # fmt: skip


def plan_event_from(d: PlanEventDoc) -> PlanEvent:
    condition = d.schedule_if
    return PlanEvent(
        d.sequence, EventType(d.type), d.description, AssignTo(d.assign_to), d.operator, Timing(d.timing), d.days,
        d.day_of_month, d.delay_minutes, RepeatPeriod(d.repeat) if d.repeat else None, d.copy_on_repeat,
        d.log_repeat_to_notes, d.priority, d.no_autocomplete, d.no_autodelete, d.mark_done_immediately,
        d.delete_same_type, d.same_description_only, d.record_event_history, d.amount, d.promise_percent,
        d.advance_promise_on_overpayment,
        ScheduleIf(condition.field, condition.operator, condition.value1, condition.value2) if condition else None,
    )  # fmt: skip


def plan_from(d: PlanDoc) -> Plan:
    return Plan(
        d.code, d.description, d.delete_all_pending, d.prompt_before_deleting, d.do_not_run_on_closed, d.sub_plan,
        d.prompt_for_start_date, d.run_on_close, tuple(LevelRange(r.low, r.high) for r in d.access),
        tuple(plan_event_from(e) for e in d.events),
    )  # fmt: skip


def rules_from(d: EntryRulesDoc) -> EntryRules:
    return EntryRules(
        d.balance_over, d.days_past_due_over, d.min_payment, d.min_payment_percent, d.payment_window_days,
        d.force_delinquent_plans, d.delinquent_grace_days, d.suspend_statements, d.notes_to_account_notes,
        d.insurance_claim_days_over, d.condition,
    )  # fmt: skip


def rule_doc(rule: AssignmentRule) -> RuleDoc:
    """An assignment rule in the document's form (balance-range ends as text dollars)."""
    return RuleDoc.model_validate({
        "from": _end_text(rule.from_), "to": _end_text(rule.to), "collector": rule.collector, "group": rule.group,
        "action": rule.default_work, "missed_plan_only": rule.missed_plan_only, "condition": rule.condition,
    })  # fmt: skip


def rule_from(
    rule: RuleDoc, assignment_type: AssignmentType, path: str, problems: list[tuple[str, str]] | None = None
) -> AssignmentRule:
    """An assignment rule of a table of ``assignment_type``; balance-range ends that are not amounts are added to
    *problems* (at ``path``.from / .to)."""
    ends: list[str | int] = []
    for name, value in (("from", rule.from_), ("to", rule.to)):
        end: str | int = value
        if assignment_type is AssignmentType.BALANCE_RANGE:
            try:
                end = Money.parse(value).cents
            except MoneyError:
                if problems is not None:
                    problems.append((f"{path}.{name}", 'must be an amount such as "500.00" for a balance range'))
            else:
                if end < 0 and problems is not None:
                    problems.append((f"{path}.{name}", "must not be negative"))
        ends.append(end)
    return AssignmentRule(ends[0], ends[1], rule.collector, rule.group, rule.action, rule.missed_plan_only,
                          rule.condition)  # fmt: skip


def portfolio_from(d: PortfolioDoc, problems: list[tuple[str, str]] | None = None) -> PortfolioCollections:
    """A portfolio's settings; balance-range ends that are not amounts are added to *problems*."""
    a = d.assignment
    assignment_type = AssignmentType(a.type)
    rules = [rule_from(rule, assignment_type, f"entry_policy.portfolios[{d.portfolio}].assignment.rules[{number}]",
                       problems)
             for number, rule in enumerate(a.rules, start=1)]  # fmt: skip
    assignment = TaskAssignment(
        assignment_type, a.default_collector, a.default_action, tuple(rules), a.insurance_action
    )
    return PortfolioCollections(
        d.portfolio, d.collections_enabled, d.override_enterprise,
        rules_from(d.rules) if d.rules is not None else None, assignment,
    )  # fmt: skip


_TO_DOC: Mapping[str, Any] = {
    "collector": collector_doc, "group": group_doc, "user": user_doc, "letter": letter_doc,
    "action": action_doc, "series": series_doc, "plan": plan_doc,
    "transaction_type": transaction_type_doc, "scheme": scheme_doc,
}  # fmt: skip
_FROM_DOC: Mapping[str, Any] = {
    "collector": collector_from, "group": group_from, "user": user_from, "letter": letter_from,
    "action": action_from, "series": series_from, "plan": plan_from,
    "transaction_type": transaction_type_from, "scheme": scheme_from,
}  # fmt: skip


def to_document(strategy: Strategy) -> ConfigDocument:
    """The document of *strategy*."""
    enterprise = strategy.entry_policy.enterprise
    return ConfigDocument(
        collectors=[collector_doc(c) for c in strategy.collectors],
        groups=[group_doc(g) for g in strategy.groups],
        users=[user_doc(u) for u in strategy.users],
        letters=[letter_doc(t) for t in strategy.letters],
        actions=[action_doc(a) for a in strategy.actions],
        series=[series_doc(s) for s in strategy.series],
        plans=[plan_doc(p) for p in strategy.plans],
        transaction_types=[transaction_type_doc(t) for t in strategy.transaction_types],
        entry_policy=EntryPolicyDoc(
            enterprise=rules_doc(enterprise), portfolios=[portfolio_doc(p) for p in strategy.entry_policy.portfolios]
        ),
        compliance=compliance_doc(strategy.compliance),
        schemes=[scheme_doc(s) for s in strategy.schemes],
        credit_rating=credit_rating_section(strategy.credit_rating),
        promises=promises_section(strategy.promises),
    )


# ------------------------------------------------------------------------------------- dumping


def _prune(value: Any) -> Any:
    """Drop None, empty lists and empty mappings (defaults that say nothing), recursively."""
    if isinstance(value, dict):
        pruned = {key: _prune(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item is not None and item != [] and item != {}}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    return value


def dump_model(model: BaseModel) -> dict[str, Any]:
    """The document form of a model: aliases (``from``), money as text, nothing empty."""
    return _prune(model.model_dump(mode="python", by_alias=True))  # type: ignore[no-any-return]


def body_json(model: BaseModel) -> str:
    """The stored JSON text of one entity: stable, key order as in the document."""
    return json.dumps(dump_model(model), ensure_ascii=False, separators=(",", ":"))


class _Dumper(yaml.SafeDumper):
    """Multi-line text (letter bodies) as literal blocks; lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)

HEADER = (
    "# Arrears collections configuration (arrears config export).\n"
    "# Apply with: arrears config apply FILE --dry-run   (see docs/configuration.md)\n"
)


def dump_document(document: ConfigDocument) -> str:
    """The YAML text of *document*: deterministic, key order as in the models."""
    data = dump_model(document)
    if document.plans:  # a plan's many switches are written only where they differ from their defaults
        data["plans"] = [
            _prune(plan.model_dump(mode="python", by_alias=True, exclude_defaults=True)) for plan in document.plans
        ]
    data.setdefault("entry_policy", {})
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    return HEADER + text


# -------------------------------------------------------------------------------- stored entities


def entity_bodies(strategy: Strategy) -> dict[tuple[str, str], tuple[int, str]]:
    """(kind, key) → (position, JSON body) of every entity of *strategy*, as ``config_entity`` stores them."""
    bodies: dict[tuple[str, str], tuple[int, str]] = {}
    for kind, items, key in (
        ("collector", strategy.collectors, "code"),
        ("group", strategy.groups, "code"),
        ("user", strategy.users, "login"),
        ("letter", strategy.letters, "code"),
        ("action", strategy.actions, "name"),
        ("series", strategy.series, "name"),
        ("plan", strategy.plans, "code"),
        ("transaction_type", strategy.transaction_types, "code"),
        ("scheme", strategy.schemes, "code"),
    ):
        for position, item in enumerate(items):
            bodies[(kind, getattr(item, key))] = (position, body_json(_TO_DOC[kind](item)))
    bodies[(ENTERPRISE_RULES, ENTERPRISE_KEY)] = (0, body_json(rules_doc(strategy.entry_policy.enterprise)))
    for position, settings in enumerate(strategy.entry_policy.portfolios):
        bodies[(PORTFOLIO_COLLECTIONS, settings.portfolio)] = (position, body_json(portfolio_doc(settings)))
    section = compliance_doc(strategy.compliance)
    if section is not None:  # the US defaults are not stored: nothing to configure
        enterprise = section.enterprise.model_dump(by_alias=True) if section.enterprise else {}
        outcomes = [o.model_dump(by_alias=True) for o in section.call_outcomes or ()] or None
        entity = ComplianceEnterpriseDoc.model_validate({**enterprise, "call_outcomes": outcomes})
        if dump_model(entity):
            bodies[(COMPLIANCE, ENTERPRISE_KEY)] = (0, body_json(entity))
        for position, doc in enumerate(section.portfolios):
            bodies[(PORTFOLIO_COMPLIANCE, doc.portfolio)] = (position, body_json(doc))
    rating = credit_rating_section(strategy.credit_rating)
    if rating is not None:  # the default setup is not stored
        bodies[(CREDIT_RATING, ENTERPRISE_KEY)] = (0, body_json(rating))
    promises = promises_section(strategy.promises)
    if promises is not None:  # the default setup is not stored
        bodies[(PROMISES, ENTERPRISE_KEY)] = (0, body_json(promises))
    return bodies


_MODEL_OF_KIND: Mapping[str, type[_Doc]] = {
    **{kind: model for kind, _, model in SECTIONS.values()},
    ENTERPRISE_RULES: EntryRulesDoc,
    PORTFOLIO_COLLECTIONS: PortfolioDoc,
    COMPLIANCE: ComplianceEnterpriseDoc,
    PORTFOLIO_COMPLIANCE: PortfolioComplianceDoc,
    CREDIT_RATING: CreditRatingDoc,
    PROMISES: PromisesDoc,
}


def strategy_from_bodies(rows: Iterable[tuple[str, str, int, str]]) -> Strategy:
    """The strategy stored as ``(kind, key, position, JSON body)`` rows (any order; unknown kinds ignored)."""
    found: dict[str, list[tuple[int, str, Any]]] = {kind: [] for kind in ENTITY_KINDS}
    for kind, key, position, body in rows:
        if kind in found:
            model = _MODEL_OF_KIND[kind].model_validate(json.loads(body), strict=False)
            found[kind].append((position, key, model))
    ordered = {kind: [model for _, _, model in sorted(items, key=lambda x: x[:2])] for kind, items in found.items()}
    enterprise = ordered[ENTERPRISE_RULES]
    compliance = ordered[COMPLIANCE]
    return Strategy(
        collectors=tuple(collector_from(d) for d in ordered["collector"]),
        groups=tuple(group_from(d) for d in ordered["group"]),
        users=tuple(user_from(d) for d in ordered["user"]),
        letters=tuple(letter_from(d) for d in ordered["letter"]),
        actions=tuple(action_from(d) for d in ordered["action"]),
        series=tuple(series_from(d) for d in ordered["series"]),
        plans=tuple(plan_from(d) for d in ordered["plan"]),
        transaction_types=tuple(transaction_type_from(d) for d in ordered["transaction_type"]),
        entry_policy=EntryPolicy(
            enterprise=rules_from(enterprise[0]) if enterprise else EntryRules(),
            portfolios=tuple(portfolio_from(d) for d in ordered[PORTFOLIO_COLLECTIONS]),
        ),
        compliance=compliance_from(
            compliance[0] if compliance else None, ordered[PORTFOLIO_COMPLIANCE],
            compliance[0].call_outcomes if compliance else None,
        ),
        schemes=tuple(scheme_from(d) for d in ordered["scheme"]),
        credit_rating=credit_rating_from(ordered[CREDIT_RATING][0] if ordered[CREDIT_RATING] else None),
        promises=promises_from(ordered[PROMISES][0] if ordered[PROMISES] else None),
    )


def entity_document(kind: str, body: str | None) -> Any:
    """A stored body as document data (for audit displays); None stays None."""
    return None if body is None else json.loads(body)


# ------------------------------------------------------------------------------------- parsing


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that notes every key given twice in one mapping (PyYAML silently keeps the last)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[yaml.Mark, Any]] = []


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                loader.duplicates.append((key_node.start_mark, key))
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping below says so
            pass
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _path(loc: Iterable[int | str], raw: Any) -> str:
    """A pydantic location as a document path, naming list items by their key where they have one."""
    text, node, previous = "", raw, None
    for item in loc:
        if isinstance(item, int):
            shown: str | int = item + 1
            child = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
            key = _KEY_OF_SECTION.get(str(previous))
            value = child.get(key) if key and isinstance(child, dict) else None
            if isinstance(value, str) and value.strip():
                shown = value
            elif isinstance(value, int) and not isinstance(value, bool):
                shown = value  # a plan's events are named by their sequence number
            text += f"[{shown}]"
            node = child
        else:
            text += f".{item}" if text else str(item)
            node = node.get(item) if isinstance(node, dict) else None
        previous = item
    return text


def _model_at(model: Any, loc: Iterable[int | str]) -> Any:
    """The model class at a location (for listing the known keys), or None."""
    current: Any = model
    for item in loc:
        current = _unwrap(current)
        if isinstance(item, int):
            args = getattr(current, "__args__", ())
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(item) or next(
                (f for f in current.model_fields.values() if f.alias == item), None
            )
            current = field.annotation if field is not None else None
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → X."""
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if type(None) in getattr(annotation, "__args__", ()) and len(args) == 1:
        return args[0]
    return annotation


def _keys(model: type[BaseModel]) -> str:
    return ", ".join(field.alias or name for name, field in model.model_fields.items())


def _rule(error: ErrorDetails, model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        return f"is not a known key (known: {_keys(owner)})" if owner else "is not a known key"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind == "string_type":
        return "must be text"
    if kind == "bool_type":
        return "must be true or false"
    if kind == "list_type":
        return "must be a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping of keys to values"
    if kind == "literal_error":
        return f"must be one of {error.get('ctx', {}).get('expected', '')}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return error["msg"].replace("Input should be", "must be")


# What a value of the document that breaks the schema leaves behind, so that the rest of its item is still
# checked in the same pass: the broken value is left out (its error is reported), a required value is given
# a neutral one, and the rules that depend on it are not reported (they would only repeat the problem).

_NEUTRAL: Mapping[type[_Doc], Mapping[str, Any]] = {
    EntryRulesDoc: {"balance_over": "0.00", "days_past_due_over": 0, "min_payment": "0.00",
                    "min_payment_percent": EntryRules().min_payment_percent, "payment_window_days": 0},
    StepDoc: {"action": "", "days_until_next": 0},
    RuleDoc: {"from": "", "to": ""},
}  # fmt: skip
"""Per model: the neutral value of each required key that has one (items without one cannot be salvaged)."""

_DEPENDENT: Mapping[tuple[type[_Doc], tuple[str, ...]], tuple[tuple[str, ...], ...]] = {
    (ActionDoc, ("next_action",)): (("follow_up_days",),),
    (ActionDoc, ("params",)): (("letter",),),
    (ActionDoc, ("params", "template_code")): (("letter",),),
    (ActionDoc, ("all_portfolios",)): (("portfolios",),),
    (SeriesDoc, ("final_action",)): (("custom_action",),),
    (SeriesDoc, ("all_portfolios",)): (("portfolios",),),
    (PortfolioDoc, ("override_enterprise",)): (("rules",),),
    (PortfolioDoc, ("collections_enabled",)): (("assignment",),),
    (PortfolioDoc, ("rules",)): (("assignment", "insurance_action"),),
    (PortfolioDoc, ("rules", "insurance_claim_days_over")): (("assignment", "insurance_action"),),
    (AssignmentDoc, ("type",)): (("rules",),),
}
"""(model, key path within it) → the key paths of the same model whose rules depend on that value."""

_GONE = object()


def _remove(data: Any, loc: tuple[int | str, ...]) -> None:
    """Leave the value at ``loc`` out of ``data`` (a list item is marked and dropped or emptied later)."""
    node = data
    for item in loc[:-1]:
        inside = isinstance(node, dict) and item in node
        inside = inside or (isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node))
        if not inside:
            return
        node = node[item]
    last = loc[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = _GONE


def _settle(model: type[_Doc], data: Any, loc: tuple[int | str, ...] = ()) -> Any:
    """``data`` without the marked list items: emptied where the list holds items of a model, else dropped."""
    if isinstance(data, dict):
        return {key: _settle(model, value, (*loc, key)) for key, value in data.items()}
    if isinstance(data, list):
        holds_models = _model_at(model, (*loc, 0)) is not None
        kept = [({} if holds_models else _GONE) if item is _GONE else item for item in data]
        return [_settle(model, item, (*loc, n)) for n, item in enumerate(kept) if item is not _GONE]
    return data


def _set(data: Any, loc: tuple[int | str, ...], value: Any) -> bool:
    node = data
    for item in loc[:-1]:
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(node, dict):
        return False
    node[loc[-1]] = value
    return True


def _salvage(
    model: type[_Doc], data: Any, errors: list[ErrorDetails]
) -> tuple[_Doc | None, list[tuple[int | str, ...]]]:
    """The item without its broken values, and the locations whose rules are not to be reported again."""
    quiet: list[tuple[int | str, ...]] = []
    for error in errors:
        loc = tuple(error["loc"])
        quiet.append(loc)
        for depth in range(len(loc)):
            owner, rest = _model_at(model, loc[:depth]), loc[depth:]
            if owner is not None and all(isinstance(key, str) for key in rest):
                dependents = _DEPENDENT.get((owner, cast(tuple[str, ...], rest)), ())
                quiet.extend((*loc[:depth], *dependent) for dependent in dependents)
    if not isinstance(data, dict):
        return None, quiet
    try:
        fixed = json.loads(json.dumps(data, default=str))  # a deep copy of plain YAML data
    except (TypeError, ValueError, RecursionError):  # keys JSON cannot hold (dates), or a self-referencing alias
        return None, quiet
    for error in errors:
        if error["type"] != "missing" and error["loc"]:
            _remove(fixed, tuple(error["loc"]))
    fixed = _settle(model, fixed)
    for _ in range(3):
        try:
            return model.model_validate(fixed), quiet
        except ValidationError as failure:
            for error in failure.errors():
                loc = tuple(error["loc"])
                neutral = _NEUTRAL.get(_model_at(model, loc[:-1]) or _Doc, {})
                key = str(loc[-1]) if loc else ""
                if error["type"] != "missing" or key not in neutral or not _set(fixed, loc, neutral[key]):
                    return None, quiet
                quiet.append(loc)
    return None, quiet


@dataclass(slots=True)
class _Reading:
    """What one pass over the document has found so far."""

    raw: Any
    problems: list[tuple[str, str]]
    quiet: set[str]
    """Paths whose rules are not reported again (their value broke the schema, or depends on one that did)."""

    def validate(self, model: type[_Doc], data: Any, loc: tuple[int | str, ...]) -> Any:
        """The item as ``model``; on schema errors, report each and return what can still be checked, or None."""
        try:
            return model.model_validate(data)
        except ValidationError as failure:
            errors = failure.errors()
            for error in errors:
                self.problems.append((_path((*loc, *error["loc"]), self.raw), _rule(error, model, tuple(error["loc"]))))
            salvaged, quiet = _salvage(model, data, errors)
            self.quiet.update(_path((*loc, *place), self.raw) for place in quiet)
            return salvaged

    def is_quiet(self, path: str) -> bool:
        return any(path == q or path.startswith((f"{q}.", f"{q}[")) for q in self.quiet)


_DOMAIN_NAMES = (
    (re.compile(r"\.(balance_over|min_payment|amount)_cents\b"), r".\1"),
    (re.compile(r"\.assignment\.assignment_type\b"), ".assignment.type"),
    (re.compile(r"\.default_work\b"), ".action"),
    (re.compile(r"\.min_original_cents\b"), ".min_original_balance"),
    (re.compile(r"\.resolve_below_cents\b"), ".resolve_below"),
)


def document_path(domain_path: str) -> str:
    """A :class:`ConfigError` path of the domain (``..._cents``, ``default_work``) in the document's names."""
    for pattern, replacement in _DOMAIN_NAMES:
        domain_path = pattern.sub(replacement, domain_path)
    return domain_path


def document_rule(rule: str) -> str:
    """A domain rule in the document's words (amounts in dollars rather than cents)."""
    return rule.replace("a whole number of cents, 0 or more", 'an amount such as "500.00", 0 or more')


SHOWN_NAME_LENGTH = 40
"""Names longer than this are cut in paths and rules (with their length), so that a problem stays one line."""
_BRACKETED = re.compile(rf"\[([^\[\]]{{{SHOWN_NAME_LENGTH + 1},}})\]")
_QUOTED = re.compile(rf"(?<!\w)'([^']{{{SHOWN_NAME_LENGTH + 1},}})'(?!\w)")


def _cut(name: str) -> str:
    return f"{name[:SHOWN_NAME_LENGTH]}… ({len(name):,} characters)"


def shorten(text: str) -> str:
    """``text`` with every long bracketed or quoted name cut to :data:`SHOWN_NAME_LENGTH` characters."""
    text = _BRACKETED.sub(lambda m: f"[{_cut(m.group(1))}]", text)
    return _QUOTED.sub(lambda m: f"'{_cut(m.group(1))}'", text)


MigrationKind = Literal["action", "series", "collector", "group", "letter"]
MIGRATION_SECTIONS: Mapping[str, MigrationKind] = {
    "actions": "action", "series": "series", "collectors": "collector", "groups": "group", "letters": "letter",
}  # fmt: skip
"""``migrations`` section → the kind of entity whose work it moves or cancels."""
_SECTION_OF_MIGRATION = {kind: section for section, kind in MIGRATION_SECTIONS.items()}


@dataclass(frozen=True, slots=True)
class Migration:
    """What happens to the collections work that names an entity a change removes or renames."""

    kind: MigrationKind
    name: str
    move_to: str | None = None
    """The entity of the same kind that takes the work over (a collector or a group for either); None cancels it."""

    @property
    def path(self) -> str:
        """Where the migration is written in a document: ``migrations.actions[Call 2]``."""
        return f"migrations.{_SECTION_OF_MIGRATION[self.kind]}[{self.name}]"


def _migrations(reading: _Reading) -> tuple[Migration, ...]:
    raw = reading.raw.get("migrations")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        reading.problems.append(("migrations", f"must be a mapping with the keys {', '.join(MIGRATION_SECTIONS)}"))
        return ()
    found: list[Migration] = []
    for section, entries in raw.items():
        kind = MIGRATION_SECTIONS.get(str(section))
        if kind is None:
            reading.problems.append(
                (f"migrations.{section}", f"is not a known key (known: {', '.join(MIGRATION_SECTIONS)})")
            )
            continue
        if not isinstance(entries, dict):
            reading.problems.append((f"migrations.{section}", "must be a mapping of names to {move_to: NAME} or "
                                     "{cancel: true}"))  # fmt: skip
            continue
        for name, entry in entries.items():
            path = f"migrations.{section}[{name}]"
            try:
                parsed = MigrationDoc.model_validate(entry)
            except ValidationError as failure:
                for error in failure.errors():
                    where = _path(error["loc"], entry)
                    reading.problems.append((f"{path}.{where}" if where else path, _rule(error, MigrationDoc, ())))
                continue
            given_move = parsed.move_to is not None
            if given_move == parsed.cancel or (given_move and not (parsed.move_to or "").strip()):
                reading.problems.append((path, "must say where the work moves (move_to: NAME) or cancel: true"))
                continue
            found.append(Migration(kind, str(name), parsed.move_to))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document read: the strategy (None when it could not be read at all) and every problem found."""

    strategy: Strategy | None
    errors: tuple[DocumentError, ...]
    migrations: tuple[Migration, ...] = ()
    """The document's ``migrations`` section."""
    unread: frozenset[str] = frozenset()
    """Names of items left out of the strategy because their schema is broken (not removals)."""


def _load_yaml(text: str) -> tuple[Any, list[tuple[str, str]]]:
    """The YAML data and a problem for every key given twice in one mapping."""
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    duplicates = [
        (f"line {mark.line + 1}, column {mark.column + 1}", f"is not valid YAML: found duplicate key {key!r}")
        for mark, key in loader.duplicates
    ]
    return data, duplicates


def parse_document(
    text: str,
    file_name: str = "<document>",
    portfolios: Collection[str] | None = None,
    previous: Strategy | None = None,
) -> ParsedDocument:
    """Read and validate a configuration document in one pass: schema, strategy rules, storage limits, letters.

    Every problem is reported, with its path. A value that breaks the schema is left out and the rest of its
    item is still checked (rules that depend on the broken value are not reported again); an item that cannot
    be read at all is left out of the strategy and references to it are not reported again as unknown.
    """
    try:
        raw, duplicates = _load_yaml(text)
    except RecursionError:
        return ParsedDocument(None, (DocumentError(file_name, "", "is nested too deeply to be a configuration"),))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        return ParsedDocument(None, (DocumentError(file_name, where, f"is not valid YAML: {problem}"),))
    if raw is None:
        return ParsedDocument(None, (DocumentError(file_name, "", "the document is empty"),))
    if not isinstance(raw, dict):
        return ParsedDocument(None, (DocumentError(file_name, "", "must be a mapping with the keys version, "
                                                   f"{', '.join(SECTIONS)}, entry_policy"),))  # fmt: skip
    reading = _Reading(raw, list(duplicates), set())
    problems = reading.problems
    _read_letter_files(raw, file_name, problems)
    broken: set[str] = set()
    known = ("version", *SECTIONS, "entry_policy", "compliance", "credit_rating", "promises", "migrations")
    for key in raw:
        if key not in known:
            problems.append((str(key), f"is not a known key (known: {', '.join(known)})"))
    if "version" in raw and (raw["version"] != DOCUMENT_VERSION or isinstance(raw["version"], bool)):
        problems.append(("version", f"must be {DOCUMENT_VERSION}"))
    parts: dict[str, list[Any]] = {}
    for section, (_, key, model) in SECTIONS.items():
        items = raw.get(section) or []
        parts[section] = []
        if not isinstance(items, list):
            problems.append((section, "must be a list"))
            continue
        for index, item in enumerate(items):
            parsed = reading.validate(model, item, (section, index))
            if parsed is None:
                name = item.get(key) if isinstance(item, dict) else None
                if isinstance(name, str):
                    broken.add(name)
                continue
            parts[section].append(parsed)
    enterprise = EntryRules()
    portfolio_settings: list[PortfolioCollections] = []
    policy = raw.get("entry_policy") or {}
    if not isinstance(policy, dict):
        problems.append(("entry_policy", "must be a mapping with the keys enterprise, portfolios"))
        policy = {}
    for key in policy:
        if key not in ("enterprise", "portfolios"):
            problems.append((f"entry_policy.{key}", "is not a known key (known: enterprise, portfolios)"))
    if policy.get("enterprise") is not None:
        rules = reading.validate(EntryRulesDoc, policy["enterprise"], ("entry_policy", "enterprise"))
        if rules is not None:
            enterprise = rules_from(rules)
    settings_items = policy.get("portfolios") or []
    if not isinstance(settings_items, list):
        problems.append(("entry_policy.portfolios", "must be a list"))
        settings_items = []
    for index, item in enumerate(settings_items):
        parsed = reading.validate(PortfolioDoc, item, ("entry_policy", "portfolios", index))
        if parsed is not None:
            ends: list[tuple[str, str]] = []
            portfolio_settings.append(portfolio_from(parsed, ends))
            problems.extend(problem for problem in ends if not reading.is_quiet(problem[0]))
    migrations = _migrations(reading)
    compliance = _compliance(reading)
    rating = None
    if raw.get("credit_rating") is not None:
        rating = reading.validate(CreditRatingDoc, raw["credit_rating"], ("credit_rating",))
    promises = None
    if raw.get("promises") is not None:
        promises = reading.validate(PromisesDoc, raw["promises"], ("promises",))
    strategy = Strategy(
        collectors=tuple(collector_from(d) for d in parts["collectors"]),
        groups=tuple(group_from(d) for d in parts["groups"]),
        users=tuple(user_from(d) for d in parts["users"]),
        letters=tuple(letter_from(d) for d in parts["letters"]),
        actions=tuple(action_from(d) for d in parts["actions"]),
        series=tuple(series_from(d) for d in parts["series"]),
        plans=tuple(plan_from(d) for d in parts["plans"]),
        transaction_types=tuple(transaction_type_from(d) for d in parts["transaction_types"]),
        entry_policy=EntryPolicy(enterprise, tuple(portfolio_settings)),
        compliance=compliance,
        schemes=tuple(scheme_from(d) for d in parts["schemes"]),
        credit_rating=credit_rating_from(rating),
        promises=promises_from(promises),
    )
    reported = {path for path, _ in problems}
    for found in strategy_problems(strategy, portfolios, previous):
        path = document_path(found.path)
        if path in reported or reading.is_quiet(path) or _names_broken(found.rule, broken):
            continue
        problems.append((path, document_rule(found.rule)))
    errors = tuple(DocumentError(file_name, shorten(path), shorten(rule)) for path, rule in problems)
    return ParsedDocument(strategy, errors, migrations, frozenset(broken))


COMPLIANCE_KEYS = ("enterprise", "portfolios", "call_outcomes")


def _compliance(reading: _Reading) -> CompliancePolicy:
    """The ``compliance`` section: the enterprise's parameters, portfolio overrides, call outcome codes."""
    raw = reading.raw.get("compliance")
    if raw is None:
        return CompliancePolicy()
    if not isinstance(raw, dict):
        reading.problems.append(("compliance", f"must be a mapping with the keys {', '.join(COMPLIANCE_KEYS)}"))
        return CompliancePolicy()
    for key in raw:
        if key not in COMPLIANCE_KEYS:
            reading.problems.append((f"compliance.{key}", f"is not a known key (known: {', '.join(COMPLIANCE_KEYS)})"))
    enterprise = None
    if raw.get("enterprise") is not None:
        enterprise = reading.validate(ComplianceParamsDoc, raw["enterprise"], ("compliance", "enterprise"))
    portfolios: list[PortfolioComplianceDoc] = []
    for section, model, found in (("portfolios", PortfolioComplianceDoc, portfolios),
                                  ("call_outcomes", CallOutcomeDoc, outcomes := [])):  # fmt: skip
        items = raw.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            reading.problems.append((f"compliance.{section}", "must be a list"))
            continue
        for index, item in enumerate(items):
            parsed = reading.validate(model, item, ("compliance", section, index))
            if parsed is not None:
                found.append(parsed)
    given_outcomes = outcomes if isinstance(raw.get("call_outcomes"), list) else None
    return compliance_from(enterprise, portfolios, given_outcomes)


LETTER_FILE_LIMIT = 1_000_000
"""Bytes a letter's body or stylesheet file may have."""


def _read_letter_files(raw: dict[Any, Any], file_name: str, problems: list[tuple[str, str]]) -> None:
    """Replace each letter's ``body_file`` / ``stylesheet_file`` by the text of that file beside the document."""
    letters = raw.get("letters")
    if not isinstance(letters, list):
        return
    folder = Path(file_name).resolve().parent if Path(file_name).is_file() else None
    for index, item in enumerate(letters):
        if not isinstance(item, dict):
            continue
        for key, target in (("body_file", "body"), ("stylesheet_file", "stylesheet")):
            if key not in item:
                continue
            name = item.pop(key)
            path = _path(("letters", index, key), raw)
            if target in item:
                problems.append((path, f"give either {target} or {key}, not both"))
                continue
            if folder is None:
                problems.append((path, "names a file, but the document was not read from a file"))
                continue
            if not isinstance(name, str) or not name.strip():
                problems.append((path, "must be the path of a file beside the document"))
                continue
            candidate = (folder / name).resolve()
            if not candidate.is_relative_to(folder):
                problems.append((path, f"{name!r} is outside the document's folder"))
                continue
            if not candidate.is_file():
                problems.append((path, f"{name!r} is not a file in {folder}"))
                continue
            if candidate.stat().st_size > LETTER_FILE_LIMIT:
                problems.append((path, f"{name!r} is larger than {LETTER_FILE_LIMIT:,} bytes"))
                continue
            try:
                item[target] = candidate.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                problems.append((path, f"{name!r} is not UTF-8 text (byte {error.start})"))


def _names_broken(rule: str, broken: set[str]) -> bool:
    match = re.match(r"names (?:an unknown [a-z ]+|series) '(.*)'", rule)
    return match is not None and match.group(1) in broken


# ------------------------------------------------------------------------------- storage limits

# AMOUNT_CEILING_CENTS (domain.money): the largest amount the configuration accepts (entry thresholds, fees,
# balance ranges): the ceiling of every portfolio's maximum, as a portfolio may take more than the default.


def column_limit(*columns: Any) -> tuple[int, str]:
    """The tightest length of the columns (of :mod:`arrears.store.tables`) a value is written to, and that column's
    name."""
    found = [(column.type.length, f"{column.table.name}.{column.name}") for column in columns]
    return min(found, key=lambda limit: limit[0])  # the first named wins a tie


_ENTITY_KEY = (tables.config_entity.c.name, tables.audit.c.entity_key)
_ASSIGNEE = (
    tables.activity.c.assignee, tables.collections_case.c.assignee, tables.service_request.c.assignee, *_ENTITY_KEY
)  # fmt: skip
_KEY_LIMITS: Mapping[str, tuple[str, tuple[int, str]]] = {
    "collectors": ("code", column_limit(*_ASSIGNEE)),
    "groups": ("code", column_limit(*_ASSIGNEE)),
    "users": ("login", column_limit(*_ENTITY_KEY)),
    "letters": ("code", column_limit(tables.letter.c.template, *_ENTITY_KEY)),
    "actions": ("name", column_limit(tables.activity.c.action, tables.collections_case.c.work, *_ENTITY_KEY)),
    "series": ("name", column_limit(tables.activity.c.series, tables.collections_case.c.work, *_ENTITY_KEY)),
    "plans": ("code", column_limit(tables.plan_batch.c.plan, *_ENTITY_KEY)),
}
"""Section → (key field, the tightest column its key is written to): one source, the models."""
_PARAM_LIMITS: Mapping[str, tuple[int, str]] = {
    "status_code": column_limit(tables.account.c.status_code),
    "description": column_limit(tables.ledger_line.c.description),
    "agency": column_limit(tables.referral.c.agency),
    "plan_code": column_limit(tables.plan_request.c.plan),
}
"""Action parameter → the column the run writes it to."""


def _too_long(path: str, value: str | None, limit: tuple[int, str]) -> ConfigError | None:
    length, column = limit
    if value is None or len(value) <= length:
        return None
    return ConfigError(path, f"must be at most {length} characters (it is stored in {column}); it has {len(value):,}")


def _too_large(path: str, cents: object) -> ConfigError | None:
    if isinstance(cents, int) and not isinstance(cents, bool) and cents > AMOUNT_CEILING_CENTS:
        return ConfigError(path, f"must be at most {Money(AMOUNT_CEILING_CENTS)}")
    return None


def storage_problems(strategy: Strategy) -> tuple[ConfigError, ...]:
    """Every value longer than the column it is stored in, and every amount above :data:`AMOUNT_CEILING_CENTS`."""
    found: list[ConfigError | None] = []
    for section, (key, limit) in _KEY_LIMITS.items():
        for item in getattr(strategy, section):
            value = getattr(item, key)
            found.append(_too_long(f"{section}[{value}].{key}", value, limit))
    for action in strategy.actions:
        base = f"actions[{action.name}].params"
        for name, limit in _PARAM_LIMITS.items():
            found.append(_too_long(f"{base}.{name}", getattr(action.params, name), limit))
        found.append(_too_large(f"{base}.amount_cents", action.params.amount_cents))
    for plan in strategy.plans:
        for event in plan.events:
            base = f"plans[{plan.code}].events[{event.sequence}]"
            found.append(_too_long(f"{base}.description", event.description, column_limit(tables.activity.c.action)))
            found.append(_too_large(f"{base}.amount", event.amount_cents))
    policy = strategy.entry_policy
    rules = [("entry_policy.enterprise", policy.enterprise)]
    rules += [(f"entry_policy.portfolios[{p.portfolio}].rules", p.rules) for p in policy.portfolios if p.rules]
    for base, each in rules:
        found.append(_too_large(f"{base}.balance_over_cents", each.balance_over_cents))
        found.append(_too_large(f"{base}.min_payment_cents", each.min_payment_cents))
    for settings in policy.portfolios:
        if settings.assignment.assignment_type is AssignmentType.BALANCE_RANGE:
            for number, rule in enumerate(settings.assignment.rules, start=1):
                base = f"entry_policy.portfolios[{settings.portfolio}].assignment.rules[{number}]"
                found += [_too_large(f"{base}.from", rule.from_), _too_large(f"{base}.to", rule.to)]
    return tuple(problem for problem in found if problem is not None)


def strategy_problems(
    strategy: Strategy, portfolios: Collection[str] | None = None, previous: Strategy | None = None
) -> tuple[ConfigError, ...]:
    """Every rule the strategy breaks (:func:`validate_strategy`), every value its columns cannot store, and
    every letter template problem."""
    from arrears.letters.render import template_problems  # here: loading a strategy needs no template engine

    found = list(validate_strategy(strategy, portfolios, previous=previous))
    reported = {problem.path for problem in found}
    found.extend(problem for problem in storage_problems(strategy) if problem.path not in reported)
    for template in strategy.letters:
        found.extend(template_problems(template))
    return tuple(found)


def dump_strategy(strategy: Strategy) -> str:
    """The YAML document of *strategy*."""
    return dump_document(to_document(strategy))
