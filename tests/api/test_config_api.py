"""The configuration over HTTP: entities in the document's own form (list, show, add, replace, delete), the
entry policy and assignment of each portfolio, compliance, the configuration document and its versions; who may
change what, and what a manager or a collector sees of other portfolios (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.api.conftest import Office
from tests.services.run_scenarios import table

CALL_3 = {"name": "Call 3", "collection_type": "guarantor", "kind": "phone_call", "next_action": "Call 1",
          "follow_up_days": 5, "all_portfolios": True}  # fmt: skip


def _put(office: Office, login: str, path: str, body: object, **params: Any) -> Any:
    return office.client.put(f"/api/v1{path}", headers=office.headers(login), json=body, params=params)


def _patch(office: Office, login: str, path: str, body: object) -> Any:
    return office.client.patch(f"/api/v1{path}", headers=office.headers(login), json=body)


def _delete(office: Office, login: str, path: str, **params: Any) -> Any:
    return office.client.delete(f"/api/v1{path}", headers=office.headers(login), params=params)


def test_an_action_is_added_replaced_and_deleted_in_the_document_form(office: Office) -> None:
    names = [a["name"] for a in office.get("BO", "/actions").json()]
    assert names[:3] == ["Letter 30", "Letter 60", "Call 1"] and "Call 3" not in names
    fee = office.get("aud", "/actions/Late Fee").json()
    assert (fee["kind"], fee["params"]["amount"], fee["params"]["description"]) == ("fee", "15.00", "Collection fee")
    added = office.post("admin", "/actions", CALL_3)
    assert (added.status_code, added.json()["follow_up_days"]) == (201, 5)
    added_rows = [row for row in table(office.db, "audit") if row.entity == "action" and row.entity_key == "Call 3"]
    assert [(row.actor, row.request_id) for row in added_rows] == [("admin", added.headers["x-request-id"])]
    changed = _put(office, "admin", "/actions/Call 3", CALL_3 | {"follow_up_days": 9})
    assert (changed.status_code, changed.json()["follow_up_days"]) == (200, 9)
    assert _delete(office, "admin", "/actions/Call 3").status_code == 204
    assert office.get("admin", "/actions/Call 3").status_code == 404


def test_a_broken_entity_names_each_field_and_rule(office: Office) -> None:
    broken = office.post("admin", "/actions", CALL_3 | {"kind": "telegram", "follow_up_days": "5"})
    assert broken.status_code == 422
    assert sorted(p["location"] for p in broken.json()["problems"]) == ["follow_up_days", "kind"]
    unknown = office.post("admin", "/actions", CALL_3 | {"next_action": "Nowhere"})
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["location"] == "actions[Call 3].next_action"
    twice = office.post("admin", "/collectors", {"code": "BO", "name": "Bo again"})
    assert (twice.status_code, twice.json()["problems"][0]["rule"]) == (422, "collector already exists")
    assert office.get("admin", "/series/Nothing").status_code == 404
    assert _put(office, "admin", "/series/Nothing", office.get("admin", "/series/Full Works").json()).status_code == 404


def test_what_configuration_or_collections_work_uses_is_a_conflict(office: Office) -> None:
    used = _delete(office, "admin", "/actions/Letter 30")
    assert used.status_code == 409
    assert "is in use" in used.json()["problems"][0]["rule"]
    # BO is the collector of evans's case: their work moves to another collector, or the delete is refused
    office.post("admin", "/collectors", {"code": "ZED", "name": "Zed"})
    rules = office.get("admin", "/portfolios/NORTH/assignment-rules").json()
    bo_rule = next(r for r in rules if r["rule"]["collector"] == "BO")
    rule_path = f"/portfolios/NORTH/assignment-rules/{bo_rule['number']}"
    assert _put(office, "admin", rule_path, bo_rule["rule"] | {"collector": "ZED"}).status_code == 200
    refused = _delete(office, "admin", "/collectors/BO")
    assert refused.status_code == 409 and "evans" in refused.json()["problems"][0]["rule"]
    assert _delete(office, "admin", "/collectors/BO", move_work_to="ZED").status_code == 204
    cases = office.get("admin", "/accounts/evans", as_of="2026-02-20").json()["cases"]
    assert cases[0]["assignee"] == "ZED"


def test_only_an_administrator_changes_enterprise_configuration(office: Office) -> None:
    for login in ("mgr", "BO", "aud"):
        assert office.post(login, "/actions", CALL_3).status_code == 403
        assert _delete(office, login, "/groups/ANY").status_code == 403
    assert office.get("mgr", "/users").status_code == 403
    assert [u["login"] for u in office.get("admin", "/users").json()] == ["admin", "mgr", "aud"]
    assert office.get("aud", "/collectors").status_code == 200


def test_the_enterprise_rules_and_a_portfolios_collections(office: Office) -> None:
    policy = office.get("mgr", "/entry-policy").json()
    assert policy["enterprise"]["balance_over"] == "25.00"
    assert [p["portfolio"] for p in policy["portfolios"]] == ["NORTH"]
    assert [p["portfolio"] for p in office.get("admin", "/entry-policy").json()["portfolios"]] == [
        "NORTH", "SOUTH", "OFF",
    ]  # fmt: skip
    rules = policy["enterprise"] | {"balance_over": "30.00"}
    assert _put(office, "mgr", "/entry-policy/enterprise", rules).status_code == 403
    assert _put(office, "admin", "/entry-policy/enterprise", rules).json()["balance_over"] == "30.00"
    bad = _put(office, "admin", "/entry-policy/enterprise", rules | {"min_payment_percent": 150})
    problem = bad.json()["problems"][0]
    assert (bad.status_code, problem["location"]) == (422, "entry_policy.enterprise.min_payment_percent")
    # a manager changes their portfolio's settings, not another's (which they do not see)
    off = _patch(office, "mgr", "/portfolios/NORTH/collections", {"collections_enabled": False})
    assert (off.status_code, off.json()["collections_enabled"]) == (200, False)
    assert _patch(office, "mgr", "/portfolios/SOUTH/collections", {"collections_enabled": False}).status_code == 404
    assert office.get("mgr", "/portfolios/SOUTH/collections").status_code == 404
    assert office.get("BO", "/portfolios/NORTH/collections").json()["portfolio"] == "NORTH"
    assert _patch(office, "BO", "/portfolios/NORTH/collections", {"collections_enabled": True}).status_code == 403


def test_assignment_rules_and_the_assignment_type(office: Office) -> None:
    rules = office.get("mgr", "/portfolios/NORTH/assignment-rules").json()
    assert [(r["number"], r["rule"]["from"], r["rule"]["to"], r["rule"]["collector"]) for r in rules] == [
        (1, "A", "D", "AL"), (2, "E", "H", "BO"), (3, "A", "Z", "PP"),
    ]  # fmt: skip
    added = office.post("mgr", "/portfolios/NORTH/assignment-rules", {"from": "I", "to": "M", "collector": "BO"})
    assert (added.status_code, added.json()["number"], added.json()["text"]) == (201, 4, "I–M → BO")
    overlap = office.post("mgr", "/portfolios/NORTH/assignment-rules", {"from": "L", "to": "N", "collector": "AL"})
    assert overlap.status_code == 422
    south = office.get("admin", "/portfolios/SOUTH/assignment-rules/1").json()
    assert (south["rule"]["from"], south["rule"]["to"]) == ("100.01", "500.00")
    not_money = office.post("admin", "/portfolios/SOUTH/assignment-rules", {"from": "A", "to": "B", "collector": "LO"})
    assert (not_money.status_code, not_money.json()["problems"][0]["location"]) == (422, "rule.from")
    assert office.get("mgr", "/portfolios/NORTH/assignment-rules/9").status_code == 404
    assert office.get("mgr", "/portfolios/SOUTH/assignment-rules").status_code == 404
    # changing the type deletes the rules: confirmed, or refused listing them
    refused = _put(office, "mgr", "/portfolios/NORTH/assignment-type", {"type": "balance_range"})
    assert refused.status_code == 409 and len(refused.json()["problems"]) == 4
    done = _put(office, "mgr", "/portfolios/NORTH/assignment-type", {"type": "balance_range", "confirm": True})
    assert (done.status_code, len(done.json()["deleted"])) == (200, 4)
    assert _delete(office, "mgr", "/portfolios/NORTH/assignment-rules/1").status_code == 404


def test_portfolios(office: Office) -> None:
    assert [p["code"] for p in office.get("mgr", "/portfolios").json()] == ["NORTH"]
    assert office.get("LO", "/portfolios/NORTH").status_code == 404
    made = office.post("admin", "/portfolios", {"code": "WEST", "name": "West Clinic", "maximum_amount_cents": 500000})
    assert (made.status_code, made.json()["maximum_amount"]) == (201, "$5,000.00")
    assert office.post("admin", "/portfolios", {"code": "WEST", "name": "Again"}).status_code == 422
    assert office.post("mgr", "/portfolios", {"code": "EAST", "name": "East"}).status_code == 403
    inherited = _patch(office, "admin", "/portfolios/WEST", {"maximum_amount_cents": None}).json()
    assert inherited["maximum_amount_cents"] is None
    assert _patch(office, "admin", "/portfolios/NOPE", {"maximum_amount_cents": None}).status_code == 404
    audited = [(row.actor, row.action, row.request_id is not None) for row in table(office.db, "audit")
               if row.entity == "portfolio" and row.entity_key == "WEST"]  # fmt: skip
    assert audited == [("admin", "added", True), ("admin", "maximum amount set", True)]


def test_compliance_settings(office: Office) -> None:
    settings = office.get("BO", "/compliance").json()
    assert settings["portfolios"] == []
    body = {"enterprise": {"call_frequency": {"enabled": True, "attempts": 5, "days": 7}},
            "portfolios": [{"portfolio": "SOUTH", "time_of_day": {"start": "09:00", "end": "20:00"}}]}  # fmt: skip
    assert _put(office, "mgr", "/compliance", body).status_code == 403
    saved = _put(office, "admin", "/compliance", body)
    assert saved.status_code == 200 and saved.json()["enterprise"]["call_frequency"]["attempts"] == 5
    assert [p["portfolio"] for p in saved.json()["portfolios"]] == ["SOUTH"]
    assert office.get("BO", "/compliance").json()["portfolios"] == []
    late = {"portfolios": [{"portfolio": "SOUTH", "time_of_day": {"start": "9am"}}]}
    bad = _put(office, "admin", "/compliance", late)
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "portfolios.0.time_of_day.start"


def test_the_document_exported_applied_with_a_dry_run_and_versioned(office: Office) -> None:
    exported = office.client.get("/api/v1/config", headers=office.headers("aud"))
    assert exported.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(exported.text)
    document["collectors"].append({"code": "NEW", "name": "New Collector"})
    text = yaml.safe_dump(document)
    dry = office.post("admin", "/config", {"document": text, "dry_run": True}).json()
    assert (dry["dry_run"], dry["applied"], dry["version"]) == (True, False, None)
    assert [(c["kind"], c["key"], c["change"]) for c in dry["changes"]] == [("collector", "NEW", "added")]
    assert office.get("admin", "/collectors/NEW").status_code == 404
    before = len(office.get("admin", "/config/versions").json())
    applied = office.post("admin", "/config", {"document": text}).json()
    assert applied["applied"] and applied["version"] == before + 1
    assert office.get("admin", "/collectors/NEW").json()["name"] == "New Collector"
    versions = office.get("admin", "/config/versions").json()
    assert (versions[0]["number"], versions[0]["actor"]) == (applied["version"], "admin")
    diff = office.get("admin", f"/config/versions/{applied['version'] - 1}/diff", to=applied["version"]).json()
    assert [(c["key"], c["change"]) for c in diff] == [("NEW", "added")]
    old = office.client.get("/api/v1/config", headers=office.headers("admin"), params={"version": before})
    assert "New Collector" not in old.text
    missing = office.client.get("/api/v1/config", headers=office.headers("admin"), params={"version": 999})
    assert missing.status_code == 404
    # removing entities needs confirming; a broken document names every problem and writes nothing
    document["collectors"] = [c for c in document["collectors"] if c["code"] != "NEW"]
    removal = office.post("admin", "/config", {"document": yaml.safe_dump(document)})
    assert removal.status_code == 409 and "NEW" in removal.json()["problems"][0]["value"]
    document["actions"][0]["follow_up_days"] = "soon"
    broken = office.post("admin", "/config", {"document": yaml.safe_dump(document), "confirm_removals": True})
    assert broken.status_code == 422 and broken.json()["problems"][0]["location"] == "actions[Letter 30].follow_up_days"
    assert office.post("mgr", "/config", {"document": text}).status_code == 403
    assert len(office.get("admin", "/config/versions").json()) == len(versions)


def test_logins_are_managed_by_an_administrator(office: Office) -> None:
    assert office.get("mgr", "/logins").status_code == 403
    assert {u["login"] for u in office.get("admin", "/logins").json()} == {"admin", "mgr", "BO", "LO", "aud"}
    made = office.post("admin", "/logins", {"login": "AL", "role": "collector", "portfolios": ["NORTH"],
                                            "password": "another long password"})  # fmt: skip
    assert (made.status_code, made.json()["portfolios"]) == (201, ["NORTH"])
    weak = office.post("admin", "/logins", {"login": "PP", "role": "collector", "portfolios": [], "password": "short"})
    assert sorted(p["location"] for p in weak.json()["problems"]) == ["password", "portfolios"]
    assert _put(office, "admin", "/logins/AL/password", {"password": "a new long password"}).status_code == 204
    assert _put(office, "admin", "/logins/nobody/password", {"password": "a new long password"}).status_code == 404
    signed = office.client.post("/api/v1/auth/login", json={"login": "AL", "password": "a new long password"})
    assert signed.status_code == 201
    audit = [json.loads(row.after or "null") for row in table(office.db, "audit") if row.entity == "login"]
    assert {"role": "collector", "portfolios": ["NORTH"]} in audit


def test_a_login_changed_deactivated_and_activated_again(office: Office) -> None:
    moved = _patch(office, "admin", "/logins/mgr", {"portfolios": ["NORTH", "SOUTH"]})
    assert (moved.status_code, moved.json()["portfolios"]) == (200, ["NORTH", "SOUTH"])
    assert office.get("mgr", "/accounts/sloan", as_of="2026-02-20").status_code == 200
    promoted = _patch(office, "admin", "/logins/mgr", {"role": "admin", "portfolios": []})
    assert (promoted.json()["role"], promoted.json()["portfolios"]) == ("admin", [])
    refused = _patch(office, "admin", "/logins/BO", {"role": "manager", "portfolios": ["MARS"]})
    assert refused.status_code == 422 and refused.json()["problems"] == [
        {"location": "portfolios", "rule": "is not a portfolio", "value": "MARS"}]
    assert _patch(office, "admin", "/logins/aud", {"role": "collector", "portfolios": ["NORTH"]}).json()[
        "problems"][0]["rule"] == "a collector's login is the code of a configured collector"
    assert _patch(office, "admin", "/logins/nobody", {"active": False}).status_code == 404
    # deactivated: the login cannot sign in and its tokens are revoked at once; activating it gives none back
    signed = {"login": "BO", "password": "correct horse battery"}
    session = office.client.post("/api/v1/auth/login", json=signed).json()["token"]
    as_session = {"Authorization": f"Bearer {session}"}
    assert office.get("BO", "/me").status_code == 200
    assert office.client.get("/api/v1/me", headers=as_session).status_code == 200
    off = _patch(office, "admin", "/logins/BO", {"active": False})
    assert (off.status_code, off.json()["active"]) == (200, False)
    assert office.get("BO", "/me").status_code == 401
    assert office.client.get("/api/v1/me", headers=as_session).status_code == 401
    assert office.client.post("/api/v1/auth/login", json=signed).status_code == 401
    assert _patch(office, "admin", "/logins/BO", {"active": True}).json()["active"] is True
    assert office.get("BO", "/me").status_code == 401
    assert office.client.get("/api/v1/me", headers=as_session).status_code == 401
    again = office.client.post("/api/v1/auth/login", json=signed)
    assert again.status_code == 201
    assert office.client.get("/api/v1/me", headers={"Authorization": f"Bearer {again.json()['token']}"}
                             ).status_code == 200  # fmt: skip
    assert office.get("admin", "/logins/BO").json() == {"login": "BO", "role": "collector", "portfolios": ["NORTH"],
                                                        "active": True}  # fmt: skip
    audited = [(row.actor, row.action, row.request_id is not None) for row in table(office.db, "audit")
               if row.entity == "login" and row.entity_key == "BO"]  # fmt: skip
    assert audited[-2:] == [("admin", "deactivated", True), ("admin", "activated", True)]
    tokens = {row.id: row.kind for row in table(office.db, "api_token") if row.login == "BO"}
    revoked = [(row.actor, int(row.entity_key), json.loads(row.after)["reason"]) for row in table(office.db, "audit")
               if row.entity == "token" and row.action == "revoked"]  # fmt: skip
    assert revoked == [("admin", token_id, "the login was deactivated") for token_id in sorted(tokens)[:2]]
    assert [tokens[token_id] for _, token_id, _ in revoked] == ["api", "session"]


def test_the_last_administrator_stays_one(office: Office) -> None:
    last = _patch(office, "admin", "/logins/admin", {"active": False})
    assert (last.status_code, last.json()["problems"][0]["rule"]) == (
        409, "is the last active administrator: make another one first")
    assert _patch(office, "admin", "/logins/admin", {"role": "auditor"}).status_code == 409
    for login in ("mgr", "BO", "aud"):
        assert _patch(office, login, "/logins/BO", {"active": False}).status_code == 403
        assert office.get(login, "/logins/BO").status_code == 403
    assert office.get("admin", "/logins/admin").json()["active"] is True
