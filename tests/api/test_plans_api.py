"""Contact plans and milestone schemes over HTTP: a plan run on an account and in a batch, a scheme hold and its
release, with the portfolio scope and the user levels that decide who may (SQLite and PostgreSQL).

The office's configuration gains, through the API's own document apply:

    plan P1      "Courtesy note": a note, immediately; user levels 0-99
    plan P2      "Supervisor": a note; user levels 90-99 (the manager's 80 is outside)
    scheme S1    NORTH, one milestone at 30 days past due
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.api.conftest import Office
from tests.services.run_scenarios import table

PLANS = [
    {"code": "P1", "description": "Courtesy note", "access": [{"low": 0, "high": 99}],
     "events": [{"sequence": 1, "type": "note", "description": "Courtesy note sent"}]},
    {"code": "P2", "description": "Supervisor", "access": [{"low": 90, "high": 99}],
     "events": [{"sequence": 1, "type": "note", "description": "Supervisor note"}]},
]  # fmt: skip
SCHEME = {"code": "S1", "name": "North scheme", "portfolio": "NORTH", "milestones": [{"name": "30 days",
                                                                                       "days_past_due": 30}]}


@pytest.fixture
def planned(office: Office) -> Office:
    document = yaml.safe_load(office.client.get("/api/v1/config", headers=office.headers("admin")).text)
    document["plans"], document["schemes"] = PLANS, [SCHEME]
    applied = office.post("admin", "/config", {"document": yaml.safe_dump(document)})
    assert applied.status_code == 200, applied.json()
    return office


def _put(office: Office, login: str, path: str, body: object) -> Any:
    return office.client.put(f"/api/v1{path}", headers=office.headers(login), json=body)


def test_plans_are_listed_by_user_level_and_run_on_an_account(planned: Office) -> None:
    assert [p["code"] for p in planned.get("admin", "/plans").json()] == ["P1", "P2"]
    assert [p["code"] for p in planned.get("mgr", "/plans").json()] == ["P1"]
    assert planned.get("BO", "/plans/P1").json()["events"][0]["description"] == "Courtesy note sent"
    assert planned.get("BO", "/plans/NOPE").status_code == 404
    ran = planned.post("BO", "/accounts/evans/plan-runs", {"plan": "P1", "on": "2026-02-21"})
    assert ran.status_code == 201
    assert (ran.json()["plan"], ran.json()["effects"]["notes"]) == ("P1", 1)
    assert any(n.text == "Courtesy note sent" for n in table(planned.db, "note"))


def test_a_plan_run_refused(planned: Office) -> None:
    beyond = planned.post("mgr", "/accounts/evans/plan-runs", {"plan": "P2", "on": "2026-02-21"})
    assert (beyond.status_code, beyond.json()["problems"][0]["location"]) == (422, "user")
    assert planned.post("BO", "/accounts/evans/plan-runs", {"plan": "NOPE"}).status_code == 404
    assert planned.post("BO", "/accounts/sloan/plan-runs", {"plan": "P1"}).status_code == 404
    assert planned.post("aud", "/accounts/evans/plan-runs", {"plan": "P1"}).status_code == 403
    assert planned.post("BO", "/accounts/evans/plan-runs", {"plan": ""}).status_code == 422


def test_a_batch_runs_within_the_managers_portfolios(planned: Office) -> None:
    batch = planned.post("mgr", "/plan-batches", {"plan": "P1", "on": "2026-02-21", "where": "balance > 0"})
    assert batch.status_code == 201
    assert (batch.json()["selected"], batch.json()["ran"]) == (2, 2)  # evans and adams, not SOUTH's sloan
    record = planned.get("mgr", f"/plan-batches/{batch.json()['batch']}").json()
    assert (record["plan"], record["actor"], record["accounts"]) == ("P1", "mgr", 2)
    assert planned.get("LO", f"/plan-batches/{batch.json()['batch']}").status_code == 404
    listed = planned.post("mgr", "/plan-batches", {"plan": "P1", "accounts": ["sloan"]})
    assert (listed.status_code, listed.json()["problems"][0]["rule"]) == (422, "no such account: sloan")
    both = planned.post("mgr", "/plan-batches", {"plan": "P1", "where": "balance > 0", "accounts": ["evans"]})
    assert both.status_code == 422
    assert planned.post("BO", "/plan-batches", {"plan": "P1", "where": "balance > 0"}).status_code == 403


def test_a_scheme_hold_and_its_release(planned: Office) -> None:
    assert [s["code"] for s in planned.get("BO", "/schemes").json()] == ["S1"]
    assert planned.get("LO", "/schemes").json() == [] and planned.get("LO", "/schemes/S1").status_code == 404
    shown = planned.get("BO", "/schemes/S1").json()
    assert (shown["scheme"]["milestones"][0]["name"], shown["actions"]) == ("30 days", [])
    held = _put(planned, "mgr", "/accounts/evans/scheme-hold", {"reason": "disputed", "on": "2026-02-21"})
    assert (held.status_code, held.json()["scheme"]) == (200, "S1")
    released = planned.client.delete("/api/v1/accounts/evans/scheme-hold", headers=planned.headers("mgr"))
    assert (released.status_code, released.json()["held"]) == (200, False)
    again = planned.client.delete("/api/v1/accounts/evans/scheme-hold", headers=planned.headers("mgr"))
    assert (again.status_code, again.json()["problems"][0]["rule"]) == (409, "has no scheme hold to release")
    assert _put(planned, "mgr", "/accounts/evans/scheme-hold", {"reason": " "}).status_code == 422
    assert _put(planned, "mgr", "/accounts/sloan/scheme-hold", {"reason": "x"}).status_code == 404
    assert _put(planned, "BO", "/accounts/evans/scheme-hold", {"reason": "x"}).status_code == 403
    audited = [(row.actor, row.action) for row in table(planned.db, "audit") if row.entity == "scheme_hold"]
    assert audited == [("mgr", "held"), ("mgr", "released")]
