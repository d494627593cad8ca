"""A collector's work over HTTP: the worklist, completing a call with an outcome (and a promise), reassigning,
and the refusals: a cancelled or done activity is a conflict, another portfolio's activity is not found."""

from __future__ import annotations

from tests.api.conftest import Office
from tests.services.run_scenarios import table


def _call(office: Office, account: str) -> int:
    return next(a.id for a in table(office.db, "activity") if a.action == "Call 1" and a.status == "open"
                and a.account_id == next(r.id for r in table(office.db, "account") if r.external_id == account))


def test_a_collector_works_their_worklist(office: Office) -> None:
    items = office.get("BO", "/worklist", on="2026-02-20").json()
    assert [(i["account"], i["action"], i["assignee"], i["band"]) for i in items] == [
        ("evans", "Call 1", "BO", "medium")
    ]
    assert office.get("BO", "/worklist", on="2026-02-20", collector="LO").status_code == 403
    assert office.get("admin", "/worklist", on="2026-02-20", collector="BO").json() == items
    # a manager of NORTH sees LO's worklist without SOUTH's work in it
    assert office.get("mgr", "/worklist", on="2026-02-20", collector="LO").json() == []
    # a collector or group the configuration does not know is refused, not listed as an empty worklist
    for params in ({"collector": "ZED"}, {"group": "NIGHT"}):
        unknown = office.get("admin", "/worklist", on="2026-02-20", **params)
        assert unknown.status_code == 422, unknown.json()
        assert [p["location"] for p in unknown.json()["problems"]] == list(params)


def test_complete_a_call_with_a_promise_then_the_conflict(office: Office) -> None:
    call = _call(office, "evans")
    body = {"outcome": "PROMISE", "note": "will pay Friday", "on": "2026-02-20",
            "promise": {"amount_cents": 20000, "due": "2026-02-27"}}  # fmt: skip
    done = office.post("BO", f"/activities/{call}/completion", body)
    assert (done.status_code, done.json()["status"]) == (200, "done"), done.json()
    assert [(p["amount_cents"], p["source"]) for p in office.get("BO", "/accounts/evans/promises").json()] == [
        (20000, "call")
    ]
    again = office.post("BO", f"/activities/{call}/completion", body)
    assert again.status_code == 409
    assert again.json()["problems"][0]["location"] == "activity"
    assert office.post("BO", "/activities/999999/completion", body).status_code == 404
    assert [(row.actor, row.action) for row in table(office.db, "audit") if row.entity == "activity"] == [
        ("BO", "completed")
    ]


def test_an_unknown_outcome_is_refused_and_nothing_is_written(office: Office) -> None:
    call = _call(office, "evans")
    refused = office.post("BO", f"/activities/{call}/completion", {"outcome": "MAYBE", "on": "2026-02-20"})
    assert refused.status_code == 422 and refused.json()["problems"][0]["location"] == "outcome"
    assert [a.status for a in table(office.db, "activity") if a.id == call] == ["open"]
    assert table(office.db, "call_attempt") == []


def test_reassign_and_the_portfolio_scope_of_an_activity(office: Office) -> None:
    call = _call(office, "evans")
    moved = office.client.patch(f"/api/v1/activities/{call}", headers=office.headers("BO"), json={"assignee": "AL"})
    assert (moved.status_code, moved.json()["previous_assignee"]) == (200, "BO")
    unknown = office.client.patch(f"/api/v1/activities/{call}", headers=office.headers("BO"), json={"assignee": "ZZ"})
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["location"] == "collector"
    sloan_work = next(a.id for a in table(office.db, "activity") if a.assignee == "LO")
    assert office.client.patch(f"/api/v1/activities/{sloan_work}", headers=office.headers("BO"),
                               json={"assignee": "AL"}).status_code == 404  # fmt: skip
    assert office.post("BO", f"/activities/{sloan_work}/completion", {"outcome": "NOANSWER"}).status_code == 404
