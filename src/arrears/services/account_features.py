"""One account's features on a date as the daily run decides them, read and evaluated without frames.

``explain`` shows one account; reading it through the run's Polars frames
(:func:`arrears.services.features.features_frame`) would load a frame library for a single row. This reads the
same facts as Python values (:mod:`arrears.store.account_features`) and evaluates them with the per-account
twin of the run's rules (:mod:`arrears.domain.features`); a property test checks the two give the same row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from arrears.domain import features
from arrears.domain.strategy import Strategy
from arrears.store.account_features import account_row, recent_guarantor_payments
from arrears.store.db import Connection


def account_features(connection: Connection, strategy: Strategy, as_of: date, account_id: int) -> dict[str, Any] | None:
    """The account's row of :func:`arrears.services.features.features_frame` (details and assignment
    included) on ``as_of``, or None when there is no such account."""
    row = account_row(connection, account_id)
    if row is None:
        return None
    rules = None if row["portfolio"] is None else strategy.entry_policy.effective_rules(row["portfolio"])
    window = rules.payment_window_days if rules is not None else 0
    payments = recent_guarantor_payments(connection, account_id, as_of, window)
    evaluated = features.evaluate_entry(features.derive(row, as_of), strategy, payments, as_of)
    return features.assign(evaluated, strategy)
