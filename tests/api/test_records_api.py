"""Parties, claims and payment plans, letters and print batches, the outbox and the audit trail over HTTP, with
their refusals and the portfolio scope (SQLite and PostgreSQL).

Letters: a run on 2026-03-31 puts adams (NORTH, 49 days past due, name range A–D: AL's Guarantor Letters) in
collections with the series' first letter, L30, queued.
"""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Office
from tests.services.run_scenarios import table


def _put(office: Office, login: str, path: str, body: object) -> Any:
    return office.client.put(f"/api/v1{path}", headers=office.headers(login), json=body)


def _delete(office: Office, login: str, path: str) -> Any:
    return office.client.delete(f"/api/v1{path}", headers=office.headers(login))


def test_a_partys_flags_and_representatives(office: Office) -> None:
    party = office.get("BO", "/accounts/evans/party", as_of="2026-02-20").json()
    assert (party["guarantor"]["flags"], party["roles"], party["rating"]["points"]) == ([], [], 0)
    flagged = office.post("BO", "/accounts/evans/flags", {"flag": "bankruptcy", "on": "2026-02-21"})
    assert (flagged.status_code, flagged.json()["flags_set"]) == (200, 1)
    assert "bankruptcy" in " ".join(office.get("BO", "/accounts/evans/party").json()["guarantor"]["flags"])
    attorney = {"name": "Lee Counsel", "city": "Austin", "since": "2026-02-21"}
    assert _put(office, "BO", "/accounts/evans/roles/attorney", attorney).json()["roles_set"] == 1
    roles = office.get("BO", "/accounts/evans/party").json()["roles"]
    assert [(r["role"], r["name"], r["city"]) for r in roles] == [("attorney", "Lee Counsel", "Austin")]
    assert _delete(office, "BO", "/accounts/evans/roles/attorney").json()["roles_removed"] == 1
    audited = [(row.actor, row.entity, row.action) for row in table(office.db, "audit")
               if row.entity in ("party", "party_role")]  # fmt: skip
    assert audited == [("BO", "party", "flag set"), ("BO", "party_role", "set"), ("BO", "party_role", "removed")]


def test_a_flag_refused(office: Office) -> None:
    assert office.post("BO", "/accounts/evans/flags", {"flag": "famous"}).status_code == 422
    undated = office.post("BO", "/accounts/evans/flags", {"flag": "dispute"})
    assert undated.status_code == 422 and undated.json()["problems"][0]["location"] == "date"
    assert office.post("BO", "/accounts/sloan/flags", {"flag": "deceased"}).status_code == 404
    assert office.get("BO", "/accounts/sloan/party").status_code == 404
    assert office.post("aud", "/accounts/evans/flags", {"flag": "deceased"}).status_code == 403
    assert _put(office, "BO", "/accounts/evans/roles/uncle", {"name": "Bob"}).status_code == 422


def test_claims_and_payment_plans(office: Office) -> None:
    claim = {"external_id": "C-1", "payer": "Acme Health", "billed": "2026-01-10", "amount_cents": 20000}
    made = office.post("BO", "/accounts/evans/claims", claim)
    assert (made.status_code, made.json()["status"]) == (201, "open")
    assert [c["external_id"] for c in office.get("BO", "/accounts/evans/claims").json()] == ["C-1"]
    assert office.post("BO", "/accounts/evans/claims", claim).json()["problems"][0]["rule"] == "is already a claim"
    assert office.post("BO", "/accounts/evans/claims", claim | {"amount_cents": -1}).status_code == 422
    assert office.post("LO", "/accounts/evans/claims", claim | {"external_id": "C-2"}).status_code == 404
    plan = {"external_id": "PP-1", "installment_cents": 5000, "frequency": "monthly", "first_due": "2026-03-01"}
    planned = office.post("BO", "/accounts/evans/payment-plans", plan)
    assert (planned.status_code, planned.json()["active"]) == (201, True)
    assert [p["external_id"] for p in office.get("BO", "/accounts/evans/payment-plans").json()] == ["PP-1"]
    assert office.post("BO", "/accounts/evans/payment-plans", plan | {"frequency": "daily"}).status_code == 422
    audited = [(row.actor, row.entity) for row in table(office.db, "audit") if row.entity in ("claim", "payment_plan")]
    assert audited == [("BO", "claim"), ("BO", "payment_plan")]


def _letters_queued(office: Office) -> None:
    started = office.post("admin", "/runs", {"as_of": "2026-03-31"})
    assert started.status_code == 202
    office.client.app.state.runs.join()  # type: ignore[attr-defined]


def test_letters_a_preview_and_a_print_batch(office: Office) -> None:
    _letters_queued(office)
    queued = office.get("BO", "/letters", status="queued").json()
    assert [(x["account"], x["template"], x["portfolio"]) for x in queued["items"]] == [("adams", "L30", "NORTH")]
    assert office.get("LO", "/letters").json()["total"] == 0
    assert office.get("LO", "/letters", portfolio="NORTH").status_code == 422
    assert office.get("BO", "/letters", status="lost").json()["problems"][0]["location"] == "status"
    preview = office.get("BO", "/accounts/adams/letter-preview", letter="L30", as_of="2026-03-31").json()
    assert "Dear" in preview["body"]
    assert office.get("BO", "/accounts/adams/letter-preview", letter="NOPE").status_code == 404
    assert office.get("LO", "/accounts/adams/letter-preview", letter="L30").status_code == 404
    assert office.post("mgr", "/letter-batches", {}).status_code == 403
    assert office.post("BO", "/letter-batches", {"portfolio": "NORTH"}).status_code == 403
    printed = office.post("mgr", "/letter-batches", {"portfolio": "NORTH"})
    assert printed.status_code == 201
    batch = printed.json()
    assert (batch["portfolio"], batch["letters"]) == ("NORTH", 1)
    assert [b["name"] for b in office.get("BO", "/letter-batches").json()] == [batch["name"]]
    assert office.get("LO", "/letter-batches").json() == []
    pdf = office.client.get(batch["pdf"], headers=office.headers("BO"))
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:4]) == (200, "application/pdf", b"%PDF")
    assert office.client.get(batch["pdf"], headers=office.headers("LO")).status_code == 404
    assert office.get("BO", "/letters", status="printed").json()["total"] == 1
    nothing = office.post("admin", "/letter-batches", {"day": "2026-01-01"})
    assert nothing.status_code == 404


def test_the_outbox(office: Office) -> None:
    page = office.get("BO", "/outbox").json()
    assert (page["items"], page["total"]) == ([], 0)
    assert office.get("BO", "/outbox", channel="fax").json()["problems"][0]["location"] == "channel"
    assert office.get("BO", "/outbox/status").status_code == 403
    assert office.get("aud", "/outbox/status").json() == []


def test_the_audit_trail(office: Office) -> None:
    body = {"kind": "payment", "amount_cents": 10000, "posted": "2026-02-21", "source": "guarantor"}
    posted = office.post("BO", "/accounts/evans/transactions", body)
    found = office.get("aud", "/audit", entity="transaction").json()
    assert found["total"] == 1
    (row,) = found["items"]
    assert (row["actor"], row["request_id"], row["after"]["amount_cents"]) == (
        "BO", posted.headers["x-request-id"], 10000,
    )  # fmt: skip
    assert office.get("admin", "/audit", request_id=posted.headers["x-request-id"]).json()["total"] == 1
    assert office.get("aud", "/audit", actor="nobody").json()["total"] == 0
    assert office.get("mgr", "/audit").status_code == 403 and office.get("BO", "/audit").status_code == 403
    backwards = office.get("aud", "/audit", since="2026-02-02T00:00:00Z", until="2026-02-01T00:00:00Z")
    assert backwards.status_code == 422
    assert office.get("aud", "/audit", limit=0).status_code == 422
