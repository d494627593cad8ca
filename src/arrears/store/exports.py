"""Repository of the files that leave Arrears: queued and printed letters, referrals to agencies, credit
reports for the bureaus, statement holds, and the runs' records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from arrears.store import tables
from arrears.store.models import (
    CreditReportRow,
    ReferralRow,
)


def letters(connection: Connection, status: str | None, on: date | None) -> list[dict[str, Any]]:
    """Letters (of one status, queued on one day, when given) with their account, by day then id."""
    letter = tables.letter.c
    query = (
        select(letter.id, tables.account.c.external_id.label("account"), letter.template, letter.channel,
               letter.queued_on, letter.status, letter.printed_on, letter.addressee, letter.merge_data)
        .join(tables.account, tables.account.c.id == letter.account_id)
        .order_by(letter.queued_on, letter.id)
    )  # fmt: skip
    if status is not None:
        query = query.where(letter.status == status)
    if on is not None:
        query = query.where(letter.queued_on == on)
    return [dict(row._mapping) for row in connection.execute(query)]


def referrals_since(connection: Connection, since: date) -> list[dict[str, Any]]:
    """Referrals made on or after ``since`` with the account, its guarantor, portfolio and the referred case's
    anchor (the first delinquency), by day then id."""
    referral, party = tables.referral.c, tables.party.c
    query = (
        select(
            referral.id, referral.on, referral.agency, referral.exported_on, tables.account.c.id.label("account_id"),
            tables.account.c.external_id.label("account"), tables.portfolio.c.code.label("portfolio"),
            party.id.label("party_id"), party.first_name, party.last_name, party.address1, party.address2, party.city,
            party.state, party.postal_code, party.email,
            tables.account_summary.c.oldest_unpaid_due,
        )
        .join(tables.account, tables.account.c.id == referral.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .join(tables.party, party.id == tables.account.c.guarantor_id)
        .join(tables.account_summary, tables.account_summary.c.account_id == tables.account.c.id)
        .where(referral.on >= since)
        .order_by(referral.on, referral.id)
    )  # fmt: skip
    return _with_anchors(connection, [dict(row._mapping) for row in connection.execute(query)])


def _with_anchors(connection: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (with ``account_id`` and ``on``) given ``anchor_due``: the anchor of the account's guarantor
    episode entered on or before that day, its date of first delinquency."""
    case = tables.collections_case.c
    for row in rows:
        row["anchor_due"] = connection.scalar(
            select(case.anchor_due)
            .where(case.account_id == row["account_id"], case.track == "guarantor", case.entered_on <= row["on"])
            .order_by(case.episode.desc())
            .limit(1)
        )
    return rows


def credit_reports_on(connection: Connection, on: date) -> list[dict[str, Any]]:
    """The credit reports the run made on ``on`` with the account (its opening day, original balance, medical
    flag), its guarantor, portfolio and the anchor of its guarantor case, by id."""
    report, party = tables.credit_report.c, tables.party.c
    query = (
        select(
            report.id, report.on, report.balance_cents, report.exported_on, tables.account.c.id.label("account_id"),
            tables.account.c.external_id.label("account"), tables.account.c.opened_date,
            tables.account.c.original_balance_cents, tables.account.c.medical,
            tables.portfolio.c.code.label("portfolio"), party.id.label("party_id"), party.first_name, party.last_name,
            party.address1, party.address2, party.city, party.state, party.postal_code,
        )
        .join(tables.account, tables.account.c.id == report.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .join(tables.party, party.id == report.party_id)
        .where(report.on == on)
        .order_by(report.id)
    )  # fmt: skip
    return _with_anchors(connection, [dict(row._mapping) for row in connection.execute(query)])


def mark_credit_reports_exported(connection: Connection, report_ids: Sequence[int], on: date) -> int:
    """Mark credit reports put into a bureau file on ``on`` (those already marked keep their first day)."""
    return _mark_exported(connection, CreditReportRow, report_ids, on)


def _mark_exported(connection: Connection, row: type[CreditReportRow | ReferralRow], ids: Sequence[int],
                   on: date) -> int:  # fmt: skip
    table = row.__table__
    result = connection.execute(
        update(table).where(table.c.id.in_(list(ids)), table.c.exported_on.is_(None)).values(exported_on=on)
    )
    return result.rowcount or 0


def phones_of(connection: Connection, party_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Party id → its phones (number, type), first phone first."""
    phone = tables.phone.c
    found: dict[int, list[tuple[str, str]]] = {}
    for party_id, number, kind in connection.execute(
        select(phone.party_id, phone.number, phone.type).where(phone.party_id.in_(list(party_ids))).order_by(phone.id)
    ):
        found.setdefault(party_id, []).append((number, kind))
    return found


def mark_referrals_exported(connection: Connection, referral_ids: Sequence[int], on: date) -> int:
    """Mark referrals sent to the agency on ``on`` (those already marked keep their first day)."""
    return _mark_exported(connection, ReferralRow, referral_ids, on)


def statement_holds(connection: Connection, released_since: date | None) -> list[dict[str, Any]]:
    """Accounts whose statements are on hold, and (with ``released_since``) those not on hold whose guarantor
    case was resolved on or after that day: external id, portfolio, hold, the case's status and dates."""
    case = tables.collections_case.alias("g")
    query = (
        select(tables.account.c.external_id.label("account"), tables.portfolio.c.code.label("portfolio"),
               tables.account.c.statement_hold, case.c.status.label("case_status"), case.c.entered_on, case.c.closed_on)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
        .outerjoin(case, (case.c.account_id == tables.account.c.id) & case.c.is_current.is_(True)
                   & (case.c.track == "guarantor"))
        .order_by(tables.account.c.external_id)
    )  # fmt: skip
    held = tables.account.c.statement_hold.is_(True)
    released = case.c.closed_on >= released_since if released_since is not None else None
    query = query.where(held if released is None else held | released)
    return [dict(row._mapping) for row in connection.execute(query)]


def runs(connection: Connection, limit: int) -> list[dict[str, Any]]:
    """The latest runs, newest first: id, scope, as-of date, status, times, attempts, configuration version."""
    run = tables.run.c
    query = (
        select(run.id, run.scope, run.as_of, run.status, run.started_at, run.finished_at, run.attempts,
               run.config_version, run.counts, run.errors, run.failure)
        .order_by(run.as_of.desc(), run.id.desc())
        .limit(limit)
    )  # fmt: skip
    return [dict(row._mapping) for row in connection.execute(query)]


def run_by_id(connection: Connection, run_id: int) -> dict[str, Any] | None:
    """One run's record (as :func:`runs`), or None."""
    run = tables.run.c
    row = connection.execute(
        select(run.id, run.scope, run.as_of, run.status, run.started_at, run.finished_at, run.attempts,
               run.config_version, run.counts, run.errors, run.failure).where(run.id == run_id)
    ).first()  # fmt: skip
    return dict(row._mapping) if row is not None else None


def external_ids(connection: Connection, account_ids: Sequence[int]) -> dict[int, str]:
    """Account id → external id."""
    query = select(tables.account.c.id, tables.account.c.external_id).where(tables.account.c.id.in_(list(account_ids)))
    return {account_id: external_id for account_id, external_id in connection.execute(query)}
