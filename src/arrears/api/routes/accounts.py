"""Accounts: the list (paged, filtered like ``arrears accounts list``), the account page, explain, and what a
collector writes on an account: transactions, reversals, promises, notes, follow-ups."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from arrears.api.auth import DatabaseDep, Reader, Reverser, Worker, account_in_scope
from arrears.api.errors import ERROR_RESPONSES
from arrears.api.schemas import (
    AccountId,
    AccountListPublic,
    AccountPublic,
    ActivityCreate,
    ActivityPublic,
    ExplanationPublic,
    LineId,
    NoteCreate,
    NotePublic,
    Page,
    PromiseCreate,
    PromisePublic,
    ReversalCreate,
    TransactionCreate,
    TransactionPublic,
)
from arrears.domain.strategy import ActionKind
from arrears.services import collector_work, promises
from arrears.services.account_list import MAX_PAGE, AccountFilter, account_page_of
from arrears.services.account_page import account_page
from arrears.services.accounts import Posting, post_transaction, reverse_payment
from arrears.services.explain import explain
from arrears.services.stored_strategy import load_strategy

router = APIRouter(prefix="/accounts", tags=["accounts"], responses=ERROR_RESPONSES)

AsOf = Annotated[date | None, Query(description="The day to look at (default: today).")]


@router.get("")
def list_accounts(
    principal: Reader, db: DatabaseDep, as_of: AsOf = None,
    portfolio: Annotated[str | None, Query(max_length=40)] = None,
    in_collections: bool = False,
    collector: Annotated[str | None, Query(max_length=60, description="A collector (and groups) or a group.")] = None,
    status: Annotated[str | None, Query(max_length=20, description="internal, pending_external, held …")] = None,
    min_balance_cents: Annotated[int | None, Query(ge=-10**13, le=10**13)] = None,
    dpd_over: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    where: Annotated[str | None, Query(max_length=2000, description="A condition of the condition language.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Page[AccountListPublic]:  # fmt: skip
    """The accounts within the user's portfolios that meet every filter, largest balance first."""
    criteria = AccountFilter(portfolio, in_collections, collector, status, min_balance_cents, dpd_over, where,
                             limit, offset, principal.portfolios)  # fmt: skip
    found = account_page_of(db, criteria, as_of or date.today())
    items = [AccountListPublic.model_validate(row) for row in found.rows]
    return Page[AccountListPublic](items=items, total=found.total, limit=limit, offset=offset)


@router.get("/{external_id}")
def show_account(external_id: AccountId, principal: Reader, db: DatabaseDep, as_of: AsOf = None) -> AccountPublic:
    """The account page on a day."""
    account_in_scope(db, principal, external_id)
    return AccountPublic.model_validate(account_page(db, external_id, as_of or date.today()).as_dict())


@router.get("/{external_id}/explain")
def explain_account(
    external_id: AccountId, principal: Reader, db: DatabaseDep, as_of: AsOf = None
) -> ExplanationPublic:
    """Why the account is where it is on a day, and what comes next."""
    account_in_scope(db, principal, external_id)
    explanation = explain(db, external_id, as_of or date.today(), load_strategy(db))
    return ExplanationPublic.model_validate(explanation.as_dict())


@router.post("/{external_id}/transactions", status_code=status.HTTP_201_CREATED)
def post(external_id: AccountId, body: TransactionCreate, principal: Worker, db: DatabaseDep) -> TransactionPublic:
    """Post a ledger line (a payment from a portal: send an Idempotency-Key)."""
    account_in_scope(db, principal, external_id)
    posting = Posting(body.kind, body.amount_cents, body.posted, body.due, body.service, body.source,
                      body.external_id, body.description)  # fmt: skip
    line_id = post_transaction(db, external_id, posting, actor=principal.login)
    return TransactionPublic(id=line_id, account=external_id, kind=body.kind, amount_cents=body.amount_cents,
                             posted=body.posted)  # fmt: skip


@router.post("/{external_id}/transactions/{line_id}/reversal", status_code=status.HTTP_201_CREATED)
def reverse(
    external_id: AccountId, line_id: LineId, body: ReversalCreate, principal: Reverser, db: DatabaseDep
) -> TransactionPublic:
    """Reverse a payment (NSF): what it paid is owed again."""
    account_in_scope(db, principal, external_id)
    reversal_id = reverse_payment(db, external_id, line_id, body.on, body.reason, actor=principal.login)
    return TransactionPublic(id=reversal_id, account=external_id, kind="reversal", amount_cents=None, posted=body.on,
                             reverses=line_id)  # fmt: skip


@router.get("/{external_id}/promises")
def list_promises(external_id: AccountId, principal: Reader, db: DatabaseDep) -> list[PromisePublic]:
    """The account's promises to pay, newest first."""
    account_in_scope(db, principal, external_id)
    return [PromisePublic.model_validate(line.as_dict()) for line in promises.list_promises(db, external_id)]


def _request(body: PromiseCreate) -> promises.PromiseRequest:
    repeat = promises.repeat_of(body.repeat.period, body.repeat.days) if body.repeat else None
    return promises.PromiseRequest(body.amount_cents, body.due, repeat, body.grace_days, body.advance, body.collector,
                                   body.channel)  # fmt: skip


@router.post("/{external_id}/promises", status_code=status.HTTP_201_CREATED)
def take_promise(external_id: AccountId, body: PromiseCreate, principal: Worker, db: DatabaseDep) -> PromisePublic:
    """Take a promise to pay directly."""
    account_in_scope(db, principal, external_id)
    promise_id = promises.add_promise(db, external_id, _request(body), on=body.on or date.today(),
                                      actor=principal.login, key=f"api:{uuid.uuid4().hex}")  # fmt: skip
    line = next(line for line in promises.list_promises(db, external_id) if line.id == promise_id)
    return PromisePublic.model_validate(line.as_dict())


@router.post("/{external_id}/notes", status_code=status.HTTP_201_CREATED)
def add_note(external_id: AccountId, body: NoteCreate, principal: Worker, db: DatabaseDep) -> NotePublic:
    """Write a note on the account."""
    account_in_scope(db, principal, external_id)
    on = body.on or date.today()
    note_id = collector_work.note_add(db, external_id, body.text, on=on, actor=principal.login)
    return NotePublic(id=note_id, account=external_id, on=on, text=body.text.strip())


@router.post("/{external_id}/activities", status_code=status.HTTP_201_CREATED)
def add_activity(external_id: AccountId, body: ActivityCreate, principal: Worker, db: DatabaseDep) -> ActivityPublic:
    """Schedule a follow-up call or review on an account in collections."""
    account_in_scope(db, principal, external_id)
    follow_up = collector_work.FollowUp(ActionKind(body.kind), body.due, body.time, body.priority, body.collector,
                                        body.reason, body.no_auto_delete)  # fmt: skip
    activity_id = collector_work.activity_add(db, external_id, follow_up, on=body.on or date.today(),
                                              actor=principal.login)  # fmt: skip
    return ActivityPublic(id=activity_id, account=external_id, assignee=body.collector, status="open")
