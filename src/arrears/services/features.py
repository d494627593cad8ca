"""The features of a range of accounts on a date, as the daily run reads and derives them: one frame with the
entry, resolution and assignment columns. The account listings, a collector's action and a posting read
accounts through it, so that what they show is what the run decides; it is apart from the run so that they load
none of the run's writing. (``explain`` reads its one account with :mod:`arrears.services.account_features`,
the per-account twin, which gives the same row without frames.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from arrears.batch import features, rules
from arrears.domain.strategy import Strategy, condition_fields
from arrears.store import features as store_features
from arrears.store.db import Connection


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
    fields: Iterable[str] = (),
) -> pl.DataFrame:
    """Accounts with ids in [first, last] with their features, entry, resolution and assignment columns;
    without ``details`` only the columns the rules read (:data:`arrears.store.features.CORE_COLUMNS`) and the
    fields the strategy's conditions read (and ``fields``); without ``assignment`` no assignment columns (the
    run assigns only the accounts that enter)."""
    if details:
        frame = store_features.read_accounts(connection, first, last, portfolio_id)
    else:
        extra = features.detail_columns({*condition_fields(strategy), *fields})
        frame = store_features.read_core(connection, first, last, portfolio_id, extra)
    frame = features.derive(frame, as_of)
    codes = frame.get_column("portfolio").unique().to_list()
    window = rules.largest_window_days(strategy, codes)
    payments = store_features.read_recent_guarantor_payments(connection, first, last, as_of, window)
    frame = rules.evaluate_entry(frame, strategy, payments, as_of)
    return rules.assign(frame, strategy) if assignment else frame
