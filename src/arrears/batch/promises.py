"""Promises judged over a frame: :func:`arrears.domain.promises.judge` for every open promise at once.

The daily run reads its chunk's open promises with the day's guarantor payments not yet counted toward them
and the account's balance, and judges them here in one pass of column expressions; a property test
(tests/batch/test_promises_polars.py) holds this twin to the domain rule.

Input columns: ``amount``, ``first_due``, ``installment``, ``paid``, ``status``, ``grace``, ``repeat_period``
(``weekly``/``biweekly``/``monthly`` or null), ``repeat_days`` (every N days, or null), ``advance``,
``paid_today`` and ``balance`` (null: not known). Added: ``new_installment``, ``new_paid``, ``new_status``,
``new_due``, ``periods`` and the outcome flags ``kept``, ``partial``, ``broken``, ``completed``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from arrears.domain.promises import OPEN_PROMISE, PERIOD_DAYS, PERIOD_MONTHS, PromiseStatus


def _due(installment: pl.Expr) -> pl.Expr:
    """The due date of ``installment``, counted from the first due date (months clamped to the month's end)."""
    period = pl.col("repeat_period")
    step = (
        pl.when(period.is_in(list(PERIOD_DAYS)))
        .then(period.replace_strict(dict(PERIOD_DAYS), default=0, return_dtype=pl.Int64))
        .otherwise(pl.col("repeat_days").fill_null(0).cast(pl.Int64))
    )
    months = period.replace_strict(dict(PERIOD_MONTHS), default=0, return_dtype=pl.Int64) * installment
    by_days = pl.col("first_due") + pl.duration(days=step * installment)
    by_months = pl.col("first_due").dt.offset_by(pl.format("{}mo", months))
    return (
        pl.when(installment == 0).then(pl.col("first_due"))
        .when(period.is_in(list(PERIOD_MONTHS))).then(by_months)
        .otherwise(by_days)
    )  # fmt: skip


def judge_frame(frame: pl.DataFrame, on: date) -> pl.DataFrame:
    """Each promise of ``frame`` judged on ``on`` (see the module docstring for the columns)."""
    open_ = pl.col("status").is_in([s.value for s in OPEN_PROMISE])
    repeats = pl.col("repeat_period").is_not_null() | pl.col("repeat_days").is_not_null()
    end = _due(pl.col("installment")) + pl.duration(days=pl.col("grace"))
    total = pl.col("paid") + pl.col("paid_today")
    late = open_ & (pl.lit(on) > end)
    paying = open_ & ~late & (pl.col("paid_today") > 0)
    partial = paying & (total < pl.col("amount"))
    kept = paying & (total >= pl.col("amount"))
    advancing = kept & repeats & pl.col("advance")
    periods = (
        pl.when(advancing).then(total // pl.col("amount"))
        .when(kept).then(1)
        .otherwise(0)
    )  # fmt: skip
    frame = frame.with_columns(
        _late=late, _partial=partial, kept=kept, _repeats=repeats, periods=periods.cast(pl.Int64),
        _advancing=advancing, _total=total,
    )
    moved = pl.col("kept") & pl.col("_repeats")
    new_installment = pl.when(moved).then(pl.col("installment") + pl.col("periods")).otherwise(pl.col("installment"))
    carried = pl.when(pl.col("_advancing")).then(pl.col("_total") - pl.col("periods") * pl.col("amount")).otherwise(0)
    new_paid = (
        pl.when(moved).then(carried)
        .when(pl.col("kept") | pl.col("_partial")).then(pl.col("_total"))
        .otherwise(pl.col("paid"))
    )  # fmt: skip
    status = (
        pl.when(pl.col("_late")).then(pl.lit(PromiseStatus.BROKEN.value))
        .when(pl.col("_partial")).then(pl.lit(PromiseStatus.PARTIAL.value))
        .when(moved & (carried > 0)).then(pl.lit(PromiseStatus.PARTIAL.value))
        .when(moved).then(pl.lit(PromiseStatus.OPEN.value))
        .when(pl.col("kept")).then(pl.lit(PromiseStatus.KEPT.value))
        .otherwise(pl.col("status"))
    )  # fmt: skip
    frame = frame.with_columns(new_installment=new_installment, new_paid=new_paid, new_status=status)
    completed = (
        pl.col("status").is_in([s.value for s in OPEN_PROMISE])
        & (pl.col("new_status") != PromiseStatus.BROKEN.value)
        & (pl.col("balance") <= 0).fill_null(False)
    )
    frame = frame.with_columns(completed=completed).with_columns(
        new_status=pl.when(pl.col("completed")).then(pl.lit(PromiseStatus.COMPLETED.value))
        .otherwise(pl.col("new_status")),
        new_due=_due(pl.col("new_installment")),
        partial=pl.col("_partial"),
        broken=pl.col("_late"),
    )  # fmt: skip
    return frame.drop("_late", "_partial", "_repeats", "_advancing", "_total")
