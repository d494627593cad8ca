"""A collector's work: the worklist, completing an activity with an outcome, reassigning it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from arrears.api.auth import DatabaseDep, Reader, Worker, activity_in_scope
from arrears.api.errors import ERROR_RESPONSES, Refused
from arrears.api.kept import keep_answer
from arrears.api.routes.accounts import _request
from arrears.api.schemas import ActivityComplete, ActivityId, ActivityPublic, ActivityUpdate, WorkItemPublic
from arrears.domain.access import Role
from arrears.services.collector_work import activity_reassign
from arrears.services.stored_strategy import load_strategy
from arrears.services.worklist import (
    assignees_for,
    complete_activity,
    worklist,
    worklist_assignees,
    worklist_holds_until,
)

router = APIRouter(tags=["work"], responses=ERROR_RESPONSES)


@router.get("/worklist")
def get_worklist(
    request: Request, principal: Reader, db: DatabaseDep,
    collector: Annotated[str | None, Query(max_length=60, description="Default: a collector's own.")] = None,
    group: Annotated[str | None, Query(max_length=60)] = None,
    on: Annotated[date | None, Query(description="The day (default: today).")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[WorkItemPublic]:  # fmt: skip
    """Operator-assisted work due by the day in Collect!'s order, within the user's portfolios; today's list says
    which calls a contact rule forbids now and when each may be made. A collector sees their own and their
    groups' work. The same request is answered again at once while nothing is written to the database (and,
    today, while the contact rules' verdicts hold)."""
    strategy = load_strategy(db)
    if principal.role is Role.COLLECTOR:
        mine = assignees_for(strategy, principal.login, None) or set()
        if (collector and collector != principal.login) or (group and group not in mine):
            raise Refused(403, "a collector sees their own worklist and their groups'")
        assignees = assignees_for(strategy, collector or (None if group else principal.login), group)
    else:
        assignees = worklist_assignees(strategy, collector, group)  # an unknown one is a 422, not an empty list
    day = on or date.today()
    now = datetime.now(UTC) if day == date.today() else None
    items = worklist(db, day, assignees, limit, now, principal.portfolios)
    keep_answer(request, worklist_holds_until(items, now))
    return [WorkItemPublic.model_validate(item.as_dict()) for item in items]


@router.post("/activities/{activity_id}/completion")
def complete(activity_id: ActivityId, body: ActivityComplete, principal: Worker, db: DatabaseDep) -> ActivityPublic:
    """Record the outcome of a released call or review (a configured outcome code), with a note and, for a
    promise outcome, the promise; a call that broke a contact rule is recorded and its breach returned."""
    activity_in_scope(db, principal, activity_id)
    breach = complete_activity(db, activity_id, body.outcome, body.note, on=body.on or date.today(),
                               actor=principal.login, local_time=body.time,
                               promise=_request(body.promise) if body.promise else None)  # fmt: skip
    return ActivityPublic(id=activity_id, status="done", breach=breach)


@router.patch("/activities/{activity_id}")
def reassign(activity_id: ActivityId, body: ActivityUpdate, principal: Worker, db: DatabaseDep) -> ActivityPublic:
    """Give pending work to another collector or group."""
    activity_in_scope(db, principal, activity_id)
    before = activity_reassign(db, activity_id, body.assignee, actor=principal.login)
    return ActivityPublic(id=activity_id, assignee=body.assignee, previous_assignee=before, status="pending")
