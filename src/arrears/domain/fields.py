"""The catalogue of account fields a condition can read.

Every field is a column of the daily run's features frame (one row per account) and a key of the
single-account mapping used in interactive evaluation. The representation is the same in both places:

- ``money``: integer **cents** (``Int64`` in the frame); a condition writes dollars (``balance > $500``)
- ``int``: a whole number (``Int64``)
- ``date``: ``datetime.date`` (``Date``)
- ``bool``: ``True`` / ``False`` (``Boolean``)
- ``text``: ``str`` (``String``), compared case-sensitively

A missing value is ``None`` (a null in the frame).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, get_args

FieldType = Literal["money", "int", "date", "bool", "text"]
FIELD_TYPES: Final[tuple[FieldType, ...]] = get_args(FieldType)

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Field:
    """One readable account field: its name in conditions, its type and what it means."""

    name: str
    type: FieldType
    meaning: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(
                f"field name {self.name!r} must be lower case letters, digits and '_', starting with a letter"
            )
        if self.type not in FIELD_TYPES:
            raise ValueError(
                f"field {self.name!r} has type {self.type!r}; the type must be one of {', '.join(FIELD_TYPES)}"
            )


def field_catalogue(fields: Iterable[Field]) -> Mapping[str, Field]:
    """Return a read-only name → field mapping; a name given twice is an error."""
    by_name: dict[str, Field] = {}
    for f in fields:
        if f.name in by_name:
            raise ValueError(f"field {f.name!r} is defined twice")
        by_name[f.name] = f
    return MappingProxyType(by_name)


ACCOUNT_FIELDS: Final[Mapping[str, Field]] = field_catalogue(
    (
        Field("balance", "money", "Guarantor balance: what the account owes now."),
        Field(
            "days_past_due",
            "int",
            "Days since the oldest unpaid due date as of the run date; 0 if nothing is past due.",
        ),
        Field("oldest_unpaid_due_date", "date", "Due date of the oldest charge that is not fully paid."),
        Field("last_payment_date", "date", "Date of the most recent payment."),
        Field("last_payment_amount", "money", "Amount of the most recent payment."),
        Field("days_since_last_payment", "int", "Days from the most recent payment to the run date."),
        Field(
            "largest_payment",
            "money",
            "Largest standing guarantor payment in the entry policy's payment window (the last D days); 0 if none.",
        ),
        Field(
            "required_payment",
            "money",
            "The payment that keeps the account out of collections under its entry policy: max($Y, Z% of the "
            "balance, rounded up to the cent); missing when the portfolio's collections are off.",
        ),
        Field("on_payment_plan", "bool", "The account has an active payment plan."),
        Field("payment_plan_delinquent", "bool", "An installment of the payment plan is missed (past grace)."),
        Field("portfolio", "text", "Portfolio code (practice, client, division) the account belongs to."),
        Field("status_code", "text", "Current account status code."),
        Field("mode", "text", "Account mode: 'active' or 'closed'."),
        Field("guarantor_last_name", "text", "Last name of the guarantor (the person who owes)."),
        Field("guarantor_state", "text", "US state of the guarantor's address, two letters (e.g. 'TX')."),
        Field("deceased", "bool", "The guarantor is deceased."),
        Field("bankruptcy", "bool", "The guarantor is in bankruptcy."),
        Field("attorney_represented", "bool", "The guarantor is represented by an attorney."),
        Field("cease_communication", "bool", "The guarantor asked that communication cease."),
        Field("disputed", "bool", "The debt is disputed."),
        Field("do_not_call", "bool", "The guarantor must not be called."),
        Field("in_collections", "bool", "The account is in internal collections."),
        Field("days_in_collections", "int", "Days since the account entered collections."),
        Field("collector", "text", "Code of the collector the account is assigned to."),
        Field("insurance_balance", "money", "Unpaid insurance claim amounts on the account."),
        Field("oldest_claim_age_days", "int", "Age in days of the oldest open insurance claim."),
        Field("open_claim_count", "int", "Number of open insurance claims."),
    )
)
"""The account fields conditions can read, by name (the daily run's features frame columns)."""
