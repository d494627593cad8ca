"""Collections Admin, *Collectors & Groups* and *Users*: the collectors (code, name, groups, user level, active)
and groups, the users of the configuration (login, name, user level) with Create, Update and Remove (Alt+C,
Alt+U, Alt+R); and who may sign in — a user or collector given a role, portfolios and a password (``arrears users
add``), a password changed (``arrears users passwd``). Each is one use case; a refused form shows each rule next
to its field and nothing is saved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Principal, Role
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.strategy import Collector, CollectorGroup, User
from arrears.services import config_entities, security
from arrears.services.database import Database
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.routes.admin import admin_only
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)
KINDS = {"collector": ("collectors", ("code", "name", "groups", "user_level", "active")),
         "group": ("groups", ("code", "name")), "user": ("users", ("login", "name", "user_level"))}  # fmt: skip
LOGIN_FIELDS = ("login", "role", "portfolios", "password")
_PATH = re.compile(r"^(?:collectors|groups|users)\[(?P<key>.*?)\](?:\.(?P<rest>.*))?$")


def _located(problems: Sequence[Problem], key: str, kind: str) -> list[Problem]:
    first = KINDS[kind][1][0]
    located = []
    for problem in problems:
        found = _PATH.match(problem.location)
        located.append(replace(problem, location=found["rest"] or first) if found and found["key"] == key else problem)
    return located


def _tab(request: Request, db: Database, principal: Principal, name: str, problems: Sequence[Problem] = (),
         status: int = 200, extra: dict[str, Any] | None = None) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    context = {"strategy": strategy, "tab": name, "refusals": [f"{p.location}: {p.rule}" for p in problems],
               "logins": security.list_users(db), "roles": [r.value for r in Role],
               "codes": sorted(p.portfolio for p in strategy.entry_policy.portfolios),
               "errors": {}, "values": {}} | (extra or {})  # fmt: skip
    return render(request, "admin_people.html" if name == "people" else "admin_users.html", context,
                  viewer=principal, status=status)  # fmt: skip


@router.get("/admin/people")
def people_tab(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """Collectors & Groups."""
    admin_only(principal)
    return _tab(request, db, principal, "people")


@router.get("/admin/users")
def users_tab(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """Users, and who may sign in."""
    admin_only(principal)
    return _tab(request, db, principal, "users")


def _selected(selected: str) -> tuple[str, str]:
    kind, _, key = selected.partition(":")
    if kind not in KINDS or not key:
        raise PageRefused(422, "Choose a collector, a group or a user in the list first.")
    return kind, key


def _values(db: Database, kind: str, key: str) -> dict[str, Any]:
    strategy = load_strategy(db)
    found: Collector | CollectorGroup | User | None = (
        strategy.collector(key) if kind == "collector" else strategy.group(key) if kind == "group"
        else next((u for u in strategy.users if u.login == key), None))  # fmt: skip
    if found is None:
        raise PageRefused(404, f"There is no {kind} {key!r}.")
    return {name: getattr(found, name) for name in KINDS[kind][1]}


def _form(request: Request, db: Database, principal: Principal, kind: str, values: dict[str, Any], original: str,
          problems: Sequence[Problem] = (), status: int = 200) -> Response:  # fmt: skip
    fields = KINDS[kind][1]
    errors = field_errors(_located(problems, str(values.get(fields[0]) or original), kind), fields)
    context = {"kind": kind, "form": values, "original": original, "groups": load_strategy(db).groups,
               "errors": {"person": errors}, "tab": "users" if kind == "user" else "people"}  # fmt: skip
    return render(request, "admin_person_form.html", context, viewer=principal, status=status)


@router.get("/admin/people/edit")
def edit(request: Request, principal: Viewer, db: DatabaseDep, kind: str = "collector", selected: str = ""
         ) -> Response:  # fmt: skip
    """The form of a new collector, group or user (``kind``), or of the one chosen in its list."""
    admin_only(principal)
    if selected:
        kind, key = _selected(selected)
        return _form(request, db, principal, kind, _values(db, kind, key), key)
    if kind not in KINDS:
        raise PageRefused(404, f"There is no kind {kind!r}.")
    return _form(request, db, principal, kind, {"active": True, "user_level": 0, "groups": ()}, "")


def _item(form: FormInput, kind: str) -> Collector | CollectorGroup | User:
    level = form.optional_int("user_level")
    if kind == "collector":
        return Collector(form.text("code"), form.text("name"), tuple(form.many("group")), level or 0,
                         form.checked("active"))  # fmt: skip
    if kind == "group":
        return CollectorGroup(form.text("code"), form.text("name"))
    return User(form.text("login"), form.text("name"), level or 0)


@router.post("/admin/people/save")
def save(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Save a collector, a group or a user of the configuration."""
    admin_only(principal)
    kind, original = form.text("kind"), form.text("original")
    if kind not in KINDS:
        raise PageRefused(404, f"There is no kind {kind!r}.")
    item = _item(form, kind)
    values = {name: getattr(item, name) for name in KINDS[kind][1]}
    actor = principal.login
    try:
        form.raise_problems()
        if isinstance(item, Collector):
            (config_entities.update_collector(db, original, item, actor=actor) if original
             else config_entities.create_collector(db, item, actor=actor))  # fmt: skip
        elif isinstance(item, CollectorGroup):
            (config_entities.update_group(db, original, item, actor=actor) if original
             else config_entities.create_group(db, item, actor=actor))  # fmt: skip
        else:
            (config_entities.update_user(db, original, item, actor=actor) if original
             else config_entities.create_user(db, item, actor=actor))  # fmt: skip
    except (ValidationFailed, NotFound) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [Problem(KINDS[kind][1][0],
                                                                                           str(refused))]
        return _form(request, db, principal, kind, values, original, problems, status=422)
    back = "/admin/users" if kind == "user" else "/admin/people"
    return done(request, back, f"{kind.title()} {values[KINDS[kind][1][0]]} saved.")


@router.get("/admin/people/remove")
def remove_prompt(request: Request, principal: Viewer, selected: str = "") -> Response:
    """Ask before removing the collector, group or user chosen."""
    admin_only(principal)
    kind, key = _selected(selected)
    back = "/admin/users" if kind == "user" else "/admin/people"
    return render(request, "admin_remove.html", {"kind": kind, "name": key, "action": "/admin/people/remove",
                                                 "back": back}, viewer=principal)  # fmt: skip


@router.post("/admin/people/remove")
def remove(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Remove a collector, group or user nothing uses; the tab with the reason when something does."""
    admin_only(principal)
    kind, key = _selected(form.text("selected"))
    remover = {
        "collector": config_entities.delete_collector,
        "group": config_entities.delete_group,
        "user": config_entities.delete_user,
    }[kind]
    try:
        remover(db, key, actor=principal.login)
    except ValidationFailed as refused:
        return _tab(request, db, principal, "users" if kind == "user" else "people", refused.problems, status=422)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    return done(request, "/admin/users" if kind == "user" else "/admin/people", f"{kind.title()} {key} removed.")


@router.post("/admin/users/login")
def let_sign_in(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Let a configured user or collector sign in with a role, portfolios and a password."""
    admin_only(principal)
    values = {"login": form.text("login"), "role": form.text("role"), "portfolios": form.many("portfolio")}
    try:
        security.add_user(db, values["login"], values["role"], str(form.values.get("password", "")),
                          values["portfolios"], actor=principal.login, now=datetime.now(UTC))  # fmt: skip
    except ValidationFailed as refused:
        errors = {"login": field_errors(refused.problems, LOGIN_FIELDS)}
        return _tab(request, db, principal, "users", status=422, extra={"errors": errors, "values": {"login": values}})
    return done(request, "/admin/users", f"{values['login']} may sign in as {values['role']}.")


@router.post("/admin/users/password")
def change_password(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Change a login's password (it also ends a lock after failed logins)."""
    admin_only(principal)
    login = form.text("login")
    try:
        security.set_password(db, login, str(form.values.get("password", "")), actor=principal.login,
                              now=datetime.now(UTC))  # fmt: skip
    except ValidationFailed as refused:
        errors = {"password": field_errors(refused.problems, ("login", "password"))}
        return _tab(request, db, principal, "users", status=422,
                    extra={"errors": errors, "values": {"password": {"login": login}}})  # fmt: skip
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    return done(request, "/admin/users", f"The password of {login} changed.")
