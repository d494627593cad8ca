"""The audit trail: who changed what, when, before and after, and the API request that did it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from arrears.api import record_schemas as rs
from arrears.api.auth import DatabaseDep, Reader
from arrears.api.errors import ERROR_RESPONSES, Refused
from arrears.api.schemas import Page
from arrears.services.listings import audit_page

router = APIRouter(tags=["audit"], responses=ERROR_RESPONSES)
Filter = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get("/audit")
def audit(
    principal: Reader, db: DatabaseDep, entity: Filter = None, key: Filter = None, actor: Filter = None,
    action: Filter = None, request_id: Filter = None, since: datetime | None = None, until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50, offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Page[rs.AuditPublic]:  # fmt: skip
    """Audit rows meeting every filter, newest first (an administrator or an auditor: the trail spans every
    portfolio)."""
    if principal.portfolios is not None:
        raise Refused(403, "the audit trail is read by an administrator or an auditor")
    found = audit_page(db, entity=entity, key=key, actor=actor, action=action, request_id=request_id, since=since,
                       until=until, limit=limit, offset=offset)  # fmt: skip
    return Page[rs.AuditPublic](items=[rs.AuditPublic.model_validate(r) for r in found.rows], total=found.total,
                                limit=limit, offset=offset)  # fmt: skip
