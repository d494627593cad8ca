"""Repository of accounts: finding one by its external id."""

from __future__ import annotations

from sqlalchemy import Connection, select

from arrears.store.models import AccountRow


def account_id_of(connection: Connection, external_id: str) -> int | None:
    """The internal id of the account ``external_id``; None when there is none."""
    return connection.scalar(select(AccountRow.id).where(AccountRow.external_id == external_id))
