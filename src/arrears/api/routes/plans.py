"""Contact plans run by hand on an account or on a batch of accounts, and milestone scheme holds.

A collector runs a plan their user level may run on an account of their portfolios; a manager runs a batch
over their portfolios and holds or releases an account in its scheme."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, status

from arrears.api import config_schemas as cs
from arrears.api.auth import Configurer, DatabaseDep, Reader, Worker, account_in_scope
from arrears.api.errors import ERROR_RESPONSES
from arrears.api.schemas import AccountId
from arrears.domain.access import Principal
from arrears.domain.errors import NotFound
from arrears.services import plans
from arrears.services.schemes import hold_in_scheme, release_from_scheme_hold
from arrears.services.stored_strategy import load_strategy

router = APIRouter(tags=["contact plans and schemes"], responses=ERROR_RESPONSES)


@router.post("/accounts/{external_id}/plan-runs", status_code=status.HTTP_201_CREATED)
def run_plan(external_id: AccountId, body: cs.PlanRunCreate, principal: Worker, db: DatabaseDep) -> cs.PlanRunPublic:
    """Run a contact plan on the account (the user's level must be within the plan's access ranges); a plan that
    deletes pending contacts deletes them."""
    account_in_scope(db, principal, external_id)
    result = plans.run_plan(db, body.plan, external_id, on=body.on or date.today(), at=datetime.now(UTC),
                            user=principal.login, start_date=body.start_date)  # fmt: skip
    return cs.PlanRunPublic.model_validate(result.as_dict())


def _batch_seen(principal: Principal, record: dict[str, object]) -> bool:
    return principal.portfolios is None or record.get("actor") == principal.login


@router.post("/plan-batches", status_code=status.HTTP_201_CREATED)
def run_batch(body: cs.PlanBatchCreate, principal: Configurer, db: DatabaseDep) -> cs.PlanBatchPublic:
    """Run a contact plan on every account of the user's portfolios where ``where`` holds, or on the accounts
    listed; answered when the batch is done. Sent again after an interruption, it goes on where it stopped."""
    result = plans.run_batch(db, body.plan, on=body.on or date.today(), at=datetime.now(UTC), where=body.where,
                             accounts=body.accounts, user=principal.login, start_date=body.start_date,
                             portfolios=principal.portfolios)  # fmt: skip
    return cs.PlanBatchPublic.model_validate(result.as_dict())


@router.get("/plan-batches/{batch_id}")
def plan_batch(batch_id: cs.BatchId, principal: Reader, db: DatabaseDep) -> cs.PlanBatchRecordPublic:
    """A batch's record: plan, day, selection, counts, the closed accounts skipped (a manager's or collector's:
    the batches they ran)."""
    record = plans.batch_record(db, batch_id)
    if not _batch_seen(principal, record):
        raise NotFound(f"no plan batch {batch_id}")
    return cs.PlanBatchRecordPublic.model_validate(record)


@router.put("/accounts/{external_id}/scheme-hold")
def hold(
    external_id: AccountId, body: cs.SchemeHoldCreate, principal: Configurer, db: DatabaseDep
) -> cs.SchemeHoldPublic:
    """Hold the account in its milestone scheme: the run does not move it (seed 004)."""
    account_in_scope(db, principal, external_id)
    code = hold_in_scheme(db, external_id, body.reason, on=body.on or date.today(), until=body.until,
                          actor=principal.login, strategy=load_strategy(db))  # fmt: skip
    return cs.SchemeHoldPublic(account=external_id, scheme=code, held=True)


@router.delete("/accounts/{external_id}/scheme-hold")
def release(
    external_id: AccountId, principal: Configurer, db: DatabaseDep, on: date | None = None
) -> cs.SchemeHoldPublic:
    """Release the account's scheme hold (409 when it has none)."""
    account_in_scope(db, principal, external_id)
    release_from_scheme_hold(db, external_id, on=on or date.today(), actor=principal.login)
    return cs.SchemeHoldPublic(account=external_id, scheme=None, held=False)
