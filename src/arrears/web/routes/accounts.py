"""Accounts: the list, and the account page (party and flags, ledger, aging, case, milestone, pending work,
timeline, explain) with what a collector does on it: post a payment, add a note or a follow-up, take a promise,
run a contact plan (with its start-date and delete-confirmation prompts), place in or recall from collections.
Each of these forms is done once for its one-time token (a double click or a resent page writes nothing more).

Every write is one use case of :mod:`arrears.services`; a refused one shows the page again with each problem next
to the field it names, and nothing saved."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from arrears.domain.access import Principal
from arrears.domain.errors import Conflict, NotFound, Problem, ValidationFailed
from arrears.domain.ledger import Kind, Source
from arrears.domain.strategy import ActionKind
from arrears.services import collector_work, promises
from arrears.services.account_list import AccountFilter, account_page_of
from arrears.services.account_page import account_page
from arrears.services.accounts import Posting, post_transaction
from arrears.services.database import Database
from arrears.services.explain import explain
from arrears.services.plans import PlanCancelled, list_plans, run_plan, show_plan
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done, once
from arrears.web.scope import account_in_scope
from arrears.web.session import DatabaseDep, PageRefused, Viewer, Worker

router = APIRouter(include_in_schema=False)

FORMS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "payment": (("amount", "posted", "source", "description"), {"amount_cents": "amount", "kind": "amount"}),
    "note": (("text",), {}),
    "follow_up": (("kind", "due", "time", "priority", "collector", "reason"), {}),
    "promise": (("amount", "due", "repeat"), {}),
    "plan": (("plan", "start_date"), {"user": "plan"}),
    "place": (("reason", "collector", "work"), {}),
    "recall": (("reason",), {}),
}
"""Each form of the account page: its fields, and the use case's names of them."""


@router.get("/accounts")
def accounts_page(
    request: Request, principal: Viewer, db: DatabaseDep, q: str = "", in_collections: bool = False, offset: int = 0
) -> Response:
    """The accounts of the user's portfolios, largest balance first; an account id typed in opens it."""
    wanted = q.strip()
    if wanted:
        try:
            account_in_scope(db, principal, wanted)
        except PageRefused:
            pass
        else:
            return RedirectResponse(f"/accounts/{wanted}", status_code=303)
    found = account_page_of(db, AccountFilter(in_collections=in_collections, offset=max(0, offset),
                                              scope=principal.portfolios), date.today())  # fmt: skip
    context = {"rows": found.rows, "total": found.total, "q": wanted, "in_collections": in_collections,
               "offset": max(0, offset), "not_found": bool(wanted)}  # fmt: skip
    return render(request, "accounts.html", context, viewer=principal)


def _account_page(
    request: Request, db: Database, principal: Principal, external_id: str, as_of: date | None, *,
    form: str = "", problems: Sequence[Any] = (), values: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    """The account page on ``as_of`` (default today), with the problems of a refused ``form`` next to its fields."""
    day = as_of or date.today()
    strategy = load_strategy(db)
    page = account_page(db, external_id, day)
    explanation = explain(db, external_id, day, strategy)
    try:
        plans = list_plans(db, user=principal.login)
    except NotFound:  # a login that is no configured user or collector runs no plan by hand
        plans = []
    prompting = {line.code for line in plans if show_plan(db, line.code).prompt_for_start_date}
    errors = {}
    if form:
        fields, aliases = FORMS[form]
        errors = {form: field_errors(list(problems), fields, aliases)}
    shown = page.as_dict()
    current = page.current_case
    case = next((c for c in shown["cases"] if current and (c["track"], c["episode"]) == (current.track,
                                                                                       current.episode)), None)
    context = {
        "account": shown, "case": case, "explanation": explanation.as_dict(),
        "day": day, "as_of": as_of, "plans": plans, "prompting": prompting,
        "collector_options": [(c.code, f"{c.name or c.code} ({c.code})") for c in strategy.collectors]
        + [(g.code, f"group {g.name or g.code}") for g in strategy.groups],
        "work_options": [(a.name, f"action {a.name}") for a in strategy.actions]
        + [(s.name, f"series {s.name}") for s in strategy.series],
        "errors": errors, "values": {form: values or {}} if form else {},
    }  # fmt: skip
    return render(request, "account.html", context, viewer=principal, status=status)


def _back(external_id: str, as_of: date | None) -> str:
    return f"/accounts/{external_id}" + (f"?as_of={as_of.isoformat()}" if as_of else "")


@router.get("/accounts/{external_id}")
def account(
    request: Request, external_id: str, principal: Viewer, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """The account page on a day (default today)."""
    account_in_scope(db, principal, external_id)
    return _account_page(request, db, principal, external_id, as_of)


def _write(
    request: Request, db: Database, principal: Principal, external_id: str, as_of: date | None, name: str,
    form: FormInput, action: Callable[[date], str],
) -> Response:  # fmt: skip
    """Do ``action`` on the page's day (it returns what to say it did) once for the form's one-time token: back to
    the page when done, or the page again with the problems next to the form's fields (and nothing saved)."""
    account_in_scope(db, principal, external_id)
    day = as_of or date.today()

    def write() -> Response:
        try:
            form.raise_problems()
            said = action(day)
        except (ValidationFailed, Conflict) as refused:
            return _account_page(request, db, principal, external_id, as_of, form=name, problems=refused.problems,
                                 values=dict(form.values), status=422)  # fmt: skip
        return done(request, _back(external_id, as_of), said)

    return once(request, db, form, principal.login, write)


@router.post("/accounts/{external_id}/payments")
def post_payment(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Post a payment (what it makes happen happens as it posts: promises, milestones, linked plans)."""
    amount, posted = form.amount_cents("amount"), form.required_date("posted")
    source = Source.INSURANCE if form.text("source") == Source.INSURANCE.value else Source.GUARANTOR

    def post(_: date) -> str:
        assert amount is not None and posted is not None
        line = post_transaction(db, external_id, Posting(Kind.PAYMENT, amount, posted, source=source,
                                                         description=form.text("description")), actor=principal.login)
        return f"Payment of {form.text('amount')} posted on {posted} (line {line})."

    return _write(request, db, principal, external_id, as_of, "payment", form, post)


@router.post("/accounts/{external_id}/notes")
def add_note(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Write a note on the account."""

    def note(day: date) -> str:
        collector_work.note_add(db, external_id, form.text("text"), on=day, actor=principal.login)
        return "Note added."

    return _write(request, db, principal, external_id, as_of, "note", form, note)


@router.post("/accounts/{external_id}/follow-ups")
def add_follow_up(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Schedule a follow-up call or review on an account in collections."""
    due, at, priority = form.required_date("due"), form.optional_time("time"), form.optional_int("priority")
    kind = form.text("kind")
    if kind not in {k.value for k in ActionKind}:
        form.problems.append(Problem("kind", "must be review or phone_call", kind))

    def follow_up(day: date) -> str:
        assert due is not None
        chosen = {"priority": priority} if priority is not None else {}
        made = collector_work.FollowUp(ActionKind(kind), due, at, collector=form.text("collector") or None,
                                       reason=form.text("reason"), **chosen)  # fmt: skip
        activity = collector_work.activity_add(db, external_id, made, on=day, actor=principal.login)
        return f"Follow-up {activity} scheduled for {due}."

    return _write(request, db, principal, external_id, as_of, "follow_up", form, follow_up)


@router.post("/accounts/{external_id}/promises")
def take_promise(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Take a promise to pay directly (not from a call)."""
    amount, due = form.amount_cents("amount"), form.required_date("due")
    period = form.text("repeat")
    if period not in ("", "weekly", "biweekly", "monthly"):
        form.problems.append(Problem("repeat", "must be none, weekly, biweekly or monthly", period))

    def promise(day: date) -> str:
        assert amount is not None and due is not None
        request_ = promises.PromiseRequest(amount, due, promises.repeat_of(period or None, None))
        promise_id = promises.add_promise(db, external_id, request_, on=day, actor=principal.login,
                                          key=f"web:{uuid.uuid4().hex}")  # fmt: skip
        return f"Promise {promise_id} taken: {form.text('amount')} due {due}."

    return _write(request, db, principal, external_id, as_of, "promise", form, promise)


@router.post("/accounts/{external_id}/plans")
def run_contact_plan(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Run a contact plan on the account. A plan that prompts for a start date asks for one first; a plan that
    deletes the pending contacts and prompts before deleting lists them and asks to confirm (declining runs
    nothing)."""
    account_in_scope(db, principal, external_id)
    code, start = form.text("plan"), form.optional_date("start_date")
    confirmed = form.checked("confirmed")
    context = {"account": external_id, "as_of": as_of, "plan_code": code, "start_date": form.text("start_date")}
    if not form.problems and code and start is None:
        try:
            asks = show_plan(db, code).prompt_for_start_date
        except NotFound:
            asks = False
        if asks:
            return render(request, "plan_prompt.html", context | {"plan": show_plan(db, code)}, viewer=principal)
    asked: list[str] = []

    def confirm(contacts: Sequence[str]) -> bool:
        asked.extend(contacts)
        return confirmed

    def run(day: date) -> str:
        result = run_plan(db, code, external_id, on=day, at=datetime.now(UTC), user=principal.login,
                          start_date=start, confirm=confirm)  # fmt: skip
        if result.skipped:
            return f"Plan {code} did not run: {result.skipped}"
        made = ", ".join(f"{c.kind.replace('_', ' ')} due {c.due}" for c in result.contacts) or "no contacts"
        deleted = f"; {result.deleted} pending contacts deleted" if result.deleted else ""
        return f"Plan {code} ran: {made}{deleted}."

    if not code:
        form.problems.append(Problem("plan", "is required: choose a plan"))
    try:
        return _write(request, db, principal, external_id, as_of, "plan", form, run)
    except NotFound as missing:
        return _account_page(request, db, principal, external_id, as_of, form="plan",
                             problems=[Problem("plan", str(missing), code)], values=dict(form.values), status=422)
    except PlanCancelled:
        return render(request, "plan_confirm.html", context | {"contacts": asked, "plan": show_plan(db, code)},
                      viewer=principal)  # fmt: skip


@router.post("/accounts/{external_id}/place")
def place(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Place the account in guarantor collections by hand (assigned by the portfolio's rules unless a collector
    and a work are chosen)."""

    def placed(day: date) -> str:
        made = collector_work.collections_place(db, external_id, form.text("reason"), on=day, actor=principal.login,
                                                work=form.text("work") or None,
                                                collector=form.text("collector") or None)  # fmt: skip
        return f"Placed in collections: collector {made.assignee}, work {made.work}."

    return _write(request, db, principal, external_id, as_of, "place", form, placed)


@router.post("/accounts/{external_id}/recall")
def recall(
    request: Request, external_id: str, form: Posted, principal: Worker, db: DatabaseDep, as_of: date | None = None
) -> Response:
    """Recall the account from guarantor collections (its pending work is cancelled, save do-not-autodelete)."""

    def recalled(day: date) -> str:
        cancelled = collector_work.collections_recall(db, external_id, form.text("reason"), on=day,
                                                      actor=principal.login)  # fmt: skip
        return f"Recalled from collections: {cancelled} pending activities cancelled."

    return _write(request, db, principal, external_id, as_of, "recall", form, recalled)
