"""Repository of the audit trail: who changed what, when, with before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.store.models import AuditRow


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
        )
    )


def recent_audit(session: Session, entity: str | None, limit: int) -> list[AuditRow]:
    """The ``limit`` most recent audit rows, newest first, of every entity kind or only of ``entity``."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if entity:
        query = query.where(AuditRow.entity == entity)
    return list(session.scalars(query))
