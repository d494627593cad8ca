"""Collections Admin, *Contact Plans* (seed 002): the list with Create, Update and Remove (Alt+C, Alt+U, Alt+R),
and the plan form with the seed's plan fields and its events — added, updated, removed and put in order on the
form, each event with the seed's Event form fields, a field shown only once its switch is on (the switches
refresh the form: htmx, or *Update the fields* without JavaScript). The dropdowns offer only what the
configuration has: letters, collectors and groups, plans (sub-plans too), the ledger kinds a transaction posts.

The form carries its events as the document's JSON until the plan is saved: an event is checked against the
whole configuration when it is put into the form (:func:`arrears.services.config_entities.plan_problems`), and the plan
is saved through the configuration use cases (a new, audited configuration version, the validation of the
configuration document), a refusal shown next to its field with nothing saved."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from arrears.domain.access import Principal
from arrears.domain.calendar import RepeatPeriod, format_delay_minutes, parse_delay_minutes
from arrears.domain.effects import PostingKind
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.fields import ACCOUNT_FIELDS
from arrears.domain.money import Money, MoneyError
from arrears.domain.plans import (
    MODES,
    SCHEDULE_IF_OPERATORS,
    AssignTo,
    EventType,
    LevelRange,
    Plan,
    PlanEvent,
    ScheduleIf,
    Timing,
)
from arrears.domain.priority import DEFAULT_PRIORITY
from arrears.domain.strategy import Strategy
from arrears.services import config_entities
from arrears.services.config_document import PlanEventDoc, plan_event_doc, plan_event_from
from arrears.services.database import Database
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.routes.admin import admin_only
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)

SWITCHES = (("delete_all_pending", "Delete all pending contacts"),
            ("prompt_before_deleting", "Prompt before deleting"),
            ("do_not_run_on_closed", "Do not run on closed debtors"), ("sub_plan", "Sub-plan"),
            ("prompt_for_start_date", "Prompt for start date"),
            ("run_on_close", "Run when an account closes"))  # fmt: skip
ACCESS_RANGES = 3
PLAN_FIELDS = ("code", "description", *(name for name, _ in SWITCHES), "access", "events",
               *(f"access_{n}" for n in range(1, ACCESS_RANGES + 1)))  # fmt: skip
EVENT_FIELDS = ("type", "description", "sequence", "assign_to", "operator", "timing", "days", "day_of_month",
                "delay_minutes", "repeat", "copy_on_repeat", "log_repeat_to_notes", "priority", "no_autocomplete",
                "no_autodelete", "mark_done_immediately", "delete_same_type", "same_description_only",
                "record_event_history", "amount", "promise_percent", "advance_promise_on_overpayment",
                "schedule_if")  # fmt: skip
EVENT_SWITCHES = (("no_autocomplete", "No autocomplete"), ("no_autodelete", "Do not autodelete"),
                  ("mark_done_immediately", "Mark done immediately"),
                  ("delete_same_type", "Delete same type contacts"))  # fmt: skip
TYPE_LABELS = {EventType.LETTER: "Letter", EventType.PHONE_CALL: "Phone", EventType.REVIEW: "Review",
               EventType.NOTE: "Note", EventType.STATUS_CHANGE: "Status", EventType.MODE: "Mode",
               EventType.PROMISE: "Promise", EventType.TRANSACTION: "Transaction", EventType.RUN_PLAN: "Plan",
               EventType.OPERATOR: "Operator", EventType.COMMISSION: "Commission", EventType.EMAIL: "E-mail",
               EventType.SMS: "SMS", EventType.CREDIT_REPORT: "Credit report (Metro)"}  # fmt: skip
TIMING_LABELS = {Timing.IMMEDIATELY: "Schedule immediately", Timing.DELAY_DAYS: "Delay days",
                 Timing.DAY_OF_MONTH: "Day of month", Timing.NEXT_MONTH_SAME_DAY: "Next month same day"}  # fmt: skip
ASSIGN_LABELS = {AssignTo.ACCOUNT_OPERATOR: "Assign to account operator",
                 AssignTo.CURRENT_OPERATOR: "Assign to current operator",
                 AssignTo.SPECIFIC_OPERATOR: "Assign to specific operator"}  # fmt: skip
OPERATOR_LABELS = {"=": "= Equal to", ">": "> Greater than", "<": "< Less than", "<>": "<> Not equal to",
                   "..": ".. Within a range", ">=": ">= Greater than or equal to",
                   "<=": "<= Less than or equal to"}  # fmt: skip
# The description is chosen from a list for these types (the field of the form that holds it); typed otherwise.
DESCRIPTION_LISTS = {EventType.LETTER: "letter", EventType.EMAIL: "letter", EventType.SMS: "letter",
                     EventType.RUN_PLAN: "plan", EventType.OPERATOR: "assignee", EventType.MODE: "mode",
                     EventType.TRANSACTION: "ledger_kind"}  # fmt: skip
_PATH = re.compile(r"^plans\[(?P<code>.*?)\](?:\.(?P<rest>.*))?$")
_EVENT = re.compile(r"^events\[(?P<sequence>-?\d+)\](?:\.(?P<field>\w+))?")
_ACCESS = re.compile(r"^access\[(?P<number>\d+)\]")


@dataclass(frozen=True, slots=True)
class _Draft:
    """What the form holds: the plan's fields as typed, its events, and the event open in the editor (its fields
    as typed; ``editing`` is "" when none is open, "new", or the index of the event in ``events``)."""

    values: dict[str, Any]
    events: list[PlanEvent]
    """In sequence order (the order they run in)."""
    editing: str = ""
    event: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.events.sort(key=lambda e: e.sequence)


def _event_index(draft: _Draft) -> int | None:
    return int(draft.editing) if draft.editing.isdigit() and int(draft.editing) < len(draft.events) else None


# ------------------------------------------------------------------------------------------- reading


def _events_json(events: Sequence[PlanEvent]) -> str:
    return json.dumps([plan_event_doc(e).model_dump(mode="json", exclude_defaults=True) for e in events])


def _events_from(form: FormInput) -> list[PlanEvent]:
    """The events the form carries (its hidden ``events`` field: the document's form of each)."""
    raw = str(form.values.get("events", "") or "[]")
    try:
        return [plan_event_from(PlanEventDoc.model_validate(item)) for item in json.loads(raw)]
    except (ValueError, TypeError, ValidationError):
        form.problems.append(Problem("events", "the events sent are not the form's: open the plan again"))
        return []


def _plan_values(form: FormInput) -> dict[str, Any]:
    values: dict[str, Any] = {"code": form.text("code"), "description": form.text("description")}
    values |= {name: form.checked(name) for name, _ in SWITCHES}
    for number in range(1, ACCESS_RANGES + 1):
        values[f"access_{number}_low"] = form.text(f"access_{number}_low")
        values[f"access_{number}_high"] = form.text(f"access_{number}_high")
    return values


def _event_values(form: FormInput) -> dict[str, Any]:
    """The event editor's fields as typed (``ev_`` fields of the form)."""
    texts = ("type", "description", "letter", "plan", "assignee", "mode", "ledger_kind", "sequence", "assign_to",
             "operator", "timing", "days", "day_of_month", "minutes_mode", "delay_minutes", "repeat", "priority",
             "amount", "promise_percent", "if_field", "if_operator", "if_value1", "if_value2")  # fmt: skip
    checks = ("copy_on_repeat", "log_repeat_to_notes", "same_description_only", "record_event_history",
              "advance_promise_on_overpayment", *(name for name, _ in EVENT_SWITCHES))  # fmt: skip
    return {name: form.text(f"ev_{name}") for name in texts} | {name: form.checked(f"ev_{name}") for name in checks}


def _draft(form: FormInput) -> _Draft:
    editing = form.text("editing")
    return _Draft(_plan_values(form), _events_from(form), editing, _event_values(form) if editing else None)


def _whole(text: str, name: str, problems: list[Problem]) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        problems.append(Problem(name, "must be a whole number", text))
        return None


def _plan(draft: _Draft, problems: list[Problem]) -> Plan:
    """The plan the form describes (its events as they are in the form)."""
    values, ranges = draft.values, []
    for number in range(1, ACCESS_RANGES + 1):
        low, high = values[f"access_{number}_low"], values[f"access_{number}_high"]
        if low or high:
            ends = [_whole(text, f"access_{number}", problems) for text in (low, high)]
            if None in ends:
                problems.append(Problem(f"access_{number}", "give both ends of the range (user levels 0–99)"))
            else:
                ranges.append(LevelRange(ends[0] or 0, ends[1] or 0))
    return Plan(values["code"], values["description"], values["delete_all_pending"],
                values["prompt_before_deleting"] and values["delete_all_pending"], values["do_not_run_on_closed"],
                values["sub_plan"], values["prompt_for_start_date"], values["run_on_close"], tuple(ranges),
                tuple(draft.events))  # fmt: skip


def _choice(enum: Any, text: str, default: Any, name: str, problems: list[Problem]) -> Any:
    """The choice ``text`` names (``default`` when none is made); one the form does not offer is a problem."""
    try:
        return enum(text) if text else default
    except ValueError:
        problems.append(Problem(name, f"choose one of {', '.join(item.value for item in enum)}", text))
        return default


def _event(values: dict[str, Any], problems: list[Problem]) -> PlanEvent:
    """The event the editor describes; a field is read only when its switch is on (seed 002: it is shown only
    then), so what was typed under a switch turned off is not saved."""
    kind = _choice(EventType, values["type"], EventType.NOTE, "ev_type", problems)
    listed = DESCRIPTION_LISTS.get(kind)
    description = values[listed] if listed else values["description"]
    assign = _choice(AssignTo, values["assign_to"], AssignTo.ACCOUNT_OPERATOR, "ev_assign_to", problems)
    timing = _choice(Timing, values["timing"], Timing.IMMEDIATELY, "ev_timing", problems)
    repeat = _choice(RepeatPeriod, values["repeat"], None, "ev_repeat", problems)
    minutes = None
    if values["minutes_mode"] == "delay":
        try:
            minutes = parse_delay_minutes(values["delay_minutes"])
        except ValueError as error:
            problems.append(Problem("ev_delay_minutes", str(error), values["delay_minutes"]))
            minutes = 0
    amount = None
    if kind is EventType.TRANSACTION and values["amount"]:
        try:
            amount = Money.parse(values["amount"]).cents
        except MoneyError as error:
            problems.append(Problem("ev_amount", str(error), values["amount"]))
    condition = None
    if values["if_field"]:
        condition = ScheduleIf(values["if_field"], values["if_operator"] or "=", values["if_value1"],
                               values["if_value2"] if values["if_operator"] == ".." else None)  # fmt: skip
    sequence = _whole(values["sequence"], "ev_sequence", problems)
    event = PlanEvent(
        sequence if sequence is not None else 0, kind, description, assign,
        values["operator"] or None if assign is AssignTo.SPECIFIC_OPERATOR else None, timing,
        _whole(values["days"], "ev_days", problems) if timing is Timing.DELAY_DAYS else None,
        _whole(values["day_of_month"], "ev_day_of_month", problems) if timing is Timing.DAY_OF_MONTH else None,
        minutes, repeat, bool(repeat and values["copy_on_repeat"]), bool(repeat and values["log_repeat_to_notes"]),
        _whole(values["priority"], "ev_priority", problems) or DEFAULT_PRIORITY, values["no_autocomplete"],
        values["no_autodelete"], values["mark_done_immediately"], values["delete_same_type"],
        values["delete_same_type"] and values["same_description_only"], values["record_event_history"], amount,
        _whole(values["promise_percent"], "ev_promise_percent", problems) if kind is EventType.PROMISE else None,
        kind is EventType.PROMISE and values["advance_promise_on_overpayment"], condition,
    )  # fmt: skip
    # Seed 002: when a contact is needed, Record event history is on and read only.
    return replace(event, record_event_history=True) if event.needs_contact else event


def _editor_values(event: PlanEvent) -> dict[str, Any]:
    """The editor's fields for a stored event."""
    listed = DESCRIPTION_LISTS.get(event.type)
    condition = event.schedule_if
    values: dict[str, Any] = {
        "type": event.type.value, "description": "" if listed else event.description, "letter": "", "plan": "",
        "assignee": "", "mode": "", "ledger_kind": "", "sequence": str(event.sequence),
        "assign_to": event.assign_to.value, "operator": event.operator or "", "timing": event.timing.value,
        "days": "" if event.days is None else str(event.days),
        "day_of_month": "" if event.day_of_month is None else str(event.day_of_month),
        "minutes_mode": "timeless" if event.delay_minutes is None else "delay",
        "delay_minutes": "" if event.delay_minutes is None else format_delay_minutes(event.delay_minutes),
        "repeat": event.repeat.value if event.repeat else "", "copy_on_repeat": event.copy_on_repeat,
        "log_repeat_to_notes": event.log_repeat_to_notes, "priority": str(event.priority),
        "same_description_only": event.same_description_only, "record_event_history": event.record_event_history,
        "amount": Money(event.amount_cents).plain() if event.amount_cents is not None else "",
        "promise_percent": "" if event.promise_percent is None else str(event.promise_percent),
        "advance_promise_on_overpayment": event.advance_promise_on_overpayment,
        "if_field": condition.field if condition else "", "if_operator": condition.operator if condition else "",
        "if_value1": str(condition.value1) if condition else "",
        "if_value2": str(condition.value2) if condition and condition.value2 is not None else "",
    }  # fmt: skip
    if listed:
        values[listed] = event.description
    return values | {name: getattr(event, name) for name, _ in EVENT_SWITCHES}


def _new_event_values(events: Sequence[PlanEvent]) -> dict[str, Any]:
    """A new event: the next sequence number, a timeless note scheduled immediately, history recorded."""
    after = max((e.sequence for e in events), default=0) + 1
    return _editor_values(PlanEvent(after, EventType.NOTE))


# ------------------------------------------------------------------------------------------- errors


def _field(location: str, code: str, sequence: int | None) -> str:
    """The form's field a configuration problem of plan ``code`` names: a plan field, ``access_N``, an editor
    field (``ev_…``) of the event open with ``sequence``, ``event_N`` for another event ('' for another
    entity's)."""
    found = _PATH.match(location)
    if found is None or found["code"] != code:
        return location
    rest = found["rest"] or "code"
    if access := _ACCESS.match(rest):
        return f"access_{access['number']}"
    if event := _EVENT.match(rest):
        if sequence is not None and int(event["sequence"]) == sequence:
            return f"ev_{event['field'] or 'sequence'}"
        return f"event_{event['sequence']}"
    return rest


def _errors(problems: Sequence[Problem], draft: _Draft, sequence: int | None) -> dict[str, list[str]]:
    code = draft.values["code"]
    known = [*PLAN_FIELDS, *(f"ev_{name}" for name in EVENT_FIELDS), *(f"event_{e.sequence}" for e in draft.events)]
    # a rule of an event no longer on the form (removed, renumbered) is shown at the top with its path
    located = [replace(p, location=field) if (field := _field(p.location, code, sequence)) in known else p
               for p in problems]  # fmt: skip
    return field_errors(located, known)


# ------------------------------------------------------------------------------------------- pages


def _choices(strategy: Strategy, code: str) -> dict[str, Any]:
    """What the dropdowns offer: the configuration's letters, collectors (active) and groups, plans (sub-plans
    and the plan itself too, which may run itself later), the ledger kinds a transaction event posts with the
    transaction type of each, the condition fields."""
    linked = {t.kind: t.code for t in strategy.transaction_types}
    plans = [(p.code, f"{p.code} — {p.description}" + (" (sub-plan)" if p.sub_plan else ""))
             for p in strategy.plans]  # fmt: skip
    if code and code not in {p.code for p in strategy.plans}:
        plans.append((code, f"{code} (this plan)"))
    return {
        "letters": [(t.code, f"{t.name} ({t.code})") for t in strategy.letters],
        "assignees": [(c.code, f"{c.name} ({c.code})") for c in strategy.collectors if c.active]
        + [(g.code, f"group {g.name} ({g.code})") for g in strategy.groups],
        "plans": plans,
        "ledger_kinds": [(k.value, k.value + (f" (transaction type {linked[k.value]})" if k.value in linked else ""))
                         for k in PostingKind],
        "modes": [(mode, mode.title()) for mode in MODES],
        "fields": sorted(ACCOUNT_FIELDS),
    }  # fmt: skip


def _form(request: Request, db: Database, principal: Principal, draft: _Draft, original: str,
          errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    shown_event = None
    if draft.event is not None:
        shown_problems: list[Problem] = []
        shown_event = _event(draft.event, shown_problems)
    context = {
        "form": draft.values, "events": draft.events, "events_json": _events_json(draft.events),
        "editing": draft.editing, "event": draft.event or {},
        "needs_contact": shown_event is not None and shown_event.needs_contact, "original": original,
        "tab": "plans", "errors": {"plan": errors or {}}, "switches": SWITCHES, "event_switches": EVENT_SWITCHES,
        "type_labels": TYPE_LABELS, "timing_labels": TIMING_LABELS, "assign_labels": ASSIGN_LABELS,
        "repeats": [r.value for r in RepeatPeriod],
        "operators": [(o, OPERATOR_LABELS[o]) for o in SCHEDULE_IF_OPERATORS],
        "description_lists": {k.value: v for k, v in DESCRIPTION_LISTS.items()}, "access_ranges": ACCESS_RANGES,
        "delay_text": format_delay_minutes, "money": lambda cents: Money(cents).plain(),
    } | _choices(strategy, draft.values.get("code", ""))  # fmt: skip
    return render(request, "admin_plan_form.html", context, viewer=principal, status=status)


@router.get("/admin/plans")
def plans_list(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """Contact Plans: every plan with its switches, access ranges, events and what runs it."""
    admin_only(principal)
    return _list(request, db, principal)


def _list(request: Request, db: Database, principal: Principal, problems: Sequence[Problem] = (),
          status: int = 200) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    run_by: dict[str, list[str]] = {}
    for kind in strategy.transaction_types:
        if kind.plan:
            run_by.setdefault(kind.plan, []).append(f"transaction type {kind.code}")
    context = {"plans": strategy.plans, "run_by": run_by, "switches": SWITCHES, "tab": "plans",
               "refusals": [p.rule for p in problems]}  # fmt: skip
    return render(request, "admin_plans.html", context, viewer=principal, status=status)


@router.get("/admin/plans/edit")
def edit(request: Request, principal: Viewer, db: DatabaseDep, selected: str = "") -> Response:
    """The form of a new plan (its first event open), or of the plan chosen in the list (Update)."""
    admin_only(principal)
    if not selected:
        values = _plan_values(FormInput({}))
        return _form(request, db, principal, _Draft(values, [], "new", _new_event_values([])), "")
    plan = load_strategy(db).plan(selected)
    if plan is None:
        raise PageRefused(404, f"There is no contact plan {selected!r}.")
    values = {"code": plan.code, "description": plan.description} | {name: getattr(plan, name) for name, _ in SWITCHES}
    for number in range(1, ACCESS_RANGES + 1):
        level = plan.access[number - 1] if number <= len(plan.access) else None
        values[f"access_{number}_low"] = "" if level is None else str(level.low)
        values[f"access_{number}_high"] = "" if level is None else str(level.high)
    return _form(request, db, principal, _Draft(values, list(plan.events)), plan.code)


def _put_event(db: Database, draft: _Draft, original: str) -> tuple[_Draft, dict[str, list[str]]]:
    """Put the editor's event into the form's events when the configuration takes it (checked as the plan would
    be saved with it, nothing written); else the rules next to the editor's fields."""
    assert draft.event is not None
    problems: list[Problem] = []
    event = _event(draft.event, problems)
    events = list(draft.events)
    index = _event_index(draft)
    if index is None:
        events.append(event)
    else:
        events[index] = event
    candidate = replace(draft, events=events)
    plan = _plan(candidate, [])
    problems += [p for p in config_entities.plan_problems(db, plan, original or None)
                 if _field(p.location, plan.code, event.sequence).startswith("ev_")]  # fmt: skip
    if problems:
        return draft, _errors(problems, draft, event.sequence)
    return _Draft(draft.values, events), {}


def _moved(events: list[PlanEvent], index: int, step: int) -> list[PlanEvent]:
    """The events with the one at ``index`` swapping its sequence number with its neighbour's in sequence order
    (the order events run in)."""
    ordered = sorted(range(len(events)), key=lambda i: events[i].sequence)
    at = ordered.index(index)
    other = at + step
    if not 0 <= other < len(ordered):
        return events
    first, second = events[ordered[at]], events[ordered[other]]
    moved = list(events)
    moved[ordered[at]], moved[ordered[other]] = (replace(first, sequence=second.sequence),
                                                 replace(second, sequence=first.sequence))  # fmt: skip
    return moved


@router.post("/admin/plans/save")
def save(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the plan (Save), or with ``op``: ``refresh`` show the fields the switches turn on, ``event-new`` open
    a new event, ``event-edit-N`` open event N, ``event-save`` put the open event into the plan, ``event-cancel``
    close it, ``event-remove-N`` remove event N, ``event-up-N`` / ``event-down-N`` run it earlier or later.
    Nothing is saved until the plan is, with the whole configuration valid."""
    admin_only(principal)
    original = form.text("original")
    draft = _draft(form)
    if form.problems:
        return _form(request, db, principal, draft, original, _errors(form.problems, draft, None), status=422)
    operation = op or form.text("op")
    action, _, number = operation.rpartition("-")
    index = int(number) - 1 if number.isdigit() and 0 < int(number) <= len(draft.events) else None
    if operation == "refresh":
        return _form(request, db, principal, draft, original)
    if operation == "event-new":
        return _form(request, db, principal, replace(draft, editing="new", event=_new_event_values(draft.events)),
                     original)  # fmt: skip
    if operation == "event-cancel":
        return _form(request, db, principal, replace(draft, editing="", event=None), original)
    if operation == "event-save" and draft.event is not None:
        kept, errors = _put_event(db, draft, original)
        return _form(request, db, principal, kept, original, errors, status=422 if errors else 200)
    if index is not None and action in ("event-edit", "event-remove", "event-up", "event-down"):
        if action == "event-edit":
            opened = replace(draft, editing=str(index), event=_editor_values(draft.events[index]))
            return _form(request, db, principal, opened, original)
        if action == "event-remove":
            events = [e for n, e in enumerate(draft.events) if n != index]
        else:
            events = _moved(draft.events, index, -1 if action == "event-up" else 1)
        return _form(request, db, principal, _Draft(draft.values, events), original)
    return _save_plan(request, db, principal, draft, original)


def _save_plan(request: Request, db: Database, principal: Principal, draft: _Draft, original: str) -> Response:
    """Save the plan; an event still open in the editor is put into it first."""
    if draft.event is not None:
        draft, errors = _put_event(db, draft, original)
        if errors:
            return _form(request, db, principal, draft, original, errors, status=422)
    problems: list[Problem] = []
    plan = _plan(draft, problems)
    try:
        if problems:
            raise ValidationFailed(problems)
        if original:
            config_entities.update_plan(db, original, plan, actor=principal.login)
        else:
            config_entities.create_plan(db, plan, actor=principal.login)
    except (ValidationFailed, NotFound) as refused:
        found = refused.problems if isinstance(refused, ValidationFailed) else [Problem("code", str(refused))]
        return _form(request, db, principal, draft, original, _errors(found, draft, None), status=422)
    return done(request, "/admin/plans", f"Plan {plan.code} saved.")


@router.get("/admin/plans/remove")
def remove_prompt(request: Request, principal: Viewer, selected: str = "") -> Response:
    """Ask before removing the plan chosen in the list."""
    admin_only(principal)
    if not selected:
        raise PageRefused(422, "Choose a contact plan in the list first.")
    return render(request, "admin_remove.html", {"kind": "plan", "name": selected, "action": "/admin/plans/remove",
                                                 "back": "/admin/plans"}, viewer=principal)  # fmt: skip


@router.post("/admin/plans/remove")
def remove(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Remove a plan nothing runs; the list with what runs it when something does (a transaction type, another
    plan's event, a run-plan action)."""
    admin_only(principal)
    code = form.text("selected").removeprefix("plan:")
    try:
        config_entities.delete_plan(db, code, actor=principal.login)
    except ValidationFailed as refused:
        return _list(request, db, principal, refused.problems, status=422)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    return done(request, "/admin/plans", f"Plan {code} removed.")
