"""Ledger math with exact numbers: FIFO, NSF reversal, days past due, aging edges, plans."""

from datetime import date

import pytest

from arrears.domain.ledger import (
    Entry,
    Frequency,
    Kind,
    LedgerError,
    LedgerLine,
    PaymentPlan,
    Source,
    aging_bucket,
    days_past_due,
    entry_problems,
    largest_payment,
    plan_delinquent,
    plan_next_unpaid_due,
    plan_paid_cents,
    plan_standing,
    position,
    position_lines,
    refund_problem,
    replay,
    summarize,
    summarize_lines,
)
from tests.notation import d, ledger


def lines_of(entries: list[Entry]) -> list[LedgerLine]:
    """The entries as the summaries read them: plain values in posting order."""
    ordered = sorted(entries, key=lambda e: (e.posted, e.seq))
    return [(e.seq, e.kind.value, e.amount_cents, e.posted, e.due, e.source.value if e.source else None, e.reverses)
            for e in ordered]  # fmt: skip


def open_items(text: str) -> list[tuple[int, int]]:
    return [(item.seq, item.open_cents) for item in replay(ledger(text)).open_items]


def test_payments_apply_fifo_across_partial_payments() -> None:
    lines = """
    2026-01-05 charge  100.00 due 2026-02-04
    2026-01-20 charge   50.00 due 2026-02-19
    2026-03-01 charge   80.00 due 2026-03-31
    2026-02-10 payment  60.00 guarantor
    2026-02-25 payment  70.00 guarantor
    """
    # 60 pays 60 of line 1; 70 pays the last 40 of line 1 and 30 of line 2.
    assert open_items(lines) == [(2, 2000), (3, 8000)]
    state = replay(ledger(lines))
    assert state.balance_cents == 10000
    assert state.oldest_unpaid_due == d("2026-02-19")
    assert state.allocations == ((4, 1, 6000), (5, 1, 4000), (5, 2, 3000))


def test_oldest_due_is_paid_first_even_when_posted_later() -> None:
    lines = """
    2026-01-05 charge  100.00 due 2026-03-01
    2026-01-06 charge   40.00 due 2026-02-01
    2026-02-10 payment  40.00 guarantor
    """
    assert open_items(lines) == [(1, 10000)]


def test_overpayment_waits_for_the_next_charge() -> None:
    lines = """
    2026-01-05 charge   30.00 due 2026-02-04
    2026-01-10 payment  50.00 guarantor
    2026-02-01 charge   40.00 due 2026-03-01
    """
    state = replay(ledger(lines))
    assert state.balance_cents == 2000
    assert [(i.seq, i.open_cents) for i in state.open_items] == [(3, 2000)]
    assert state.unapplied_credit_cents == 0


def test_nsf_reversal_reopens_exactly_what_the_payment_paid() -> None:
    lines = """
    2026-01-05 charge   100.00 due 2026-02-04
    2026-01-20 charge    50.00 due 2026-02-19
    2026-02-10 payment  100.00 guarantor
    2026-02-12 payment   50.00 guarantor
    2026-02-20 reversal 100.00 reverses 3
    """
    # The bounced payment had paid line 1; line 2 stays paid by the second payment.
    state = replay(ledger(lines))
    assert state.balance_cents == 10000
    assert [(i.seq, i.open_cents) for i in state.open_items] == [(1, 10000)]
    assert state.oldest_unpaid_due == d("2026-02-04")
    assert [p.reversed for p in state.payments] == [True, False]
    assert state.last_payment is not None and state.last_payment.seq == 4


def test_reversal_withdraws_unapplied_credit() -> None:
    lines = """
    2026-01-05 charge   20.00 due 2026-02-04
    2026-01-10 payment  50.00 guarantor
    2026-01-11 reversal 50.00 reverses 2
    """
    state = replay(ledger(lines))
    assert state.balance_cents == 2000
    assert state.unapplied_credit_cents == 0
    assert [(i.seq, i.open_cents) for i in state.open_items] == [(1, 2000)]


def test_reversal_rules() -> None:
    with pytest.raises(LedgerError, match="already reversed"):
        replay(
            ledger("""
            2026-01-05 charge   20.00 due 2026-02-04
            2026-01-10 payment  20.00 guarantor
            2026-01-11 reversal 20.00 reverses 2
            2026-01-12 reversal 20.00 reverses 2
            """)
        )
    with pytest.raises(LedgerError, match="names no earlier payment"):
        replay(ledger("2026-01-11 reversal 20.00 reverses 7"))
    with pytest.raises(LedgerError, match="differs"):
        replay(ledger("2026-01-10 payment 20.00 guarantor\n2026-01-11 reversal 10.00 reverses 1"))


def test_adjustments_write_offs_fees_and_deposits() -> None:
    lines = """
    2026-01-05 charge     100.00 due 2026-02-04
    2026-01-06 adjustment -10.00
    2026-01-07 fee         25.00
    2026-01-08 penalty      5.00 due 2026-01-20
    2026-01-09 deposit     50.00 due 2026-01-25
    2026-01-10 adjustment  15.00
    2026-01-11 write_off   30.00
    """
    state = replay(ledger(lines))
    assert state.balance_cents == 10000 - 1000 + 2500 + 500 + 5000 + 1500 - 3000
    # The -10 adjustment pays the charge (the only open item then); the $30 write-off pays the oldest
    # due first: the fee (due when posted, Jan 7) and $5 of the +15 adjustment (due Jan 10).
    assert [(i.seq, i.due, i.open_cents) for i in state.open_items] == [
        (6, d("2026-01-10"), 1000),
        (4, d("2026-01-20"), 500),
        (5, d("2026-01-25"), 5000),
        (1, d("2026-02-04"), 9000),
    ]


def test_days_past_due_across_month_ends_and_leap_years() -> None:
    assert days_past_due(d("2024-02-28"), d("2024-03-01")) == 2  # 2024 is a leap year
    assert days_past_due(d("2025-02-28"), d("2025-03-01")) == 1
    assert days_past_due(d("2024-01-31"), d("2024-03-01")) == 30
    assert days_past_due(d("2023-12-31"), d("2024-12-31")) == 366
    assert days_past_due(d("2026-03-10"), d("2026-03-01")) == 0  # not yet due
    assert days_past_due(None, d("2026-03-01")) == 0


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91-120"),
        (120, "91-120"),
        (121, "120+"),
        (999, "120+"),
    ],
)
def test_aging_bucket_edges(days: int, bucket: str) -> None:
    assert aging_bucket(days) == bucket


def test_an_overpayment_is_a_credit_balance_and_a_refund_pays_it_back() -> None:
    lines = """
    2026-01-05 charge  100.00 due 2026-02-04
    2026-02-10 payment 125.00 guarantor
    """
    credit = position(ledger(lines), d("2026-02-20"))
    assert (credit.balance_cents, credit.credit_cents, credit.days_past_due) == (-2500, 2500, 0)
    assert dict(credit.aging)["current"] == -2500  # the unapplied credit; every bucket sums to the balance
    assert replay(ledger(lines)).open_items == ()

    refunded = ledger(lines + "2026-02-15 refund 25.00")
    paid_back = position(refunded, d("2026-02-20"))
    assert (paid_back.balance_cents, paid_back.credit_cents, paid_back.days_past_due) == (0, 0, 0)
    assert replay(refunded).open_items == () and replay(refunded).unapplied_credit_cents == 0
    assert summarize_lines(lines_of(refunded)).balance_cents == 0  # the summaries' replay agrees

    # a refund larger than the credit (posting refuses one; a stored ledger may still hold one): the $15.00
    # beyond it is owed from the day it was posted
    over = ledger(lines + "2026-02-15 refund 40.00")
    owed = position(over, d("2026-02-20"))
    assert (owed.balance_cents, owed.credit_cents, owed.oldest_unpaid_due, owed.days_past_due) == (
        1500, 0, d("2026-02-15"), 5,
    )  # fmt: skip
    assert position_lines(lines_of(over), d("2026-02-20")) == owed


def test_a_refund_pays_back_at_most_the_credit_balance_of_its_day() -> None:
    lines = ledger("""
    2026-01-05 charge  100.00 due 2026-02-04
    2026-02-10 payment 125.00 guarantor
    2026-02-15 refund   25.00
    2026-02-15 refund   40.00
    2026-02-01 refund    5.00
    """)
    first, second, early = lines[2], lines[3], lines[4]
    assert refund_problem(lines[:2], first) is None  # $25.00 of a $25.00 credit
    assert refund_problem(lines[:2], second) == (
        "amount", "a refund must not be more than the account's credit balance on 2026-02-15 ($25.00): it pays "
        "back an overpayment")  # fmt: skip
    assert refund_problem(lines[:3], second) == (
        "amount", "a refund must not be more than the account's credit balance on 2026-02-15 ($0.00): it pays back "
        "an overpayment")  # the first refund paid the credit back  # fmt: skip
    assert refund_problem(lines[:2], early) is not None  # before the overpayment there was no credit
    assert refund_problem(lines[:2], lines[1]) is None  # only refunds have the rule


def test_a_bounced_payment_after_a_refund_leaves_the_refund_owed() -> None:
    lines = """
    2026-01-05 charge   100.00 due 2026-02-04
    2026-02-10 payment  125.00 guarantor
    2026-02-15 refund    25.00
    2026-02-20 reversal 125.00 reverses 2
    """
    state = replay(ledger(lines))
    assert state.balance_cents == 12500
    assert [(i.seq, i.due, i.open_cents) for i in state.open_items] == [
        (1, d("2026-02-04"), 10000), (3, d("2026-02-15"), 2500),
    ]  # fmt: skip


def test_position_ages_each_open_item() -> None:
    lines = """
    2025-10-01 charge  100.00 due 2025-10-01
    2025-12-01 charge   40.00 due 2025-12-31
    2026-01-15 charge   25.00 due 2026-02-14
    2026-01-20 payment  30.00 guarantor
    2026-03-05 charge   10.00 due 2026-04-04
    """
    at = position(ledger(lines), d("2026-03-01"))
    assert at.balance_cents == 13500  # the March charge is not posted yet
    assert at.oldest_unpaid_due == d("2025-10-01")
    assert at.days_past_due == 151
    assert dict(at.aging) == {
        "current": 0,
        "1-30": 2500,  # due Feb 14: 15 days
        "31-60": 4000,  # due Dec 31: 60 days
        "61-90": 0,
        "91-120": 0,
        "120+": 7000,  # due Oct 1: 151 days, 30 paid
    }
    assert (at.last_payment_date, at.last_payment_cents) == (d("2026-01-20"), 3000)


def test_largest_payment_window_and_source() -> None:
    lines = """
    2026-01-01 charge  500.00 due 2026-01-01
    2026-01-31 payment 100.00 guarantor
    2026-02-10 payment  40.00 guarantor
    2026-02-15 payment 300.00 insurance
    2026-02-20 payment  60.00 guarantor
    2026-02-21 reversal 60.00 reverses 5
    """
    entries = ledger(lines)
    as_of = d("2026-03-01")
    # The window is (as_of - days, as_of]: Jan 31 is 29 days before Mar 1 (2026 is no leap year),
    # so the last 30 days include it and the last 29 days do not. The reversed $60 never counts.
    assert largest_payment(entries, as_of, 30) == 10000
    assert largest_payment(entries, as_of, 29) == 4000
    assert largest_payment(entries, as_of, 0) == 0
    assert largest_payment(entries, as_of, 30, source=Source.INSURANCE) == 30000
    assert largest_payment(entries, d("2026-02-20"), 5) == 6000  # not yet reversed on Feb 20


def test_entry_rules_name_the_field() -> None:
    assert entry_problems(Entry(1, Kind.CHARGE, 0, d("2026-01-01"))) == [
        ("amount", "a charge amount must be greater than zero"),
        ("due_date", "a charge needs a due date"),
    ]
    assert entry_problems(Entry(1, Kind.PAYMENT, 100, d("2026-01-01"))) == [
        ("source", "a payment needs a source: guarantor or insurance")
    ]
    assert entry_problems(Entry(1, Kind.ADJUSTMENT, -100, d("2026-01-01"))) == []


def test_monthly_plan_installments_clamp_to_month_end() -> None:
    plan = PaymentPlan(5000, Frequency.MONTHLY, first_due=d("2026-01-31"), grace_days=5)
    assert [plan.due_date(i) for i in range(3)] == [d("2026-01-31"), d("2026-02-28"), d("2026-03-31")]
    weekly = PaymentPlan(5000, Frequency.BIWEEKLY, first_due=d("2026-01-01"))
    assert weekly.due_date(2) == d("2026-01-29")


def test_plan_delinquent_only_beyond_grace() -> None:
    plan = PaymentPlan(5000, Frequency.MONTHLY, first_due=d("2026-01-15"), grace_days=5)
    lines = """
    2025-12-01 charge  300.00 due 2025-12-31
    2026-01-14 payment  50.00 guarantor
    2026-02-16 payment  30.00 guarantor
    """
    state = replay(ledger(lines))
    paid = plan_paid_cents(plan, state.payments)
    assert paid == 8000
    next_due = plan_next_unpaid_due(plan, paid)
    assert next_due == d("2026-02-15")  # $80 covers one $50 installment
    assert not plan_delinquent(next_due, plan.grace_days, d("2026-02-20"))  # 5 days: within grace
    assert plan_delinquent(next_due, plan.grace_days, d("2026-02-21"))
    finite = PaymentPlan(5000, Frequency.MONTHLY, first_due=d("2026-01-15"), installments=1)
    assert plan_next_unpaid_due(finite, 5000) is None


def test_a_plans_standing_counts_installments_paid_in_full_and_those_left() -> None:
    """$300 owed on a plan of $50 a month from 2026-01-15; $80 paid: one installment paid, the second due."""
    lines = """
    2025-12-01 charge  300.00 due 2025-12-31
    2026-01-14 payment  50.00 guarantor
    2026-02-10 payment  30.00 guarantor
    """
    state = replay(ledger(lines))
    six = PaymentPlan(5000, Frequency.MONTHLY, first_due=d("2026-01-15"), installments=6)
    standing = plan_standing(six, plan_paid_cents(six, state.payments), state.balance_cents)
    assert (standing.paid, standing.remaining, standing.next_due) == (1, 5, d("2026-02-15"))
    # Without a count, the balance says how many are left: $220 is four $50 installments and a fifth of $20.
    open_ended = PaymentPlan(5000, Frequency.MONTHLY, first_due=d("2026-01-15"))
    standing = plan_standing(open_ended, plan_paid_cents(open_ended, state.payments), state.balance_cents)
    assert (standing.paid, standing.remaining, standing.next_due) == (1, 5, d("2026-02-15"))
    assert plan_standing(open_ended, 8000, 20000).remaining == 4
    # Paid off: nothing remains and nothing is due, whatever the count says.
    assert (plan_standing(six, 8000, 0).remaining, plan_standing(six, 8000, 0).next_due) == (0, None)
    assert (plan_standing(six, 30000, 500).remaining, plan_standing(six, 30000, 500).next_due) == (0, None)


def test_summary_holds_what_the_daily_run_reads() -> None:
    plan = PaymentPlan(5000, Frequency.MONTHLY, first_due=d("2026-01-15"), grace_days=10)
    lines = """
    2025-12-01 charge  300.00 due 2025-12-31
    2026-01-14 payment  50.00 guarantor
    2026-01-20 payment  70.00 insurance
    """
    summary = summarize(ledger(lines), plan)
    assert summary.balance_cents == 18000
    assert summary.oldest_unpaid_due == date(2025, 12, 31)
    assert (summary.last_payment_date, summary.last_payment_cents) == (d("2026-01-20"), 7000)
    assert summary.last_guarantor_payment_date == d("2026-01-14")
    assert summary.plan_next_unpaid_due == d("2026-02-15")
    assert summary.on_payment_plan
