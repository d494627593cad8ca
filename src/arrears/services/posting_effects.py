"""What happens when a transaction posts, in the posting's transaction, on every way a transaction posts: one
posting (:func:`arrears.services.accounts.post_transaction`, ``reverse_payment``) and the CSV import of
transactions (:mod:`arrears.services.importing`).

- **Promises** (the promises issue): a guarantor payment counts toward the account's oldest open promise and a
  payment reversal (NSF) of a counted payment takes it back; the promises they touch are judged at once with the
  run's vectorized rule (:func:`arrears.services.promise_judging.judge_postings`), their verdicts written with
  their history, and each outcome's contact plan run. A payment is counted once: the daily run counts no payment,
  it judges promises by the clock and the balance only.
- **Milestones** (seed 004): a payment, an adjustment, a write-off or a reversal decrements or resolves the
  account in its scheme, and a reversal returns it to its milestone's reversal milestone, with the moves'
  actions (:data:`POSTING_MOVES`); the account moves at most once a day, so the run of that day moves it no more.
- **Contact plans** (seed 002): a transaction of a type linked to a plan (configured transaction types: code,
  ledger kind, plan; a payment type is the payment-posted trigger) runs its plan, keyed by the ledger line
  (``line:ID``), so it runs once per transaction and the run does not run it again.

Everything is decided by :func:`arrears.domain.engine.decide`, one decision per account and posting date with
all of that day's triggers, on the posting date, and written with the run's keyed writer. A posting an account's
configuration cannot decide is refused with the reason (nothing is written). Lines the engine itself posts (fees,
plan transactions, milestone charges) have none of these effects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from arrears.domain.effects import Message
from arrears.domain.engine import Decisions, PlanRunRequested, StandingPromise, Trigger
from arrears.domain.errors import ValidationFailed
from arrears.domain.ledger import Kind, Source
from arrears.domain.strategy import Strategy
from arrears.domain.strategy.schemes import Move
from arrears.letters.records import merge_record
from arrears.services.compliance import guarded_facts
from arrears.services.features import features_frame
from arrears.services.letters import merge_data_for
from arrears.services.promise_judging import PromiseDay, judge_postings, standing_promises
from arrears.services.run import AccountError, decide_row, milestone_triggers, pending_work
from arrears.services.run import with_milestones as milestones_of
from arrears.store import promises as store_promises
from arrears.store.db import Connection
from arrears.store.ledger import lines_posted_since
from arrears.store.run_writer import write_decisions

SETTLING_KINDS = frozenset({Kind.PAYMENT, Kind.ADJUSTMENT, Kind.WRITE_OFF, Kind.REVERSAL})
"""Postings that decrement or resolve an account in its milestone scheme when they post (seed 004)."""
POSTING_MOVES = frozenset({Move.DECREMENT, Move.RESOLVE_FULL_PAYMENT, Move.RESOLVE_FORMULA, Move.REVERSAL})
"""The moves a posting makes: entering and incrementing wait for the daily run."""
_LINES = {"account_id": pl.Int64, "line_id": pl.Int64, "kind": pl.String, "cents": pl.Int64, "posted": pl.Date,
          "source": pl.String}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostedLine:
    """A ledger line that has just posted: its account, id, kind, amount in cents, posted date and source."""

    account_id: int
    line_id: int
    kind: str
    amount_cents: int
    posted: date
    source: str | None = None


def after_posting(connection: Connection, strategy: Strategy, lines: Sequence[PostedLine]) -> Counter[str]:
    """Do what posting ``lines`` makes happen (see the module docstring), in the caller's transaction; what was
    written, counted."""
    rows = [(x.account_id, x.line_id, str(x.kind), x.amount_cents, x.posted, x.source) for x in lines]
    return _apply(connection, strategy, pl.DataFrame(rows, schema=_LINES, orient="row"))


def after_import(
    connection: Connection, strategy: Strategy, account_ids: Collection[int], since_line_id: int
) -> Counter[str]:
    """Do what the lines an import has just written make happen, vectorized over the imported accounts: the
    lines with ids above ``since_line_id`` (the highest id before the import's write) of ``account_ids``, posting
    date by posting date. A replayed file writes no line, so it makes nothing happen twice."""
    kinds = set(strategy.transaction_plans())
    if strategy.schemes:
        kinds |= {kind.value for kind in SETTLING_KINDS}
    if store_promises.any_promise(connection):
        kinds |= {Kind.PAYMENT.value, Kind.REVERSAL.value}
    found = lines_posted_since(connection, since_line_id, kinds)
    frame = pl.DataFrame(found, schema=_LINES, orient="row").filter(pl.col("account_id").is_in(list(account_ids)))
    return _apply(connection, strategy, frame)


def _apply(connection: Connection, strategy: Strategy, lines: pl.DataFrame) -> Counter[str]:
    """The effects of ``lines`` (columns of :data:`_LINES`), one posting date at a time in date order, so that a
    day's promise verdicts are what the next day's payments are judged against."""
    counts: Counter[str] = Counter()
    if lines.is_empty():
        return counts
    linked = strategy.transaction_plans()
    promises = store_promises.any_promise(connection)
    settling = [kind.value for kind in SETTLING_KINDS]
    # A scheme moves an account once a day: on the last day it had a settling line, with the balance it has now.
    settle_on: dict[int, tuple[date, bool]] = {}
    if strategy.schemes:
        last = lines.filter(pl.col("kind").is_in(settling)).group_by("account_id").agg(
            pl.col("posted").max(), (pl.col("kind") == Kind.REVERSAL.value).any().alias("reversal"))  # fmt: skip
        settle_on = {account: (day, reversal) for account, day, reversal in last.iter_rows()}
    for (on,), day in lines.sort("posted", "line_id").group_by("posted", maintain_order=True):
        assert isinstance(on, date)
        moving = {account: reversal for account, (when, reversal) in settle_on.items() if when == on}
        counts += _day(connection, strategy, on, day, linked, promises, moving)
    return counts


def _day(
    connection: Connection, strategy: Strategy, on: date, lines: pl.DataFrame, linked: dict[str, str],
    promises: bool, moving: dict[int, bool],
) -> Counter[str]:
    """The effects of the lines posted on ``on``; ``moving``: the accounts settled in their scheme that day
    (True: a reversal returns it)."""
    plans: dict[int, list[PlanRunRequested]] = {}
    for account_id, line_id, kind in lines.filter(pl.col("kind").is_in(list(linked))).select(
            "account_id", "line_id", "kind").iter_rows():  # fmt: skip
        plans.setdefault(account_id, []).append(PlanRunRequested(f"line:{line_id}", linked[kind]))
    payments = pl.DataFrame(schema={"account_id": pl.Int64, "line_id": pl.Int64, "cents": pl.Int64})
    reversal_ids: list[int] = []
    if promises:
        guarantor = (pl.col("kind") == Kind.PAYMENT.value) & (pl.col("source") == Source.GUARANTOR.value)
        payments = lines.filter(guarantor).select("account_id", "line_id", pl.col("cents").abs())
        reversal_ids = lines.filter(pl.col("kind") == Kind.REVERSAL.value).get_column("line_id").to_list()
    judging = set(payments.get_column("account_id").to_list())
    judging |= set(lines.filter(pl.col("line_id").is_in(reversal_ids)).get_column("account_id").to_list())
    accounts = sorted(set(plans) | set(moving) | judging)
    if not accounts:
        return Counter()
    frame = features_frame(connection, strategy, on, accounts[0], accounts[-1], None)
    frame = frame.filter(pl.col("account_id").is_in(accounts))
    if moving:
        returned = {account: True for account, reversal in moving.items() if reversal}
        frame = milestones_of(connection, frame, strategy, on, (accounts[0], accounts[-1]), returned)
    promised = (
        judge_postings(connection, on, payments, reversal_ids, frame.select("account_id", "balance", "mode"))
        if judging else PromiseDay({}, {})
    )  # fmt: skip
    triggers: dict[int, list[Trigger]] = {}
    for row in frame.iter_rows(named=True):
        account_id = row["account_id"]
        found: list[Trigger] = []
        if account_id in moving:
            found += [t for t in milestone_triggers(row, strategy) if t.move in POSTING_MOVES]
        found += plans.get(account_id, [])
        found += promised.judged.get(account_id, [])
        if found:
            triggers[account_id] = found
    if not triggers:
        return Counter()
    decided = sorted(triggers)
    standing: dict[int, tuple[StandingPromise, ...]] = dict(standing_promises(connection, decided[0], decided[-1]))
    for account_id in judging:  # judged today: what still stands after the verdicts
        standing[account_id] = promised.standing.get(account_id, ())
    portfolios = dict(frame.select("account_id", "portfolio").iter_rows())
    facts: dict[str, Any] = {
        "due": {}, "pending": pending_work(connection, decided), "standing": standing,
        "contact": guarded_facts(connection, strategy, {a: portfolios[a] for a in decided}, on),
    }  # fmt: skip
    decisions: list[Decisions] = []
    for row in frame.filter(pl.col("account_id").is_in(decided)).iter_rows(named=True):
        result = decide_row(row, facts, strategy, on, tuple(triggers[row["account_id"]]))
        if isinstance(result, AccountError):  # the posting is refused with it: nothing is written
            raise ValidationFailed([result.as_problem()])
        decisions.append(result)
    lettered = [d.account_id for d in decisions if any(isinstance(e, Message) for e in d.effects)]
    merge = {account_id: merge_record(data) for account_id, data in merge_data_for(connection, lettered, on).items()}
    counts = write_decisions(connection, None, on, decisions, merge)
    counts["promises_judged"] += sum(len(found) for found in promised.judged.values())
    counts["plans_run"] += sum(len(found) for found in plans.values())
    return counts

