"""Paged lists the API shows: letters, outbox messages and audit rows, each filtered and narrowed to a user's
portfolios in SQL, with how many the filters select over every page."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select

from arrears.store import tables
from arrears.store.db import Connection


@dataclass(frozen=True, slots=True)
class Listed:
    """One page of rows and the total the filters select."""

    rows: list[dict[str, Any]]
    total: int


def _page(connection: Connection, query: Select[Any], order: Any, limit: int, offset: int) -> Listed:
    total = connection.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = [dict(row._mapping) for row in connection.execute(query.order_by(*order).limit(limit).offset(offset))]
    return Listed(rows, total)


def _within(query: Select[Any], portfolios: Collection[str] | None) -> Select[Any]:
    return query if portfolios is None else query.where(tables.portfolio.c.code.in_(sorted(portfolios)))


def letter_list(
    connection: Connection, *, status: str | None, on: date | None, portfolio: str | None, account: str | None,
    portfolios: Collection[str] | None, limit: int, offset: int,
) -> Listed:  # fmt: skip
    """Letters (without merge data or PDF) by day then id, with their account and portfolio."""
    letter = tables.letter.c
    query = (
        select(letter.id, tables.account.c.external_id.label("account"), tables.portfolio.c.code.label("portfolio"),
               letter.template, letter.channel, letter.queued_on, letter.status, letter.printed_on, letter.addressee,
               letter.pages)
        .join(tables.account, tables.account.c.id == letter.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
    )  # fmt: skip
    for column, value in ((letter.status, status), (letter.queued_on, on), (tables.portfolio.c.code, portfolio),
                          (tables.account.c.external_id, account)):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    return _page(connection, _within(query, portfolios), (letter.queued_on, letter.id), limit, offset)


def outbox_list(
    connection: Connection, *, status: str | None, channel: str | None, account: str | None,
    portfolios: Collection[str] | None, limit: int, offset: int,
) -> Listed:  # fmt: skip
    """Outbox messages, newest first, with their account and portfolio (the body left out)."""
    outbox = tables.outbox.c
    query = (
        select(outbox.id, tables.account.c.external_id.label("account"), tables.portfolio.c.code.label("portfolio"),
               outbox.channel, outbox.template, outbox.recipient, outbox.subject, outbox.status, outbox.attempts,
               outbox.next_attempt_at, outbox.last_attempt_at, outbox.last_error, outbox.queued_on, outbox.sent_at)
        .join(tables.account, tables.account.c.id == outbox.account_id)
        .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
    )  # fmt: skip
    for column, value in ((outbox.status, status), (outbox.channel, channel), (tables.account.c.external_id, account)):
        if value is not None:
            query = query.where(column == value)
    return _page(connection, _within(query, portfolios), (outbox.id.desc(),), limit, offset)


def audit_list(
    connection: Connection, *, entity: str | None, key: str | None, actor: str | None, action: str | None,
    request_id: str | None, since: datetime | None, until: datetime | None, limit: int, offset: int,
) -> Listed:  # fmt: skip
    """Audit rows, newest first, that meet every filter (``key``: the entity key, exactly)."""
    audit = tables.audit.c
    query = select(audit.id, audit.at, audit.actor, audit.entity, audit.entity_key, audit.action, audit.before,
                   audit.after, audit.request_id)  # fmt: skip
    for column, value in ((audit.entity, entity), (audit.entity_key, key), (audit.actor, actor),
                          (audit.action, action), (audit.request_id, request_id)):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(audit.at >= since)
    if until is not None:
        query = query.where(audit.at < until)
    return _page(connection, query, (audit.id.desc(),), limit, offset)


def roles_of_account(connection: Connection, external_id: str) -> list[dict[str, Any]] | None:
    """The representatives on file for the guarantor of an account, by role; None when there is no account."""
    account = tables.account.c
    party_id = connection.scalar(select(account.guarantor_id).where(account.external_id == external_id))
    if party_id is None:
        return None
    role = tables.party_role.c
    query = select(role.role, role.name, role.address1, role.address2, role.city, role.state, role.postal_code,
                   role.phone, role.email, role.since).where(role.party_id == party_id).order_by(role.role)  # fmt: skip
    return [dict(row._mapping) for row in connection.execute(query)]
