"""What a manager looks at: the dashboard (charts of the portfolios' aging, the flow in and out of collections,
contacts, collections, workload, promises and compliance holds) and the daily runs (their history with counts
and errors linking to the accounts; start one)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from arrears.domain.access import Permission, Principal, Role
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.services.dashboard import dashboard
from arrears.services.database import Database
from arrears.services.exports import list_runs, show_run
from arrears.services.letter_print import batch_days_of, print_batch
from arrears.services.run import ALL, RunRefused
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)
RUN_FIELDS = ("as_of", "portfolio")


def _manager(principal: Principal) -> Principal:
    if principal.role is Role.COLLECTOR:
        raise PageRefused(403, "The dashboard and the runs are for managers, administrators and auditors.")
    return principal


@router.get("/dashboard")
def dashboard_page(request: Request, principal: Viewer, db: DatabaseDep, as_of: date | None = None) -> Response:
    """The dashboard of a day (default today) over the user's portfolios."""
    _manager(principal)
    shown = dashboard(db, as_of or date.today(), principal.portfolios)
    return render(request, "dashboard.html", {"board": shown, "data": shown.as_dict()}, viewer=principal)


def _visible(principal: Principal, run: dict[str, Any]) -> bool:
    return principal.portfolios is None or run["scope"] == ALL or run["scope"] in principal.portfolios


def _runs_page(request: Request, db: Database, principal: Principal, *, problems: list[Problem] | None = None,
               values: dict[str, str] | None = None, status: int = 200) -> Response:  # fmt: skip
    runs = [run for run in list_runs(db, 60) if _visible(principal, run)]
    configured = sorted(p.portfolio for p in load_strategy(db).entry_policy.portfolios)
    portfolios = sorted(principal.portfolios) if principal.portfolios is not None else configured
    context = {"runs": runs, "portfolios": portfolios, "may_run": principal.can(Permission.RUN), "today": date.today(),
               "batches": batch_days_of(db, principal.portfolios),
               "errors": {"run": field_errors(problems or [], RUN_FIELDS)} if problems else {},
               "values": {"run": values or {}}}  # fmt: skip
    return render(request, "runs.html", context, viewer=principal, status=status)


@router.get("/runs")
def runs_page(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """The latest daily runs, newest first, and starting one."""
    return _runs_page(request, db, _manager(principal))


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int, principal: Viewer, db: DatabaseDep) -> Response:
    """One run: its status, counts and the errors of the accounts within the user's portfolios."""
    _manager(principal)
    try:
        run = show_run(db, run_id, principal.portfolios) if 0 < run_id < 2**31 else None
    except NotFound:
        run = None
    if run is None or not _visible(principal, run):
        raise PageRefused(404, f"There is no run {run_id}.")
    return render(request, "run.html", {"run": run}, viewer=principal)


@router.post("/runs")
def start_run(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Start the daily run of a day for every portfolio or one (a manager: one of theirs); it goes on in the
    server once claimed."""
    _manager(principal)
    if not principal.can(Permission.RUN):
        raise PageRefused(403, f"A {principal.role.value} may not start a run.")
    day = form.required_date("as_of")
    portfolio = form.text("portfolio") or None
    if principal.portfolios is not None and portfolio not in principal.portfolios:
        form.problems.append(Problem("portfolio", "a manager runs one of their portfolios: choose it", portfolio or ""))
    if not form.problems:
        assert day is not None
        try:
            run_id = request.app.state.runs.start(db, day, portfolio)
        except RunRefused as refused:
            form.problems.append(Problem("as_of", str(refused), day.isoformat()))
        except ValidationFailed as refused:
            form.problems += refused.problems
    if form.problems:
        return _runs_page(request, db, principal, problems=form.problems, values=dict(form.values), status=422)
    return done(request, f"/runs/{run_id}", f"Run {run_id} of {day} started ({portfolio or 'every portfolio'}).")


@router.post("/letters/print")
def print_letters(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Print the letters queued on a day for a portfolio (marking them printed) and download the batch: one PDF,
    a cover sheet first, in postal order. A batch printed before is printed again as it was."""
    _manager(principal)
    if not principal.can(Permission.RUN):
        raise PageRefused(403, f"A {principal.role.value} may not print letters.")
    day, portfolio = form.required_date("day"), form.text("portfolio")
    if not portfolio or (principal.portfolios is not None and portfolio not in principal.portfolios):
        raise PageRefused(404, f"There is no portfolio {portfolio!r} in your portfolios.")
    if day is None:
        raise PageRefused(422, "Choose the day of the batch.")
    folder = Path(tempfile.mkdtemp(prefix="arrears-batch-"))
    try:
        printed = print_batch(db, folder, day=day, portfolio=portfolio, printed_on=date.today(),
                              actor=principal.login)  # fmt: skip
    except (NotFound, ValidationFailed) as refused:
        shutil.rmtree(folder, ignore_errors=True)
        raise PageRefused(404 if isinstance(refused, NotFound) else 422, str(refused)) from refused
    name = f"letters-{portfolio}-{day.isoformat()}.pdf"
    return FileResponse(printed.combined, media_type="application/pdf", filename=name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))  # fmt: skip
