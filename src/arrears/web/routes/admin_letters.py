"""Collections Admin, *Collection Letters*: the letter templates with Create, Update and Remove (Alt+C, Alt+U,
Alt+R), the template form (code, name, subject, body, stylesheet, response days and the flags the contact rules
read) and a live preview of what is being edited for a chosen account on a day. Saving validates the template
with the whole configuration (an unknown merge field is refused on save) and nothing is saved when refused."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Principal
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.strategy import LetterTemplate
from arrears.services import config_entities
from arrears.services.database import Database
from arrears.services.letters import preview_template
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.routes.admin import admin_only
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)

FLAGS = (("validation_notice", "Validation notice (the first letter of a guarantor case, 12 CFR 1006.34)"),
         ("demands_payment", "Demands payment (waits for the end of the validation period)"),
         ("cease_notice", "A notice allowed after a cease-communication request"),
         ("eca_notice", "Notice of extraordinary collection actions (501(r))"))  # fmt: skip
FIELDS = ("code", "name", "subject", "body", "stylesheet", "response_days", *(name for name, _ in FLAGS))
PREVIEW_FIELDS = ("account", "as_of")
_PATH = re.compile(r"^letters\[(?P<code>.*?)\](?:\.(?P<rest>.*))?$")


def _located(problems: Sequence[Problem], code: str) -> list[Problem]:
    """Problems of the letter ``code`` named by their field (the letter itself: its body, where merge fields
    are)."""
    located = []
    for problem in problems:
        found = _PATH.match(problem.location)
        if found is not None and found["code"] == code:
            located.append(replace(problem, location=found["rest"] or ("code" if "exists" in problem.rule
                                                                        else "body")))  # fmt: skip
        else:
            located.append(problem)
    return located


@router.get("/admin/letters")
def letters_tab(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """The collection letters."""
    admin_only(principal)
    return _list(request, db, principal)


def _list(request: Request, db: Database, principal: Principal, problems: Sequence[Problem] = (),
          status: int = 200) -> Response:  # fmt: skip
    context = {"letters": load_strategy(db).letters, "tab": "letters", "refusals": [p.rule for p in problems]}
    return render(request, "admin_letters.html", context, viewer=principal, status=status)


def _values(template: LetterTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in FIELDS}


def _template(form: FormInput) -> LetterTemplate:
    days = form.optional_int("response_days")
    return LetterTemplate(form.text("code"), form.text("name"), str(form.values.get("subject", "")),
                          str(form.values.get("body", "")), *(form.checked(name) for name, _ in FLAGS),
                          stylesheet=str(form.values.get("stylesheet", "")),
                          response_days=days if days is not None else 10)  # fmt: skip


def _form(request: Request, principal: Principal, values: dict[str, Any], original: str, *,
          problems: Sequence[Problem] = (), preview: dict[str, Any] | None = None, previewing: bool = False,
          status: int = 200) -> Response:  # fmt: skip
    errors = field_errors(_located(problems, str(values.get("code") or original)), (*FIELDS, *PREVIEW_FIELDS))
    context = {"form": values, "original": original, "flags": FLAGS, "tab": "letters", "errors": {"letter": errors},
               "preview": preview or {}, "previewing": previewing, "today": date.today()}  # fmt: skip
    return render(request, "admin_letter_form.html", context, viewer=principal, status=status, inline_styles=True)


@router.get("/admin/letters/edit")
def edit(request: Request, principal: Viewer, db: DatabaseDep, selected: str = "") -> Response:
    """The form of a new letter, or of the one chosen in the list (Update)."""
    admin_only(principal)
    if not selected:
        return _form(request, principal, {"response_days": 10}, "")
    template = load_strategy(db).letter(selected)
    if template is None:
        raise PageRefused(404, f"There is no letter {selected!r}.")
    return _form(request, principal, _values(template), selected)


@router.post("/admin/letters/save")
def save(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the letter; with ``op=preview``, render what the form holds for the chosen account (nothing saved)."""
    admin_only(principal)
    original = form.text("original")
    template = _template(form)
    values = _values(template) | {"account": form.text("account"), "as_of": form.text("as_of")}
    if (op or form.text("op")) == "preview":
        day = form.optional_date("as_of") or date.today()
        account = form.text("account")
        problems = list(form.problems)
        if not account:
            problems.append(Problem("account", "choose an account to preview the letter for"))
        preview: dict[str, Any] = {}
        if not problems:
            try:
                subject, body = preview_template(db, template, account, day)
                preview = {"subject": subject, "body": body, "account": account, "day": day}
            except NotFound as missing:
                problems.append(Problem("account", str(missing), account))
            except ValidationFailed as refused:
                problems += refused.problems
        return _form(request, principal, values, original, problems=problems, preview=preview, previewing=True,
                     status=422 if problems else 200)  # fmt: skip
    try:
        form.raise_problems()
        if original:
            config_entities.update_letter(db, original, template, actor=principal.login)
        else:
            config_entities.create_letter(db, template, actor=principal.login)
    except (ValidationFailed, NotFound) as refused:
        problems = refused.problems if isinstance(refused, ValidationFailed) else [Problem("code", str(refused))]
        return _form(request, principal, values, original, problems=problems, status=422)
    return done(request, "/admin/letters", f"Letter {template.code} saved.")


@router.get("/admin/letters/remove")
def remove_prompt(request: Request, principal: Viewer, selected: str = "") -> Response:
    """Ask before removing the letter chosen in the list."""
    admin_only(principal)
    if not selected:
        raise PageRefused(422, "Choose a letter in the list first.")
    return render(request, "admin_remove.html", {"kind": "letter", "name": selected, "action": "/admin/letters/remove",
                                                 "back": "/admin/letters"}, viewer=principal)  # fmt: skip


@router.post("/admin/letters/remove")
def remove(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Remove a letter no action uses; the list with the reason when one does."""
    admin_only(principal)
    code = form.text("selected").removeprefix("letter:")
    try:
        config_entities.delete_letter(db, code, actor=principal.login)
    except ValidationFailed as refused:
        return _list(request, db, principal, refused.problems, status=422)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    return done(request, "/admin/letters", f"Letter {code} removed.")
