"""The daily run: one service that the CLI, the API and the scheduler call.

For one as-of date and scope (every portfolio, or one): read the features frame partition by partition,
evaluate entry, resolution and assignment vectorized, send only accounts with a transition or due work
through :func:`arrears.domain.engine.decide`, and write the decisions in bulk, chunk by chunk, each chunk
in one transaction with its own record. Every effect is keyed, so a second run of the same date writes
nothing, and a run killed at any point resumes to the state an uninterrupted run reaches.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection, select

from arrears.batch import features, rules
from arrears.domain.cases import (
    OPEN_CASE,
    PENDING_ACTIVITY,
    ActivityStatus,
    CaseStatus,
    Track,
    TransitionRefused,
    origin_from_columns,
)
from arrears.domain.conditions import ConditionError
from arrears.domain.effects import Message
from arrears.domain.engine import (
    Activity,
    Case,
    Closed,
    Decisions,
    EngineError,
    Entered,
    PaymentPosted,
    PaymentReversed,
    Resolved,
    Snapshot,
    Trigger,
    decide,
)
from arrears.domain.errors import NotFound, Problem
from arrears.domain.money import format_cents
from arrears.domain.strategy import ActionKind, Strategy, condition_fields
from arrears.letters.records import merge_record
from arrears.services.config import load_strategy
from arrears.services.letters import merge_data_for
from arrears.store import features as store_features
from arrears.store.config_repo import current_version
from arrears.store.db import Database, make_engine
from arrears.store.models import PortfolioRow, RunChunkRow, RunRow
from arrears.store.run_writer import write_chunk

ALL = "ALL"
PROCESSES_FROM = 100_000
"""Account-id span from which a run uses one worker process per core by default."""
ACTIVITY_COLUMNS = [
    "key", "account_id", "track", "episode", "kind", "action", "origin", "series", "step", "origin_ref",
    "assignee", "due_date", "due_at", "reason", "status", "no_auto_delete", "priority",
]  # fmt: skip
PENDING_SQL = ", ".join(f"'{status.value}'" for status in sorted(PENDING_ACTIVITY))
DUE_SQL = ", ".join(f"'{status.value}'" for status in (ActivityStatus.HELD, ActivityStatus.SCHEDULED))
"""Due work a run processes: scheduled activities, and held ones (asked again at the release gate)."""
DOMAIN_ERRORS = (EngineError, ConditionError, TransitionRefused)
"""Errors of one account's configuration or facts: they become errors of the run; anything else aborts it."""


class RunRefused(ValueError):
    """The run may not start: back-dated, or another run of an overlapping scope is in progress."""


@dataclass(frozen=True, slots=True)
class AccountError:
    """An account the run could not decide, and why; the run goes on."""

    account_id: int
    reason: str
    external_id: str = ""

    def as_problem(self) -> Problem:
        """This error in the one problem shape."""
        return Problem(f"account {self.external_id or self.account_id}", self.reason)


@dataclass(slots=True)
class RunResult:
    """What one run did."""

    run_id: int
    as_of: date
    scope: str
    accounts: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    """What the date did: every chunk committed for it, over every attempt."""
    errors: list[AccountError] = field(default_factory=list)
    seconds: float = 0.0
    this_attempt: Counter[str] = field(default_factory=Counter)
    """What this call itself wrote: empty when the date had already been run."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "scope": self.scope,
            "accounts": self.accounts,
            "counts": dict(sorted(self.counts.items())),
            "this_attempt": dict(sorted(self.this_attempt.items())),
            "errors": [
                {"account_id": e.account_id, "external_id": e.external_id, "reason": e.reason} for e in self.errors
            ],
            "seconds": round(self.seconds, 3),
        }


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str | None) -> bool:
    """True when ``owner`` is another live process on this host."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def latest_completed(connection: Connection, scope: str) -> date | None:
    """The latest as-of date of a completed run that covers ``scope``."""
    query = select(RunRow.as_of).where(RunRow.status == "completed")
    if scope != ALL:
        query = query.where(RunRow.scope.in_([ALL, scope]))
    return connection.scalar(query.order_by(RunRow.as_of.desc()).limit(1))


def start_run(db: Database, as_of: date, scope: str) -> int:
    """Open (or resume) the run record of ``scope`` on ``as_of``; refuse back-dated or overlapping runs."""
    with db.engine.begin() as connection:
        latest = latest_completed(connection, scope)
        if latest is not None and as_of < latest:
            raise RunRefused(
                f"a run for {latest} has already completed for {scope}; a run for an earlier date ({as_of}) "
                "is refused because it would act on a past the later run has already acted on"
            )
        for run in connection.execute(select(RunRow).where(RunRow.status == "running")):
            overlaps = ALL in (scope, run.scope) or run.scope == scope
            if overlaps and _alive(run.owner):
                raise RunRefused(f"run {run.id} ({run.scope}, {run.as_of}) is in progress in process {run.owner}")
            if overlaps and run.as_of < as_of:
                # Going on would leave that day unfinished for good: it would become back-dated.
                raise RunRefused(
                    f"the run for {run.as_of} ({run.scope}) did not finish; resume it first "
                    f"(arrears run --as-of {run.as_of}, or arrears run --through {as_of})"
                )
        existing = connection.execute(select(RunRow).where(RunRow.scope == scope, RunRow.as_of == as_of)).first()
        now = datetime.now(UTC)
        if existing is not None:
            connection.execute(
                RunRow.__table__.update()
                .where(RunRow.id == existing.id)
                .values(status="running", owner=_owner(), attempts=existing.attempts + 1, started_at=now,
                        config_version=current_version(connection))
            )
            return int(existing.id)
        result = connection.execute(
            RunRow.__table__.insert().values(
                scope=scope,
                as_of=as_of,
                status="running",
                owner=_owner(),
                started_at=now,
                attempts=1,
                counts="{}",
                errors="[]",
                config_version=current_version(connection),
            )
        )
        return int(result.inserted_primary_key[0])


def _entry_reason(row: dict[str, Any]) -> dict[str, object]:
    if row["qualifies_by_rules"]:
        return {
            "balance": row["balance"],
            "balance_over": row["balance_over"],
            "days_past_due": row["days_past_due"],
            "days_over": row["days_over"],
            "largest_payment": row["largest_payment"],
            "required_payment": row["required_payment"],
            "window_days": row["window_days"],
        }
    return {"plan_next_unpaid_due": row["plan_next_unpaid_due"], "plan_grace_days": row["plan_grace"]}


def _entry_explanation(row: dict[str, Any]) -> str:
    if row["qualifies_by_rules"]:
        return (
            f"balance {format_cents(row['balance'])} > {format_cents(row['balance_over'])}; "
            f"{row['days_past_due']} days past due > {row['days_over']}; largest guarantor payment in the last "
            f"{row['window_days']} days {format_cents(row['largest_payment'])} < required "
            f"{format_cents(row['required_payment'])}"
        )
    return (
        f"payment plan installment due {row['plan_next_unpaid_due']} unpaid beyond {row['plan_grace']} grace days "
        "(delinquent payment plans are forced to collections)"
    )


def _case(row: dict[str, Any], prefix: str, track: Track) -> Case | None:
    if row[f"{prefix}_status"] is None:
        return None
    return Case(
        track,
        row[f"{prefix}_episode"],
        CaseStatus(row[f"{prefix}_status"]),
        row[f"{prefix}_entered_on"],
        row[f"{prefix}_assignee"],
        row[f"{prefix}_work"],
    )


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)  # SQLite keeps the ISO text SQLAlchemy wrote


def _activities(connection: Connection, where: str) -> dict[int, list[Activity]]:
    """Activities matching the SQL condition ``where``, by account (read through the driver: it is hot)."""
    as_text = connection.dialect.name == "sqlite"
    sql = f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM activity WHERE {where}"
    grouped: dict[int, list[Activity]] = {}
    for key, account, track, episode, kind, action, origin, series, step, reference, assignee, due, due_at, \
            reason, status, keep, priority in store_features.fetch_rows(connection, sql):  # fmt: skip
        activity = Activity(
            key, Track(track), episode, ActionKind(kind), action,
            origin_from_columns(origin, action, series, step, reference), assignee,
            date.fromisoformat(due) if as_text else due, reason, ActivityStatus(status),
            _moment(due_at), bool(keep), priority,
        )  # fmt: skip
        grouped.setdefault(account, []).append(activity)
    return grouped


def _pending(connection: Connection, account_ids: Sequence[int]) -> dict[int, list[Activity]]:
    grouped: dict[int, list[Activity]] = {}
    for start in range(0, len(account_ids), 5000):
        batch = ", ".join(str(int(i)) for i in account_ids[start : start + 5000])
        grouped.update(_activities(connection, f"account_id IN ({batch}) AND status IN ({PENDING_SQL})"))
    return grouped


def features_frame(
    connection: Connection,
    strategy: Strategy,
    as_of: date,
    first: int,
    last: int,
    portfolio_id: int | None,
    *,
    details: bool = True,
    assignment: bool = True,
) -> pl.DataFrame:
    """Accounts with ids in [first, last] with their features, entry, resolution and assignment columns;
    without ``details`` only the columns the rules read (:data:`arrears.store.features.CORE_COLUMNS`) and the
    fields the strategy's conditions read; without ``assignment`` no assignment columns (the run assigns only
    the accounts that enter)."""
    if details:
        frame = store_features.read_accounts(connection, first, last, portfolio_id)
    else:
        extra = features.detail_columns(condition_fields(strategy))
        frame = store_features.read_core(connection, first, last, portfolio_id, extra)
    frame = features.derive(frame, as_of)
    codes = frame.get_column("portfolio").unique().to_list()
    window = rules.largest_window_days(strategy, codes)
    payments = store_features.read_recent_guarantor_payments(connection, first, last, as_of, window)
    frame = rules.evaluate_entry(frame, strategy, payments, as_of)
    return rules.assign(frame, strategy) if assignment else frame


def decide_chunk(
    connection: Connection, strategy: Strategy, as_of: date, first: int, last: int, portfolio_id: int | None
) -> tuple[list[Decisions], dict[int, dict[str, Any]], list[AccountError], int]:
    """Read and decide the accounts with ids in [first, last]: (decisions, letter merge data, errors, accounts)."""
    frame = features_frame(connection, strategy, as_of, first, last, portfolio_id, details=False, assignment=False)
    due = _activities(
        connection,
        f"status IN ({DUE_SQL}) AND account_id BETWEEN {int(first)} AND {int(last)} "
        f"AND due_date <= '{as_of.isoformat()}'",
    )
    open_values = sorted(status.value for status in OPEN_CASE)
    open_case = pl.col("g_status").is_in(open_values)
    paid_today, reversed_today = _payments_today(connection, first, last, as_of)
    closed = (pl.col("mode") == "closed") & (open_case | pl.col("i_status").is_in(open_values))
    transitions = (
        pl.col("enters") | pl.col("resolves") | pl.col("enters_insurance") | pl.col("resolves_insurance")
        | closed.fill_null(False)
        | (open_case.fill_null(False) & pl.col("account_id").is_in(list(paid_today) + list(reversed_today)))
    )  # fmt: skip
    candidates = frame.filter(transitions | pl.col("account_id").is_in(list(due)))
    ids = candidates.get_column("account_id").to_list()
    candidates = rules.assign(
        features.join_details(candidates, store_features.read_details(connection, ids)), strategy
    )
    closing = set(
        candidates.filter(pl.col("resolves") | pl.col("resolves_insurance") | closed.fill_null(False))
        .get_column("account_id")
    )  # fmt: skip
    pending = _pending(connection, sorted(closing))
    rows = {row["account_id"]: row for row in candidates.iter_rows(named=True)}
    facts = {"due": due, "pending": pending, "paid": paid_today, "reversed": reversed_today}
    results = {account_id: _decide_row(row, facts, strategy, as_of) for account_id, row in rows.items()}
    # A referral closes a case the vectorized rules cannot foresee: decide those accounts again, now with
    # their pending work, so that it is cancelled too.
    referred = [
        account_id
        for account_id, result in results.items()
        if isinstance(result, Decisions) and account_id not in closing and result.cases
    ]
    if referred:
        pending.update(_pending(connection, referred))
        results.update({a: _decide_row(rows[a], facts, strategy, as_of) for a in referred})
    decisions, errors = [], []
    for result in results.values():
        if isinstance(result, AccountError):
            errors.append(result)
        elif not result.empty:
            decisions.append(result)
    lettered = [d.account_id for d in decisions if any(isinstance(e, Message) for e in d.effects)]
    merge = {account_id: merge_record(data) for account_id, data in merge_data_for(connection, lettered, as_of).items()}
    return decisions, merge, errors, frame.height


def _payments_today(
    connection: Connection, first: int, last: int, as_of: date
) -> tuple[dict[int, list[PaymentPosted]], dict[int, list[PaymentReversed]]]:
    """Guarantor payments and payment reversals (NSF returns) posted on ``as_of``, by account, in one read."""
    sql = (
        "SELECT account_id, id, kind, amount_cents FROM ledger_line WHERE kind IN ('payment', 'reversal') "
        f"AND account_id BETWEEN {int(first)} AND {int(last)} AND posted_date = '{as_of.isoformat()}' "
        "AND (kind = 'reversal' OR source = 'guarantor')"
    )
    paid: dict[int, list[PaymentPosted]] = {}
    returned: dict[int, list[PaymentReversed]] = {}
    for account_id, line_id, kind, amount in store_features.fetch_rows(connection, sql):
        if kind == "payment":
            paid.setdefault(account_id, []).append(PaymentPosted(f"line:{line_id}", abs(int(amount)), as_of))
        else:
            returned.setdefault(account_id, []).append(PaymentReversed(f"line:{line_id}", abs(int(amount)), as_of))
    return paid, returned


def _triggers(row: dict[str, Any], facts: dict[str, dict[int, list[Any]]], as_of: date) -> list[Trigger]:
    """The typed facts of one account's day, from its features row and the day's ledger lines."""
    account_id = row["account_id"]
    triggers: list[Trigger] = []
    if row["resolves"]:
        triggers.append(Resolved(Track.GUARANTOR))
    if row["resolves_insurance"]:
        triggers.append(Resolved(Track.INSURANCE))
    if row["enters"]:
        hold = bool(row["suspend_statements"]) and not row["on_payment_plan"]
        triggers.append(
            Entered(Track.GUARANTOR, row["assignee"], row["work"], row["rule_index"], _entry_reason(row),
                    statement_hold=hold, explanation=_entry_explanation(row),
                    anchor_due=row["oldest_unpaid_due_date"])
        )  # fmt: skip
    if row["enters_insurance"]:
        if not row["insurance_work"]:
            raise EngineError(f"portfolio {row['portfolio']} has no insurance action")
        reason = {"oldest_claim_age_days": row["oldest_claim_age_days"], "days_over": row["insurance_days"]}
        explanation = (f"open insurance claim billed {row['oldest_claim_age_days']} days ago > "
                       f"{row['insurance_days']} days")  # fmt: skip
        triggers.append(
            Entered(Track.INSURANCE, row["assignee"], row["insurance_work"], None, reason, explanation=explanation)
        )
    if row["mode"] == "closed":
        triggers.append(Closed(as_of))
    triggers += facts["paid"].get(account_id, [])
    triggers += facts["reversed"].get(account_id, [])
    return triggers


def _decide_row(
    row: dict[str, Any], facts: dict[str, dict[int, list[Any]]], strategy: Strategy, as_of: date
) -> Decisions | AccountError:
    """Build the snapshot of one candidate account and decide it; a domain error is an error of the run."""
    account_id = row["account_id"]
    try:
        cases = {t: c for t, p in ((Track.GUARANTOR, "g"), (Track.INSURANCE, "i")) if (c := _case(row, p, t))}
        snapshot = Snapshot(
            account_id=account_id,
            portfolio=row["portfolio"],
            balance_cents=row["balance"],
            external_id=row["external_id"] or "",
            time_zone=row["time_zone"] or "America/New_York",
            cases=cases,
            triggers=tuple(_triggers(row, facts, as_of)),
            due=tuple(facts["due"].get(account_id, ())),
            pending=tuple(facts["pending"].get(account_id, ())),
            notes_to_account=bool(row["notes_to_account"]),
        )
        return decide(snapshot, strategy, as_of)
    except DOMAIN_ERRORS as error:  # bad configuration or facts of one account: the run goes on
        return AccountError(account_id, str(error), row["external_id"] or "")


def run_partition(
    url: str,
    run_id: int,
    as_of: date,
    strategy: Strategy,
    first: int,
    last: int,
    chunk_size: int,
    portfolio_id: int | None,
    db: Database | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Counter[str], list[AccountError], int]:
    """Run the accounts with ids in [first, last], one transaction per chunk of ids."""
    database = db or Database(make_engine(url))
    counts: Counter[str] = Counter()
    errors: list[AccountError] = []
    accounts = 0
    try:
        for low in range(first, last + 1, chunk_size):
            high = min(last, low + chunk_size - 1)
            with database.engine.connect() as connection:
                decisions, merge, chunk_errors, seen = decide_chunk(
                    connection, strategy, as_of, low, high, portfolio_id
                )
            with database.engine.begin() as connection:
                counts += write_chunk(
                    connection,
                    run_id,
                    as_of,
                    decisions,
                    merge,
                    (low, high),
                    [(e.account_id, f"account {e.external_id}: {e.reason}") for e in chunk_errors],
                )
            errors += chunk_errors
            accounts += seen
            if progress:
                progress(seen)
    finally:
        if db is None:
            database.dispose()
    return counts, errors, accounts


def _partitions(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-(last - first + 1) // parts))
    return [(low, min(last, low + size - 1)) for low in range(first, last + 1, size)]


def finish_run(db: Database, run_id: int) -> tuple[Counter[str], list[AccountError]]:
    """Mark the run completed with the counts and errors of every chunk it committed (all attempts)."""
    counts: Counter[str] = Counter()
    errors: dict[int, str] = {}
    with db.engine.begin() as connection:
        for chunk in connection.execute(select(RunChunkRow).where(RunChunkRow.run_id == run_id)):
            counts.update(json.loads(chunk.counts))
            errors.update({e["account_id"]: e["reason"] for e in json.loads(chunk.errors)})
        counts["errors"] = len(errors)
        connection.execute(
            RunRow.__table__.update()
            .where(RunRow.id == run_id)
            .values(
                status="completed",
                finished_at=datetime.now(UTC),
                owner=None,
                counts=json.dumps(dict(sorted(counts.items()))),
                errors=json.dumps([{"account_id": a, "reason": r} for a, r in sorted(errors.items())]),
            )
        )
    return counts, [AccountError(a, r) for a, r in sorted(errors.items())]


def run_day(
    db: Database,
    as_of: date,
    portfolio: str | None = None,
    *,
    strategy: Strategy | None = None,
    workers: int | None = None,
    chunk_size: int = 50_000,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run the engine for ``as_of`` over every account (or one portfolio's); see the module docstring.

    ``workers`` > 1 partitions the accounts by id range over a process pool (or the ``executor`` given,
    e.g. a distributed one); 1 runs in this process; None (the default) uses one process per core from
    :data:`PROCESSES_FROM` accounts up, where the pool's start-up cost is repaid.
    """
    started = time.perf_counter()
    scope = portfolio or ALL
    portfolio_id = None
    with db.engine.connect() as connection:
        if portfolio is not None:
            portfolio_id = connection.scalar(select(PortfolioRow.id).where(PortfolioRow.code == portfolio))
            if portfolio_id is None:
                raise NotFound(f"no portfolio {portfolio!r}")
        span = store_features.account_id_range(connection)
    chosen = strategy or load_strategy(db)
    run_id = start_run(db, as_of, scope)
    result = RunResult(run_id, as_of, scope)
    if span is not None:
        if workers is None:
            workers = (os.cpu_count() or 1) if span[1] - span[0] + 1 >= PROCESSES_FROM else 1
        url = db.engine.url.render_as_string(hide_password=False)
        if workers <= 1 and executor is None:
            result.this_attempt, _, result.accounts = run_partition(
                url, run_id, as_of, chosen, span[0], span[1], chunk_size, portfolio_id, db, progress
            )
        else:
            db.engine.dispose()  # forked workers must not share pooled connections
            pool = executor or ProcessPoolExecutor(max_workers=workers)
            try:
                futures = [
                    pool.submit(run_partition, url, run_id, as_of, chosen, low, high, chunk_size, portfolio_id)
                    for low, high in _partitions(span[0], span[1], max(workers, 1) * 4)
                ]
                for future in futures:
                    counts, _, seen = future.result()
                    result.this_attempt += counts
                    result.accounts += seen
                    if progress:
                        progress(seen)
            finally:
                if executor is None:
                    pool.shutdown()
    result.counts, result.errors = finish_run(db, run_id)
    result.seconds = time.perf_counter() - started
    return result


def pending_dates(db: Database, through: date, portfolio: str | None = None, since: date | None = None) -> list[date]:
    """Every date from the earliest unfinished run, else the day after the latest completed run, up to
    ``through``; without any run, from ``since`` (or ``through`` alone)."""
    scope = portfolio or ALL
    with db.engine.connect() as connection:
        latest = latest_completed(connection, scope)
        unfinished = select(RunRow.as_of).where(RunRow.status == "running")
        if scope != ALL:
            unfinished = unfinished.where(RunRow.scope.in_([ALL, scope]))
        resume = connection.scalar(unfinished.order_by(RunRow.as_of).limit(1))
    first_new = (since or through) if latest is None else latest + timedelta(days=1)
    start = resume if resume is not None else first_new
    return [start + timedelta(days=n) for n in range((through - start).days + 1)]


def run_through(
    db: Database, through: date, portfolio: str | None = None, since: date | None = None, **options: Any
) -> list[RunResult]:
    """Catch up: run every missing day up to ``through``, in order (see :func:`pending_dates`)."""
    dates = pending_dates(db, through, portfolio, since)
    return [run_day(db, day, portfolio, **options) for day in dates]
