"""Changing the compliance settings piece by piece (the Collections Admin Compliance tab): a portfolio's own
values stay its own when the enterprise changes, and it follows the enterprise in the rest."""

from __future__ import annotations

from dataclasses import replace

from arrears.domain.compliance_rules import (
    CallFrequency,
    ComplianceParams,
    CompliancePolicy,
    HoldRules,
    own_values,
    with_enterprise,
    with_portfolio,
)


def test_a_portfolio_keeps_its_own_values_and_follows_the_enterprise_in_the_rest() -> None:
    policy = with_portfolio(CompliancePolicy(), "OUTPT", {"holds": {"do_not_call": False}})
    assert policy.params("OUTPT").holds == HoldRules(do_not_call=False)
    stricter = replace(ComplianceParams(), call_frequency=CallFrequency(attempts=5),
                       holds=HoldRules(do_not_call=True, attorney=False))  # fmt: skip
    changed = with_enterprise(policy, stricter)
    outpt = changed.params("OUTPT")
    assert outpt.call_frequency.attempts == 5  # taken from the enterprise
    assert (outpt.holds.do_not_call, outpt.holds.attorney) == (False, False)  # its own, and the enterprise's
    assert own_values(changed.portfolios[0]) == {"holds": {"do_not_call": False}}
    assert changed.params("ER").holds.do_not_call  # a portfolio without values of its own: the enterprise's


def test_a_portfolio_without_values_of_its_own_has_no_settings() -> None:
    policy = with_portfolio(CompliancePolicy(), "OUTPT", {"holds": {"do_not_call": False}})
    assert with_portfolio(policy, "OUTPT", {}).portfolios == ()
    assert with_portfolio(policy, "OUTPT", {"holds": {}}).portfolios == ()
