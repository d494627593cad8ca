"""Itemization: the balance on the itemization date plus every line since is the balance today."""

from arrears.domain.itemization import ItemCategory, itemization_date, itemize
from arrears.domain.ledger import Kind, position
from tests.notation import d, ledger

LEDGER = ledger("""
    2025-11-20 charge 200.00 due 2025-12-01      # 1: the visit that went unpaid
    2025-11-25 payment 50.00 guarantor           # 2
    2025-12-15 charge 90.00 due 2026-01-01       # 3
    2026-01-05 fee 25.00                         # 4
    2026-01-20 payment 40.00 guarantor           # 5
    2026-01-28 reversal 40.00 reverses 5         # 6: NSF
    2026-02-01 adjustment -19.56                 # 7
    2026-02-10 write_off 5.00                    # 8
    2026-03-05 charge 10.00 due 2026-03-20       # 9: after the letter's date
""")


def test_the_itemization_adds_up_to_the_balance_on_the_letters_date() -> None:
    items = itemize(LEDGER, d("2025-12-01"), d("2026-03-01"), {3: "Office visit", 4: "Late fee"})
    assert items.date == d("2025-12-01") and items.balance_cents == 15000
    assert [(line.posted, line.kind, line.description, line.amount_cents) for line in items.lines] == [
        (d("2025-12-15"), Kind.CHARGE, "Office visit", 9000),
        (d("2026-01-05"), Kind.FEE, "Late fee", 2500),
        (d("2026-01-20"), Kind.PAYMENT, "", -4000),
        (d("2026-01-28"), Kind.REVERSAL, "", 4000),
        (d("2026-02-01"), Kind.ADJUSTMENT, "", -1956),
        (d("2026-02-10"), Kind.WRITE_OFF, "", -500),
    ]
    assert [items.total(c) for c in ItemCategory] == [9000, 2500, 0, -2456]
    assert items.balance_now_cents == position(LEDGER, d("2026-03-01")).balance_cents == 24044


def test_the_itemization_date_is_the_cases_anchor_else_the_oldest_unpaid_due_date() -> None:
    assert itemization_date(d("2025-12-01"), d("2026-01-01"), d("2026-03-01")) == d("2025-12-01")
    assert itemization_date(None, d("2026-01-01"), d("2026-03-01")) == d("2026-01-01")
    assert itemization_date(None, None, d("2026-03-01")) == d("2026-03-01")
    assert itemization_date(d("2026-04-01"), None, d("2026-03-01")) == d("2026-03-01")
