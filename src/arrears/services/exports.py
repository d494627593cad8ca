"""The files that leave Arrears: the letters for the print shop, the placements for the collection agency,
the credit reports for the bureaus, the statement holds for the billing system, and the runs' records. CSV
through the csv module."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.itemization import ItemCategory, itemization_date, itemize
from arrears.domain.ledger import Entry, Position, position
from arrears.store import exports, summaries
from arrears.store.db import Connection, Database
from arrears.store.ledger import account_ledger
from arrears.store.security import portfolios_of_external_ids
from arrears.store.uow import UnitOfWork

LETTER_STATUSES = ("queued", "printed")


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested merge data as ``a.b`` columns; lists as JSON text (a print shop's mail merge reads flat rows)."""
    flat: dict[str, str] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, list | tuple):
            flat[key] = json.dumps(value, default=str, sort_keys=True)
        else:
            flat[key] = "" if value is None else str(value)
    return flat


def list_letters(db: Database, status: str | None = None, on: date | None = None) -> list[dict[str, Any]]:
    """Letters, of one status (queued or printed) and queued on one day when given, without their merge data."""
    if status is not None and status not in LETTER_STATUSES:
        raise ValidationFailed([Problem("status", "must be queued or printed", status)])
    with db.engine.connect() as connection:
        rows = exports.letters(connection, status, on)
    return [{name: value for name, value in row.items() if name != "merge_data"} for row in rows]


def export_letters(db: Database, on: date, path: Path) -> int:
    """Write one CSV row per letter queued on ``on`` and still queued, with its merge data flattened into
    columns (``party.first_name``, ``balance`` …); returns how many letters. The file is the same for the same
    letters."""
    with db.engine.connect() as connection:
        rows = exports.letters(connection, "queued", on)
    records = []
    for row in rows:
        merge = json.loads(row["merge_data"] or "{}")
        fixed = {"letter_id": str(row["id"]), "account": row["account"], "template": row["template"],
                 "channel": row["channel"], "queued_on": row["queued_on"].isoformat(), "addressee": row["addressee"]}
        records.append(fixed | {f"merge.{k}": v for k, v in _flatten(merge).items()})  # fmt: skip
    fixed_columns = ["letter_id", "account", "template", "channel", "queued_on", "addressee"]
    merge_columns = sorted({name for record in records for name in record} - set(fixed_columns))
    _write_csv(path, fixed_columns + merge_columns, records)
    return len(records)


def _write_csv(path: Path, columns: list[str], records: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


REFERRAL_COLUMNS = [
    "account", "portfolio", "agency", "referred_on", "first_name", "last_name", "address1", "address2", "city",
    "state", "postal_code", "email", "phone", "phone_type", "phone2", "phone2_type", "balance",
    "first_delinquency", "last_payment_date", "last_payment", "itemization_date", "balance_at_itemization",
    "charges_since", "fees_since", "payments_since", "adjustments_since",
]  # fmt: skip
"""The placement file's columns: what an agency's placement file carries."""


@dataclass(frozen=True, slots=True)
class SentExport:
    """What an export of things sent to another party (referrals, credit reports) wrote."""

    rows: int
    newly_sent: int
    """Rows marked sent by this export (those exported before keep their first day)."""


def export_referrals(db: Database, since: date, path: Path, *, on: date) -> SentExport:
    """Write the accounts placed with external collections on or after ``since``, one row each with the fields
    of an agency placement file; every figure is as of the day of the referral, so re-exporting the same range
    writes the same file. The referrals are marked sent on ``on``."""
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        rows = exports.referrals_since(connection, since)
        phones = exports.phones_of(connection, [row["party_id"] for row in rows])
        records = []
        for row in rows:
            day = row["on"]
            entries, pos, first = _as_of(connection, row)
            items = itemize(entries, itemization_date(first, pos.oldest_unpaid_due, day), day)
            party_phones = phones.get(row["party_id"], [])
            (number, kind), (number2, kind2) = [*party_phones, ("", ""), ("", "")][:2]
            records.append({
                "account": row["account"], "portfolio": row["portfolio"], "agency": row["agency"],
                "referred_on": day.isoformat(), "first_name": row["first_name"], "last_name": row["last_name"],
                "address1": row["address1"], "address2": row["address2"], "city": row["city"], "state": row["state"],
                "postal_code": row["postal_code"], "email": row["email"], "phone": number, "phone_type": kind,
                "phone2": number2, "phone2_type": kind2, "balance": _amount(pos.balance_cents),
                "first_delinquency": first.isoformat() if first else "",
                "last_payment_date": pos.last_payment_date.isoformat() if pos.last_payment_date else "",
                "last_payment": _amount(pos.last_payment_cents) if pos.last_payment_cents is not None else "",
                "itemization_date": items.date.isoformat(), "balance_at_itemization": _amount(items.balance_cents),
                "charges_since": _amount(items.total(ItemCategory.CHARGE)),
                "fees_since": _amount(items.total(ItemCategory.FEE)),
                "payments_since": _amount(items.total(ItemCategory.PAYMENT)),
                "adjustments_since": _amount(items.total(ItemCategory.ADJUSTMENT)),
            })  # fmt: skip
        _write_csv(path, REFERRAL_COLUMNS, records)
        sent = exports.mark_referrals_exported(connection, [row["id"] for row in rows], on)
        uow.commit()
    return SentExport(len(records), sent)


def _as_of(connection: Connection, row: Mapping[str, Any]) -> tuple[list[Entry], Position, date | None]:
    """The account's ledger, its position on the row's day and its date of first delinquency (the anchor of
    its case, else the oldest unpaid due date of that day)."""
    entries = [summaries.entry_from_row(line) for line in account_ledger(connection, row["account_id"])]
    pos = position(entries, row["on"])
    return entries, pos, row["anchor_due"] or pos.oldest_unpaid_due


CREDIT_REPORT_COLUMNS = [
    "account", "portfolio", "date_of_account_information", "account_status", "current_balance",
    "amount_past_due", "original_balance", "date_opened", "date_of_first_delinquency", "date_of_last_payment",
    "creditor_classification", "ecoa_code", "first_name", "last_name", "address1", "address2", "city", "state",
    "postal_code", "phone",
]  # fmt: skip
"""The bureau file's columns: the Metro 2 base segment fields Arrears holds (docs/exports.md)."""
COLLECTION_STATUS, PAID_COLLECTION_STATUS = "93", "62"
"""Metro 2 account status: assigned to internal or external collections; collection paid in full."""
MEDICAL_CLASSIFICATION = "02"
"""Metro 2 creditor classification of medical / health care debt."""
INDIVIDUAL = "1"
"""Metro 2 ECOA code of an individual account (the guarantor alone)."""


def export_credit_reports(db: Database, on: date, path: Path, *, today: date) -> SentExport:
    """Write the credit reports the run made on ``on``, one row each with the Metro 2 base-segment fields a
    bureau submission starts from (the balance reported that day, the first delinquency, the last payment as of
    that day); the same day gives the same file. The reports are marked sent on ``today``."""
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        rows = exports.credit_reports_on(connection, on)
        phones = exports.phones_of(connection, [row["party_id"] for row in rows])
        records = []
        for row in rows:
            _, pos, first = _as_of(connection, row)
            balance = row["balance_cents"]
            original = row["original_balance_cents"]
            records.append({
                "account": row["account"], "portfolio": row["portfolio"], "date_of_account_information": on.isoformat(),
                "account_status": COLLECTION_STATUS if balance > 0 else PAID_COLLECTION_STATUS,
                "current_balance": _amount(balance), "amount_past_due": _amount(max(balance, 0)),
                "original_balance": _amount(original) if original is not None else "",
                "date_opened": _iso(row["opened_date"]), "date_of_first_delinquency": _iso(first),
                "date_of_last_payment": _iso(pos.last_payment_date),
                "creditor_classification": MEDICAL_CLASSIFICATION if row["medical"] else "", "ecoa_code": INDIVIDUAL,
                "first_name": row["first_name"], "last_name": row["last_name"], "address1": row["address1"],
                "address2": row["address2"], "city": row["city"], "state": row["state"],
                "postal_code": row["postal_code"], "phone": next(iter(phones.get(row["party_id"], [])), ("", ""))[0],
            })  # fmt: skip
        _write_csv(path, CREDIT_REPORT_COLUMNS, records)
        sent = exports.mark_credit_reports_exported(connection, [row["id"] for row in rows], today)
        uow.commit()
    return SentExport(len(records), sent)


def _amount(cents: int) -> str:
    """Money in a file for another system: plain decimal dollars (``-12.50``)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def export_statement_holds(db: Database, path: Path, released_since: date | None = None) -> tuple[int, int]:
    """Write the accounts whose statements are on hold (``hold``), and with ``released_since`` the accounts
    whose guarantor case was resolved since then and whose statements are not on hold (``release``), for the
    billing system; returns (holds, releases)."""
    with db.engine.connect() as connection:
        rows = exports.statement_holds(connection, released_since)
    records = [
        {"account": row["account"], "portfolio": row["portfolio"],
         "statements": "hold" if row["statement_hold"] else "release",
         "case_status": row["case_status"] or "", "entered_on": _iso(row["entered_on"]),
         "resolved_on": _iso(row["closed_on"])}
        for row in rows
    ]  # fmt: skip
    _write_csv(path, ["account", "portfolio", "statements", "case_status", "entered_on", "resolved_on"], records)
    holds = sum(1 for record in records if record["statements"] == "hold")
    return holds, len(records) - holds


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def list_runs(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """The latest runs, newest first, with their counts (the per-account errors are counted, not listed)."""
    with db.engine.connect() as connection:
        rows = exports.runs(connection, limit)
    return [_run_view(row) | {"errors": len(json.loads(row["errors"] or "[]"))} for row in rows]


def show_run(db: Database, run_id: int, portfolios: frozenset[str] | None = None) -> dict[str, Any]:
    """One run: scope, date, status, times, attempts, the configuration version used, its counts, and its
    per-account errors by external id (given ``portfolios``, only the errors of their accounts)."""
    with db.engine.connect() as connection:
        row = exports.run_by_id(connection, run_id)
        if row is None:
            raise NotFound(f"no run {run_id}")
        errors = json.loads(row["errors"] or "[]")
        names = exports.external_ids(connection, [error["account_id"] for error in errors])
        errors = [{"account": names.get(e["account_id"], str(e["account_id"])), "reason": e["reason"]}
                  for e in errors]  # fmt: skip
        if portfolios is not None:
            owners = portfolios_of_external_ids(connection, [error["account"] for error in errors])
            errors = [error for error in errors if owners.get(error["account"]) in portfolios]
    return _run_view(row) | {"errors": errors}


def _run_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "scope": row["scope"], "as_of": row["as_of"], "status": row["status"],
        "started_at": row["started_at"], "finished_at": row["finished_at"], "attempts": row["attempts"],
        "config_version": row["config_version"], "counts": json.loads(row["counts"] or "{}"),
        "failure": row["failure"],
    }  # fmt: skip

