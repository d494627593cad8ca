"""Collections Admin, *Milestones* (seed 004): the milestone schemes with Create, Update and Remove (Alt+C, Alt+U,
Alt+R), and the scheme form — who enters it, its milestones in order (what reaches each, how long it lasts, when it
decrements and resolves, where a payment reversal sends the account) and each milestone's actions with the
seed's Perform On events and only the parameters their kind uses. The dropdowns offer only what exists: the
portfolios, the holiday calendars of the holidays library, the collectors and groups, the letter templates, the
milestones of the scheme. Saving is one configuration use case validated with the whole configuration: a refused
form shows each rule next to its field and saves nothing; a scheme accounts stand in is not removed. Below the
list, the credit rating levels (seed 004's Gold, Silver, Bronze by points) and their look-back, changed through the
use case the API's ``PUT /credit-rating`` uses."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Principal
from arrears.domain.calendar import holiday_calendars
from arrears.domain.cases import Track
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.money import Money
from arrears.domain.strategy import Strategy
from arrears.domain.strategy.schemes import (
    ACTION_PARAMETERS,
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
    actions_summary,
)
from arrears.services import config_entities, config_items, config_rules
from arrears.services.database import Database
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.routes.admin import admin_only
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)
_Choice = TypeVar("_Choice")

SCHEME_FIELDS = ("code", "name", "portfolio", "collection_type", "entry_condition", "min_entry_amount",
                 "balance_basis", "jump", "jump_actions", "holds_auto_resolve", "holiday_country", "holiday_state",
                 "inactive", "milestones")  # fmt: skip
MILESTONE_FIELDS = ("name", "days_past_due", "amount", "condition", "duration_days", "duration_unit",
                    "decrement_condition", "resolve_below", "resolve_condition", "reversal_milestone")  # fmt: skip
ACTION_FIELDS = ("kind", "perform_on", "condition", "request_type", "assignee", "line_item_type", "amount",
                 "percent_of_balance", "text", "template", "points")  # fmt: skip
PARAMETER_FIELDS = {"amount_cents": "amount"}
"""The form's name of a domain parameter, where the two differ."""
KIND_LABELS = {MilestoneActionKind.SERVICE_REQUEST: "Service Request", MilestoneActionKind.ONE_OFF_CHARGE:
               "One-Off Charge", MilestoneActionKind.ALERT: "Alert", MilestoneActionKind.NOTICE: "Notice",
               MilestoneActionKind.LOG: "Log", MilestoneActionKind.DEPOSIT_DEMAND: "Deposit Demand",
               MilestoneActionKind.ONE_OFF_PENALTY: "One-Off Penalty",
               MilestoneActionKind.CREDIT_RATING: "Credit Rating"}  # fmt: skip
TRACK_LABELS = {Track.GUARANTOR: "Guarantor", Track.INSURANCE: "Insurance"}
_SCHEME_PATH = re.compile(r"^schemes\[(?P<code>.*?)\](?:\.(?P<rest>.*))?$")
_MILESTONE_PATH = re.compile(r"^milestones\[(?P<m>\d+)\](?:\.actions\[(?P<a>\d+)\])?(?:\.(?P<field>.*))?$")
_MILESTONE_KEY = re.compile(r"^m(?P<m>\d+)\.name$")
_ACTION_KEY = re.compile(r"^m(?P<m>\d+)\.a(?P<a>\d+)\.kind$")
_LEVEL_KEY = re.compile(r"^level\.(?P<n>\d+)\.name$")
_RATING_PATH = re.compile(r"^credit_rating\.(?:levels\[(?P<n>\d+)\]\.)?(?P<field>\w+)$")


def action_fields(kind: str) -> tuple[str, ...]:
    """The parameter fields of the form for an action of ``kind`` (none for an unknown kind)."""
    try:
        used = ACTION_PARAMETERS[MilestoneActionKind(kind)]
    except ValueError:
        return ()
    return tuple(PARAMETER_FIELDS.get(name, name) for name in used)


# ------------------------------------------------------------------------------------------- the list


@router.get("/admin/milestones")
def milestones_tab(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """The milestone schemes: code, name, portfolio, collection type, milestones, inactive."""
    admin_only(principal)
    return _list(request, db, principal)


def _list(request: Request, db: Database, principal: Principal, problems: Sequence[Problem] = (),
          status: int = 200, rating: dict[str, Any] | None = None,
          rating_errors: dict[str, list[str]] | None = None) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    context = {"schemes": strategy.schemes, "tab": "milestones", "track_labels": TRACK_LABELS,
               "refusals": [p.rule for p in problems],
               "rating": rating if rating is not None else _rating_values(strategy.credit_rating),
               "errors": {"rating": rating_errors or {}}}  # fmt: skip
    return render(request, "admin_milestones.html", context, viewer=principal, status=status)


# ------------------------------------------------------------------------------------ the credit rating


def _rating_values(rating: CreditRating) -> dict[str, Any]:
    return {"levels": [{"name": level.name, "min_points": str(level.min_points)} for level in rating.levels],
            "lookback_days": _number(rating.lookback_days)}  # fmt: skip


def _rating_form_values(form: FormInput) -> dict[str, Any]:
    """The levels as typed, numbered from 1 as shown (whatever numbers the posted fields had)."""
    numbers = sorted(int(hit["n"]) for name in form.values if (hit := _LEVEL_KEY.match(name)))
    levels = [{"name": form.text(f"level.{n}.name"), "min_points": form.text(f"level.{n}.min_points")}
              for n in numbers]  # fmt: skip
    return {"levels": levels, "lookback_days": form.text("lookback_days")}


def _rating(values: dict[str, Any]) -> CreditRating:
    """The credit rating the form's values describe; every number that is not one is raised at once."""
    form = FormInput({f"level.{n}.{name}": value for n, level in enumerate(values["levels"], start=1)
                      for name, value in level.items()} | {"lookback_days": values["lookback_days"]})  # fmt: skip
    levels = []
    for n, level in enumerate(values["levels"], start=1):
        if not level["min_points"]:
            form.problems.append(Problem(f"level.{n}.min_points", "is required"))
        points = form.optional_int(f"level.{n}.min_points")
        levels.append(CreditLevel(level["name"], points if points is not None else 0))
    lookback = form.optional_int("lookback_days")
    form.raise_problems()
    return CreditRating(tuple(levels), lookback)


def _rating_field(problem: Problem) -> Problem:
    """The problem named by the form's field (``credit_rating.levels[2].min_points`` is ``level.2.min_points``)."""
    found = _RATING_PATH.match(problem.location)
    if found is None:
        return problem
    name = f"level.{found['n']}.{found['field']}" if found["n"] else found["field"]
    return replace(problem, location=name)


def _rating_errors(problems: Sequence[Problem], values: dict[str, Any]) -> dict[str, list[str]]:
    fields = ["levels", "lookback_days"]
    for n, _ in enumerate(values["levels"], start=1):
        fields += [f"level.{n}.name", f"level.{n}.min_points"]
    return field_errors([_rating_field(p) for p in problems], fields)


def _rating_edited(values: dict[str, Any], operation: str) -> bool:
    """Add or remove a level on the form (nothing saved); False when ``operation`` is neither."""
    levels: list[dict[str, str]] = values["levels"]
    if operation == "add-level":
        levels.append({"name": "", "min_points": ""})
    elif hit := re.fullmatch(r"remove-level-(\d+)", operation):
        values["levels"] = [level for n, level in enumerate(levels, start=1) if n != int(hit[1])]
    else:
        return False
    return True


@router.post("/admin/milestones/credit-rating")
def save_credit_rating(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the credit rating levels and look-back (a new configuration version, audited, validated as the API's
    ``PUT /credit-rating`` is), or with ``op``: add a level, remove one (the form only)."""
    admin_only(principal)
    values = _rating_form_values(form)
    if _rating_edited(values, op or form.text("op")):
        return _list(request, db, principal, rating=values)
    try:
        rating = _rating(values)
        config_items.set_credit_rating(db, rating, actor=principal.login)
    except ValidationFailed as refused:
        return _list(request, db, principal, rating=values, rating_errors=_rating_errors(refused.problems, values),
                     status=422)  # fmt: skip
    shown = ", ".join(f"{level.name} from {level.min_points}" for level in rating.levels)
    return done(request, "/admin/milestones", f"Credit rating saved: {shown} points.")


# ------------------------------------------------------------------------------------------- the form


def _money(cents: int | None) -> str:
    return "" if cents is None else Money(cents).plain()


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _action_values(action: MilestoneAction) -> dict[str, str]:
    return {"kind": action.kind.value, "perform_on": action.perform_on.value, "condition": action.condition or "",
            "request_type": action.request_type or "", "assignee": action.assignee or "",
            "line_item_type": action.line_item_type or "", "amount": _money(action.amount_cents),
            "percent_of_balance": _number(action.percent_of_balance), "text": action.text or "",
            "template": action.template or "", "points": _number(action.points)}  # fmt: skip


def _milestone_values(milestone: Milestone) -> dict[str, Any]:
    return {"name": milestone.name, "days_past_due": _number(milestone.days_past_due),
            "amount": _money(milestone.amount_cents), "condition": milestone.condition or "",
            "duration_days": str(milestone.duration_days), "duration_unit": milestone.duration_unit.value,
            "decrement_condition": milestone.decrement_condition or "",
            "resolve_below": _money(milestone.resolve_below_cents),
            "resolve_condition": milestone.resolve_condition or "",
            "reversal_milestone": milestone.reversal_milestone or "",
            "actions": [_action_values(a) for a in milestone.actions]}  # fmt: skip


def _scheme_values(scheme: Scheme) -> dict[str, Any]:
    return {"code": scheme.code, "name": scheme.name, "portfolio": scheme.portfolio or "",
            "collection_type": scheme.track.value, "entry_condition": scheme.entry_condition or "",
            "min_entry_amount": _money(scheme.min_entry_cents), "balance_basis": scheme.balance_basis.value,
            "jump": scheme.jump, "jump_actions": scheme.jump_actions.value,
            "holds_auto_resolve": scheme.holds_auto_resolve, "holiday_country": scheme.holiday_country,
            "holiday_state": scheme.holiday_state, "inactive": scheme.inactive,
            "milestones": [_milestone_values(m) for m in scheme.milestones]}  # fmt: skip


def _new_milestone() -> dict[str, Any]:
    return {"duration_days": "0", "duration_unit": DurationUnit.CALENDAR.value, "actions": []}


def _new_action() -> dict[str, str]:
    return {"kind": MilestoneActionKind.NOTICE.value, "perform_on": PerformOn.ENTRY.value}


def _numbers(form: FormInput, pattern: re.Pattern[str], **match: str) -> list[int]:
    """The numbers of the milestones (or of one milestone's actions) the form holds, in order."""
    found = set()
    for name in form.values:
        hit = pattern.match(name)
        if hit is not None and all(hit[key] == value for key, value in match.items()):
            found.add(int(hit["a" if "m" in match else "m"]))
    return sorted(found)


def _form_values(form: FormInput) -> dict[str, Any]:
    """What the form holds as typed: the scheme's fields, its milestones and their actions (numbered from 1 as
    shown, whatever numbers the posted fields had)."""
    values: dict[str, Any] = {name: form.text(name) for name in SCHEME_FIELDS if name != "milestones"}
    values |= {name: form.checked(name) for name in ("jump", "holds_auto_resolve", "inactive")}
    milestones = []
    for m in _numbers(form, _MILESTONE_KEY):
        milestone: dict[str, Any] = {name: form.text(f"m{m}.{name}") for name in MILESTONE_FIELDS}
        milestone["actions"] = []
        for a in _numbers(form, _ACTION_KEY, m=str(m)):
            action = {name: form.text(f"m{m}.a{a}.{name}") for name in ("kind", "perform_on", "condition")}
            action |= {name: form.text(f"m{m}.a{a}.{name}") for name in action_fields(action["kind"])}
            milestone["actions"].append(action)
        milestones.append(milestone)
    values["milestones"] = milestones
    return values


def _options(strategy: Strategy, db: Database, values: dict[str, Any]) -> dict[str, Any]:
    """The choices the dropdowns offer for what the form holds now."""
    calendars = holiday_calendars()
    names = [m["name"] for m in values["milestones"] if m.get("name")]
    assignees = [(c.code, f"{c.name} ({c.code})") for c in strategy.collectors if c.active]
    assignees += [(g.code, f"group {g.name} ({g.code})") for g in strategy.groups]
    return {
        "portfolios": [("", "the enterprise (every portfolio without its own)")]
        + [(line.portfolio, f"{line.name} ({line.portfolio})") for line in config_rules.portfolio_table(db)],
        "tracks": [(t.value, label) for t, label in TRACK_LABELS.items()],
        "bases": [(BalanceBasis.ENTRY.value, "the balance at entry"),
                  (BalanceBasis.DELINQUENT.value, "the balance of the day (delinquent)")],
        "jumps": [(JumpActions.EACH.value, "the entry actions of each milestone passed"),
                  (JumpActions.LAST.value, "only those of the milestone reached")],
        "countries": [(code, code) for code in calendars],
        "states": [(code, code) for code in calendars.get(values.get("holiday_country", ""), ())],
        "units": [(DurationUnit.CALENDAR.value, "calendar days"), (DurationUnit.BUSINESS.value, "business days")],
        "milestone_names": [(name, name) for name in names],
        "kinds": [(k.value, KIND_LABELS[k]) for k in MilestoneActionKind],
        "events": [(p.value, p.label) for p in PerformOn],
        "assignees": assignees,
        "letters": [(t.code, f"{t.name} ({t.code})") for t in strategy.letters],
        "action_fields": action_fields,
    }  # fmt: skip


def _field(problem: Problem, code: str) -> str:
    """The form's field a configuration problem of the scheme ``code`` names (else the location itself)."""
    location = problem.location
    found = _SCHEME_PATH.match(location)
    if found is None or found["code"] != code:
        return location
    rest = found["rest"]
    if rest is None:  # the scheme as a whole: its code taken, or its portfolio's active scheme
        return "code" if problem.rule.endswith(("already exists", "more than once")) else "portfolio"
    if rest == "holidays":
        return "holiday_country"
    inner = _MILESTONE_PATH.match(rest)
    if inner is None:
        return rest
    where = f"m{inner['m']}" + (f".a{inner['a']}" if inner["a"] else "")
    return f"{where}.{inner['field']}" if inner["field"] else where


def _errors(problems: Sequence[Problem], values: dict[str, Any]) -> dict[str, list[str]]:
    fields: list[str] = list(SCHEME_FIELDS)
    for m, milestone in enumerate(values["milestones"], start=1):
        fields += [f"m{m}", *(f"m{m}.{name}" for name in MILESTONE_FIELDS)]
        for a, _ in enumerate(milestone["actions"], start=1):
            fields += [f"m{m}.a{a}", *(f"m{m}.a{a}.{name}" for name in ACTION_FIELDS)]
    located = [replace(problem, location=_field(problem, values["code"])) for problem in problems]
    return field_errors(located, fields)


def _form(request: Request, db: Database, principal: Principal, values: dict[str, Any], original: str,
          errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    stored = strategy.scheme(original) if original else None
    context = {"form": values, "original": original, "tab": "milestones", "errors": {"scheme": errors or {}},
               "summary": actions_summary(stored) if stored is not None else ()} | _options(strategy, db, values)
    return render(request, "admin_milestone_form.html", context, viewer=principal, status=status)


@router.get("/admin/milestones/edit")
def edit(request: Request, principal: Viewer, db: DatabaseDep, selected: str = "") -> Response:
    """The form of a new scheme (with its first milestone), or of the one chosen in the list (Update)."""
    admin_only(principal)
    if not selected:
        values: dict[str, Any] = {"collection_type": Track.GUARANTOR.value, "balance_basis": BalanceBasis.ENTRY.value,
                                  "jump_actions": JumpActions.EACH.value, "holiday_country": "US",
                                  "min_entry_amount": "0.00", "milestones": [_new_milestone()]}  # fmt: skip
        return _form(request, db, principal, values, "")
    scheme = load_strategy(db).scheme(selected)
    if scheme is None:
        raise PageRefused(404, f"There is no scheme {selected!r}.")
    return _form(request, db, principal, _scheme_values(scheme), selected)


def _choice(form: FormInput, name: str, kind: Callable[[str], _Choice], rule: str) -> _Choice | None:
    try:
        return kind(form.text(name))
    except ValueError:
        form.problems.append(Problem(name, rule, form.text(name)))
        return None


def _action(form: FormInput, prefix: str) -> MilestoneAction | None:
    kind = _choice(form, f"{prefix}.kind", MilestoneActionKind, "choose the kind of action")
    event = _choice(form, f"{prefix}.perform_on", PerformOn, "choose when it is performed")
    if kind is None or event is None:
        return None
    used = action_fields(kind.value)

    def text(name: str) -> str | None:
        return (form.text(f"{prefix}.{name}") or None) if name in used else None

    def number(name: str) -> int | None:
        return form.optional_int(f"{prefix}.{name}") if name in used else None

    amount = form.optional_amount_cents(f"{prefix}.amount") if "amount" in used else None
    return MilestoneAction(kind, event, form.text(f"{prefix}.condition") or None, text("request_type"),
                           text("assignee"), text("line_item_type"), amount, number("percent_of_balance"),
                           text("text"), text("template"), number("points"))  # fmt: skip


def _milestone(form: FormInput, m: int, actions: Sequence[int]) -> Milestone | None:
    prefix = f"m{m}"
    unit = _choice(form, f"{prefix}.duration_unit", DurationUnit, "choose calendar or business days")
    days = form.optional_int(f"{prefix}.duration_days")
    made = [_action(form, f"{prefix}.a{a}") for a in actions]
    milestone = Milestone(
        form.text(f"{prefix}.name"), form.optional_int(f"{prefix}.days_past_due"),
        form.optional_amount_cents(f"{prefix}.amount"), form.text(f"{prefix}.condition") or None,
        days if days is not None else 0, unit or DurationUnit.CALENDAR,
        form.text(f"{prefix}.decrement_condition") or None, form.optional_amount_cents(f"{prefix}.resolve_below"),
        form.text(f"{prefix}.resolve_condition") or None, form.text(f"{prefix}.reversal_milestone") or None,
        tuple(a for a in made if a is not None),
    )  # fmt: skip
    return milestone if unit is not None and None not in made else None


def _scheme(form: FormInput) -> Scheme:
    """The scheme the form describes; every problem reading it is raised at once (nothing saved)."""
    track = _choice(form, "collection_type", Track, "choose Guarantor or Insurance")
    basis = _choice(form, "balance_basis", BalanceBasis, "choose the balance milestone amounts compare with")
    jump_actions = _choice(form, "jump_actions", JumpActions, "choose which entry actions a jump performs")
    minimum = form.optional_amount_cents("min_entry_amount")
    milestones = [_milestone(form, m, _numbers(form, _ACTION_KEY, m=str(m))) for m in _numbers(form, _MILESTONE_KEY)]
    form.raise_problems()
    assert track is not None and basis is not None and jump_actions is not None
    return Scheme(form.text("code"), form.text("name"), tuple(m for m in milestones if m is not None),
                  form.text("portfolio") or None, track, form.text("entry_condition") or None, minimum or 0, basis,
                  form.checked("jump"), jump_actions, form.checked("holds_auto_resolve"),
                  form.text("holiday_country"), form.text("holiday_state"), form.checked("inactive"))  # fmt: skip


def _edited(values: dict[str, Any], operation: str) -> bool:
    """Apply a form operation that changes only what the form shows (add or remove a milestone or an action);
    False when ``operation`` is none of them."""
    milestones: list[dict[str, Any]] = values["milestones"]
    if operation == "add-milestone":
        milestones.append(_new_milestone())
    elif hit := re.fullmatch(r"add-action-(\d+)", operation):
        index = int(hit[1]) - 1
        if 0 <= index < len(milestones):
            milestones[index]["actions"].append(_new_action())
    elif hit := re.fullmatch(r"remove-milestone-(\d+)", operation):
        values["milestones"] = [m for n, m in enumerate(milestones, start=1) if n != int(hit[1])]
    elif hit := re.fullmatch(r"remove-action-(\d+)-(\d+)", operation):
        index = int(hit[1]) - 1
        if 0 <= index < len(milestones):
            actions = milestones[index]["actions"]
            milestones[index]["actions"] = [a for n, a in enumerate(actions, start=1) if n != int(hit[2])]
    elif operation != "refresh":
        return False
    return True


@router.post("/admin/milestones/save")
def save(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the scheme (a new configuration version), or with ``op``: ``refresh`` the choices for what the form
    holds (an action's kind, the country), add or remove a milestone or an action. Nothing is saved until the
    whole configuration is valid."""
    admin_only(principal)
    values = _form_values(form)
    original = form.text("original")
    if _edited(values, op or form.text("op")):
        return _form(request, db, principal, values, original)
    try:
        scheme = _scheme(form)
        if original:
            config_entities.update_scheme(db, original, scheme, actor=principal.login)
        else:
            config_entities.create_scheme(db, scheme, actor=principal.login)
    except (ValidationFailed, NotFound) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [Problem("code", str(refused))]
        return _form(request, db, principal, values, original, _errors(problems, values), status=422)
    return done(request, "/admin/milestones", f"Scheme {values['code']} saved.")


@router.get("/admin/milestones/remove")
def remove_prompt(request: Request, principal: Viewer, selected: str = "") -> Response:
    """Ask before removing the scheme chosen in the list."""
    admin_only(principal)
    if not selected:
        raise PageRefused(422, "Choose a scheme in the list first.")
    return render(request, "admin_remove.html", {"kind": "scheme", "name": selected,
                                                 "action": "/admin/milestones/remove", "back": "/admin/milestones"},
                  viewer=principal)  # fmt: skip


@router.post("/admin/milestones/remove")
def remove(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Remove a scheme no account stands in; the list with the reason when accounts do."""
    admin_only(principal)
    code = form.text("selected").removeprefix("scheme:")
    try:
        config_entities.delete_scheme(db, code, actor=principal.login)
    except ValidationFailed as refused:
        return _list(request, db, principal, refused.problems, status=422)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    return done(request, "/admin/milestones", f"Scheme {code} removed.")
