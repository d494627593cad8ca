"""The accounts over HTTP: the list and the page within the user's portfolios, transactions, reversals, notes,
promises and follow-ups, each with its refusals (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from tests.api.conftest import Office
from tests.services.run_scenarios import table


def _audit(office: Office, entity: str) -> list[Any]:
    return [row for row in table(office.db, "audit") if row.entity == entity]


def test_the_list_pages_and_filters_like_the_command_line(office: Office) -> None:
    page = office.get("admin", "/accounts", as_of="2026-02-20").json()
    assert [(a["external_id"], a["portfolio"], a["balance_cents"]) for a in page["items"]] == [
        ("evans", "NORTH", 50000), ("sloan", "SOUTH", 40000), ("adams", "NORTH", 30000),
    ]  # fmt: skip
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
    paged = office.get("admin", "/accounts", as_of="2026-02-20", limit=1, offset=1).json()
    assert ([a["external_id"] for a in paged["items"]], paged["total"]) == (["sloan"], 3)
    collecting = office.get("admin", "/accounts", in_collections="true", collector="BO").json()
    assert [(a["external_id"], a["case_status"], a["collector"]) for a in collecting["items"]] == [
        ("evans", "internal", "BO")
    ]
    found = office.get("admin", "/accounts", where="balance > 350", as_of="2026-02-20").json()
    assert [a["external_id"] for a in found["items"]] == ["evans", "sloan"]


def test_a_refused_filter_names_the_field_and_the_rule(office: Office) -> None:
    answer = office.get("admin", "/accounts", status="lost", where="balance >")
    assert answer.status_code == 422
    locations = [p["location"] for p in answer.json()["problems"]]
    assert locations == ["status", "where"]
    assert answer.json()["problems"][0]["value"] == "lost"
    assert office.get("admin", "/accounts", limit=0).json()["problems"][0]["location"] == "query.limit"


def test_a_collector_sees_only_their_portfolios_by_id_list_filter_and_search(office: Office) -> None:
    assert [a["external_id"] for a in office.get("BO", "/accounts").json()["items"]] == ["evans", "adams"]
    assert [a["external_id"] for a in office.get("LO", "/accounts").json()["items"]] == ["sloan"]
    assert office.get("BO", "/accounts/sloan").status_code == 404
    assert office.get("BO", "/accounts/sloan/explain").status_code == 404
    assert office.get("BO", "/accounts/sloan").json() == office.get("BO", "/accounts/nobody").json() | {
        "detail": "no account 'sloan'"
    }
    # the other portfolio is refused as unknown, a search or filter never finds its accounts
    refused = office.get("BO", "/accounts", portfolio="SOUTH")
    assert (refused.status_code, refused.json()["problems"][0]["rule"]) == (422, "is not a portfolio")
    assert office.get("BO", "/accounts", where="balance > 0").json()["total"] == 2
    assert office.get("BO", "/accounts", collector="LO").json()["items"] == []
    assert office.get("mgr", "/accounts").json()["total"] == 2
    assert office.get("aud", "/accounts").json()["total"] == 3


def test_without_a_valid_token_every_request_is_401(office: Office) -> None:
    assert office.client.get("/api/v1/accounts").status_code == 401
    bad = office.client.get("/api/v1/accounts", headers={"Authorization": "Bearer arr_nope"})
    assert (bad.status_code, bad.headers["www-authenticate"]) == (401, "Bearer")
    token_id = office.get("BO", "/me").json()
    assert token_id["role"] == "collector" and token_id["portfolios"] == ["NORTH"]
    mine = office.get("BO", "/tokens").json()
    assert office.client.delete(f"/api/v1/tokens/{mine[0]['id']}", headers=office.headers("BO")).status_code == 200
    assert office.get("BO", "/accounts").status_code == 401


def test_the_account_page(office: Office) -> None:
    page = office.get("BO", "/accounts/evans", as_of="2026-02-20").json()
    assert (page["external_id"], page["balance_cents"], page["days_past_due"]) == ("evans", 50000, 97)
    assert [(c["status"], c["assignee"], c["open"]) for c in page["cases"]] == [("internal", "BO", True)]
    assert [(a["action"], a["status"]) for a in page["pending"]] == [("Call 1", "open"), ("Call 2", "scheduled")]
    assert page["ledger"][0]["kind"] == "charge"
    assert any("entered" in entry["text"] for entry in page["timeline"])
    explained = office.get("BO", "/accounts/evans/explain", as_of="2026-02-20").json()
    assert explained["account"] == "evans" and explained["checks"]
    assert office.get("BO", "/accounts/nobody").status_code == 404


def test_the_account_pages_parts_keep_their_json(office: Office) -> None:
    """The parts of the page answered from the use cases' own lines (ledger, cases, pending work, promises,
    timeline): every key, in its order, as the API has always answered them."""
    office.post("BO", "/accounts/evans/promises", {"amount_cents": 5000, "due": "2026-02-25", "on": "2026-02-20"})
    office.post("BO", "/accounts/evans/activities", {"kind": "phone_call", "due": "2026-02-23", "time": "10:30",
                                                     "on": "2026-02-21"})  # fmt: skip
    page = office.get("aud", "/accounts/evans", as_of="2026-02-21").json()
    assert page["ledger"][0] == {"id": page["ledger"][0]["id"], "external_id": "evans-1", "kind": "charge",
                                 "amount_cents": 50000, "posted": "2025-11-01", "due": "2025-11-15", "source": None,
                                 "reverses": None, "description": ""}  # fmt: skip
    assert list(page["cases"][0]) == ["track", "episode", "status", "entered_on", "referred_on", "closed_on",
                                      "close_reason", "entry_reason", "assignee", "assignment_rule", "work",
                                      "is_current", "hold_reason", "open"]  # fmt: skip
    assert (page["cases"][0]["hold_reason"], page["cases"][0]["open"]) == (None, True)
    timed = next(a for a in page["pending"] if a["due_at"] is not None)
    assert list(timed) == ["id", "kind", "action", "assignee", "due_date", "due_at", "priority", "status", "reason",
                           "created_on", "done_on", "cancelled_on", "hold_reason", "outcome", "note",
                           "no_auto_delete"]  # fmt: skip
    assert timed["due_date"] == "2026-02-23" and timed["due_at"].startswith("2026-02-23T") and (
        timed["due_at"].endswith(("Z", "+00:00")) or timed["due_at"][-6] in "+-")  # a moment with its offset
    assert page["promises"] == office.get("aud", "/accounts/evans/promises").json()
    assert page["promises"][0] == {"id": page["promises"][0]["id"], "account": "evans", "amount_cents": 5000,
                                   "due": "2026-02-25", "repeat": "", "grace_days": 0, "advance": False,
                                   "status": "open", "paid_cents": 0, "shortfall_cents": 5000, "collector": "BO",
                                   "channel": "phone", "source": "direct", "created_on": "2026-02-20",
                                   "ended_on": None, "guarantor": ""}  # fmt: skip
    assert all(list(entry) == ["on", "kind", "text"] for entry in page["timeline"])


def test_post_a_payment_once_with_an_idempotency_key(office: Office) -> None:
    body = {"kind": "payment", "amount_cents": 10000, "posted": "2026-02-21", "source": "guarantor"}
    first = office.post("BO", "/accounts/evans/transactions", body, **{"Idempotency-Key": "portal-1"})
    again = office.post("BO", "/accounts/evans/transactions", body, **{"Idempotency-Key": "portal-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    payments = [line for line in table(office.db, "ledger_line") if line.kind == "payment"]
    assert len(payments) == 1
    posted = _audit(office, "transaction")
    assert [(row.actor, row.action) for row in posted] == [("BO", "posted")]
    assert posted[0].request_id == first.headers["x-request-id"]
    assert json.loads(posted[0].after)["amount_cents"] == 10000
    # the same key with another request is refused; a new key posts again
    key = {"Idempotency-Key": "portal-1"}
    other = office.post("BO", "/accounts/evans/transactions", body | {"amount_cents": 5}, **key)
    assert (other.status_code, other.json()["problems"][0]["location"]) == (422, "Idempotency-Key")
    assert office.post("BO", "/accounts/evans/transactions", body, **{"Idempotency-Key": "portal-2"}).status_code == 201
    assert len([line for line in table(office.db, "ledger_line") if line.kind == "payment"]) == 2


def test_a_refused_write_frees_its_key_and_writes_nothing(office: Office) -> None:
    bad = {"kind": "charge", "amount_cents": 100, "posted": "2026-02-21"}
    refused = office.post("BO", "/accounts/evans/transactions", bad, **{"Idempotency-Key": "k"})
    assert refused.status_code == 422
    assert [p["location"] for p in refused.json()["problems"]] == ["due_date"]
    assert len(table(office.db, "ledger_line")) == 3 and table(office.db, "idempotency_key") == []
    fixed = bad | {"due": "2026-03-01"}
    assert office.post("BO", "/accounts/evans/transactions", fixed, **{"Idempotency-Key": "k"}).status_code == 201


def test_a_reversal_and_its_conflict(office: Office) -> None:
    body = {"kind": "payment", "amount_cents": 10000, "posted": "2026-02-21", "source": "guarantor"}
    paid = office.post("mgr", "/accounts/evans/transactions", body).json()["id"]
    reversal = office.post("mgr", f"/accounts/evans/transactions/{paid}/reversal", {"on": "2026-02-22"})
    assert (reversal.status_code, reversal.json()["reverses"]) == (201, paid)
    twice = office.post("mgr", f"/accounts/evans/transactions/{paid}/reversal", {"on": "2026-02-22"})
    assert (twice.status_code, twice.json()["problems"][0]["rule"]) == (409, "is already reversed")
    assert office.post("mgr", "/accounts/evans/transactions/999999/reversal", {"on": "2026-02-22"}).status_code == 404
    # a collector may not reverse, an auditor may not write at all
    assert office.post("BO", f"/accounts/evans/transactions/{paid}/reversal", {"on": "2026-02-22"}).status_code == 403
    assert office.post("aud", "/accounts/evans/transactions", body).status_code == 403
    assert office.post("BO", "/accounts/sloan/transactions", body).status_code == 404


def test_notes_promises_and_follow_ups(office: Office) -> None:
    note = office.post("BO", "/accounts/evans/notes", {"text": "Called, left a message", "on": "2026-02-21"})
    assert note.status_code == 201 and note.json()["text"] == "Called, left a message"
    assert office.post("BO", "/accounts/evans/notes", {"text": "", "on": "2026-02-21"}).status_code == 422
    promise = office.post("BO", "/accounts/evans/promises", {"amount_cents": 5000, "due": "2026-12-15",
                                                              "on": "2026-12-01"})  # fmt: skip
    assert promise.status_code == 201, promise.json()
    assert (promise.json()["amount_cents"], promise.json()["status"]) == (5000, "open")
    assert [p["id"] for p in office.get("BO", "/accounts/evans/promises").json()] == [promise.json()["id"]]
    refused = office.post("BO", "/accounts/evans/promises", {"amount_cents": 5000, "due": "2026-11-01",
                                                              "on": "2026-12-01"})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["problems"][0]["location"] == "due"
    follow = office.post("BO", "/accounts/evans/activities", {"kind": "review", "due": "2026-12-02",
                                                               "on": "2026-12-01"})  # fmt: skip
    assert follow.status_code == 201
    not_in = office.post("BO", "/accounts/adams/activities", {"kind": "review", "due": "2026-12-02",
                                                               "on": "2026-12-01"})  # fmt: skip
    assert not_in.status_code == 409
    assert [(row.actor, row.action) for row in _audit(office, "note")] == [("BO", "added")]
    assert all(row.request_id for row in _audit(office, "promise") + _audit(office, "activity"))
