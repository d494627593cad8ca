"""Repository of payment plans and insurance claims: the account's arrangements beside its ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from arrears.store import tables
from arrears.store.models import PaymentPlanRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def plan_exists(session: Session, external_id: str) -> bool:
    """Whether a payment plan ``external_id`` is stored."""
    plan = tables.payment_plan.c
    return session.scalar(select(plan.id).where(plan.external_id == external_id)) is not None


def deactivate_plans(session: Session, account_id: int) -> None:
    """End every active payment plan of the account (a new plan replaces them)."""
    plan = tables.payment_plan.c
    for active in session.scalars(select(PaymentPlanRow).where(plan.account_id == account_id, plan.active.is_(True))):
        active.active = False


def claim_exists(session: Session, external_id: str) -> bool:
    """Whether an insurance claim ``external_id`` is stored."""
    return session.scalar(select(tables.claim.c.id).where(tables.claim.c.external_id == external_id)) is not None
