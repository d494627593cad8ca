from decimal import Decimal

import pytest

from arrears.domain.money import Money, MoneyError


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.50", 1250),
        ("$1,234.56", 123456),
        ("1234.56", 123456),
        ("-3", -300),
        ("(5.00)", -500),
        ("$-2.5", -250),
        (".5", 50),
        ("0", 0),
        (" 7.05 ", 705),
    ],
)
def test_parse_amounts(text: str, cents: int) -> None:
    assert Money.parse(text) == Money(cents)


@pytest.mark.parametrize("text", ["", "$", "abc", "1.234", "1,00", "12.5.0", "1e3", "NaN", "(-5.00)", "-$-5", "(+5)"])
def test_parse_rejects_what_is_not_money(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text)


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        Money(12.5)  # type: ignore[arg-type]


def test_formatting_and_arithmetic() -> None:
    assert str(Money(123456)) == "$1,234.56"
    assert str(Money(-5)) == "-$0.05"
    assert Money(123456).plain() == "1234.56"
    assert Money(1000) + Money(250) - Money(50) == Money(1200)
    assert Money(333) * 3 == Money(999)
    assert Money(100000).percent(10) == Money(10000)
    assert Money(1005).percent(50) == Money(503)  # half-up to the cent
    assert Money.from_decimal(Decimal("0.005")) == Money(1)
