"""Collections Admin, *Actions & Action Series* (seeds 000 and 001): the list with Create, Update and Remove
(Alt+C, Alt+U, Alt+R), and the action and series forms with the seed's fields. The dropdowns offer only what the
configuration allows: a next action or a series step of a fitting collection type available to the chosen
practices (an action with a letter shown as "Name (Letter)"), follow-up days only once a next action is chosen,
final actions by collection type. Saving goes through the configuration use cases, which validate the whole
configuration: a refused form shows each rule next to its field and nothing is saved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Permission, Principal
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.strategy import (
    Action,
    ActionKind,
    ActionParams,
    CollectionType,
    FinalAction,
    Series,
    SeriesStep,
    Strategy,
    final_actions_for,
    usable_in,
)
from arrears.services import config_entities
from arrears.services.database import Database
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)

ACTION_FIELDS = ("action_type", "collection_type", "name", "letter", "next_action", "follow_up_days", "inactive",
                 "portfolios")  # fmt: skip
SERIES_FIELDS = ("action_type", "collection_type", "name", "inactive", "portfolios", "steps", "new_step",
                 "final_action", "custom_action")  # fmt: skip
TYPE_LABELS = {CollectionType.GUARANTOR: "Guarantor", CollectionType.INSURANCE: "Insurance",
               CollectionType.GUARANTOR_INSURANCE: "Guarantor/Insurance"}  # fmt: skip
FINAL_LABELS = {FinalAction.CUSTOM: "Custom", FinalAction.EXTERNAL_COLLECTIONS: "External Collections"}
_PATH = re.compile(r"^(?:actions|series)\[(?P<name>.*?)\](?:\.(?P<rest>.*))?$")
_STEP = re.compile(r"^steps\[(?P<number>\d+)\](?:\..*)?$")


def admin_only(principal: Principal) -> Principal:
    """The signed-in user, when they may change the enterprise-wide configuration (the API's ``admin``
    permission; else 403)."""
    if not principal.can(Permission.ADMIN):
        raise PageRefused(403, "This page of Collections Admin is for administrators.")
    return principal


def configurer(principal: Principal, portfolio: str | None = None) -> Principal:
    """The signed-in user, when they may change a portfolio's own collections settings as the API lets them
    (the ``configure`` permission: an administrator, or a manager for their portfolios); else 403, and 404 for
    a ``portfolio`` outside theirs (the same answer as one that does not exist)."""
    if not principal.can(Permission.CONFIGURE):
        raise PageRefused(403, "Collections Admin is for administrators and managers.")
    if portfolio is not None and not principal.sees(portfolio):
        raise PageRefused(404, f"There is no practice {portfolio!r}.")
    return principal


def _field(location: str, name: str) -> str:
    """The form's field a configuration problem of the entity ``name`` names ('' for one of another entity)."""
    found = _PATH.match(location)
    if found is None or found["name"] != name:
        return location
    rest = found["rest"] or "name"
    if rest.startswith("params."):
        return "letter"
    if step := _STEP.match(rest):
        return f"step_{step['number']}"
    return rest


def _errors(problems: Sequence[Problem], name: str, fields: Sequence[str], steps: int) -> dict[str, list[str]]:
    known = [*fields, *(f"step_{n}" for n in range(1, steps + 1))]
    located = [replace(p, location=_field(p.location, name)) for p in problems]
    return field_errors(located, known)


# ------------------------------------------------------------------------------------------------ list


@router.get("/admin/actions")
def actions_list(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """Actions & Action Series: every action and series with its collection type, letter, next action or steps,
    and practices."""
    admin_only(principal)
    return _list(request, db, principal)


def _list(request: Request, db: Database, principal: Principal, problems: Sequence[Problem] = (),
          status: int = 200) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    context = {"strategy": strategy, "type_labels": TYPE_LABELS, "final_labels": FINAL_LABELS,
               "refusals": [f"{p.rule}" for p in problems]}  # fmt: skip
    return render(request, "admin_actions.html", context, viewer=principal, status=status)


def _selected(selected: str) -> tuple[str, str]:
    """``action:NAME`` or ``series:NAME`` from the list's choice."""
    kind, _, name = selected.partition(":")
    if kind not in ("action", "series") or not name:
        raise PageRefused(422, "Choose an action or a series in the list first.")
    return kind, name


# ------------------------------------------------------------------------------------------------ forms


def _portfolio_codes(db: Database) -> list[str]:
    return sorted(p.portfolio for p in load_strategy(db).entry_policy.portfolios)


def _letter_label(strategy: Strategy, action: Action) -> str:
    letter = action.collection_letter
    found = next((t for t in strategy.letters if t.code == letter), None)
    return f"{action.name} ({found.name if found else letter})" if letter else action.name


def _action_values(action: Action) -> dict[str, Any]:
    return {"action_type": "action", "collection_type": action.collection_type.value, "name": action.name,
            "letter": action.collection_letter or "", "next_action": action.next_action or "",
            "follow_up_days": "" if action.follow_up_days is None else str(action.follow_up_days),
            "inactive": action.inactive, "portfolios": list(action.portfolios), "all_portfolios": action.all_portfolios,
            "kind": action.kind.value}  # fmt: skip


def _series_values(series: Series) -> dict[str, Any]:
    return {"action_type": "series", "collection_type": series.collection_type.value, "name": series.name,
            "inactive": series.inactive, "portfolios": list(series.portfolios),
            "all_portfolios": series.all_portfolios, "final_action": series.final_action.value,
            "custom_action": series.custom_action or "",
            "steps": [(s.action, str(s.days_until_next)) for s in series.steps]}  # fmt: skip


def _form_values(form: FormInput) -> dict[str, Any]:
    """What the form holds as typed (checkboxes as booleans, steps as (action, days) pairs)."""
    actions, days = form.lists.get("step_action", []), form.lists.get("step_days", [])
    return {name: form.text(name) for name in ("action_type", "collection_type", "name", "letter", "next_action",
                                                 "follow_up_days", "final_action", "custom_action", "kind",
                                                 "new_step_action", "new_step_days")} | {
        "inactive": form.checked("inactive"), "portfolios": form.many("portfolio"),
        "all_portfolios": form.checked("all_portfolios"), "steps": list(zip(actions, days, strict=False)),
    }  # fmt: skip


def _collection_type(value: str) -> CollectionType | None:
    try:
        return CollectionType(value)
    except ValueError:
        return None


def _options(strategy: Strategy, values: dict[str, Any], original: str) -> dict[str, Any]:
    """The choices the form's dropdowns offer for what it holds now."""
    chosen = _collection_type(values.get("collection_type", ""))
    everywhere, codes = bool(values.get("all_portfolios")), values.get("portfolios", [])
    usable = [a for a in strategy.actions if a.name != original and not a.inactive
              and usable_in(a, chosen, everywhere, codes)]  # fmt: skip
    series_type = chosen if chosen is not CollectionType.GUARANTOR_INSURANCE else None
    steps = [a for a in strategy.actions if not a.inactive and usable_in(a, series_type, everywhere, codes)]
    return {
        "next_actions": [(a.name, _letter_label(strategy, a)) for a in usable],
        "step_actions": [(a.name, _letter_label(strategy, a)) for a in steps],
        "final_actions": [(f.value, FINAL_LABELS[f]) for f in final_actions_for(series_type)] if series_type else [],
        "letters": [(t.code, f"{t.name} ({t.code})") for t in strategy.letters],
    }  # fmt: skip


def _form(request: Request, db: Database, principal: Principal, values: dict[str, Any], original: str,
          original_type: str, errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    series = values.get("action_type") == "series"
    context = {"form": values, "original": original, "original_type": original_type, "series_form": series,
               "type_options": [(t.value, TYPE_LABELS[t]) for t in CollectionType
                                if not (series and t is CollectionType.GUARANTOR_INSURANCE)],
               "all_codes": _portfolio_codes(db), "errors": {"admin": errors or {}}} | _options(strategy, values,
                                                                                               original)  # fmt: skip
    return render(request, "admin_action_form.html", context, viewer=principal, status=status)


@router.get("/admin/actions/edit")
def edit(request: Request, principal: Viewer, db: DatabaseDep, selected: str = "", type: str = "action") -> Response:
    """The form of a new action or series (``type``), or of the one ``selected`` in the list (Update)."""
    admin_only(principal)
    if not selected:
        values: dict[str, Any] = {"action_type": "series" if type == "series" else "action",
                                  "collection_type": CollectionType.GUARANTOR.value, "portfolios": [], "steps": []}
        return _form(request, db, principal, values, "", "")
    kind, name = _selected(selected)
    strategy = load_strategy(db)
    if kind == "action" and (action := strategy.action(name)) is not None:
        return _form(request, db, principal, _action_values(action), name, kind)
    if kind == "series" and (found := strategy.series_named(name)) is not None:
        return _form(request, db, principal, _series_values(found), name, kind)
    raise PageRefused(404, f"There is no {kind} {name!r}.")


def _action(form: FormInput, values: dict[str, Any], existing: Action | None) -> Action:
    """The action the form describes; a new one with a collection letter is a letter action, one without a
    review (a task for a collector); an existing one keeps what it does."""
    chosen = _collection_type(values["collection_type"])
    if chosen is None:
        form.problems.append(Problem("collection_type", "choose Guarantor, Insurance or Guarantor/Insurance"))
    days = form.optional_int("follow_up_days") if values["next_action"] else None
    letter = values["letter"] or None
    kind = existing.kind if existing is not None else (ActionKind.LETTER if letter else ActionKind.REVIEW)
    params = existing.params if existing is not None else ActionParams()
    if kind is ActionKind.LETTER:
        params, carried = replace(params, template_code=letter), None
    else:
        carried = letter
    form.raise_problems()
    assert chosen is not None
    return Action(values["name"], chosen, kind, params, carried, values["next_action"] or None, days,
                  values["inactive"], tuple(values["portfolios"]) if not values["all_portfolios"] else (),
                  values["all_portfolios"])  # fmt: skip


def _series(form: FormInput, values: dict[str, Any]) -> Series:
    chosen = _collection_type(values["collection_type"])
    if chosen is None:
        form.problems.append(Problem("collection_type", "choose Guarantor or Insurance"))
    steps = []
    for number, (action, days) in enumerate(values["steps"], start=1):
        try:
            steps.append(SeriesStep(action, int(days)))
        except ValueError:
            form.problems.append(Problem(f"series[{values['name']}].steps[{number}]", "days must be a whole number",
                                         days))  # fmt: skip
    try:
        final = FinalAction(values["final_action"])
    except ValueError:
        final = None
        form.problems.append(Problem("final_action", "choose the final action of the series"))
    form.raise_problems()
    assert chosen is not None and final is not None
    custom = values["custom_action"] or None if final is FinalAction.CUSTOM else None
    return Series(values["name"], chosen, tuple(steps), final, custom, values["inactive"],
                  tuple(values["portfolios"]) if not values["all_portfolios"] else (), values["all_portfolios"])


@router.post("/admin/actions/save")
def save(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the form (Apply and Save), or with ``op``: ``refresh`` the choices for what it holds, ``add`` the new
    series step and show the form again for the next (Save & Add Next), ``remove-N`` step N. Nothing is saved
    until the whole configuration is valid."""
    admin_only(principal)
    values = _form_values(form)
    original, original_type = form.text("original"), form.text("original_type")
    operation = op or form.text("op")
    series = values["action_type"] == "series"
    if operation == "add":
        if values["new_step_action"]:
            values["steps"].append((values["new_step_action"], values["new_step_days"] or "0"))
            values["new_step_action"] = values["new_step_days"] = ""
        return _form(request, db, principal, values, original, original_type)
    if operation.startswith("remove-") and operation[7:].isdigit():
        index = int(operation[7:]) - 1
        values["steps"] = [step for n, step in enumerate(values["steps"]) if n != index]
        return _form(request, db, principal, values, original, original_type)
    if operation == "refresh":
        return _form(request, db, principal, values, original, original_type)
    strategy = load_strategy(db)
    try:
        if series:
            made = _series(form, values)
            if original_type == "series":
                config_entities.update_series(db, original, made, actor=principal.login)
            else:
                config_entities.create_series(db, made, actor=principal.login)
        else:
            existing = strategy.action(original) if original_type == "action" else None
            action = _action(form, values, existing)
            if existing is not None:
                config_entities.update_action(db, original, action, actor=principal.login)
            else:
                config_entities.create_action(db, action, actor=principal.login)
    except (ValidationFailed, NotFound) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [Problem("name", str(refused))]
        fields = SERIES_FIELDS if series else ACTION_FIELDS
        errors = _errors(problems, values["name"], fields, len(values["steps"]))
        return _form(request, db, principal, values, original, original_type, errors, status=422)
    what = "Series" if series else "Action"
    return done(request, "/admin/actions", f"{what} {values['name']} saved.")


@router.get("/admin/actions/remove")
def remove_prompt(request: Request, principal: Viewer, selected: str = "") -> Response:
    """Ask before removing the action or series chosen in the list."""
    admin_only(principal)
    kind, name = _selected(selected)
    return render(request, "admin_remove.html", {"kind": kind, "name": name}, viewer=principal)


@router.post("/admin/actions/remove")
def remove(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Remove an action or series nothing uses; the list with the reason when something does."""
    admin_only(principal)
    kind, name = _selected(form.text("selected"))
    try:
        if kind == "action":
            config_entities.delete_action(db, name, actor=principal.login)
        else:
            config_entities.delete_series(db, name, actor=principal.login)
    except ValidationFailed as refused:
        return _list(request, db, principal, refused.problems, status=422)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    return done(request, "/admin/actions", f"{kind.title()} {name} removed.")
