"""Daily runs over HTTP: start one (answered once claimed, while it runs), follow it to its results; a manager
runs only their portfolio, a collector none; a back-dated run is a conflict."""

from __future__ import annotations

import time

from tests.api.conftest import Office


def _finished(office: Office, run_id: int) -> dict[str, object]:
    for _ in range(200):
        run = office.get("admin", f"/runs/{run_id}").json()
        if run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def test_start_a_run_and_read_its_results(office: Office) -> None:
    started = office.post("admin", "/runs", {"as_of": "2026-02-21"})
    assert started.status_code == 202, started.json()
    run_id = started.json()["id"]
    assert started.headers["location"] == f"/api/v1/runs/{run_id}"
    run = _finished(office, run_id)
    assert (run["status"], run["as_of"], run["scope"]) == ("completed", "2026-02-21", "ALL")
    assert run_id in [r["id"] for r in office.get("aud", "/runs").json()]
    back_dated = office.post("admin", "/runs", {"as_of": "2026-02-01"})
    assert back_dated.status_code == 409 and "2026-02-21" in back_dated.json()["detail"]
    assert office.get("admin", "/runs/999999").status_code == 404


def test_who_may_start_a_run(office: Office) -> None:
    assert office.post("BO", "/runs", {"as_of": "2026-02-21"}).status_code == 403
    assert office.post("mgr", "/runs", {"as_of": "2026-02-21"}).status_code == 403
    assert office.post("mgr", "/runs", {"as_of": "2026-02-21", "portfolio": "SOUTH"}).status_code == 403
    mine = office.post("mgr", "/runs", {"as_of": "2026-02-21", "portfolio": "NORTH"})
    assert mine.status_code == 202
    assert _finished(office, mine.json()["id"])["scope"] == "NORTH"
    assert office.post("admin", "/runs", {"as_of": "2026-02-21", "portfolio": "NOPE"}).status_code == 404
