"""A large print batch is printed in the background: the POST answers 202 with a job, the job's status is
kept in the database (another server on the same database answers it), and once done it links to the batch's
PDF; a job that is refused says why and prints nothing; a job whose server stopped is answered failed,
interrupted (SQLite and PostgreSQL).

The office's daily run of 2026-03-31 queues one letter (adams, NORTH, L30); the server here prints in the
background from one letter on (``print_at_once`` 0).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from arrears.api.app import create_app
from arrears.services.jobs import queue_job
from arrears.services.letter_print import PRINT_JOB, run_print_job
from arrears.store.processes import Holder
from tests.api.conftest import Office
from tests.services.run_scenarios import table
from tests.services.test_jobs import ANOTHER_MACHINE, plant_job


def _background(office: Office) -> Any:
    app: Any = office.client.app
    app.state.settings = app.state.settings.model_copy(update={"print_at_once": 0})
    started = office.post("admin", "/runs", {"as_of": "2026-03-31"})
    assert started.status_code == 202
    app.state.runs.join()
    return app


def test_a_large_batch_is_printed_in_the_background(office: Office) -> None:
    app = _background(office)
    queued = office.post("mgr", "/letter-batches", {"portfolio": "NORTH"})
    assert queued.status_code == 202
    job = queued.json()
    assert (job["kind"], job["actor"], job["portfolio"], job["result"]) == ("letter_batch", "mgr", "NORTH", None)
    assert queued.headers["location"] == f"/api/v1/jobs/{job['id']}"
    app.state.jobs.join()
    done = office.get("BO", f"/jobs/{job['id']}").json()
    assert (done["status"], done["batch"], done["problems"]) == ("done", "letters-2026-03-31-NORTH", [])
    assert done["started_at"] is not None and done["finished_at"] is not None
    pdf = office.client.get(done["result"], headers=office.headers("mgr"))
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:4]) == (200, "application/pdf", b"%PDF")
    assert office.get("BO", "/letters", status="printed").json()["total"] == 1
    printed = [(row.actor, row.request_id) for row in table(office.db, "audit") if row.entity == "letter_batch"]
    assert printed == [("mgr", queued.headers["x-request-id"])]
    # another server on the same database answers the job's status
    other = create_app(app.state.settings, database=office.db)
    with TestClient(other) as client:
        seen = client.get(f"/api/v1/jobs/{job['id']}", headers=office.headers("aud"))
    assert (seen.status_code, seen.json()["status"]) == (200, "done")


def test_a_job_is_seen_within_the_users_portfolios(office: Office) -> None:
    app = _background(office)
    job = office.post("admin", "/letter-batches", {}).json()
    app.state.jobs.join()
    assert office.get("aud", f"/jobs/{job['id']}").json()["status"] == "done"
    assert office.get("mgr", f"/jobs/{job['id']}").status_code == 404  # every portfolio's batch: not a manager's
    assert office.get("admin", "/jobs/999999").status_code == 404
    assert office.get("admin", "/jobs/0").status_code == 422
    assert office.post("BO", "/letter-batches", {"portfolio": "NORTH"}).status_code == 403
    # refused at once, before any job: an unknown portfolio, a day without letters
    assert office.post("admin", "/letter-batches", {"portfolio": "MARS"}).status_code == 404
    assert office.post("admin", "/letter-batches", {"day": "2026-01-01"}).status_code == 404
    assert len(table(office.db, "job")) == 1


def test_a_refused_job_says_why_and_prints_nothing(office: Office, tmp_path: Path) -> None:
    _background(office)
    params = {"day": "2026-01-01", "printed_on": date(2026, 4, 1).isoformat(), "letters": 1}
    job = queue_job(office.db, PRINT_JOB, params, portfolio="NORTH", actor="mgr")
    assert office.get("mgr", f"/jobs/{job.id}").json()["status"] == "queued"
    output = tmp_path / "refused"
    failed = run_print_job(office.db, output, job.id)
    assert failed.status == "failed"
    shown = office.get("mgr", f"/jobs/{job.id}").json()
    assert (shown["status"], shown["result"]) == ("failed", None)
    assert shown["problems"] == [{"location": "job", "rule": "no letters were queued on 2026-01-01 for NORTH",
                                  "value": ""}]  # fmt: skip
    assert run_print_job(office.db, output, job.id).finished_at == failed.finished_at  # ended: not run again
    assert not output.exists()
    assert office.get("BO", "/letters", status="printed").json()["total"] == 0


def test_a_job_whose_server_stopped_is_answered_interrupted_by_the_next_server(office: Office) -> None:
    stopped = subprocess.Popen([sys.executable, "-c", "pass"])  # a server process that has ended
    stopped.wait()
    host, machine = Holder.this_process().name.rpartition(":")[0], Holder.this_process().machine
    left = plant_job(office.db, Holder(f"{host}:{stopped.pid}", machine), running=True, lease_seconds=600)
    elsewhere = plant_job(office.db, Holder("print-2:4242", ANOTHER_MACHINE), running=True, lease_seconds=600)
    live = queue_job(office.db, PRINT_JOB, {}, portfolio="NORTH", actor="mgr")
    # a server that starts marks the job it finds interrupted before anyone asks
    with TestClient(create_app(office.client.app.state.settings, database=office.db)):  # type: ignore[attr-defined]
        pass
    assert {row.id: row.status for row in table(office.db, "job")} == {left: "failed", elsewhere: "running",
                                                                      live.id: "queued"}  # fmt: skip
    shown = office.get("mgr", f"/jobs/{left}").json()
    assert (shown["status"], shown["finished_at"] is not None, shown["problems"]) == ("failed", True, [
        {"location": "job", "rule": "interrupted: the server process that ran it stopped", "value": ""}])
    assert [office.get("mgr", f"/jobs/{job}").json()["status"] for job in (elsewhere, live.id)] == ["running", "queued"]
