"""The configuration's contact plans (and their events), transaction types, milestone schemes, credit rating and
promise settings, one item at a time over HTTP: each write validated against the whole configuration like the
document, audited with the user and the request, and recorded as a configuration version; only an administrator
writes (SQLite and PostgreSQL).

The office's configuration (see conftest) has no plans, schemes or transaction types to begin with; the tests add

    plan P1       "Courtesy note": a note immediately (event 1)
    type PAY      payments run P1
    scheme S1     NORTH, one milestone at 30 days past due
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Office
from tests.services.run_scenarios import table

P1 = {"code": "P1", "description": "Courtesy note", "access": [{"low": 0, "high": 99}],
      "events": [{"sequence": 1, "type": "note", "description": "Courtesy note sent"}]}  # fmt: skip
CALL = {"sequence": 2, "type": "phone_call", "description": "Courtesy call", "timing": "delay_days", "days": 3}
PAY = {"code": "PAY", "kind": "payment", "plan": "P1", "description": "Payment received"}
S1 = {"code": "S1", "name": "North scheme", "portfolio": "NORTH", "milestones": [{"name": "30 days",
                                                                                   "days_past_due": 30}]}


def _put(office: Office, login: str, path: str, body: object) -> Any:
    return office.client.put(f"/api/v1{path}", headers=office.headers(login), json=body)


def _delete(office: Office, login: str, path: str) -> Any:
    return office.client.delete(f"/api/v1{path}", headers=office.headers(login))


def _audited(office: Office, entity: str, key: str) -> list[tuple[str, str, bool]]:
    return [(row.actor, row.action, row.request_id is not None) for row in table(office.db, "audit")
            if row.entity == entity and row.entity_key == key]  # fmt: skip


def _versions(office: Office) -> int:
    return len(office.get("admin", "/config/versions").json())


def test_a_contact_plan_is_added_replaced_and_deleted(office: Office) -> None:
    before = _versions(office)
    added = office.post("admin", "/plans", P1)
    assert added.status_code == 201
    assert added.json()["events"][0] | {"type": "note"} == added.json()["events"][0]
    assert office.get("BO", "/plans/P1").json()["description"] == "Courtesy note"
    changed = _put(office, "admin", "/plans/P1", P1 | {"description": "Courtesy"})
    assert (changed.status_code, changed.json()["description"]) == (200, "Courtesy")
    renamed = _put(office, "admin", "/plans/P1", P1 | {"code": "P9"})
    assert renamed.status_code == 200 and office.get("admin", "/plans/P1").status_code == 404
    assert _delete(office, "admin", "/plans/P9").status_code == 204
    assert office.get("admin", "/plans/P9").status_code == 404
    assert _audited(office, "plan", "P1") == [("admin", "created", True), ("admin", "updated", True),
                                              ("admin", "deleted", True)]  # fmt: skip
    assert _audited(office, "plan", "P9") == [("admin", "created", True), ("admin", "deleted", True)]
    assert _versions(office) == before + 4


def test_a_plan_refused_names_the_field_and_the_rule(office: Office) -> None:
    wrong_type = office.post("admin", "/plans", P1 | {"events": [{"sequence": 1, "type": "telegram"}]})
    assert (wrong_type.status_code, wrong_type.json()["problems"][0]["location"]) == (422, "events.0.type")
    unknown_letter = office.post("admin", "/plans", P1 | {"events": [{"sequence": 1, "type": "letter",
                                                                      "description": "NOPE"}]})  # fmt: skip
    assert unknown_letter.status_code == 422
    assert unknown_letter.json()["problems"][0]["location"].startswith("plans[P1].events[1]")
    assert office.post("admin", "/plans", P1).status_code == 201
    twice = office.post("admin", "/plans", P1)
    assert (twice.status_code, twice.json()["problems"][0]["rule"]) == (422, "plan already exists")
    assert _put(office, "admin", "/plans/NOPE", P1).status_code == 404
    assert _delete(office, "admin", "/plans/NOPE").status_code == 404


def test_what_runs_a_plan_keeps_it(office: Office) -> None:
    office.post("admin", "/plans", P1)
    assert office.post("admin", "/transaction-types", PAY).status_code == 201
    used = _delete(office, "admin", "/plans/P1")
    assert used.status_code == 409
    assert used.json()["problems"][0]["rule"] == "is in use: plan 'P1' is run by transaction type 'PAY'"
    assert office.get("admin", "/plans/P1").status_code == 200


def test_the_events_of_a_plan_one_at_a_time(office: Office) -> None:
    office.post("admin", "/plans", P1)
    added = office.post("admin", "/plans/P1/events", CALL)
    assert (added.status_code, added.json()["days"]) == (201, 3)
    assert [e["sequence"] for e in office.get("BO", "/plans/P1/events").json()] == [1, 2]
    assert office.get("aud", "/plans/P1/events/2").json()["description"] == "Courtesy call"
    moved = _put(office, "admin", "/plans/P1/events/2", CALL | {"sequence": 5, "days": 4})
    assert (moved.status_code, moved.json()["sequence"], moved.json()["days"]) == (200, 5, 4)
    assert office.get("admin", "/plans/P1/events/2").status_code == 404
    taken = office.post("admin", "/plans/P1/events", CALL | {"sequence": 1})
    assert taken.status_code == 422
    assert taken.json()["problems"][0] == {"location": "plans[P1].events[1]",
                                           "rule": "sequence is used by another event of the plan", "value": ""}
    no_days = office.post("admin", "/plans/P1/events", CALL | {"days": None})
    assert (no_days.status_code, no_days.json()["problems"][0]["location"]) == (422, "plans[P1].events[2].days")
    assert office.post("admin", "/plans/NOPE/events", CALL).status_code == 404
    assert _put(office, "admin", "/plans/P1/events/7", CALL).status_code == 404
    assert _delete(office, "admin", "/plans/P1/events/5").status_code == 204
    assert [e["sequence"] for e in office.get("admin", "/plans/P1").json()["events"]] == [1]
    assert [action for _, action, _ in _audited(office, "plan", "P1")] == ["created", "updated", "updated",
                                                                            "updated"]  # fmt: skip


def test_a_transaction_type(office: Office) -> None:
    office.post("admin", "/plans", P1)
    assert office.post("admin", "/transaction-types", PAY | {"plan": "NOPE"}).json()["problems"][0]["location"] == (
        "transaction_types[PAY].plan"
    )
    assert office.post("admin", "/transaction-types", PAY).status_code == 201
    assert office.get("BO", "/transaction-types").json() == [PAY]
    assert office.get("BO", "/transaction-types/PAY").json()["kind"] == "payment"
    same_kind = office.post("admin", "/transaction-types", PAY | {"code": "PAY2"})
    assert same_kind.status_code == 422
    assert same_kind.json()["problems"][0]["rule"] == "payment is already the kind of transaction type 'PAY'"
    changed = _put(office, "admin", "/transaction-types/PAY", PAY | {"plan": None})
    assert (changed.status_code, changed.json()["plan"]) == (200, None)
    assert office.get("admin", "/transaction-types/NOPE").status_code == 404
    assert _delete(office, "admin", "/transaction-types/PAY").status_code == 204
    assert office.get("admin", "/transaction-types").json() == []
    assert [action for _, action, _ in _audited(office, "transaction_type", "PAY")] == ["created", "updated",
                                                                                         "deleted"]  # fmt: skip


def test_a_milestone_scheme(office: Office) -> None:
    added = office.post("admin", "/schemes", S1)
    assert (added.status_code, added.json()["milestones"][0]["days_past_due"]) == (201, 30)
    assert office.get("BO", "/schemes/S1").json()["scheme"]["name"] == "North scheme"
    assert office.get("LO", "/schemes/S1").status_code == 404  # SOUTH's collector does not see NORTH's scheme
    elsewhere = office.post("admin", "/schemes", S1 | {"code": "S2", "portfolio": "MARS"})
    assert (elsewhere.status_code, elsewhere.json()["problems"][0]["location"]) == (422, "schemes[S2].portfolio")
    twice = office.post("admin", "/schemes", S1 | {"code": "S2"})  # NORTH has its active guarantor scheme
    assert twice.status_code == 422 and "already has the active guarantor scheme" in twice.json()["problems"][0]["rule"]
    longer = S1 | {"milestones": [*S1["milestones"], {"name": "60 days", "days_past_due": 60}]}  # type: ignore[list-item]
    changed = _put(office, "admin", "/schemes/S1", longer)
    assert [m["name"] for m in changed.json()["milestones"]] == ["30 days", "60 days"]
    assert _put(office, "admin", "/schemes/NOPE", S1).status_code == 404
    assert _delete(office, "admin", "/schemes/S1").status_code == 204
    assert office.get("admin", "/schemes").json() == []
    assert [action for _, action, _ in _audited(office, "scheme", "S1")] == ["created", "updated", "deleted"]


def test_the_credit_rating(office: Office) -> None:
    default = office.get("BO", "/credit-rating").json()
    assert default == {"levels": [{"name": "Gold", "min_points": 0}, {"name": "Silver", "min_points": 50},
                                  {"name": "Bronze", "min_points": 100}], "lookback_days": 730}  # fmt: skip
    body = {"levels": [{"name": "Good", "min_points": 0}, {"name": "Poor", "min_points": 40}], "lookback_days": None}
    saved = _put(office, "admin", "/credit-rating", body)
    assert (saved.status_code, saved.json()) == (200, body)
    twice = _put(office, "admin", "/credit-rating", body | {"levels": [*body["levels"], {"name": "Good",  # type: ignore[list-item]
                                                                                        "min_points": 80}]})
    assert twice.status_code == 422 and twice.json()["problems"][0]["rule"] == "level 'Good' is defined more than once"
    assert _put(office, "admin", "/credit-rating", body | {"lookback_days": "long"}).status_code == 422
    assert _delete(office, "admin", "/credit-rating").status_code == 204
    assert office.get("aud", "/credit-rating").json() == default
    assert [action for _, action, _ in _audited(office, "credit_rating", "enterprise")] == ["created", "deleted"]


def test_the_promise_settings(office: Office) -> None:
    office.post("admin", "/plans", P1)
    assert office.get("BO", "/promise-settings").json() == {
        "grace_days": 0, "pause_series": True, "portfolios": [],
        "plans": {"kept": None, "partial": None, "broken": None, "nsf": None, "completed": None},
    }  # fmt: skip
    body = {"grace_days": 3, "pause_series": False, "plans": {"broken": "P1"},
            "portfolios": [{"portfolio": "SOUTH", "grace_days": 5}]}  # fmt: skip
    saved = _put(office, "admin", "/promise-settings", body)
    assert saved.status_code == 200
    assert (saved.json()["plans"]["broken"], saved.json()["portfolios"][0]["grace_days"]) == ("P1", 5)
    assert office.get("BO", "/promise-settings").json()["portfolios"] == []  # NORTH's collector: SOUTH is not theirs
    unknown = _put(office, "admin", "/promise-settings", body | {"plans": {"kept": "NOPE"}})
    assert unknown.status_code == 422 and unknown.json()["problems"][0]["location"] == "promises.plans.kept"
    used = _delete(office, "admin", "/plans/P1")
    assert (used.status_code, used.json()["problems"][0]["rule"]) == (
        409, "is in use: plan 'P1' is run by a broken promise")
    assert _delete(office, "admin", "/promise-settings").status_code == 204
    assert office.get("admin", "/promise-settings").json()["grace_days"] == 0
    assert [action for _, action, _ in _audited(office, "promises", "enterprise")] == ["created", "deleted"]


def test_only_an_administrator_writes_them(office: Office) -> None:
    office.post("admin", "/plans", P1)
    for login in ("mgr", "BO", "aud"):
        assert office.post(login, "/plans", P1 | {"code": "P2"}).status_code == 403
        assert _put(office, login, "/plans/P1/events/1", P1["events"][0]).status_code == 403  # type: ignore[index]
        assert _delete(office, login, "/plans/P1").status_code == 403
        assert office.post(login, "/transaction-types", PAY).status_code == 403
        assert office.post(login, "/schemes", S1).status_code == 403
        assert _put(office, login, "/credit-rating", {"levels": []}).status_code == 403
        assert _delete(office, login, "/promise-settings").status_code == 403
    assert office.get("admin", "/transaction-types").json() == [] and office.get("admin", "/schemes").json() == []
