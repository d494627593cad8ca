"""The paged lists the API serves: letters, outbox messages, audit rows (filtered, within a user's portfolios),
and a party's representatives on file."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.outbox import OutboxStatus
from arrears.store import listings
from arrears.store.db import Database
from arrears.store.listings import Listed
from arrears.store.portfolios import portfolio_ids

LETTER_STATUSES = ("queued", "printed")
CHANNELS = ("email", "sms")


def _portfolio_problem(db: Database, portfolio: str | None, portfolios: Collection[str] | None) -> list[Problem]:
    if portfolio is None:
        return []
    with db.session() as session:
        known = set(portfolio_ids(session))
    if portfolio not in known or (portfolios is not None and portfolio not in portfolios):
        return [Problem("portfolio", "is not a portfolio", portfolio)]
    return []


def letter_page(
    db: Database, *, status: str | None = None, on: date | None = None, portfolio: str | None = None,
    account: str | None = None, portfolios: Collection[str] | None = None, limit: int = 50, offset: int = 0,
) -> Listed:  # fmt: skip
    """Letters of one status, day, portfolio or account when given, within ``portfolios`` (None: every one),
    oldest first; a portfolio outside them is refused as unknown."""
    problems = _portfolio_problem(db, portfolio, portfolios)
    if status is not None and status not in LETTER_STATUSES:
        problems.append(Problem("status", f"must be one of {', '.join(LETTER_STATUSES)}", status))
    if problems:
        raise ValidationFailed(problems)
    with db.engine.connect() as connection:
        return listings.letter_list(connection, status=status, on=on, portfolio=portfolio, account=account,
                                    portfolios=portfolios, limit=limit, offset=offset)  # fmt: skip


def outbox_page(
    db: Database, *, status: str | None = None, channel: str | None = None, account: str | None = None,
    portfolios: Collection[str] | None = None, limit: int = 50, offset: int = 0,
) -> Listed:  # fmt: skip
    """Outbox messages of one status, channel or account when given, within ``portfolios``, newest first."""
    problems = []
    if status is not None and status not in {s.value for s in OutboxStatus}:
        problems.append(Problem("status", f"must be one of {', '.join(s.value for s in OutboxStatus)}", status))
    if channel is not None and channel not in CHANNELS:
        problems.append(Problem("channel", f"must be one of {', '.join(CHANNELS)}", channel))
    if problems:
        raise ValidationFailed(problems)
    with db.engine.connect() as connection:
        return listings.outbox_list(connection, status=status, channel=channel, account=account,
                                    portfolios=portfolios, limit=limit, offset=offset)  # fmt: skip


def audit_page(
    db: Database, *, entity: str | None = None, key: str | None = None, actor: str | None = None,
    action: str | None = None, request_id: str | None = None, since: datetime | None = None,
    until: datetime | None = None, limit: int = 50, offset: int = 0,
) -> Listed:  # fmt: skip
    """Audit rows meeting every filter given, newest first, their before and after read from JSON."""
    if since is not None and until is not None and until <= since:
        raise ValidationFailed([Problem("until", "must be after since", until.isoformat())])
    with db.engine.connect() as connection:
        found = listings.audit_list(connection, entity=entity, key=key, actor=actor, action=action,
                                    request_id=request_id, since=since, until=until, limit=limit,
                                    offset=offset)  # fmt: skip
    rows = [row | {"before": _json(row["before"]), "after": _json(row["after"])} for row in found.rows]
    return Listed(rows, found.total)


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def party_roles(db: Database, external_id: str) -> list[dict[str, Any]]:
    """The representatives on file for the guarantor of account ``external_id``."""
    with db.engine.connect() as connection:
        found = listings.roles_of_account(connection, external_id)
    if found is None:
        raise NotFound(f"no account {external_id!r}")
    return found
