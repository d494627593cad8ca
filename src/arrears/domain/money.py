"""Money as integer cents: parsing, formatting and arithmetic without floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_MONEY_TEXT = re.compile(
    r"^\s*(?P<sign>[-+]?)\s*\$?\s*(?P<sign2>[-+]?)(?P<number>[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*$"
)
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]*)?$")

AMOUNT_CEILING_CENTS = 100_000_000_000
"""The largest amount any value may hold, $1,000,000,000.00, whatever a portfolio allows: a configured threshold
or fee, a portfolio's maximum. With every value this small no sum of values an account can have comes near the
64-bit cents the store and the daily run compute in."""

DEFAULT_MAXIMUM_AMOUNT_CENTS = 1_000_000_000
"""The largest amount one transaction, claim or installment may hold, $10,000,000.00, in a portfolio that sets
no maximum of its own: a larger one can only be a typing mistake."""


class MoneyError(ValueError):
    """A text that is not an amount of money."""


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount in integer cents; never a float."""

    cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError(f"Money needs integer cents, got {self.cents!r}")

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse "12.50", "$1,234.56", "-3", "(5.00)" into Money; more than 2 decimals is an error.

        An amount has at most one sign: "(-5.00)" or "-$-5" is an error, not a double negative.
        """
        raw = text.strip()
        negative = False
        parenthesized = raw.startswith("(") and raw.endswith(")")
        if parenthesized:
            negative, raw = True, raw[1:-1]
        match = _MONEY_TEXT.match(raw)
        if not match:
            raise MoneyError(f"not an amount: {text!r} (expected e.g. 12.50 or $1,234.56)")
        number = match.group("number")
        if "," in number and not _GROUPED.match(number):
            raise MoneyError(f"misplaced thousands separator in {text!r}")
        signs = [sign for sign in (match.group("sign"), match.group("sign2")) if sign]
        if len(signs) + parenthesized > 1:
            raise MoneyError(f"more than one sign in {text!r}")
        if "-" in signs:
            negative = True
        try:
            value = Decimal(number.replace(",", ""))
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
            raise MoneyError(f"not an amount: {text!r}") from exc
        if value != value.quantize(Decimal("0.01")):
            raise MoneyError(f"more than two decimals in {text!r}")
        cents = int(value * 100)
        return cls(-cents if negative else cents)

    @classmethod
    def from_decimal(cls, value: Decimal) -> Money:
        """Round a Decimal amount of dollars half-up to the cent."""
        return cls(int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))

    @classmethod
    def zero(cls) -> Money:
        """No money."""
        return cls(0)

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - other.cents)

    def __neg__(self) -> Money:
        return Money(-self.cents)

    def __abs__(self) -> Money:
        return Money(abs(self.cents))

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an integer")
        return Money(self.cents * factor)

    def percent(self, percent: int) -> Money:
        """This amount times percent/100, rounded half-up to the cent."""
        return Money.from_decimal(Decimal(self.cents) * percent / Decimal(10000))

    def __bool__(self) -> bool:
        return self.cents != 0

    def to_decimal(self) -> Decimal:
        """The amount in dollars as an exact Decimal."""
        return Decimal(self.cents) / 100

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        dollars, cents = divmod(abs(self.cents), 100)
        return f"{sign}${dollars:,}.{cents:02d}"

    def plain(self) -> str:
        """The amount as plain text for files: "-1234.50"."""
        sign = "-" if self.cents < 0 else ""
        dollars, cents = divmod(abs(self.cents), 100)
        return f"{sign}{dollars}.{cents:02d}"


@dataclass(frozen=True, slots=True)
class AmountLimit:
    """The largest amount (either sign) a value may hold where it is entered: a portfolio's maximum, or the
    ceiling of every amount when no portfolio is named."""

    maximum_cents: int = AMOUNT_CEILING_CENTS
    portfolio: str | None = None

    @property
    def rule(self) -> str:
        """The rule in words, as a problem names it."""
        if self.portfolio is None:
            return f"must be at most {Money(self.maximum_cents)} (the largest amount Arrears accepts)"
        return f"must be at most {Money(self.maximum_cents)} (the maximum amount of portfolio {self.portfolio})"

    def problem(self, cents: int) -> str | None:
        """The rule ``cents`` breaks by its size, or None."""
        return None if abs(cents) <= self.maximum_cents else self.rule


ANY_AMOUNT = AmountLimit()
"""The ceiling of every amount, for values that belong to no portfolio (or before their portfolio is known)."""


def portfolio_limit(portfolio: str, own_cents: int | None, enterprise_cents: int | None) -> AmountLimit:
    """The limit of the amounts entered for ``portfolio``'s accounts: its own maximum, else the enterprise's,
    else :data:`DEFAULT_MAXIMUM_AMOUNT_CENTS`."""
    for cents in (own_cents, enterprise_cents):
        if cents is not None:
            return AmountLimit(cents, portfolio)
    return AmountLimit(DEFAULT_MAXIMUM_AMOUNT_CENTS, portfolio)


def maximum_amount_problem(cents: int) -> str | None:
    """The rule a portfolio's maximum amount of ``cents`` breaks, or None: from $0.01 to the ceiling."""
    if cents <= 0:
        return "must be greater than zero"
    if cents > AMOUNT_CEILING_CENTS:
        return f"must be at most {Money(AMOUNT_CEILING_CENTS)} (the largest amount Arrears accepts)"
    return None


def format_cents(cents: int) -> str:
    """Format integer cents as "$1,234.56"."""
    return str(Money(cents))
