"""Repository of payment plans and insurance claims: the account's arrangements beside its ledger."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arrears.store.models import ClaimRow, PaymentPlanRow


def plan_exists(session: Session, external_id: str) -> bool:
    """Whether a payment plan ``external_id`` is stored."""
    return session.scalar(select(PaymentPlanRow.id).where(PaymentPlanRow.external_id == external_id)) is not None


def deactivate_plans(session: Session, account_id: int) -> None:
    """End every active payment plan of the account (a new plan replaces them)."""
    for active in session.scalars(
        select(PaymentPlanRow).where(PaymentPlanRow.account_id == account_id, PaymentPlanRow.active.is_(True))
    ):
        active.active = False


def claim_exists(session: Session, external_id: str) -> bool:
    """Whether an insurance claim ``external_id`` is stored."""
    return session.scalar(select(ClaimRow.id).where(ClaimRow.external_id == external_id)) is not None
