"""Daily runs: start one (it runs in the server, in the background), its status, its results."""

from __future__ import annotations

import threading
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from arrears.api.auth import DatabaseDep, Reader, Runner
from arrears.api.errors import ERROR_RESPONSES, Refused
from arrears.api.schemas import RunCreate, RunId, RunPublic
from arrears.domain.access import Principal
from arrears.domain.errors import NotFound
from arrears.services.database import Database
from arrears.services.exports import list_runs, show_run
from arrears.services.run import ALL, run_day

router = APIRouter(prefix="/runs", tags=["runs"], responses=ERROR_RESPONSES)


class RunStarter:
    """Runs started through the API, each in a thread of the server: :meth:`start` waits until the run is
    claimed (or refused) and returns its id; the run goes on after the answer."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def start(self, db: Database, as_of: date, portfolio: str | None) -> int:
        """Start the run of ``as_of`` and return its id once claimed; raise what refused it."""
        claimed = threading.Event()
        outcome: dict[str, object] = {}

        def started(run_id: int) -> None:
            outcome["run_id"] = run_id
            claimed.set()

        def work() -> None:
            try:
                run_day(db, as_of, portfolio, workers=1, today=date.today(), on_claim=started)
            except Exception as error:  # a failure after the claim is the run's own record (failed)
                outcome.setdefault("error", error)
            finally:
                claimed.set()

        thread = threading.Thread(target=work, name=f"run-{as_of}", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()
        claimed.wait()
        if "run_id" not in outcome:
            error = outcome["error"]
            assert isinstance(error, Exception)
            raise error
        run_id = outcome["run_id"]
        assert isinstance(run_id, int)
        return run_id

    def join(self) -> None:
        """Wait for every run started here to end."""
        for thread in self.threads:
            thread.join()


def _visible(principal: Principal, run: dict[str, object]) -> bool:
    return principal.portfolios is None or run["scope"] == ALL or run["scope"] in principal.portfolios


@router.get("")
def runs(principal: Reader, db: DatabaseDep, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[RunPublic]:
    """The latest runs, newest first (a manager's or a collector's: of every portfolio or theirs)."""
    return [RunPublic.model_validate(run) for run in list_runs(db, limit) if _visible(principal, run)]


@router.get("/{run_id}")
def run(run_id: RunId, principal: Reader, db: DatabaseDep) -> RunPublic:
    """One run's status, counts and per-account errors (those within the user's portfolios)."""
    found = show_run(db, run_id, principal.portfolios)
    if not _visible(principal, found):
        raise NotFound(f"no run {run_id}")
    return RunPublic.model_validate(found)


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start(body: RunCreate, principal: Runner, db: DatabaseDep, request: Request, response: Response) -> RunPublic:
    """Start the daily run of a date for every portfolio or one (a manager: one of theirs); answered once the run
    is claimed, while it goes on: follow it at the Location given."""
    if principal.portfolios is not None and body.portfolio not in principal.portfolios:
        raise Refused(403, "a manager runs one of their portfolios: name it")
    run_id = request.app.state.runs.start(db, body.as_of or date.today(), body.portfolio)
    response.headers["Location"] = f"{request.url.path}/{run_id}"
    return RunPublic.model_validate(show_run(db, run_id, principal.portfolios))
