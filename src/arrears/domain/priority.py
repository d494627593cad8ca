"""The priority of work (seed 002): its range, its bands in the worklist and the default.

Actions, series steps, plan events and follow-ups all carry one; kept in a module of its own (no other
imports) so the command line can show the default in ``--help`` without loading the plans and conditions.
"""

from __future__ import annotations

from typing import Final

PRIORITY_MIN, PRIORITY_MAX = 1, 99
PRIORITY_BANDS: Final = ((66, 99, "high"), (34, 65, "medium"), (1, 33, "low"))
"""Seed 002: "66 to 99 High, 34 to 65 Medium, 1 to 33 Low"."""
DEFAULT_PRIORITY = 50
"""The priority of work that names none: actions, series steps, plan events and follow-ups alike."""


def priority_band(priority: int) -> str:
    """The worklist band of a priority: high (66–99), medium (34–65) or low (1–33)."""
    return next((name for low, high, name in PRIORITY_BANDS if low <= priority <= high), "low")
