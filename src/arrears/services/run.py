"""The daily run: one service that the CLI, the API and the scheduler call.

For one as-of date and scope (every portfolio, or one): read the features frame partition by partition,
evaluate entry, resolution and assignment vectorized, send only accounts with a transition or due work
through :func:`arrears.domain.engine.decide`, and write the decisions in bulk, chunk by chunk, each chunk
in one transaction with its own record. Every effect is keyed, so a second run of the same date writes
nothing, and a run killed at any point resumes to the state an uninterrupted run reaches.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy import Connection

from arrears.batch import features, rules
from arrears.batch import milestones as batch_milestones
from arrears.domain.calendar import is_business_day
from arrears.domain.cases import (
    OPEN_CASE,
    PENDING_ACTIVITY,
    ActivityStatus,
    CaseStatus,
    Track,
    TransitionRefused,
    origin_from_columns,
)
from arrears.domain.compliance import NO_FACTS
from arrears.domain.conditions import ConditionError
from arrears.domain.effects import Message
from arrears.domain.engine import (
    Activity,
    Case,
    Closed,
    Decisions,
    EngineError,
    Entered,
    MilestoneTarget,
    PaymentPosted,
    PaymentReversed,
    Resolved,
    Snapshot,
    Trigger,
    activity_kind,
    decide,
)
from arrears.domain.errors import NotFound, Problem
from arrears.domain.money import format_cents
from arrears.domain.strategy import Strategy
from arrears.domain.strategy.schemes import DurationUnit, Move, describe_move
from arrears.letters.records import merge_record
from arrears.services.collector import collector_paused
from arrears.services.compliance import guarded_facts
from arrears.services.features import features_frame
from arrears.services.letters import merge_data_for
from arrears.services.plan_triggers import plan_triggers_today
from arrears.services.promise_judging import judge_chunk
from arrears.services.stored_strategy import load_strategy
from arrears.store import features as store_features
from arrears.store import milestones as store_milestones
from arrears.store import runs
from arrears.store.config_repo import current_version
from arrears.store.db import Database, fetch_rows, make_engine, sqlite_path
from arrears.store.processes import Holder, database_now
from arrears.store.run_writer import write_chunk
from arrears.store.runs import ALL, FAILED, Lease, LeaseLost, RunRecord
from arrears.store.wal import BackgroundCheckpoints, commits_leave_the_log

if TYPE_CHECKING:
    from distributed import Client

PROCESSES_FROM = 100_000
"""Account-id span from which a run uses one worker process per core by default."""
LEASE_SECONDS = 120.0
"""How long a run's lease lasts unless renewed (each committed chunk renews it): after a crash on another
host, the run can be taken over this long after its last chunk."""
PR_SET_PDEATHSIG = 1
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
    """The run may not start: back-dated, beyond today, held by another process, or an earlier run of an
    overlapping scope is unfinished; or it was taken over while it ran."""


class RunFailed(RuntimeError):
    """The run stopped on a failure (a chunk that could not be decided or written); it is marked failed,
    keeps the chunks committed before, and resumes when the same date is run again."""


class ChunkFailed(Exception):
    """One chunk of a run failed: which accounts, while doing what, and the cause."""


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


def _overlaps(scope: str, other: str) -> bool:
    """Two scopes overlap when either is ALL or they are the same portfolio."""
    return ALL in (scope, other) or scope == other


def refuse_beyond(as_of: date, today: date | None) -> None:
    """Refuse a run date after ``today`` (None: no limit)."""
    if today is not None and as_of > today:
        raise RunRefused(
            f"the run date {as_of} is after today ({today}): a run acts on its date (it releases the work due by "
            "then, queues letters, posts fees, refers accounts), so a future date is refused; "
            "arrears run --allow-future runs it anyway"
        )


def _refuse_back_dated(latest: dict[str, date], scope: str, as_of: date) -> None:
    covering = {other: day for other, day in latest.items() if _overlaps(scope, other)}
    if not covering:
        return
    # Name the run that blocks (the requested scope's own when two end on the same day).
    blocking, day = max(covering.items(), key=lambda item: (item[1], item[0] == scope))
    if as_of >= day:
        return
    of = "" if blocking == scope else f"of {scope} "
    message = (
        f"a run for {day} has already completed for {blocking}; a run {of}for an earlier date ({as_of}) is refused "
        "because it would act on a past the later run has already acted on"
    )
    if scope == ALL and blocking != ALL:
        message += f"; arrears run --through {day} runs each day for the portfolios that still miss it"
    raise RunRefused(message)


def _command(scope: str, option: str, day: date) -> str:
    return f"arrears run{'' if scope == ALL else ' --portfolio ' + scope} {option} {day}"


def _resume_first(run: RunRecord, scope: str, as_of: date) -> str:
    what = f"failed ({run.failure})" if run.status == FAILED else "did not finish"
    catch_up = f", or {_command(scope, '--through', as_of)}" if run.as_of < as_of else ""
    return (
        f"the run for {run.as_of} ({run.scope}) {what}; resume it first "
        f"({_command(run.scope, '--as-of', run.as_of)}{catch_up})"
    )


def start_run(db: Database, as_of: date, scope: str, *, lease_seconds: float = LEASE_SECONDS) -> Lease:
    """Claim the run of ``scope`` on ``as_of`` (a new record, a rerun, or the takeover of an unfinished one)
    and return its lease; refuse a back-dated run, a run held by a live attempt, and a run while another
    run of an overlapping scope is unfinished. Claims are decided one at a time by the database."""
    holder = Holder.this_process()
    with runs.claiming(db.engine) as connection:
        now = database_now(connection)
        _refuse_back_dated(runs.latest_completed(connection), scope, as_of)
        for run in runs.unfinished(connection):
            if not _overlaps(scope, run.scope):
                continue
            if run.held(now, holder.machine):
                until = f"{run.lease_until:%Y-%m-%d %H:%M:%S} UTC" if run.lease_until else "?"
                raise RunRefused(
                    f"run {run.id} ({run.scope}, {run.as_of}) is in progress in process {run.owner} "
                    f"(its lease runs until {until} unless renewed)"
                )
            if (run.scope, run.as_of) != (scope, as_of):
                raise RunRefused(_resume_first(run, scope, as_of))
        return runs.open_run(connection, scope, as_of, holder, lease_seconds, now, current_version(connection))


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
        row.get(f"{prefix}_hold_reason") or "",
    )


def _moment(value: Any) -> datetime | None:
    """A stored moment as aware UTC (SQLite keeps the naive UTC text the writer stored)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _activities(connection: Connection, where: str) -> dict[int, list[Activity]]:
    """Activities matching the SQL condition ``where``, by account (read through the driver: it is hot)."""
    as_text = connection.dialect.name == "sqlite"
    sql = f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM activity WHERE {where}"
    grouped: dict[int, list[Activity]] = {}
    for key, account, track, episode, kind, action, origin, series, step, reference, assignee, due, due_at, \
            reason, status, keep, priority in fetch_rows(connection, sql):  # fmt: skip
        activity = Activity(
            key, Track(track), episode, activity_kind(kind), action,
            origin_from_columns(origin, action, series, step, reference), assignee,
            date.fromisoformat(due) if as_text else due, reason, ActivityStatus(status),
            _moment(due_at), bool(keep), priority,
        )  # fmt: skip
        grouped.setdefault(account, []).append(activity)
    return grouped


def pending_work(connection: Connection, account_ids: Sequence[int]) -> dict[int, list[Activity]]:
    """Every pending activity of the accounts, by account (what closing a case or running a plan reads)."""
    return _pending(connection, account_ids)


def _pending(connection: Connection, account_ids: Sequence[int]) -> dict[int, list[Activity]]:
    grouped: dict[int, list[Activity]] = {}
    for start in range(0, len(account_ids), 5000):
        batch = ", ".join(str(int(i)) for i in account_ids[start : start + 5000])
        grouped.update(_activities(connection, f"account_id IN ({batch}) AND status IN ({PENDING_SQL})"))
    return grouped


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
    planned = plan_triggers_today(connection, strategy, first, last, as_of)
    promised = judge_chunk(connection, as_of, first, last, frame.select("account_id", "balance", "mode"))
    frame = with_milestones(connection, frame, strategy, as_of, (first, last), reversed_today)
    closed = (pl.col("mode") == "closed") & (open_case | pl.col("i_status").is_in(open_values))
    transitions = (
        pl.col("enters") | pl.col("resolves") | pl.col("enters_insurance") | pl.col("resolves_insurance")
        | closed.fill_null(False)
        | (open_case.fill_null(False) & pl.col("account_id").is_in(list(paid_today) + list(reversed_today)))
    )  # fmt: skip
    if "ms_move" in frame.columns:
        transitions = transitions | (pl.col("ms_move") != Move.STAY.value)
    touched = list(due) + list(planned) + list(promised.judged)
    candidates = frame.filter(transitions | pl.col("account_id").is_in(touched))
    ids = candidates.get_column("account_id").to_list()
    candidates = rules.assign(
        features.join_details(candidates, store_features.read_details(connection, ids)), strategy
    )
    closing = set(
        candidates.filter(pl.col("resolves") | pl.col("resolves_insurance") | closed.fill_null(False))
        .get_column("account_id")
    )  # fmt: skip
    # A plan run may delete pending work; a promise that ends resumes the steps its pause held back.
    pending = _pending(connection, sorted(closing | set(planned) | set(promised.judged)))
    rows = {row["account_id"]: row for row in candidates.iter_rows(named=True)}
    portfolios = dict(candidates.select("account_id", "portfolio").iter_rows())
    contact = guarded_facts(connection, strategy, portfolios, as_of)
    facts = {"due": due, "pending": pending, "paid": paid_today, "reversed": reversed_today, "contact": contact,
             "plans": planned, "promises": promised.judged, "standing": promised.standing}  # fmt: skip
    results = {account_id: decide_row(row, facts, strategy, as_of) for account_id, row in rows.items()}
    # A referral closes a case the vectorized rules cannot foresee: decide those accounts again, now with
    # their pending work, so that it is cancelled too.
    referred = [
        account_id
        for account_id, result in results.items()
        if isinstance(result, Decisions) and account_id not in closing and result.cases
    ]
    if referred:
        pending.update(_pending(connection, referred))
        results.update({a: decide_row(rows[a], facts, strategy, as_of) for a in referred})
    decisions, errors = [], []
    for result in results.values():
        if isinstance(result, AccountError):
            errors.append(result)
        elif not result.empty:
            decisions.append(result)
    lettered = [d.account_id for d in decisions if any(isinstance(e, Message) for e in d.effects)]
    merge = {account_id: merge_record(data) for account_id, data in merge_data_for(connection, lettered, as_of).items()}
    return decisions, merge, errors, frame.height


def with_milestones(
    connection: Connection,
    frame: pl.DataFrame,
    strategy: Strategy,
    as_of: date,
    span: tuple[int, int],
    reversed_today: Mapping[int, Any],
) -> pl.DataFrame:
    """The frame with each account's milestone state and its move today (vectorized; none without schemes); an
    account is ``held`` while its guarantor case is held or a scheme hold covers the day."""
    if not strategy.schemes:
        return frame
    states = store_milestones.read_states(connection, span[0], span[1], strategy.schemes)
    scheme_held = store_milestones.held_accounts(connection, span[0], span[1], as_of)
    frame = frame.join(states, on="account_id", how="left").with_columns(
        held=(pl.col("g_status") == CaseStatus.HELD.value).fill_null(False) | pl.col("account_id").is_in(scheme_held),
        reversed=pl.col("account_id").is_in(list(reversed_today)),
    )
    return batch_milestones.milestone_moves(frame, strategy.schemes, as_of)


def milestone_triggers(row: dict[str, Any], strategy: Strategy) -> tuple[MilestoneTarget, ...]:
    """The account's move in its scheme today, as the engine's trigger (none when it stays)."""
    move = Move(row.get("ms_move") or Move.STAY.value)
    scheme = strategy.scheme(row.get("ms_code") or "")
    if move is Move.STAY or scheme is None:
        return ()
    in_scheme = row.get("ms_scheme") == scheme.code and not row.get("ms_resolved")
    previous = row.get("ms_index") if in_scheme else None
    target = row.get("ms_target")
    passed: range | tuple[int, ...] = ()
    if move in (Move.ENTER, Move.INCREMENT) and target is not None:
        passed = range(previous + 1 if previous is not None else 0, target + 1)
    elif move is Move.REVERSAL and target is not None:
        passed = (target,)
    names = [m.name for m in scheme.milestones]
    return (
        MilestoneTarget(
            scheme.code, names[target] if target is not None else None, move,
            names[previous] if previous is not None else None, tuple(names[i] for i in passed),
            describe_move(scheme, move, previous, target), row,
            row.get("ms_entered_on") if in_scheme else None, row.get("ms_entry_balance") if in_scheme else None,
            row.get("assignee") or "",
        ),
    )  # fmt: skip


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
    for account_id, line_id, kind, amount in fetch_rows(connection, sql):
        if kind == "payment":
            paid.setdefault(account_id, []).append(PaymentPosted(f"line:{line_id}", abs(int(amount)), as_of))
        else:
            returned.setdefault(account_id, []).append(PaymentReversed(f"line:{line_id}", abs(int(amount)), as_of))
    return paid, returned


def _triggers(row: dict[str, Any], facts: dict[str, Mapping[int, Any]], as_of: date) -> list[Trigger]:
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
    triggers += facts["plans"].get(account_id, [])
    triggers += facts["promises"].get(account_id, [])
    return triggers


def decide_row(
    row: dict[str, Any], facts: dict[str, Mapping[int, Any]], strategy: Strategy, as_of: date,
    triggers: tuple[Trigger, ...] | None = None,
) -> Decisions | AccountError:
    """Build the snapshot of one candidate account and decide it (with the day's ``triggers``, else those of its
    row and facts); a domain error is an error of the run."""
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
            triggers=triggers if triggers is not None
            else (*_triggers(row, facts, as_of), *milestone_triggers(row, strategy)),
            due=tuple(facts["due"].get(account_id, ())),
            pending=tuple(facts["pending"].get(account_id, ())),
            notes_to_account=bool(row["notes_to_account"]),
            contact=facts["contact"].get(account_id, NO_FACTS),
            closed=row["mode"] == "closed",
            fields=row,
            promises=tuple(facts["standing"].get(account_id, ())),
        )
        return decide(snapshot, strategy, as_of, strategy.compliance.rules(row["portfolio"]))
    except DOMAIN_ERRORS as error:  # bad configuration or facts of one account: the run goes on
        return AccountError(account_id, str(error), row["external_id"] or "")


_PARENT: int | None = None
"""In a pool worker: the process id of the run that started it."""


def _die_with_parent(parent: int) -> None:
    """Pool initializer: a worker must not outlive the run's process. On Linux the kernel kills it when the
    parent dies (PR_SET_PDEATHSIG); elsewhere it checks its parent before each chunk."""
    global _PARENT
    _PARENT = parent
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _stop_if_orphaned() -> None:
    if _PARENT is not None and os.getppid() != _PARENT:
        os._exit(1)  # nobody is left to report to; the lease expires and the run is resumed


def run_partition(
    url: str,
    lease: Lease,
    as_of: date,
    strategy: Strategy,
    first: int,
    last: int,
    chunk_size: int,
    portfolio_id: int | None,
    db: Database | None = None,
    progress: Callable[[int], None] | None = None,
    checkpoints_beside: bool = False,
) -> tuple[Counter[str], list[AccountError], int]:
    """Run the accounts with ids in [first, last], one transaction per chunk of ids; each chunk's transaction
    renews the run's lease and commits only while ``lease`` still holds the run. ``checkpoints_beside``: the
    SQLite file's log is copied by the run's :class:`~arrears.store.wal.BackgroundCheckpoints`, so this
    partition's commits leave it there."""
    database = db or Database(make_engine(url))
    counts: Counter[str] = Counter()
    errors: list[AccountError] = []
    accounts = 0
    try:
        for low in range(first, last + 1, chunk_size):
            high = min(last, low + chunk_size - 1)
            _stop_if_orphaned()
            phase = "deciding"
            try:
                with collector_paused(), database.engine.connect() as connection:
                    decisions, merge, chunk_errors, seen = decide_chunk(
                        connection, strategy, as_of, low, high, portfolio_id
                    )
                phase = "writing"
                with (
                    collector_paused(),
                    database.engine.connect() as connection,
                    commits_leave_the_log(connection, checkpoints_beside),
                    connection.begin(),
                ):
                    written = write_chunk(
                        connection,
                        lease.run_id,
                        as_of,
                        decisions,
                        merge,
                        (low, high),
                        [(e.account_id, f"account {e.external_id}: {e.reason}") for e in chunk_errors],
                    )
                    runs.renew(connection, lease)  # last: it holds the run's row until the commit
            except LeaseLost:
                raise
            except Exception as error:
                cause = runs.describe_failure(error)
                raise ChunkFailed(f"{phase} accounts with ids {low}–{high}: {cause}") from error
            counts += written
            errors += chunk_errors
            accounts += seen
            if progress:
                progress(seen)
    finally:
        if db is None:
            database.dispose()
    return counts, errors, accounts


def _load_calendars(strategy: Strategy, as_of: date) -> None:
    """Load the holiday calendars that the schemes' business days read, for ``as_of``'s year, before a pool
    forks its workers: they inherit them, where each would otherwise import the holidays library (some 300
    modules, about 0.09 s of CPU from bytecode) itself."""
    for scheme in strategy.schemes:
        if any(milestone.duration_unit is DurationUnit.BUSINESS for milestone in scheme.milestones):
            is_business_day(as_of, scheme.holiday_country, scheme.holiday_state)


def _partitions(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    size = max(1, -(-(last - first + 1) // parts))
    return [(low, min(last, low + size - 1)) for low in range(first, last + 1, size)]


def _chunk_partitions(span: tuple[int, int], chunk_size: int, parallel: int) -> list[tuple[int, int]]:
    """``span`` cut into whole chunks, and into at least ``parallel`` partitions: a chunk has a fixed cost (its
    queries, its frames, its commit), so partitions smaller than a chunk only add chunks."""
    chunks = -(-(span[1] - span[0] + 1) // chunk_size)
    return _partitions(span[0], span[1], max(parallel, chunks))


def _cluster_partitions(span: tuple[int, int], chunk_size: int, threads: int) -> list[tuple[int, int]]:
    """``span`` cut for a cluster of ``threads`` worker threads: about four partitions per thread (the cluster
    balances them, and runs a lost one again alone), each of whole chunks, since a partition's last chunk cut
    short still pays a chunk's fixed cost; one partition per thread when there are fewer chunks than threads."""
    first, last = span
    chunks = -(-(last - first + 1) // chunk_size)
    if chunks <= threads:
        return _partitions(first, last, threads)
    size = max(1, round(chunks / (threads * 4))) * chunk_size
    return [(low, min(last, low + size - 1)) for low in range(first, last + 1, size)]


def finish_run(db: Database, lease: Lease) -> tuple[Counter[str], list[AccountError]]:
    """Mark the run completed with the counts and errors of every chunk it committed (all attempts)."""
    with db.engine.begin() as connection:
        counts, errors = runs.chunk_results(connection, lease.run_id)
        counts["errors"] = len(errors)
        runs.complete(connection, lease, counts, sorted(errors.items()))
    return counts, [AccountError(a, r) for a, r in sorted(errors.items())]


def _mark_failed(db: Database, lease: Lease, reason: str) -> str:
    """Mark the run failed; say so when even that fails (the lease then simply expires)."""
    try:
        with db.engine.begin() as connection:
            runs.fail(connection, lease, reason)
    except Exception as error:
        cause = runs.describe_failure(error)
        return f" (it could not be marked failed either: {cause}; it can be resumed once this process has ended)"
    return ""


def _run_on(
    pool: Executor,
    partitions: Sequence[tuple[Any, ...]],
    progress: Callable[[int], None] | None,
    checkpoints: BackgroundCheckpoints,
) -> tuple[Counter[str], int]:
    """Run :func:`run_partition` for each argument tuple on ``pool``: (counts, accounts), ``checkpoints``
    copying the log meanwhile (entered once the pool's workers have started); the first failure is raised at
    once, without waiting for the other partitions."""
    futures: list[Future[tuple[Counter[str], list[AccountError], int]]] = [
        pool.submit(run_partition, *arguments, checkpoints_beside=checkpoints.path is not None)
        for arguments in partitions
    ]
    with checkpoints:
        return tally_partitions((future.result() for future in as_completed(futures)), progress)


def tally_partitions(
    results: Iterable[tuple[Counter[str], list[AccountError], int]], progress: Callable[[int], None] | None
) -> tuple[Counter[str], int]:
    """The summed counts and accounts of partitions' results, taken as they come (each one's accounts told to
    ``progress``)."""
    counts: Counter[str] = Counter()
    accounts = 0
    for written, _, seen in results:
        counts += written
        accounts += seen
        if progress:
            progress(seen)
    return counts, accounts


def _run_on_cluster(
    cluster: str | Client,
    url: str,
    lease: Lease,
    as_of: date,
    strategy: Strategy,
    span: tuple[int, int],
    chunk_size: int,
    portfolio_id: int | None,
    progress: Callable[[int], None] | None,
) -> tuple[Counter[str], int]:
    """The partitions of ``span`` on the Dask cluster (:func:`_cluster_partitions`): (counts, accounts)."""
    from arrears.services.cluster import connected, run_on_cluster, threads  # Dask is imported only to use it

    def on(client: Client) -> tuple[Counter[str], int]:
        partitions = [
            (lease, as_of, strategy, low, high, chunk_size, portfolio_id)
            for low, high in _cluster_partitions(span, chunk_size, threads(client))
        ]
        return run_on_cluster(client, url, partitions, progress)

    if not isinstance(cluster, str):
        return on(cluster)
    with connected(cluster) as client:
        return on(client)


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
    today: date | None = None,
    lease_seconds: float = LEASE_SECONDS,
    cluster: str | Client | None = None,
    on_claim: Callable[[int], None] | None = None,
) -> RunResult:
    """Run the engine for ``as_of`` over every account (or one portfolio's); see the module docstring.

    ``workers`` > 1 partitions the accounts by id range over a process pool (or the ``executor`` given);
    1 runs in this process; None (the default) uses one process per core from :data:`PROCESSES_FROM`
    accounts up, where the pool's start-up cost is repaid. ``cluster`` runs the partitions on a Dask
    distributed cluster instead (:mod:`arrears.services.cluster`): the scheduler's address
    (``tcp://HOST:8786``), ``local:N`` for N worker processes started here, or a connected
    ``distributed.Client``; about four partitions of whole chunks per worker thread; PostgreSQL only. A date
    after ``today`` is refused (None: no limit). A failure marks the run failed and raises :class:`RunFailed`;
    running the same date again resumes it. ``on_claim`` hears the run's id once the run is claimed (before any work).
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if cluster is not None:
        if db.dialect != "postgresql":
            raise RunRefused(
                "a run on a cluster needs a PostgreSQL database that every worker reaches "
                f"(this one is {db.dialect}); run it without --cluster"
            )
        if isinstance(cluster, str):
            from arrears.services.cluster import address_problem

            if problem := address_problem(cluster):
                raise RunRefused(problem)
    refuse_beyond(as_of, today)
    started = time.perf_counter()
    scope = portfolio or ALL
    portfolio_id = None
    with db.engine.connect() as connection:
        if portfolio is not None:
            portfolio_id = runs.portfolio_id(connection, portfolio)
            if portfolio_id is None:
                raise NotFound(f"no portfolio {portfolio!r}")
        span = store_features.account_id_range(connection)
    chosen = strategy or load_strategy(db)
    lease = start_run(db, as_of, scope, lease_seconds=lease_seconds)
    if on_claim is not None:
        on_claim(lease.run_id)
    result = RunResult(lease.run_id, as_of, scope)
    pool: Executor | None = None
    try:
        if span is not None:
            if workers is None:
                workers = (os.cpu_count() or 1) if span[1] - span[0] + 1 >= PROCESSES_FROM else 1
            url = db.engine.url.render_as_string(hide_password=False)
            checkpoints = BackgroundCheckpoints(sqlite_path(url))
            if cluster is not None:
                result.this_attempt, result.accounts = _run_on_cluster(
                    cluster, url, lease, as_of, chosen, span, chunk_size, portfolio_id, progress
                )
            elif workers == 1 and executor is None:
                with checkpoints:
                    result.this_attempt, _, result.accounts = run_partition(
                        url, lease, as_of, chosen, span[0], span[1], chunk_size, portfolio_id, db, progress,
                        checkpoints_beside=checkpoints.path is not None,
                    )  # fmt: skip
            else:
                db.engine.dispose()  # forked workers must not share pooled connections
                if executor is None:
                    _load_calendars(chosen, as_of)
                pool = executor or ProcessPoolExecutor(workers, initializer=_die_with_parent, initargs=(os.getpid(),))
                partitions = [
                    (url, lease, as_of, chosen, low, high, chunk_size, portfolio_id)
                    for low, high in _chunk_partitions(span, chunk_size, workers)
                ]
                result.this_attempt, result.accounts = _run_on(pool, partitions, progress, checkpoints)
        result.counts, result.errors = finish_run(db, lease)
    except LeaseLost as lost:
        raise RunRefused(f"run {lease.run_id} ({scope}, {as_of}) stopped: {lost}") from lost
    except BaseException as error:
        # Marking the run failed ends its lease, so workers still running stop at their next chunk.
        reason = str(error) if isinstance(error, ChunkFailed) else runs.describe_failure(error)
        unmarked = _mark_failed(db, lease, reason)
        if not isinstance(error, Exception):
            raise
        how = f" while {reason}" if isinstance(error, ChunkFailed) else f": {reason}"
        raise RunFailed(
            f"run {lease.run_id} ({scope}, {as_of}) failed{how}{unmarked}. The chunks committed before it are "
            f"kept; once the cause is fixed, {_command(scope, '--as-of', as_of)} resumes it"
        ) from error
    finally:
        if pool is not None and executor is None:
            pool.shutdown(cancel_futures=True)
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True, slots=True)
class PendingRun:
    """One run a catch-up makes: a date and a scope (ALL or a portfolio code)."""

    as_of: date
    scope: str

    @property
    def portfolio(self) -> str | None:
        """The portfolio for :func:`run_day` (None for ALL)."""
        return None if self.scope == ALL else self.scope


def catch_up_plan(
    scope: str,
    members: Sequence[str],
    latest: dict[str, date],
    unfinished: Sequence[tuple[str, date]],
    through: date,
    since: date | None,
) -> list[PendingRun]:
    """The runs that bring each of ``members`` (ALL, and portfolio codes) up to ``through``, in date order.

    A member's days run from the day after its latest run — a portfolio's latest is the later of its own and
    ALL's, since an ALL run covers every portfolio — or from ``since`` (else ``through``) without any run.
    The ``unfinished`` runs (scope, date) are resumed on their own day, in their own scope. A day every member
    misses is one run of ``scope``; a day only some portfolios miss is one run per such portfolio.
    """

    def covers(run_scope: str, member: str) -> bool:
        return run_scope == member or (run_scope == ALL and member != ALL)

    def start(member: str) -> date:
        known = [day for run_scope, day in (*latest.items(), *unfinished) if covers(run_scope, member)]
        return max(known) + timedelta(days=1) if known else since or through

    starts = {member: start(member) for member in members}
    first = min([*starts.values(), *(day for _, day in unfinished)])
    plan: list[PendingRun] = []
    for offset in range((through - first).days + 1):
        day = first + timedelta(days=offset)
        resumed = [run_scope for run_scope, run_day_ in unfinished if run_day_ == day]
        missing = [m for m in members if starts[m] <= day and not any(covers(r, m) for r in resumed)]
        if not resumed and len(missing) == len(members):
            plan.append(PendingRun(day, scope))
            continue
        plan += [PendingRun(day, run_scope) for run_scope in resumed]
        plan += [PendingRun(day, member) for member in missing if member != ALL]
    return plan


def pending_runs(
    db: Database, through: date, portfolio: str | None = None, since: date | None = None, *, today: date | None = None
) -> list[PendingRun]:
    """Every run a catch-up of ``portfolio`` (default: all) up to ``through`` makes, in order: unfinished runs
    of an overlapping scope first on their day, then each day a portfolio in scope has not run
    (see :func:`catch_up_plan`); refused when ``through`` is after ``today``."""
    refuse_beyond(through, today)
    scope = portfolio or ALL
    with db.engine.connect() as connection:
        latest = runs.latest_completed(connection)
        unfinished = [(run.scope, run.as_of) for run in runs.unfinished(connection) if _overlaps(scope, run.scope)]
        members = [scope] if scope != ALL else [ALL, *runs.portfolios_in_play(connection)]
    return catch_up_plan(scope, members, latest, unfinished, through, since)


def run_through(
    db: Database,
    through: date,
    portfolio: str | None = None,
    since: date | None = None,
    *,
    today: date | None = None,
    **options: Any,
) -> list[RunResult]:
    """Catch up: make every run of :func:`pending_runs`, in order."""
    plan = pending_runs(db, through, portfolio, since, today=today)
    return [run_day(db, step.as_of, step.portfolio, today=today, **options) for step in plan]


def scheduled_run(db: Database, today: date) -> RunResult | None:
    """The daily run of ``today`` for every portfolio, as a server's scheduler starts it: None when a run of
    ``today`` (or later) has completed already — another server ran it — and :class:`RunRefused` while another
    server holds its lease. Several servers scheduling the same run therefore run it once."""
    with db.engine.connect() as connection:
        latest = runs.latest_completed(connection).get(ALL)
    if latest is not None and latest >= today:
        return None
    return run_day(db, today, workers=1, today=today)
