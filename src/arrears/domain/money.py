"""Money as integer cents: parsing, formatting and arithmetic without floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_MONEY_TEXT = re.compile(
    r"^\s*(?P<sign>[-+]?)\s*\$?\s*(?P<sign2>[-+]?)(?P<number>[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*$"
)
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]*)?$")

MAX_AMOUNT_CENTS = 1_000_000_000
"""The largest amount one value may hold, $10,000,000.00 (an imported transaction, claim or installment, a
configured threshold or fee). A larger one can only be a mistake; and with every value this small no sum of
values an account can have comes near the 64-bit cents the store and the daily run compute in."""


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


def amount_limit_problem(cents: int) -> str | None:
    """The rule an amount of ``cents`` breaks by its size (either sign), or None."""
    if abs(cents) > MAX_AMOUNT_CENTS:
        return f"must be at most {Money(MAX_AMOUNT_CENTS)} (the largest amount Arrears accepts)"
    return None


def format_cents(cents: int) -> str:
    """Format integer cents as "$1,234.56"."""
    return str(Money(cents))
