"""A collector's worklist: the released calls and reviews in the run's order, each with its priority band, its
alerts and its reason; completing one with an outcome code and a note, and taking a promise with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from arrears.domain.access import Principal, Role
from arrears.domain.errors import Conflict, NotFound, ValidationFailed
from arrears.domain.strategy import Strategy
from arrears.services.database import Database
from arrears.services.promises import PromiseRequest, is_promise_outcome
from arrears.services.stored_strategy import load_strategy
from arrears.services.worklist import assignees_for, complete_activity, worklist, worklist_assignees
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done, once
from arrears.web.scope import activity_in_scope
from arrears.web.session import DatabaseDep, PageRefused, Viewer, Worker

router = APIRouter(include_in_schema=False)

COMPLETE_FIELDS = ("outcome", "note", "on", "promise_amount", "promise_due")
COMPLETE_ALIASES = {"amount": "promise_amount", "due": "promise_due", "date": "on"}
"""The use case's names of the completion form's fields."""


@router.get("/")
def home(_viewer: Viewer) -> RedirectResponse:
    """The signed-in user's start page: the worklist."""
    return RedirectResponse("/worklist", status_code=303)


def _chosen(strategy: Strategy, principal: Principal, collector: str, group: str) -> tuple[str, str, set[str] | None]:
    """The worklist a user may see: a collector their own or one of their groups' (else 403); another user any
    collector's or group's the configuration has (else 422). The collector, the group and their assignee codes."""
    if principal.role is Role.COLLECTOR:
        mine = assignees_for(strategy, principal.login, None) or set()
        if (collector and collector != principal.login) or (group and group not in mine):
            raise PageRefused(403, "A collector sees their own worklist and their groups'.")
        own = principal.login if not group else ""
        return own, group, assignees_for(strategy, own or None, group or None)
    try:
        return collector, group, worklist_assignees(strategy, collector or None, group or None)
    except ValidationFailed as unknown:
        raise PageRefused(422, f"{unknown}.") from unknown


def _worklist_page(
    request: Request, db: Database, principal: Principal, on: date | None, collector: str, group: str, *,
    errors: dict[int, dict[str, list[str]]] | None = None, values: dict[int, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    collector, group, assignees = _chosen(strategy, principal, collector, group)
    today = date.today()
    day = on or today
    now = datetime.now(UTC) if day == today else None
    items = worklist(db, day, assignees, 500, now, principal.portfolios)
    outcomes = [(o.code, o.description, is_promise_outcome(strategy, o.code))
                for o in strategy.compliance.call_outcomes]  # fmt: skip
    context: dict[str, Any] = {
        "items": items, "day": day, "today": today, "collector": collector, "group": group,
        "collectors": strategy.collectors, "groups": strategy.groups, "outcomes": outcomes,
        "query": urlencode({k: v for k, v in (("on", on.isoformat() if on else ""), ("collector", collector),
                                                ("group", group)) if v}),
        "item_errors": errors or {}, "item_values": values or {},
    }  # fmt: skip
    return render(request, "worklist.html", context, viewer=principal, status=status)


@router.get("/worklist")
def worklist_page(
    request: Request, principal: Viewer, db: DatabaseDep, on: date | None = None, collector: str = "", group: str = ""
) -> Response:
    """The worklist of the day (default today) for a collector (a collector: their own) or a group."""
    return _worklist_page(request, db, principal, on, collector, group)


def _promise(form: FormInput) -> PromiseRequest | None:
    if not form.text("promise_amount") and not form.text("promise_due"):
        return None
    amount, due = form.amount_cents("promise_amount"), form.required_date("promise_due")
    return PromiseRequest(amount, due) if amount is not None and due is not None else None


@router.post("/activities/{activity_id}/complete")
def complete(
    request: Request, activity_id: int, form: Posted, principal: Worker, db: DatabaseDep,
    on: date | None = None, collector: str = "", group: str = "",
) -> Response:  # fmt: skip
    """Complete a call or review with an outcome code and a note (and, for a promise outcome, the promise), once
    for the form's one-time token; the form again with each problem next to its field when refused, and nothing
    saved."""
    activity_in_scope(db, principal, activity_id)
    day = form.required_date("on")
    promise = _promise(form)

    def write() -> Response:
        try:
            form.raise_problems()
            assert day is not None
            breach = complete_activity(db, activity_id, form.text("outcome"), form.text("note"), on=day,
                                       actor=principal.login, promise=promise)  # fmt: skip
        except (ValidationFailed, Conflict) as refused:
            errors = {activity_id: field_errors(refused.problems, COMPLETE_FIELDS, COMPLETE_ALIASES)}
            return _worklist_page(request, db, principal, on, collector, group, errors=errors,
                                  values={activity_id: dict(form.values)}, status=422)  # fmt: skip
        except NotFound as missing:
            raise PageRefused(404, str(missing)) from missing
        said = f"Activity {activity_id} completed: {form.text('outcome')}" + (" with a promise" if promise else "")
        if breach:
            said += f" (recorded, but it broke a contact rule: {breach})"
        query = urlencode({k: v for k, v in (("on", on.isoformat() if on else ""), ("collector", collector),
                                             ("group", group)) if v})  # fmt: skip
        return done(request, "/worklist" + (f"?{query}" if query else ""), said)

    return once(request, db, form, principal.login, write)
