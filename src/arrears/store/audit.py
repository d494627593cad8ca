"""Repository of the audit trail: who changed what, when, with before and after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from arrears.store import tables
from arrears.store.models import AuditRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_request_id: ContextVar[str | None] = ContextVar("audit_request_id", default=None)
"""The API request being served, recorded with every audit row it writes."""


def current_request_id() -> str | None:
    """The API request being served (None outside one), for audit rows written in bulk."""
    return _request_id.get()


@contextmanager
def audit_request(request_id: str | None) -> Iterator[None]:
    """Within the block, every audit row records ``request_id`` (the API request that made the change)."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def append_audit(
    session: Session, *, actor: str, entity: str, key: str, action: str, before: Any, after: Any
) -> None:
    """Record one change in the caller's transaction; ``before`` and ``after`` are stored as JSON."""
    session.add(
        AuditRow(
            at=datetime.now(UTC),
            actor=actor,
            entity=entity,
            entity_key=key,
            action=action,
            before=json.dumps(before),
            after=json.dumps(after),
            request_id=_request_id.get(),
        )
    )


def recent_audit(session: Session, entity: str | None, limit: int) -> list[AuditRow]:
    """The ``limit`` most recent audit rows, newest first, of every entity kind or only of ``entity``."""
    query = select(AuditRow).order_by(tables.audit.c.id.desc()).limit(limit)
    if entity:
        query = query.where(tables.audit.c.entity == entity)
    return list(session.scalars(query))
