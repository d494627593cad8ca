"""What each import file holds: its kind and its documented columns.

Kept apart from the importer (Polars, the database) so the command line can list the columns in ``--help``
without loading either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["BOOL_HELP", "COLUMNS", "Column", "ImportKind"]


class ImportKind(StrEnum):
    """What a file holds."""

    ACCOUNTS = "accounts"
    TRANSACTIONS = "transactions"
    CLAIMS = "claims"
    PLANS = "plans"


@dataclass(frozen=True, slots=True)
class Column:
    """A documented column of an import file."""

    name: str
    required: bool
    help: str


def _c(name: str, help: str, required: bool = False) -> Column:
    return Column(name, required, help)


BOOL_HELP = "true/false, yes/no, y/n, 1/0; empty is false"
COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.ACCOUNTS: (
        _c("external_id", "the account's id in your system; unique", True),
        _c("portfolio", "code of an existing portfolio", True),
        _c("first_name", "guarantor's first name"),
        _c("last_name", "guarantor's last name", True),
        _c("address1", "street address"),
        _c("address2", "second address line"),
        _c("city", "city"),
        _c("state", "state"),
        _c("postal_code", "postal code"),
        _c("email", "e-mail address"),
        _c("time_zone", "IANA time zone, e.g. America/Chicago; default America/New_York"),
        _c("phone", "phone number"),
        _c("phone_type", "home, mobile, work or other; default home"),
        _c("mode", "active or closed; default active"),
        _c("status_code", "your status code, up to 20 characters"),
        _c("opened", "date the account was opened (YYYY-MM-DD)"),
        _c("deceased", BOOL_HELP),
        _c("bankruptcy", BOOL_HELP),
        _c("attorney_represented", BOOL_HELP),
        _c("cease_communication", BOOL_HELP),
        _c("dispute_date", "date the debt was disputed (YYYY-MM-DD)"),
        _c("do_not_call", BOOL_HELP),
    ),
    ImportKind.TRANSACTIONS: (
        _c("external_id", "the transaction's id in your system; unique", True),
        _c("account", "external id of the account (in the database)", True),
        _c("kind", "charge, payment, adjustment, fee, penalty, deposit, write_off, reversal or refund", True),
        _c(
            "amount",
            "12.50 or $1,234.56, at most the portfolio's maximum ($10,000,000.00 unless set); positive, "
            "except adjustments (signed)",
            True,
        ),
        _c("posted", "posting date (YYYY-MM-DD)", True),
        _c("due", "due date; required for charges"),
        _c("service", "service date; a charge cannot fall due before it"),
        _c("source", "guarantor or insurance; required for payments, only for payments"),
        _c("reverses", "reversals only: external id of the payment reversed (in the file or the database)"),
        _c("description", "free text, up to 200 characters"),
    ),
    ImportKind.CLAIMS: (
        _c("external_id", "the claim's id in your system; unique", True),
        _c("account", "external id of the account (in the database)", True),
        _c("payer", "insurance payer", True),
        _c("billed", "date the claim was billed (YYYY-MM-DD)", True),
        _c("amount", "amount billed, greater than zero", True),
        _c("paid", "amount the payer paid; default 0, at most the amount"),
        _c("status", "open, paid, denied or closed; default open"),
    ),
    ImportKind.PLANS: (
        _c("external_id", "the plan's id in your system; unique", True),
        _c("account", "external id of the account (in the database)", True),
        _c("installment", "installment amount, greater than zero", True),
        _c("frequency", "weekly, biweekly or monthly", True),
        _c("first_due", "due date of the first installment (YYYY-MM-DD)", True),
        _c("grace_days", "days an installment may be late before the plan is missed, 0-999; default 0"),
        _c("start", "payments from this date count towards the plan; default every payment"),
        _c("installments", "number of installments, 1 to 9,999; default open-ended"),
        _c("active", "true/false; default true. The latest active plan of an account counts"),
    ),
}
