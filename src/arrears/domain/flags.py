"""Compliance flags and representatives of a party and its debt, as a collector or an import sets them.

A flag is one of :data:`FLAGS`: each names the columns it sets (a party's flag and the date it took effect,
or a debt's fact) and whether a date is required. A role (:class:`~arrears.domain.compliance.PartyRole`) is a
representative on file to whom letters are redirected. :func:`flag_problems` checks a change before anything
is written; :func:`flag_values` gives the column values it writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from arrears.domain.compliance import PartyRole

Table = Literal["party", "account"]


@dataclass(frozen=True, slots=True)
class Flag:
    """What a flag sets: the table, the on/off column (empty when the date alone says it) and the date column."""

    table: Table
    column: str
    date_column: str
    date_required: bool
    """A date is required to set it (the rule reads the date, not only the flag)."""
    date_means: str
    """What the date is, in words (for help texts and history)."""


FLAGS: dict[str, Flag] = {
    "bankruptcy": Flag("party", "bankruptcy", "bankruptcy_filed", False, "filed"),
    "deceased": Flag("party", "deceased", "deceased_notified", False, "notified"),
    "cease_communication": Flag("party", "cease_communication", "cease_requested", False, "requested"),
    "attorney_represented": Flag("party", "attorney_represented", "", False, ""),
    "do_not_call": Flag("party", "do_not_call", "", False, ""),
    "dispute": Flag("party", "", "dispute_date", True, "disputed"),
    "dispute_verified": Flag("party", "", "dispute_verified", True, "verified"),
    "medical": Flag("account", "medical", "", False, ""),
    "first_bill": Flag("account", "", "first_bill_date", True, "first post-discharge bill"),
    "financial_assistance_applied": Flag("account", "", "assistance_applied_on", True, "applied"),
    "financial_assistance_decided": Flag("account", "", "assistance_decided_on", True, "decided"),
}
"""Every flag that can be set, by name."""

ROLES = tuple(role.value for role in PartyRole)

SHOWN_PARTY_FLAGS = ("deceased", "bankruptcy", "attorney_represented", "cease_communication", "do_not_call")
"""The party's on/off flags a page shows (with a dispute's date: :func:`shown_flags`)."""


def shown_flags(values: Mapping[str, object]) -> list[str]:
    """A party's flags as the account page and the worklist show them, from its columns: each flag that is on,
    then ``disputed DATE`` while a dispute is on file."""
    found = [name for name in SHOWN_PARTY_FLAGS if values.get(name)]
    disputed = values.get("dispute_date")
    return found + ([f"disputed {disputed}"] if disputed else [])


@dataclass(frozen=True, slots=True)
class FlagChange:
    """Set (or clear) one flag of an account's guarantor or debt, with the date it took effect."""

    account: str
    flag: str
    on: date | None = None
    clear: bool = False


@dataclass(frozen=True, slots=True)
class RoleChange:
    """Put a representative on file for an account's guarantor (or remove the one of that role)."""

    account: str
    role: str
    name: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    email: str = ""
    since: date | None = None
    remove: bool = False


def flag_problems(change: FlagChange) -> list[tuple[str, str]]:
    """(field, rule) for each rule a flag change breaks."""
    found = FLAGS.get(change.flag)
    if found is None:
        return [("flag", f"is not a flag (known: {', '.join(FLAGS)}, or a role: {', '.join(ROLES)})")]
    if found.date_required and not change.clear and change.on is None:
        return [("date", f"is required to set {change.flag} (the day {found.date_means})")]
    if not found.date_column and change.on is not None:
        return [("date", f"{change.flag} has no date of its own")]
    return []


def role_problems(change: RoleChange) -> list[tuple[str, str]]:
    """(field, rule) for each rule a role change breaks."""
    if change.role not in ROLES:
        return [("role", f"is not a role (known: {', '.join(ROLES)})")]
    if not change.remove and not change.name.strip():
        return [("name", f"is required for the {change.role.replace('_', ' ')}")]
    return []


def flag_values(change: FlagChange) -> dict[str, object]:
    """The columns a flag change writes, with their new values."""
    flag = FLAGS[change.flag]
    values: dict[str, object] = {}
    if flag.column:
        values[flag.column] = not change.clear
    if flag.date_column:
        values[flag.date_column] = None if change.clear else change.on
    return values


def describe(change: FlagChange) -> str:
    """A flag change in words, for the account's history."""
    flag = FLAGS[change.flag]
    if change.clear:
        return f"{change.flag.replace('_', ' ')} cleared"
    when = f" {flag.date_means} {change.on}" if change.on is not None and flag.date_means else ""
    return f"{change.flag.replace('_', ' ')} set{when}"
