"""Milestone targets over the whole features frame: the vectorized twin of
:func:`arrears.domain.strategy.schemes.milestone_step` (a property test keeps the two in agreement).

The frame carries the features of each account and its milestone state (:data:`STATE_COLUMNS`, null when the
account was never in a scheme), plus ``held`` (the account's case is on hold) and ``reversed`` (a payment was
reversed today). :func:`milestone_moves` adds ``ms_move`` (a :class:`Move` value), ``ms_target`` (the
milestone after the move, 0-based) and ``ms_code`` (the scheme that applies to the account's portfolio).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

import polars as pl

from arrears.batch.conditions import to_polars
from arrears.domain.cases import Track
from arrears.domain.conditions import account_condition
from arrears.domain.strategy.schemes import BalanceBasis, DurationUnit, Move, Scheme, next_allowed, scheme_for

STATE_COLUMNS: Final = ("ms_scheme", "ms_index", "ms_reached_on", "ms_entry_balance", "ms_moved_on", "ms_resolved")
"""The stored milestone state of each account, as frame columns."""
STATE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "ms_scheme": pl.String(), "ms_index": pl.Int64(), "ms_reached_on": pl.Date(), "ms_entry_balance": pl.Int64(),
    "ms_moved_on": pl.Date(), "ms_resolved": pl.Boolean(),
}  # fmt: skip


def _condition(text: str | None) -> pl.Expr:
    return to_polars(account_condition(text)) if text is not None else pl.lit(True)


def _reaches(scheme: Scheme, index: int, basis: pl.Expr) -> pl.Expr:
    milestone = scheme.milestones[index]
    reached = to_polars(account_condition(milestone.reach_text()))
    if milestone.amount_cents is not None:
        reached = reached & (basis >= milestone.amount_cents)
    return reached


def _highest(scheme: Scheme, basis: pl.Expr) -> pl.Expr:
    found = pl.lit(None, dtype=pl.Int64())
    for index in range(len(scheme.milestones)):
        found = pl.when(_reaches(scheme, index, basis)).then(pl.lit(index, dtype=pl.Int64())).otherwise(found)
    return found


def _per_milestone(scheme: Scheme, current: pl.Expr, values: Iterable[pl.Expr]) -> pl.Expr:
    """The value of the current milestone's expression (``values`` in milestone order); null before the first."""
    result = pl.lit(None)
    for index, value in enumerate(values):
        result = pl.when(current == index).then(value).otherwise(result)
    return result


def _next_allowed(scheme: Scheme, frame: pl.DataFrame) -> pl.Series:
    """The first day the next milestone may be reached, per row: computed once per (milestone, day reached)
    with the domain's :func:`next_allowed` (business days need the holiday calendar)."""
    pairs = frame.select(index=pl.col("ms_index"), day=pl.col("ms_reached_on")).unique().drop_nulls()
    lookup = {
        (index, day): next_allowed(scheme, scheme.milestones[index], day)
        for index, day in pairs.iter_rows()
        if 0 <= index < len(scheme.milestones)
    }
    keys = zip(frame.get_column("ms_index").to_list(), frame.get_column("ms_reached_on").to_list(), strict=True)
    return pl.Series("ms_next_allowed", [lookup.get((i, d)) for i, d in keys], dtype=pl.Date())


def _scheme_moves(frame: pl.DataFrame, scheme: Scheme, as_of: date) -> pl.DataFrame:
    calendar_only = all(m.duration_unit is DurationUnit.CALENDAR for m in scheme.milestones)
    if calendar_only:
        durations = _per_milestone(scheme, pl.col("ms_index"), (pl.lit(m.duration_days) for m in scheme.milestones))
        frame = frame.with_columns(
            ms_next_allowed=pl.col("ms_reached_on") + pl.duration(days=durations.cast(pl.Int64()))
        )
    else:
        frame = frame.with_columns(_next_allowed(scheme, frame))
    balance = pl.col("balance")
    moved_today = pl.col("ms_moved_on").is_not_null() & (pl.col("ms_moved_on") >= as_of)
    in_scheme = (pl.col("ms_scheme") == scheme.code) & ~pl.col("ms_resolved").fill_null(False)
    in_scheme = in_scheme.fill_null(False)
    held = pl.col("held").fill_null(False)
    current = pl.col("ms_index")
    position = current.fill_null(-1)
    # out of the scheme
    enters = (balance > scheme.min_entry_cents).fill_null(False) & _condition(scheme.entry_condition) & ~held
    first_highest = _highest(scheme, balance)
    enter_target = first_highest if scheme.jump else pl.when(first_highest.is_not_null()).then(pl.lit(0))
    # in the scheme
    basis = pl.col("ms_entry_balance") if scheme.balance_basis is BalanceBasis.ENTRY else balance
    highest = _highest(scheme, basis)
    full = (balance <= 0).fill_null(False)
    formula = _per_milestone(
        scheme, current,
        (((balance < m.resolve_below_cents).fill_null(False) if m.resolve_below_cents is not None else pl.lit(False))
         | (_condition(m.resolve_condition) if m.resolve_condition is not None else pl.lit(False))
         for m in scheme.milestones),
    ).fill_null(False)  # fmt: skip
    backs = [scheme.index(m.reversal_milestone) if m.reversal_milestone else None for m in scheme.milestones]
    back = _per_milestone(scheme, current, (pl.lit(b, dtype=pl.Int64()) for b in backs))
    reversal = pl.col("reversed").fill_null(False) & back.is_not_null() & (back != current).fill_null(False)
    decrements = _per_milestone(
        scheme, current,
        (_condition(m.decrement_condition) if m.decrement_condition is not None else ~_reaches(scheme, i, basis)
         for i, m in enumerate(scheme.milestones)),
    ).fill_null(False)  # fmt: skip
    by_formula = _per_milestone(scheme, current, (pl.lit(m.decrement_condition is not None) for m in scheme.milestones))
    lower = pl.when(highest.is_not_null() & (highest < current)).then(highest)
    lower = pl.when(lower.is_null() & by_formula.fill_null(False) & (current > 0)).then(current - 1).otherwise(lower)
    rises = highest.is_not_null() & (highest > position)
    waits = pl.col("ms_next_allowed").is_not_null() & (pl.lit(as_of) < pl.col("ms_next_allowed"))
    up = highest if scheme.jump else position + 1
    frozen = held & pl.lit(not scheme.holds_auto_resolve)

    def move(value: Move) -> pl.Expr:
        return pl.lit(value.value)

    moved = (
        pl.when(moved_today).then(pl.struct(m=move(Move.STAY), t=current))
        .when(~in_scheme & enters).then(pl.struct(m=move(Move.ENTER), t=enter_target))
        .when(~in_scheme).then(pl.struct(m=move(Move.STAY), t=pl.lit(None, dtype=pl.Int64())))
        .when(frozen).then(pl.struct(m=move(Move.STAY), t=current))
        .when(full).then(pl.struct(m=move(Move.RESOLVE_FULL_PAYMENT), t=pl.lit(None, dtype=pl.Int64())))
        .when(formula).then(pl.struct(m=move(Move.RESOLVE_FORMULA), t=pl.lit(None, dtype=pl.Int64())))
        .when(reversal).then(pl.struct(m=move(Move.REVERSAL), t=back))
        .when(current.is_not_null() & decrements).then(pl.struct(m=move(Move.DECREMENT), t=lower))
        .when(held | ~rises | waits).then(pl.struct(m=move(Move.STAY), t=current))
        .otherwise(pl.struct(m=move(Move.INCREMENT), t=up))
    )  # fmt: skip
    frame = frame.with_columns(moved.alias("ms_step")).with_columns(
        ms_move=pl.col("ms_step").struct.field("m"),
        ms_target=pl.col("ms_step").struct.field("t").cast(pl.Int64()),
        ms_code=pl.lit(scheme.code),
    )
    return frame.drop("ms_step", "ms_next_allowed")


def milestone_moves(frame: pl.DataFrame, schemes: tuple[Scheme, ...], as_of: date) -> pl.DataFrame:
    """``frame`` with ``ms_move``, ``ms_target`` and ``ms_code`` for every account whose portfolio has an active
    guarantor scheme (``stay`` and nulls for the others)."""
    frame = frame.with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in STATE_SCHEMA.items() if name not in frame.columns
    )
    for name in ("held", "reversed"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(False).alias(name))
    empty = frame.with_columns(
        ms_move=pl.lit(Move.STAY.value), ms_target=pl.lit(None, dtype=pl.Int64()), ms_code=pl.lit(None, pl.String())
    )
    if not schemes or frame.is_empty():
        return empty
    codes = frame.get_column("portfolio").unique().to_list()
    by_scheme: dict[str, list[str]] = {}
    for code in codes:
        scheme = scheme_for(schemes, code, Track.GUARANTOR)
        if scheme is not None:
            by_scheme.setdefault(scheme.code, []).append(code)
    parts = [empty.filter(~pl.col("portfolio").is_in([c for cs in by_scheme.values() for c in cs]))]
    for scheme in schemes:
        if scheme.code in by_scheme:
            rows = frame.filter(pl.col("portfolio").is_in(by_scheme[scheme.code]))
            parts.append(_scheme_moves(rows, scheme, as_of))
    return pl.concat(parts, how="vertical_relaxed")
