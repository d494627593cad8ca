"""Repository of logins, bearer tokens and idempotency keys, and the portfolio of what a request names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from arrears.store import tables
from arrears.store.models import (
    ApiTokenRow,
    IdempotencyRow,
    LoginRow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def login_row(session: Session, login: str, *, for_update: bool = False) -> LoginRow | None:
    """The login ``login`` (locked for update where the database can lock a row); None when there is none."""
    return session.get(LoginRow, login, with_for_update=for_update)


def login_rows(session: Session) -> list[LoginRow]:
    """Every login, by name."""
    return list(session.scalars(select(LoginRow).order_by(tables.login.c.login)))


def token_by_digest(session: Session, digest: str) -> tuple[ApiTokenRow, LoginRow] | None:
    """The token whose SHA-256 digest is ``digest`` and its login; None when there is none."""
    found = session.execute(
        select(ApiTokenRow, LoginRow).join(tables.login, tables.login.c.login == tables.api_token.c.login)
        .where(tables.api_token.c.digest == digest)
    ).first()  # fmt: skip
    return (found[0], found[1]) if found is not None else None


def tokens_of(session: Session, login: str) -> list[ApiTokenRow]:
    """The tokens of ``login``, newest first."""
    token = tables.api_token.c
    return list(session.scalars(select(ApiTokenRow).where(token.login == login).order_by(token.id.desc())))


def tokens_in_force(session: Session, login: str, now: datetime) -> list[ApiTokenRow]:
    """The tokens of ``login`` neither revoked nor expired at ``now``, locked for update, oldest first."""
    return list(session.scalars(
        select(ApiTokenRow).where(tables.api_token.c.login == login, tables.api_token.c.revoked_at.is_(None),
                                  tables.api_token.c.expires_at > now)
        .order_by(tables.api_token.c.id).with_for_update()
    ))  # fmt: skip


def token_row(session: Session, token_id: int) -> ApiTokenRow | None:
    """The token ``token_id``; None when there is none."""
    return session.get(ApiTokenRow, token_id, with_for_update=True)


def account_portfolio(connection: Connection, external_id: str) -> str | None:
    """The portfolio code of the account ``external_id``; None when there is no such account."""
    return connection.scalar(
        select(tables.portfolio.c.code).join(tables.account, tables.account.c.portfolio_id == tables.portfolio.c.id)
        .where(tables.account.c.external_id == external_id)
    )  # fmt: skip


def activity_portfolio(connection: Connection, activity_id: int) -> str | None:
    """The portfolio code of the account of activity ``activity_id``; None when there is no such activity."""
    return connection.scalar(
        select(tables.portfolio.c.code).join(tables.account, tables.account.c.portfolio_id == tables.portfolio.c.id)
        .join(tables.activity, tables.activity.c.account_id == tables.account.c.id)
        .where(tables.activity.c.id == activity_id)
    )  # fmt: skip


def portfolios_of_external_ids(connection: Connection, external_ids: Sequence[str]) -> dict[str, str]:
    """External id → portfolio code of those of ``external_ids`` that are accounts."""
    found: dict[str, str] = {}
    for start in range(0, len(external_ids), 500):
        rows = connection.execute(
            select(tables.account.c.external_id, tables.portfolio.c.code)
            .join(tables.portfolio, tables.portfolio.c.id == tables.account.c.portfolio_id)
            .where(tables.account.c.external_id.in_(list(external_ids[start : start + 500])))
        )  # fmt: skip
        found.update((external_id, code) for external_id, code in rows)
    return found


# ------------------------------------------------------------------------------------------ idempotency


def reserve_key(connection: Connection, login: str, key: str, fingerprint: str, at: datetime) -> IdempotencyRow | None:
    """Reserve ``key`` for ``login`` in its own transaction; None when reserved now, else the record that holds
    it (a request running, or the response of one that ran)."""
    table = tables.idempotency_key
    try:
        with connection.begin_nested():
            connection.execute(table.insert().values(login=login, key=key, fingerprint=fingerprint, created_at=at))
        return None
    except IntegrityError:
        row = connection.execute(select(table).where(table.c.login == login, table.c.key == key)).first()
        if row is None:  # released between the insert and the read: reserve again
            return reserve_key(connection, login, key, fingerprint, at)
        return IdempotencyRow(**row._mapping)


def complete_key(connection: Connection, login: str, key: str, status_code: int, body: str) -> None:
    """Record the response of the request that holds ``key``."""
    table = tables.idempotency_key
    connection.execute(
        update(table).where(table.c.login == login, table.c.key == key).values(status_code=status_code, body=body)
    )


def release_key(connection: Connection, login: str, key: str) -> None:
    """Give up the reservation of ``key`` (its request failed and wrote nothing)."""
    table = tables.idempotency_key
    connection.execute(delete(table).where(table.c.login == login, table.c.key == key, table.c.status_code.is_(None)))
