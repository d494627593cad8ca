"""Promises judged at once (vectorized, with the domain's rule as its twin): when payments and payment
reversals post (:func:`judge_postings`), and in the daily run by the clock (:func:`judge_chunk`); and the promises
that stand for a decision made between runs. Kept apart from the promise use
cases so that a collector's commands do not load the frame library."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from arrears.batch.promises import judge_frame
from arrears.domain.effects import ENDED_BY_CLOSE, PromiseUpdate
from arrears.domain.engine import PromiseJudged, StandingPromise
from arrears.domain.promises import (
    OPEN_PROMISE,
    Outcome,
    PromiseState,
    PromiseStatus,
    PromiseTerms,
    Repeat,
    installment_due,
    judge,
    reversed_judgement,
)
from arrears.services.promises import repeat_of, terms_of
from arrears.store import promise_frames
from arrears.store import promises as store
from arrears.store.db import Connection

_ENDED = frozenset({PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.COMPLETED})
_FLAGS = ((Outcome.KEPT, "kept"), (Outcome.PARTIAL, "partial"), (Outcome.BROKEN, "broken"),
          (Outcome.COMPLETED, "completed"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class PromiseDay:
    """What the day does to the promises of a chunk: the judged promises by account (triggers of the engine) and
    the promises that still stand afterwards, by account."""

    judged: dict[int, list[PromiseJudged]]
    standing: dict[int, tuple[StandingPromise, ...]]


def _repeat_columns(row: dict[str, Any]) -> Repeat | None:
    return repeat_of(row["repeat_period"], row["repeat_days"])


def standing_promises(connection: Connection, first: int, last: int) -> dict[int, tuple[StandingPromise, ...]]:
    """The promises standing now (open or partially kept) of the accounts with ids in [first, last], by account,
    for a decision made between daily runs (a posting), which judges no promise."""
    standing: dict[int, list[StandingPromise]] = {}
    frame = promise_frames.open_promises(connection, first, last)
    for row in frame.iter_rows(named=True):
        state = PromiseState(row["installment"], row["paid"], PromiseStatus(row["status"]))
        standing.setdefault(row["account_id"], []).append(_standing(row, state))
    return {account_id: tuple(promises) for account_id, promises in standing.items()}


def _standing(row: dict[str, Any], state: PromiseState) -> StandingPromise:
    """A standing promise from a row of the open promises' frame, in ``state``."""
    repeat = _repeat_columns(row)
    due = installment_due(row["first_due"], repeat, state.installment)
    return StandingPromise(row["promise_id"], row["created_on"], row["key"], repeat is not None, state, due)


def judge_chunk(connection: Connection, as_of: date, first: int, last: int, balances: pl.DataFrame) -> PromiseDay:
    """Judge the open promises of the accounts with ids in [first, last] on ``as_of``, vectorized, as the daily
    run does: every open promise is judged at once by the clock and the balance
    (:func:`arrears.batch.promises.judge_frame`: broken past its window, completed when the account is paid in
    full), the promises a payment reversal (NSF) of a counted payment posted that day touches and that its posting
    did not judge are judged again over the payments that still stand, and the open promises of a closed account
    are cancelled instead. Payments count toward promises when they post (:func:`judge_postings`), never here.
    ``balances``: account_id, balance, mode."""
    frame = promise_frames.open_promises(connection, first, last)
    reversals = store.reversed_today(connection, first, last, as_of)
    if frame.is_empty() and not reversals:
        return PromiseDay({}, {})
    return _judge(connection, as_of, frame, _NO_PAYMENTS, reversals, balances, {})


def judge_postings(
    connection: Connection, on: date, payments: pl.DataFrame, reversal_ids: Sequence[int], balances: pl.DataFrame
) -> PromiseDay:
    """Judge, when they post on ``on``, the promises that guarantor payments and payment reversals (NSF) touch,
    vectorized over their accounts with the run's rule: a day's payments of an account (``payments``: account_id,
    line_id, cents) go to its oldest open promise, a payment already counted toward a promise is not counted
    again, and the promises whose counted payments the reversals of ``reversal_ids`` take back are judged again
    over the payments that still stand. ``standing`` has every account of ``payments`` and of the reversals
    whose promises still stand. ``balances``: account_id, balance, mode."""
    reversals = store.reversals_of(connection, reversal_ids)
    accounts = payments.get_column("account_id").unique().to_list()
    if not accounts and not reversals:
        return PromiseDay({}, {})
    frame = promise_frames.open_promises(connection, min(accounts, default=0), max(accounts, default=-1))
    frame = frame.filter(pl.col("account_id").is_in(accounts))
    facts = {account: f"line:{line}" for account, line in
             payments.group_by("account_id").agg(pl.col("line_id").min()).iter_rows()}  # fmt: skip
    facts |= {account: f"line:{line}" for account, line in store.reversal_accounts(connection, reversal_ids)}
    return _judge(connection, on, frame, payments, reversals, balances, facts)


_NO_PAYMENTS = pl.DataFrame(schema={"account_id": pl.Int64, "line_id": pl.Int64, "cents": pl.Int64})


def _judge(
    connection: Connection, as_of: date, frame: pl.DataFrame, payments: pl.DataFrame,
    reversals: list[tuple[int, int, int]], balances: pl.DataFrame, facts: Mapping[int, str],
) -> PromiseDay:
    """The open promises of ``frame`` judged on ``as_of`` with ``payments`` counted toward each account's oldest
    open promise, and the promises ``reversals`` touch judged again; ``facts``: the posting that judged them, by
    account (empty in the run)."""
    takers = frame.group_by("account_id").agg(pl.col("promise_id").min().alias("taker"))
    pay = payments.join(takers, on="account_id")
    done = store.counted_lines(connection, pay.get_column("line_id").to_list())
    if done:  # a payment counts once, toward one promise
        pay = pay.filter(~pl.col("line_id").is_in(sorted(line for _, line in done)))
    lines: dict[int, list[tuple[int, int]]] = {}
    for taker, line_id, cents in pay.select("taker", "line_id", "cents").iter_rows():
        lines.setdefault(taker, []).append((line_id, cents))
    paid = pay.group_by("taker").agg(pl.col("cents").sum().alias("paid_today")).rename({"taker": "promise_id"})
    reversed_ids = {promise_id for promise_id, _, _ in reversals}
    frame = (
        frame.filter(~pl.col("promise_id").is_in(list(reversed_ids)))
        .join(paid, on="promise_id", how="left")
        .with_columns(pl.col("paid_today").fill_null(0))
        .join(balances.select("account_id", "balance", "mode"), on="account_id")  # the run's scope
    )
    closed = frame.filter(pl.col("mode") == "closed")
    judged_frame = judge_frame(frame.filter(pl.col("mode") != "closed"), as_of)
    changed = judged_frame.filter(pl.any_horizontal("kept", "partial", "broken", "completed"))
    judged: dict[int, list[PromiseJudged]] = {}
    still: dict[int, list[StandingPromise]] = {}
    for row in closed.iter_rows(named=True):
        terms = PromiseTerms(row["amount"], row["first_due"], _repeat_columns(row), row["grace"], row["advance"])
        update = PromiseUpdate(
            f"promise:{row['promise_id']}:{as_of}", row["promise_id"], PromiseStatus.CANCELLED.value,
            row["installment"], row["paid"], terms.due(row["installment"]), True,
            (row["status"], row["installment"], row["paid"]), ended_by=ENDED_BY_CLOSE,
        )  # fmt: skip
        judged.setdefault(row["account_id"], []).append(
            PromiseJudged(row["promise_id"], row["key"], (), f"cancelled: the account is closed on {as_of}", update,
                          row["created_on"], facts.get(row["account_id"], ""))
        )  # fmt: skip
    for row in judged_frame.filter(pl.col("new_status").is_in([s.value for s in OPEN_PROMISE])).iter_rows(named=True):
        state = PromiseState(row["new_installment"], row["new_paid"], PromiseStatus(row["new_status"]))
        still.setdefault(row["account_id"], []).append(_standing(row, state))
    for row in changed.iter_rows(named=True):
        terms = PromiseTerms(row["amount"], row["first_due"], _repeat_columns(row), row["grace"], row["advance"])
        state = PromiseState(row["installment"], row["paid"], PromiseStatus(row["status"]))
        # The frame decided; the domain rule (held to agree with it) words the history line.
        worded = judge(terms, state, row["paid_today"], as_of, row["balance"])
        status = PromiseStatus(row["new_status"])
        counted = tuple((line, cents, row["installment"]) for line, cents in lines.get(row["promise_id"], ()))
        update = PromiseUpdate(
            f"promise:{row['promise_id']}:{as_of}", row["promise_id"], status.value, row["new_installment"],
            row["new_paid"], row["new_due"], status in _ENDED, (row["status"], row["installment"], row["paid"]),
            counted,
        )  # fmt: skip
        outcomes = tuple(o for o, name in _FLAGS if row[name])
        judged.setdefault(row["account_id"], []).append(
            PromiseJudged(row["promise_id"], row["key"], outcomes, worded.detail, update, row["created_on"],
                          facts.get(row["account_id"], ""))
        )
    _judge_reversals(connection, as_of, reversals, lines, judged, still, facts)
    return PromiseDay(judged, {account: tuple(found) for account, found in still.items()})


def _judge_reversals(
    connection: Connection, as_of: date, reversals: list[tuple[int, int, int]], lines: dict[int, list[tuple[int, int]]],
    judged: dict[int, list[PromiseJudged]], still: dict[int, list[StandingPromise]], facts: Mapping[int, str],
) -> None:
    """Promises a payment reversal touches today: judged again over the payments that still stand (today's
    new ones included)."""
    if not reversals:
        return
    ids = sorted({promise_id for promise_id, _, _ in reversals})
    gone: dict[int, set[int]] = {}
    cents_back: dict[int, int] = {}
    for promise_id, line_id, cents in reversals:
        gone.setdefault(promise_id, set()).add(line_id)
        cents_back[promise_id] = cents_back.get(promise_id, 0) + cents
    standing: dict[int, list[tuple[date, int]]] = {}
    for promise_id, line_id, day, cents in store.standing_payments(connection, ids):
        if line_id not in gone[promise_id]:
            standing.setdefault(promise_id, []).append((day, cents))
    for row in store.promise_rows(connection, ids):
        terms = terms_of(row)
        state = PromiseState(row.installment, row.paid_cents, PromiseStatus(row.status))
        new = lines.get(row.id, [])
        worded = reversed_judgement(terms, state, [*standing.get(row.id, []), *((as_of, c) for _, c in new)],
                                    cents_back[row.id], as_of)  # fmt: skip
        after = worded.state
        update = PromiseUpdate(
            f"promise:{row.id}:{as_of}", row.id, after.status.value, after.installment, after.paid_cents,
            terms.due(after.installment), after.status in _ENDED, (row.status, row.installment, row.paid_cents),
            tuple((line, cents, row.installment) for line, cents in new), tuple(sorted(gone[row.id])),
        )  # fmt: skip
        judged.setdefault(row.account_id, []).append(
            PromiseJudged(row.id, row.key, worded.outcomes, worded.detail, update, row.created_on,
                          facts.get(row.account_id, ""))
        )
        if after.status in OPEN_PROMISE:
            still.setdefault(row.account_id, []).append(StandingPromise(
                row.id, row.created_on, row.key, terms.repeat is not None, after, terms.due(after.installment)))


