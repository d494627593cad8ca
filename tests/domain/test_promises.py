"""The promise rule with the issue's numbers: $100 monthly due 2027-03-15, grace 3."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.promises import (
    Outcome,
    PortfolioPromises,
    PromiseSettings,
    PromiseState,
    PromiseStatus,
    PromiseTerms,
    Repeat,
    judge,
    parse_repeat,
    replay,
    reversed_judgement,
    settings_problems,
    shortfall,
    terms_problems,
)

MONTHLY = Repeat(RepeatPeriod.MONTHLY)
D = date.fromisoformat


def terms(*, advance: bool = False, repeat: Repeat | None = MONTHLY, grace: int = 3) -> PromiseTerms:
    return PromiseTerms(10_000, D("2027-03-15"), repeat, grace, advance)


def test_100_on_the_last_day_of_grace_keeps_it_and_moves_it_to_april() -> None:
    judged = judge(terms(), PromiseState(), 10_000, D("2027-03-18"))
    assert judged.outcomes == (Outcome.KEPT,)
    assert judged.state == PromiseState(1, 0, PromiseStatus.OPEN)
    assert terms().due(judged.state.installment) == D("2027-04-15")


def test_the_day_after_grace_it_is_broken_and_a_payment_that_day_does_not_mend_it() -> None:
    for paid in (0, 10_000):
        judged = judge(terms(), PromiseState(), paid, D("2027-03-19"))
        assert judged.outcomes == (Outcome.BROKEN,)
        assert judged.state.status is PromiseStatus.BROKEN
    assert "$100.00 of $100.00 due 2027-03-15 unpaid by 2027-03-18" in judged.detail


def test_200_with_advance_moves_two_periods_without_one() -> None:
    advanced = judge(terms(advance=True), PromiseState(), 20_000, D("2027-03-15"))
    assert terms().due(advanced.state.installment) == D("2027-05-15")
    assert advanced.periods == 2
    plain = judge(terms(advance=False), PromiseState(), 20_000, D("2027-03-15"))
    assert terms().due(plain.state.installment) == D("2027-04-15")
    assert plain.state.paid_cents == 0


def test_250_with_advance_carries_50_to_the_third_installment() -> None:
    judged = judge(terms(advance=True), PromiseState(), 25_000, D("2027-03-15"))
    assert judged.state == PromiseState(2, 5_000, PromiseStatus.PARTIAL)
    assert shortfall(terms(), judged.state) == 5_000


def test_60_then_40_in_the_window_keep_it() -> None:
    first = judge(terms(), PromiseState(), 6_000, D("2027-03-15"))
    assert first.outcomes == (Outcome.PARTIAL,)
    assert shortfall(terms(), first.state) == 4_000
    assert "shortfall $40.00" in first.detail
    second = judge(terms(), first.state, 4_000, D("2027-03-17"))
    assert second.outcomes == (Outcome.KEPT,)
    assert terms().due(second.state.installment) == D("2027-04-15")


def test_without_a_repeat_a_kept_promise_is_kept_for_good() -> None:
    judged = judge(terms(repeat=None), PromiseState(), 10_000, D("2027-03-16"))
    assert judged.state.status is PromiseStatus.KEPT
    assert judge(terms(repeat=None), judged.state, 0, D("2027-04-30")).outcomes == ()


def test_paid_in_full_completes_it() -> None:
    judged = judge(terms(), PromiseState(), 10_000, D("2027-03-15"), balance_cents=0)
    assert judged.outcomes == (Outcome.KEPT, Outcome.COMPLETED)
    assert judged.state.status is PromiseStatus.COMPLETED


def test_nsf_inside_the_window_reopens_after_it_breaks() -> None:
    kept = judge(terms(), PromiseState(), 10_000, D("2027-03-16")).state
    inside = reversed_judgement(terms(), kept, [], 10_000, D("2027-03-17"))
    assert inside.outcomes == (Outcome.NSF,)
    assert inside.state == PromiseState(0, 0, PromiseStatus.OPEN)
    after = reversed_judgement(terms(), kept, [], 10_000, D("2027-03-20"))
    assert after.outcomes == (Outcome.NSF, Outcome.BROKEN)
    assert after.state.status is PromiseStatus.BROKEN
    assert "its window ended 2027-03-18" in after.detail


def test_nsf_of_an_early_april_payment_leaves_march_kept() -> None:
    payments = [(D("2027-03-15"), 10_000)]
    state = replay(terms(), [*payments, (D("2027-03-20"), 10_000)], D("2027-03-25"))
    assert state.installment == 2
    judged = reversed_judgement(terms(), state, payments, 10_000, D("2027-03-25"))
    assert judged.state == PromiseState(1, 0, PromiseStatus.OPEN)


def test_monthly_from_the_31st_comes_back_to_the_31st() -> None:
    t = PromiseTerms(100, D("2027-01-31"), MONTHLY)
    assert [t.due(n) for n in range(3)] == [D("2027-01-31"), D("2027-02-28"), D("2027-03-31")]
    assert PromiseTerms(100, D("2027-01-31"), parse_repeat("10 days")).due(2) == D("2027-02-20")
    assert PromiseTerms(100, D("2027-01-31"), parse_repeat("biweekly")).due(1) == D("2027-02-14")


@pytest.mark.parametrize("text", ["fortnightly", "0 days", "1000", ""])
def test_unknown_repeats_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="weekly, biweekly, monthly or N days"):
        parse_repeat(text)


def test_terms_and_settings_are_checked_with_their_rules() -> None:
    bad = PromiseTerms(0, D("2027-03-01"), None, 100, advance=True)
    assert dict(terms_problems(bad, D("2027-03-02"))) == {
        "amount": "must be more than $0.00",
        "due": "must not be before today (2027-03-02)",
        "grace": "must be between 0 and 99 days",
        "advance": "needs a repeat (an overpayment advances a repeating promise)",
    }
    settings = PromiseSettings(3, ((Outcome.BROKEN, "CALL"),), portfolios=(
        PortfolioPromises("OPD", 5, ((Outcome.BROKEN, "NOPE"),)),))
    assert dict(settings_problems(settings, ["OPD"], ["CALL"])) == {
        "promises.portfolios[OPD].plans.broken": "is not a contact plan (known: CALL)"
    }
    assert settings.grace("OPD") == 5 and settings.grace("ER") == 3
    assert settings.plan("ER", Outcome.BROKEN) == "CALL" and settings.plan("ER", Outcome.KEPT) is None
