"""A party and its debt: the guarantor's compliance flags, representatives on file and credit rating; the
account's insurance claims and payment plans."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, status

from arrears.api import record_schemas as rs
from arrears.api.auth import DatabaseDep, Reader, Worker, account_in_scope
from arrears.api.errors import ERROR_RESPONSES
from arrears.api.schemas import AccountId, ClaimPublic, GuarantorPublic, PaymentPlanPublic
from arrears.domain.flags import FlagChange, RoleChange
from arrears.domain.ledger import PaymentPlan
from arrears.domain.model import Claim
from arrears.services.account_page import account_page
from arrears.services.accounts import add_claim, add_payment_plan
from arrears.services.flags import set_flags
from arrears.services.listings import party_roles
from arrears.services.schemes import party_rating
from arrears.services.stored_strategy import load_strategy

router = APIRouter(prefix="/accounts/{external_id}", tags=["parties, claims and payment plans"],
                   responses=ERROR_RESPONSES)  # fmt: skip
RoleName = Annotated[rs.RoleKind, Path(description="attorney or estate_representative")]


@router.get("/party")
def party(external_id: AccountId, principal: Reader, db: DatabaseDep, as_of: date | None = None) -> rs.PartyPublic:
    """The account's guarantor: flags, representatives on file, credit rating on a day (default today)."""
    account_in_scope(db, principal, external_id)
    day = as_of or date.today()
    guarantor = GuarantorPublic.model_validate(account_page(db, external_id, day).as_dict()["guarantor"])
    rating = party_rating(db, external_id, day, load_strategy(db))
    return rs.PartyPublic(account=external_id, party_id=rating.party_id, guarantor=guarantor,
                          roles=[rs.RolePublic.model_validate(r) for r in party_roles(db, external_id)],
                          rating=rs.RatingPublic.model_validate(rating.as_dict()))  # fmt: skip


@router.post("/flags")
def set_flag(external_id: AccountId, body: rs.FlagCreate, principal: Worker, db: DatabaseDep) -> rs.FlagsAppliedPublic:
    """Set or clear one compliance flag of the guarantor or the debt (the run then holds or releases the work
    it concerns)."""
    account_in_scope(db, principal, external_id)
    change = FlagChange(external_id, body.flag, body.on, body.clear)
    applied = set_flags(db, [change], on=body.on or date.today(), actor=principal.login)
    return rs.FlagsAppliedPublic.model_validate(applied)


@router.put("/roles/{role}")
def put_role(
    external_id: AccountId, role: RoleName, body: rs.RoleUpdate, principal: Worker, db: DatabaseDep
) -> rs.FlagsAppliedPublic:
    """Put a representative on file (letters are then redirected to them), replacing the one there."""
    account_in_scope(db, principal, external_id)
    change = RoleChange(external_id, role, body.name, body.address1, body.address2, body.city, body.state,
                        body.postal_code, body.phone, body.email, body.since)  # fmt: skip
    return rs.FlagsAppliedPublic.model_validate(set_flags(db, [change], on=body.since or date.today(),
                                                          actor=principal.login))  # fmt: skip


@router.delete("/roles/{role}")
def remove_role(external_id: AccountId, role: RoleName, principal: Worker, db: DatabaseDep) -> rs.FlagsAppliedPublic:
    """Remove the representative of ``role``."""
    account_in_scope(db, principal, external_id)
    change = RoleChange(external_id, role, remove=True)
    return rs.FlagsAppliedPublic.model_validate(set_flags(db, [change], on=date.today(), actor=principal.login))


@router.get("/claims")
def claims(external_id: AccountId, principal: Reader, db: DatabaseDep) -> list[ClaimPublic]:
    """The account's insurance claims."""
    account_in_scope(db, principal, external_id)
    return [ClaimPublic.model_validate(c) for c in account_page(db, external_id, date.today()).as_dict()["claims"]]


@router.post("/claims", status_code=status.HTTP_201_CREATED)
def add(external_id: AccountId, body: rs.ClaimCreate, principal: Worker, db: DatabaseDep) -> ClaimPublic:
    """Record an insurance claim on the account."""
    account_in_scope(db, principal, external_id)
    claim = Claim(body.external_id, body.payer, body.billed, body.amount_cents, body.paid_cents, body.status)
    add_claim(db, external_id, claim, actor=principal.login)
    return ClaimPublic(external_id=claim.external_id, payer=claim.payer, billed_date=claim.billed,
                       amount_cents=claim.amount_cents, paid_cents=claim.paid_cents,
                       status=claim.status.value)  # fmt: skip


@router.get("/payment-plans")
def payment_plans(external_id: AccountId, principal: Reader, db: DatabaseDep) -> list[PaymentPlanPublic]:
    """The account's payment plans, the active one among them."""
    account_in_scope(db, principal, external_id)
    page = account_page(db, external_id, date.today()).as_dict()
    return [PaymentPlanPublic.model_validate(p) for p in page["plans"]]


@router.post("/payment-plans", status_code=status.HTTP_201_CREATED)
def add_plan(
    external_id: AccountId, body: rs.PaymentPlanCreate, principal: Worker, db: DatabaseDep
) -> PaymentPlanPublic:
    """Put the account on a payment plan (it replaces the active one)."""
    account_in_scope(db, principal, external_id)
    plan = PaymentPlan(body.installment_cents, body.frequency, body.first_due, body.grace_days, body.start,
                       body.installments)  # fmt: skip
    add_payment_plan(db, external_id, body.external_id, plan, actor=principal.login)
    return PaymentPlanPublic(external_id=body.external_id, installment_cents=plan.installment_cents,
                             frequency=plan.frequency.value, first_due_date=plan.first_due,
                             grace_days=plan.grace_days, active=True)  # fmt: skip
