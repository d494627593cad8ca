"""What a letter is about, as the run and the letter pages gather it: the data a template's merge fields are read
from (:mod:`arrears.letters.render` renders it; this module needs no template engine, so the run and ``explain``
load none)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from arrears.domain.itemization import Itemization
from arrears.domain.ledger import PlanStanding, Position
from arrears.domain.promises import PromiseOnFile


@dataclass(frozen=True, slots=True)
class MergeData:
    """What a letter is about: the guarantor, the account, its position and portfolio, on a date."""

    party: Mapping[str, str]
    """first_name, last_name, address1, address2, city, state, postal_code."""
    external_id: str
    status_code: str
    portfolio_code: str
    portfolio_name: str
    position: Position
    as_of: date
    extra: Mapping[str, Any] = field(default_factory=dict)
    letterhead: Mapping[str, str] = field(default_factory=dict)
    """The portfolio's address1, address2, city, state, postal_code, phone and logo (a data: URI)."""
    itemization: Itemization | None = None
    """None: nothing was itemized (the letter's date is the itemization date and the balance its total)."""
    plan: PlanStanding | None = None
    """The account's active payment plan on the letter's date, None without one."""
    representatives: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """The guarantor's representatives on file by role (``attorney``, ``estate_representative``): name,
    address1, address2, city, state, postal_code; a letter redirected to one is addressed to it."""
    promise: PromiseOnFile | None = None
    """The account's oldest promise to pay that stands on the letter's date, None without one."""
