"""Repository of the audit trail: who changed what, when, with before and after."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

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
