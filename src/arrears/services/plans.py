"""Contact plans as use cases: list and show them, run one on an account, run one on many accounts at once.

A plan runs through the engine (:func:`arrears.domain.engine.decide` with a
:class:`~arrears.domain.engine.PlanRunRequested` fact), so a plan run by hand, in a batch, by a trigger or by
the daily run decides the same way and its outbound contacts pass the same release gate. Running it on one
account is one database transaction; a batch commits one transaction per chunk of accounts and keeps a batch
record (what it selected, how many it ran on, which closed accounts it skipped).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from arrears.batch.conditions import evaluate_frame
from arrears.domain.cases import CaseStatus, PlanEventOrigin, Track
from arrears.domain.compliance import NO_FACTS
from arrears.domain.conditions import ConditionError, account_condition
from arrears.domain.effects import Message
from arrears.domain.engine import Case, Decisions, Imported, PlanRunRequested, Snapshot, Trigger, decide
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.plans import AccountView as PlanAccount
from arrears.domain.plans import PendingContact as PlanPending
from arrears.domain.plans import Plan, deletable, deletable_promises
from arrears.domain.priority import priority_band
from arrears.domain.strategy import Strategy
from arrears.letters.records import merge_record
from arrears.services.compliance import guarded_facts
from arrears.services.features import features_frame
from arrears.services.letters import merge_data_for
from arrears.services.promise_judging import standing_promises
from arrears.services.run import DOMAIN_ERRORS, pending_work
from arrears.services.stored_strategy import load_strategy
from arrears.store import contact_plans as store_plans
from arrears.store.accounts import account_id_of
from arrears.store.db import Connection, Database
from arrears.store.features import account_id_range
from arrears.store.security import portfolios_of_external_ids

BATCH_CHUNK = 5000
"""Accounts per transaction of a batch."""


class PlanCancelled(Exception):
    """The user declined to delete the pending contacts: the whole plan is cancelled, nothing is written."""


@dataclass(frozen=True, slots=True)
class PlanLine:
    """A plan in the list users pick from."""

    code: str
    description: str
    events: int
    sub_plan: bool
    access: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class MadeContact:
    """A contact a plan run created."""

    kind: str
    description: str
    due: date
    due_at: datetime | None
    status: str
    assignee: str
    priority: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {name: getattr(self, name) for name in self.__slots__} | {"band": priority_band(self.priority)}


@dataclass(slots=True)
class PlanRunResult:
    """What running a plan on one account did."""

    plan: str
    account: str
    contacts: list[MadeContact] = field(default_factory=list)
    deleted: int = 0
    effects: Counter[str] = field(default_factory=Counter)
    skipped: str = ""
    """Why the plan did not run (a closed account and do not run on closed accounts)."""
    history: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "plan": self.plan, "account": self.account, "contacts": [c.as_dict() for c in self.contacts],
            "deleted": self.deleted, "effects": dict(self.effects), "skipped": self.skipped,
        }  # fmt: skip


@dataclass(slots=True)
class PlanRuns:
    """What running a plan on several accounts did (a batch, an import)."""

    plan: str
    ran: int = 0
    skipped_closed: list[str] = field(default_factory=list)
    """The external ids of the closed accounts the plan does not run on."""
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"plan": self.plan, "ran": self.ran, "skipped_closed": self.skipped_closed,
                "counts": dict(self.counts), "errors": [p.as_dict() for p in self.errors]}  # fmt: skip


@dataclass(slots=True)
class BatchResult(PlanRuns):
    """What running a plan on many accounts did."""

    batch_id: int = 0
    selected: int = 0
    resumed: bool = False
    """The batch went on from where an interrupted run of it stopped."""
    done_through: int | None = None
    """The highest account id of the last chunk committed."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "batch": self.batch_id, "plan": self.plan, "selected": self.selected, "ran": self.ran,
            "resumed": self.resumed,
            "skipped_closed": self.skipped_closed, "counts": dict(self.counts),
            "errors": [p.as_dict() for p in self.errors],
        }  # fmt: skip


# ----------------------------------------------------------------------------------------- listing


def _access_text(plan: Plan) -> str:
    return ", ".join(f"{r.low}–{r.high}" for r in plan.access) or "all"


def user_level(strategy: Strategy, login: str) -> int:
    """The user level of a user (or of a collector signing on with their code); :class:`NotFound` when neither."""
    user = next((u for u in strategy.users if u.login == login), None)
    if user is not None:
        return user.user_level
    collector = strategy.collector(login)
    if collector is not None:
        return collector.user_level
    raise NotFound(f"no user or collector '{login}'")


def list_plans(db: Database, user: str | None = None) -> list[PlanLine]:
    """The contact plans: for a user, those they may see and run (sub-plans hidden, access ranges applied);
    without one, every plan (the setup view, sub-plans included)."""
    strategy = load_strategy(db)
    level = user_level(strategy, user) if user is not None else None
    return [
        PlanLine(p.code, p.description, len(p.events), p.sub_plan, _access_text(p))
        for p in strategy.plans
        if level is None or (not p.sub_plan and p.admits(level))
    ]


def show_plan(db: Database, code: str) -> Plan:
    """The plan ``code``; :class:`NotFound` when there is none."""
    plan = load_strategy(db).plan(code)
    if plan is None:
        raise NotFound(f"no contact plan '{code}'")
    return plan


def runnable_plan(strategy: Strategy, code: str, user: str | None) -> Plan:
    """The plan, if a user (or, without one, the administrator at the command line) may run it by hand."""
    plan = strategy.plan(code)
    if plan is None:
        raise NotFound(f"no contact plan '{code}'")
    if plan.sub_plan:
        raise ValidationFailed([Problem("plan", f"{code} is a sub-plan: it runs only from another plan or a trigger")])
    if user is not None:
        level = user_level(strategy, user)
        if not plan.admits(level):
            raise ValidationFailed(
                [Problem("user", f"{user} (user level {level}) may not run plan {code}: levels {_access_text(plan)}")]
            )
    return plan


def check_start_date(plan: Plan, start_date: date | None) -> None:
    """Refuse a start date for a plan that does not prompt for one, and its absence for one that does."""
    if start_date is not None and not plan.prompt_for_start_date:
        raise ValidationFailed([Problem("start_date", f"plan {plan.code} does not prompt for a start date")])
    if start_date is None and plan.prompt_for_start_date:
        raise ValidationFailed([Problem("start_date", f"plan {plan.code} prompts for a start date: give one")])


# ----------------------------------------------------------------------------------------- snapshot


def _case(row: dict[str, Any], prefix: str, track: Track) -> Case | None:
    if row.get(f"{prefix}_status") is None:
        return None
    return Case(track, row[f"{prefix}_episode"], CaseStatus(row[f"{prefix}_status"]), row[f"{prefix}_entered_on"],
                row[f"{prefix}_assignee"], row[f"{prefix}_work"])  # fmt: skip


def _snapshots(
    connection: Connection, strategy: Strategy, as_of: date, frame: pl.DataFrame, requests: Mapping[int, Trigger]
) -> dict[int, Snapshot]:
    """The snapshot of each account of ``frame`` (a features frame), with its pending work and its plan run."""
    ids = frame.get_column("account_id").to_list()
    pending = pending_work(connection, ids)
    portfolios = dict(zip(ids, frame.get_column("portfolio").to_list(), strict=True))
    contact = guarded_facts(connection, strategy, portfolios, as_of)
    standing = standing_promises(connection, ids[0], ids[-1]) if ids else {}
    snapshots = {}
    for row in frame.iter_rows(named=True):
        account_id = row["account_id"]
        cases = {t: c for t, p in ((Track.GUARANTOR, "g"), (Track.INSURANCE, "i")) if (c := _case(row, p, t))}
        snapshots[account_id] = Snapshot(
            account_id=account_id, portfolio=row["portfolio"], balance_cents=row["balance"],
            external_id=row["external_id"] or "", time_zone=row["time_zone"] or "America/New_York", cases=cases,
            triggers=(requests[account_id],), pending=tuple(pending.get(account_id, ())),
            notes_to_account=bool(row["notes_to_account"]), closed=row["mode"] == "closed", fields=row,
            contact=contact.get(account_id, NO_FACTS), promises=standing.get(account_id, ()),
        )  # fmt: skip
    return snapshots


def _plan_view(snapshot: Snapshot) -> PlanAccount:
    """The account as deleting pending work sees it (for the prompt before deleting)."""
    pending = tuple(
        PlanPending(a.key, a.kind.value, a.action, a.status, a.no_auto_delete,
                    a.origin if isinstance(a.origin, PlanEventOrigin) else None)
        for a in snapshot.pending
    )  # fmt: skip
    return PlanAccount(snapshot.account_id, snapshot.balance_cents, "", snapshot.closed, snapshot.fields, pending,
                       snapshot.promises)  # fmt: skip


def _decide(snapshot: Snapshot, strategy: Strategy, on: date) -> Decisions:
    """The plan run through the engine, with the portfolio's contact rules at the release gate (as the run)."""
    return decide(snapshot, strategy, on, strategy.compliance.rules(snapshot.portfolio))


def _merge(connection: Connection, decisions: Sequence[Decisions], as_of: date) -> dict[int, dict[str, Any]]:
    lettered = [d.account_id for d in decisions if any(isinstance(e, Message) for e in d.effects)]
    return {a: merge_record(data) for a, data in merge_data_for(connection, lettered, as_of).items()}


# ------------------------------------------------------------------------------------------ one account


def _made(decisions: Decisions) -> list[MadeContact]:
    return [
        MadeContact(a.kind.value, a.action, a.due, a.due_at, a.status.value, a.assignee, a.priority, a.reason)
        for a in decisions.created
    ]


def run_plan(
    db: Database,
    code: str,
    account: str,
    *,
    on: date,
    at: datetime,
    user: str | None = None,
    start_date: date | None = None,
    confirm: Callable[[Sequence[str]], bool] | None = None,
) -> PlanRunResult:
    """Run plan ``code`` on the account ``account`` (its external id) on ``on``, invoked at ``at``.

    A user outside every access range of the plan cannot run it, nor a sub-plan by itself. A plan that
    prompts for a start date needs ``start_date``. When the plan deletes all pending contacts and prompts
    before deleting, ``confirm`` is asked with the contacts it would delete (None: the caller already said
    yes); declining cancels the whole plan (:class:`PlanCancelled`) and nothing is written. One transaction.
    """
    strategy = load_strategy(db)
    plan = runnable_plan(strategy, code, user)
    check_start_date(plan, start_date)
    operator = user or ""
    with db.engine.begin() as connection:
        account_id = account_id_of(connection, account)
        if account_id is None:
            raise NotFound(f"no account '{account}'")
        frame = features_frame(connection, strategy, on, account_id, account_id, None)
        fact = f"manual:{plan.code}:{at.isoformat()}:{operator or 'arrears'}"
        trigger = PlanRunRequested(fact, plan.code, start_date, at, operator)
        snapshot = _snapshots(connection, strategy, on, frame, {account_id: trigger})[account_id]
        view = _plan_view(snapshot)
        doomed = deletable(plan, view, strategy.plan_index())
        made = {c.key for c in doomed}
        promises = [r for r in deletable_promises(plan, view, strategy.plan_index()) if r.promise.key not in made]
        if (doomed or promises) and plan.prompt_before_deleting and confirm is not None and not snapshot.closed:
            shown = [f"{c.kind} {c.description}".strip() for c in doomed]
            shown += [f"promise {r.promise.promise_id} due {r.promise.due} ({r.status.value})" for r in promises]
            if not confirm(shown):
                raise PlanCancelled(f"plan {plan.code} cancelled: the {len(shown)} pending contacts were kept")
        try:
            decisions = _decide(snapshot, strategy, on)
        except DOMAIN_ERRORS as error:
            raise ValidationFailed([Problem(f"plan {plan.code}", str(error))]) from error
        counts = store_plans.write_plan_decisions(connection, on, [decisions], _merge(connection, [decisions], on))
    result = PlanRunResult(plan.code, account, _made(decisions), effects=counts)
    result.deleted = sum(1 for change in decisions.changes if change.reason.startswith("deleted by plan"))
    result.history = [entry.detail for entry in decisions.history]
    result.skipped = next((e.detail for e in decisions.history if e.event == "plan-skipped"), "")
    return result


# ------------------------------------------------------------------------------------------ batch


def read_account_file(path: Path) -> list[str]:
    """The external ids of an accounts file: one per line, or the first column of a CSV (a header
    ``external_id`` is skipped); blank lines are ignored."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed([Problem(str(path), f"cannot be read as UTF-8 text ({error})")]) from error
    ids = [row[0].strip() for row in csv.reader(text.splitlines()) if row and row[0].strip()]
    return ids[1:] if ids and ids[0].lower() in ("external_id", "account") else ids


def _selection(
    connection: Connection, strategy: Strategy, on: date, where: str | None, accounts: Sequence[str] | None,
    portfolios: Collection[str] | None = None,
) -> list[int]:  # fmt: skip
    """The ids of the accounts a batch runs on: those where the condition holds (vectorized, over every
    account), or those listed (each must exist); only accounts of ``portfolios`` when given (one outside them
    is no such account)."""
    if accounts is not None:
        ids, missing = [], []
        within = portfolios_of_external_ids(connection, list(accounts)) if portfolios is not None else {}
        for external in dict.fromkeys(accounts):
            found = account_id_of(connection, external)
            if found is None or (portfolios is not None and within.get(external) not in portfolios):
                missing.append(external)
            else:
                ids.append(found)
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            raise ValidationFailed([Problem("accounts", f"no such account: {shown}")])
        return sorted(ids)
    assert where is not None
    try:
        condition = account_condition(where)
    except ConditionError as error:
        raise ValidationFailed([Problem("--where", str(issue), where) for issue in error.issues]) from error
    span = account_id_range(connection)
    if span is None:
        return []
    # Only the columns the rules and this condition read: the chunks read every detail of the accounts selected.
    frame = features_frame(connection, strategy, on, span[0], span[1], None, details=False, assignment=False,
                           fields=[f.name for f in condition.fields])  # fmt: skip
    if portfolios is not None:
        frame = frame.filter(pl.col("portfolio").is_in(sorted(portfolios)))
    return frame.filter(evaluate_frame(condition, frame)).get_column("account_id").to_list()


def run_batch(
    db: Database,
    code: str,
    *,
    on: date,
    at: datetime,
    where: str | None = None,
    accounts: Sequence[str] | None = None,
    user: str | None = None,
    start_date: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = BATCH_CHUNK,
    portfolios: Collection[str] | None = None,
) -> BatchResult:
    """Run plan ``code`` on every account where ``where`` holds, or on the ``accounts`` listed (external ids).

    The selection is vectorized (the condition over the features frame); batches never prompt (a plan that
    deletes pending contacts deletes them); closed accounts are skipped when the plan says so and their ids
    logged to the batch record. One transaction per chunk of ``chunk_size`` accounts in account id order, each
    plan run keyed by the batch; the chunk's transaction also records the batch's progress (the last account
    id done). A batch that was interrupted (killed, or failed part-way) is resumed by running it again — the
    same plan, day, selection, start date and user: it goes on after its last committed chunk, with its own id
    and its first moment, so it ends as an uninterrupted batch would and runs no account twice.
    ``progress(done, total)`` after each chunk. With ``portfolios`` (a manager's), only their accounts are
    selected.
    """
    if (where is None) == (accounts is None):
        raise ValidationFailed([Problem("selection", "give a condition (--where) or an accounts file, one of them")])
    strategy = load_strategy(db)
    plan = runnable_plan(strategy, code, user)
    check_start_date(plan, start_date)
    with db.engine.connect() as connection:
        ids = sorted(_selection(connection, strategy, on, where, accounts, portfolios))
        key = _selection_key(plan.code, on, where, ids if accounts is not None else None, start_date, user)
        earlier = store_plans.unfinished_batch(connection, key)
    selection = f"where {where}" if where is not None else f"{len(accounts or ())} accounts listed"
    if earlier is None:
        with db.engine.begin() as connection:
            batch_id = store_plans.open_batch(connection, plan.code, on, user or "arrears", selection, at, len(ids),
                                              key)  # fmt: skip
        result = BatchResult(plan.code, batch_id=batch_id, selected=len(ids))
    else:
        result = _resumed(earlier)
        at = _aware(earlier["started_at"])  # the moment the batch was asked for: delay minutes count from it
    done = sum(1 for account_id in ids if account_id <= (result.done_through or 0)) if result.resumed else 0
    remaining = ids[done:]
    for start in range(0, len(remaining), chunk_size):
        chunk = remaining[start : start + chunk_size]
        with db.engine.begin() as connection:
            fact = f"batch:{result.batch_id}"
            requests = {a: PlanRunRequested(fact, plan.code, start_date, at, user or "") for a in chunk}
            _run_chunk(connection, strategy, on, requests, result)
            store_plans.update_batch(connection, result.batch_id, result.ran, result.skipped_closed, result.counts,
                                     chunk[-1])  # fmt: skip
        result.done_through = chunk[-1]
        if progress is not None:
            progress(done + min(start + chunk_size, len(remaining)), len(ids))
    with db.engine.begin() as connection:
        store_plans.finish_batch(connection, result.batch_id, datetime.now(UTC))
    return result


def _selection_key(
    plan: str, on: date, where: str | None, listed: Sequence[int] | None, start_date: date | None, user: str | None
) -> str:
    """A digest of what a batch runs: the same plan on the same day over the same selection (the condition, or
    the accounts listed), with the same start date and user, is the same batch."""
    what = {"plan": plan, "on": on.isoformat(), "where": where,
            "accounts": list(listed) if listed is not None else None,
            "start_date": start_date.isoformat() if start_date else None, "user": user or ""}  # fmt: skip
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def _resumed(record: Mapping[str, Any]) -> BatchResult:
    """The result of an unfinished batch so far, from its record: it goes on after the last chunk committed."""
    counts = Counter({name: int(value) for name, value in record["counts"].items() if name != "ran"})
    return BatchResult(
        record["plan"], int(record["counts"].get("ran", 0)), list(record["skipped_closed"]), counts,
        batch_id=int(record["id"]), selected=int(record["accounts"]), resumed=True,
        done_through=record["done_through"],
    )  # fmt: skip


def _aware(moment: datetime) -> datetime:
    """A stored moment as timezone-aware (SQLite gives it back naive, in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _run_chunk(
    connection: Connection, strategy: Strategy, on: date, requests: Mapping[int, Trigger], result: PlanRuns
) -> None:
    """Decide and write the plan runs of a chunk of accounts (ids in ascending order) in the caller's transaction,
    adding what they did to ``result``: an account whose decision fails is an error of the result, a closed
    account a plan does not run on is listed as skipped."""
    ids = sorted(requests)
    frame = features_frame(connection, strategy, on, ids[0], ids[-1], None)
    frame = frame.filter(pl.col("account_id").is_in(ids))
    decided = []
    for snapshot in _snapshots(connection, strategy, on, frame, requests).values():
        try:
            decisions = _decide(snapshot, strategy, on)
        except DOMAIN_ERRORS as error:
            result.errors.append(Problem(f"account {snapshot.external_id}", str(error)))
            continue
        if any(e.event == "plan-skipped" for e in decisions.history):
            result.skipped_closed.append(snapshot.external_id)
        else:
            result.ran += 1
        decided.append(decisions)
    result.counts += store_plans.write_plan_decisions(connection, on, decided, _merge(connection, decided, on))


def run_on_imported(
    connection: Connection, strategy: Strategy, plan: Plan, accounts: Sequence[tuple[int, str]], *, on: date,
    at: datetime, user: str = "", start_date: date | None = None,
) -> PlanRuns:
    """Run ``plan`` on accounts an import has just created, in the import's transaction: each account gets the
    engine's :class:`~arrears.domain.engine.Imported` fact keyed by its import row (its external id), so the
    plan runs once per imported account, and a replayed import (which creates no account) runs nothing;
    ``start_date``: the start date of a plan that prompts for one."""
    result = PlanRuns(plan.code)
    ordered = sorted(accounts)
    for start in range(0, len(ordered), BATCH_CHUNK):
        chunk = ordered[start : start + BATCH_CHUNK]
        requests = {account_id: Imported(external_id, on, plan.code, at, user, start_date)
                    for account_id, external_id in chunk}  # fmt: skip
        _run_chunk(connection, strategy, on, requests, result)
    return result


def batch_record(db: Database, batch_id: int) -> dict[str, Any]:
    """The record of a batch: plan, date, selection, accounts, counts and the closed accounts it skipped."""
    with db.engine.connect() as connection:
        found = store_plans.batch(connection, batch_id)
    if found is None:
        raise NotFound(f"no plan batch {batch_id}")
    return found

