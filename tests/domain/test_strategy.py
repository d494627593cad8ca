"""The strategy configuration and its validation, in the seeds' notation and with the seeds' numbers.

Seed 000 (Actions): follow-up days 1–999, only with a next action. Seed 001 (Action Series): at least two
actions; final action Custom or External Collections for guarantor series, Custom only for insurance.
Seed 003 (Guarantor Collections): balance > $X, > N days past due, no payment of $Y or Z% (whichever is
higher) in the last D days; percentage 1–100, days 0–999; task assignment by name or balance range.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from arrears.domain.plans import EventType, Plan, PlanEvent
from arrears.domain.strategy import (
    NAME_WHITESPACE,
    Action,
    ActionKind,
    ActionParams,
    AssignmentRule,
    AssignmentType,
    CollectionType,
    Collector,
    CollectorGroup,
    ConfigError,
    EntryPolicy,
    EntryRules,
    FinalAction,
    LetterTemplate,
    PortfolioCollections,
    Series,
    SeriesStep,
    Strategy,
    TaskAssignment,
    User,
    condition_fields,
    match_assignment,
    name_initial,
    usable_in,
    usages,
    validate_strategy,
)

GUAR, INS, BOTH = CollectionType.GUARANTOR, CollectionType.INSURANCE, CollectionType.GUARANTOR_INSURANCE
PORTFOLIOS = {"NORTH", "SOUTH", "EAST"}


# ------------------------------------------------------------------------------------------ notation


def dollars(text: str) -> int:
    """``$2,500.00`` → 250000 cents."""
    whole, _, cents = text.replace("$", "").replace(",", "").partition(".")
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))


def table(text: str, assignment_type: AssignmentType = AssignmentType.NAME_RANGE) -> tuple[AssignmentRule, ...]:
    """The seed's Assignment Rules table: ``From | To | Collector/Group | Action/Series | Missed plan only``.

    A group is written ``group:CODE``; balances in dollars; an empty cell is nothing.
    """
    rules = []
    for line in text.strip().splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        low, high, assignee, work, missed = (cells + [""] * 5)[:5]
        if assignment_type is AssignmentType.BALANCE_RANGE:
            ends: tuple[str | int, str | int] = (dollars(low), dollars(high))
        else:
            ends = (low, high)
        is_group = assignee.startswith("group:")
        rules.append(
            AssignmentRule(
                from_=ends[0],
                to=ends[1],
                collector=None if is_group else assignee,
                group=assignee.removeprefix("group:") if is_group else None,
                default_work=work or None,
                missed_plan_only=missed.lower() == "yes",
            )
        )
    return tuple(rules)


def problems(strategy: Strategy, **options: object) -> list[str]:
    return [str(error) for error in validate_strategy(strategy, PORTFOLIOS, **options)]  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ the configuration

LETTERS = (
    LetterTemplate("L1", "Friendly Reminder", "Your balance", "Dear {{ party.first_name }}, ..."),
    LetterTemplate("L2", "Final Notice", "Final notice", "Dear {{ party.first_name }}, last chance ..."),
)
ACTIONS = (
    Action("Letter 1", GUAR, ActionKind.LETTER, ActionParams(template_code="L1"), all_portfolios=True),
    Action(
        "Call 1",
        GUAR,
        ActionKind.PHONE_CALL,
        ActionParams(text="Ask for the full balance"),
        next_action="Letter 2",
        follow_up_days=10,
        all_portfolios=True,
    ),
    Action("Letter 2", GUAR, ActionKind.LETTER, ActionParams(template_code="L2"), all_portfolios=True),
    Action("Ins Call", INS, ActionKind.PHONE_CALL, portfolios=("NORTH",)),
    Action("Review", BOTH, ActionKind.REVIEW, all_portfolios=True),
    Action(
        "Late Fee",
        GUAR,
        ActionKind.FEE,
        ActionParams(amount_cents=2500, description="Late fee"),
        letter="L2",
        portfolios=("NORTH", "EAST"),
    ),
)
SERIES = (
    Series(
        "Guarantor Letters",
        GUAR,
        (SeriesStep("Letter 1", 30), SeriesStep("Call 1", 15), SeriesStep("Letter 2", 30)),
        FinalAction.EXTERNAL_COLLECTIONS,
        all_portfolios=True,
    ),
    Series(
        "Insurance Follow-up",
        INS,
        (SeriesStep("Ins Call", 10), SeriesStep("Review", 20)),
        FinalAction.CUSTOM,
        custom_action="Review",
        portfolios=("NORTH",),
    ),
)
ENTERPRISE_RULES = EntryRules(  # balance > $5.00, > 45 days, no payment of $25 or 10% in the last 30 days
    balance_over_cents=500,
    days_past_due_over=45,
    min_payment_cents=2500,
    min_payment_percent=10,
    payment_window_days=30,
)
EAST_RULES = replace(ENTERPRISE_RULES, balance_over_cents=10000, days_past_due_over=60)
NORTH_ASSIGNMENT = TaskAssignment(
    AssignmentType.NAME_RANGE,
    default_collector="ann",
    default_action="Guarantor Letters",
    rules=table("""
        A | D | ann         |          |
        E | H | bob         | Call 1   |
        I | Z | group:early |          |
        A | Z | bob         | Late Fee | yes
    """),
)
POLICY = EntryPolicy(
    ENTERPRISE_RULES,
    (
        PortfolioCollections("NORTH", assignment=NORTH_ASSIGNMENT),
        PortfolioCollections("SOUTH", collections_enabled=False),
        PortfolioCollections(
            "EAST",
            override_enterprise=True,
            rules=EAST_RULES,
            assignment=TaskAssignment(
                AssignmentType.BALANCE_RANGE,
                default_collector="bob",
                default_action="Letter 1",
                rules=table(
                    """
                    $500.00   | $2,500.00  | ann |
                    $2,501.00 | $10,000.00 | bob | Guarantor Letters
                    """,
                    AssignmentType.BALANCE_RANGE,
                ),
            ),
        ),
    ),
)
BASE = Strategy(
    collectors=(Collector("ann", "Ann Archer", ("early",), 50), Collector("bob", "Bob Baker", (), 20)),
    groups=(CollectorGroup("early", "Early stage"),),
    users=(User("admin", "Administrator", 99),),
    letters=LETTERS,
    actions=ACTIONS,
    series=SERIES,
    entry_policy=POLICY,
)


def with_action(name: str, **changes: object) -> Strategy:
    actions = tuple(replace(a, **changes) if a.name == name else a for a in BASE.actions)  # type: ignore[arg-type]
    return replace(BASE, actions=actions)


def with_series(name: str, **changes: object) -> Strategy:
    series = tuple(replace(s, **changes) if s.name == name else s for s in BASE.series)  # type: ignore[arg-type]
    return replace(BASE, series=series)


def with_enterprise(**changes: object) -> Strategy:
    enterprise = replace(ENTERPRISE_RULES, **changes)  # type: ignore[arg-type]
    return replace(BASE, entry_policy=replace(POLICY, enterprise=enterprise))


def with_portfolio(code: str, **changes: object) -> Strategy:
    portfolios = tuple(
        replace(p, **changes) if p.portfolio == code else p  # type: ignore[arg-type]
        for p in POLICY.portfolios
    )
    return replace(BASE, entry_policy=replace(POLICY, portfolios=portfolios))


def with_north_rules(text: str, assignment_type: AssignmentType = AssignmentType.NAME_RANGE) -> Strategy:
    assignment = replace(NORTH_ASSIGNMENT, assignment_type=assignment_type, rules=table(text, assignment_type))
    return with_portfolio("NORTH", assignment=assignment)


def test_the_example_configuration_is_valid() -> None:
    assert problems(BASE) == []


# ----------------------------------------------------------------------------------- seed 000: actions


@pytest.mark.parametrize("days", [0, 1000, -1])
def test_follow_up_days_outside_1_to_999_are_rejected(days: int) -> None:
    assert problems(with_action("Call 1", follow_up_days=days)) == [
        "actions[Call 1].follow_up_days: must be between 1 and 999"
    ]


@pytest.mark.parametrize("days", [1, 999])
def test_follow_up_days_1_and_999_are_accepted(days: int) -> None:
    assert problems(with_action("Call 1", follow_up_days=days)) == []


def test_follow_up_days_without_a_next_action_are_rejected() -> None:
    # "The Follow-up Days field is only enabled after the Next Action field is populated."
    assert problems(with_action("Letter 1", follow_up_days=10)) == [
        "actions[Letter 1].follow_up_days: is only allowed when a next action is set"
    ]


def test_a_next_action_needs_follow_up_days() -> None:
    assert problems(with_action("Call 1", follow_up_days=None)) == [
        "actions[Call 1].follow_up_days: is required when a next action is set"
    ]


def test_an_action_cannot_be_its_own_next_action_but_cycles_are_fine() -> None:
    assert problems(with_action("Call 1", next_action="Call 1")) == [
        "actions[Call 1].next_action: must not be the action itself"
    ]
    cycle = replace(
        BASE,
        actions=tuple(
            replace(a, next_action="Call 1", follow_up_days=5) if a.name == "Letter 2" else a for a in ACTIONS
        ),
    )
    assert problems(cycle) == []


def test_the_next_action_must_exist_fit_the_collection_type_and_the_portfolios() -> None:
    assert problems(with_action("Call 1", next_action="Call 9")) == [
        "actions[Call 1].next_action: names an unknown action 'Call 9'"
    ]
    assert problems(with_action("Call 1", next_action="Ins Call")) == [
        "actions[Call 1].next_action: action 'Ins Call' is an insurance action and cannot be used in action 'Call 1'",
        "actions[Call 1].next_action: action 'Ins Call' must be available to all portfolios, as action 'Call 1' is",
    ]


def test_action_names_are_1_to_60_characters_and_unique_across_actions_and_series() -> None:
    long_name = "X" * 61
    renamed = replace(BASE, actions=(*ACTIONS, Action(long_name, GUAR, ActionKind.REVIEW, all_portfolios=True)))
    assert problems(renamed) == [f"actions[{long_name}].name: must be between 1 and 60 characters"]
    fine = replace(BASE, actions=(*ACTIONS, Action("X" * 60, GUAR, ActionKind.REVIEW, all_portfolios=True)))
    assert problems(fine) == []
    twice = replace(BASE, actions=(*ACTIONS, ACTIONS[0]))
    assert problems(twice) == ["actions[Letter 1]: is defined more than once"]
    clash = replace(BASE, actions=(*ACTIONS, Action("Guarantor Letters", GUAR, ActionKind.REVIEW, all_portfolios=True)))
    assert problems(clash) == [
        "series[Guarantor Letters].name: is already the name of an action (actions and series share names)"
    ]


def test_an_action_needs_a_portfolio_or_select_all() -> None:
    assert problems(with_action("Review", all_portfolios=False)) == [
        "actions[Review].portfolios: must name at least one portfolio, or select all portfolios",
        "series[Insurance Follow-up].steps[2].action: action 'Review' is not available to portfolio 'NORTH'",
        "series[Insurance Follow-up].custom_action: action 'Review' is not available to portfolio 'NORTH'",
    ]
    assert problems(with_action("Ins Call", portfolios=("NORTH", "WEST"))) == [
        "actions[Ins Call].portfolios: names an unknown portfolio 'WEST'"
    ]
    assert problems(with_action("Review", portfolios=("NORTH",))) == [
        "actions[Review].portfolios: must be empty when all portfolios are selected"
    ]


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        (ActionKind.LETTER, ActionParams(), ["params.template_code: is required for actions of kind letter"]),
        (ActionKind.NOTE, ActionParams(text=" "), ["params.text: is required for actions of kind note"]),
        (
            ActionKind.NOTE,
            ActionParams(text="Called", template_code="L1"),
            ["params.template_code: is not used by actions of kind note"],
        ),
        (
            ActionKind.FEE,
            ActionParams(amount_cents=0, description="Late"),
            ["params.amount_cents: must be greater than 0"],
        ),
        (ActionKind.FEE, ActionParams(amount_cents=2500), ["params.description: is required for actions of kind fee"]),
        (ActionKind.CREDIT_POINTS, ActionParams(points=0), ["params.points: must be between 1 and 999"]),
        (ActionKind.CREDIT_POINTS, ActionParams(points=1000), ["params.points: must be between 1 and 999"]),
        (ActionKind.CREDIT_POINTS, ActionParams(points=999), []),
        (ActionKind.CREDIT_REPORT, ActionParams(), []),
        (
            ActionKind.CREDIT_REPORT,
            ActionParams(agency="Equifax"),
            ["params.agency: is not used by actions of kind credit_report"],
        ),
        (
            ActionKind.SMS,
            ActionParams(template_code="L9"),
            ["params.template_code: names an unknown letter template 'L9'"],
        ),
        (ActionKind.STATUS_CHANGE, ActionParams(status_code="COLL"), []),
        (ActionKind.EXTERNAL_REFERRAL, ActionParams(agency="Acme Recovery"), []),
        (ActionKind.PHONE_CALL, ActionParams(), []),
        (ActionKind.ALERT, ActionParams(text="Account in collections"), []),
    ],
)
def test_each_kind_takes_its_own_parameters(kind: ActionKind, params: ActionParams, expected: list[str]) -> None:
    strategy = replace(BASE, actions=(*ACTIONS, Action("New", GUAR, kind, params, all_portfolios=True)))
    assert problems(strategy) == [f"actions[New].{line}" for line in expected]


def test_a_credit_report_reports_the_guarantors_debt() -> None:
    for collection_type in (CollectionType.INSURANCE, CollectionType.GUARANTOR_INSURANCE):
        report = Action("Report", collection_type, ActionKind.CREDIT_REPORT, all_portfolios=True)
        assert problems(replace(BASE, actions=(*ACTIONS, report))) == [
            "actions[Report].collection_type: must be guarantor for a credit report (it reports the guarantor's debt)"
        ]


def test_a_run_plan_action_names_a_configured_contact_plan() -> None:
    strategy = replace(
        BASE,
        actions=(*ACTIONS, Action("Run", GUAR, ActionKind.RUN_PLAN, ActionParams(plan_code="P1"), all_portfolios=True)),
        plans=(Plan("P2", events=(PlanEvent(1, EventType.NOTE, "hello"),)),),
    )
    assert problems(strategy) == ["actions[Run].params.plan_code: names an unknown plan 'P1'"]
    assert problems(replace(strategy, plans=(Plan("P1", events=(PlanEvent(1, EventType.NOTE, "hello"),)),))) == []


def test_the_collection_letter_must_exist_and_agree_with_a_letter_action() -> None:
    assert problems(with_action("Call 1", letter="L9")) == [
        "actions[Call 1].letter: names an unknown letter template 'L9'"
    ]
    assert problems(with_action("Letter 1", letter="L2")) == [
        "actions[Letter 1].letter: must be empty or the same as params.template_code for a letter action"
    ]
    assert problems(with_action("Letter 1", letter="L1")) == []


# ----------------------------------------------------------------------------------- seed 001: series


def test_a_series_with_one_action_is_rejected_and_two_are_accepted() -> None:
    # "An Action Series must include two actions, at minimum."
    one = (SeriesStep("Letter 1", 30),)
    assert problems(with_series("Guarantor Letters", steps=one)) == [
        "series[Guarantor Letters].steps: must include at least 2 actions"
    ]
    two = (SeriesStep("Letter 1", 30), SeriesStep("Letter 2", 30))
    assert problems(with_series("Guarantor Letters", steps=two)) == []


@pytest.mark.parametrize(("days", "ok"), [(0, True), (999, True), (1000, False), (-1, False)])
def test_days_until_the_next_action_are_0_to_999(days: int, ok: bool) -> None:
    steps = (SeriesStep("Letter 1", days), SeriesStep("Letter 2", 30))
    expected = [] if ok else ["series[Guarantor Letters].steps[1].days_until_next: must be between 0 and 999"]
    assert problems(with_series("Guarantor Letters", steps=steps)) == expected


def test_an_insurance_series_cannot_end_in_external_collections() -> None:
    strategy = with_series("Insurance Follow-up", final_action=FinalAction.EXTERNAL_COLLECTIONS, custom_action=None)
    assert problems(strategy) == [
        "series[Insurance Follow-up].final_action: must be custom for an insurance series "
        "(external collections is for guarantor series only)"
    ]


def test_a_guarantor_series_ending_in_custom_needs_the_custom_action() -> None:
    strategy = with_series("Guarantor Letters", final_action=FinalAction.CUSTOM)
    assert problems(strategy) == [
        "series[Guarantor Letters].custom_action: is required when the final action is custom"
    ]
    strategy = with_series("Guarantor Letters", final_action=FinalAction.CUSTOM, custom_action="Review")
    assert problems(strategy) == []
    strategy = with_series("Guarantor Letters", custom_action="Review")  # external collections + custom action
    assert problems(strategy) == [
        "series[Guarantor Letters].custom_action: is only allowed when the final action is custom"
    ]


def test_a_series_is_guarantor_or_insurance_only() -> None:
    assert problems(with_series("Guarantor Letters", collection_type=BOTH)) == [
        "series[Guarantor Letters].collection_type: must be guarantor or insurance"
    ]


def test_steps_must_fit_the_series_type_and_portfolios() -> None:
    steps = (SeriesStep("Letter 1", 30), SeriesStep("Ins Call", 10), SeriesStep("Review", 5))
    assert problems(with_series("Guarantor Letters", steps=steps)) == [
        "series[Guarantor Letters].steps[2].action: action 'Ins Call' is an insurance action "
        "and cannot be used in series 'Guarantor Letters'",
        "series[Guarantor Letters].steps[2].action: action 'Ins Call' must be available to all portfolios, "
        "as series 'Guarantor Letters' is",
    ]
    # guarantor/insurance "Review" fits both; "Late Fee" serves NORTH and EAST only
    east = with_series(
        "Guarantor Letters",
        all_portfolios=False,
        portfolios=("NORTH", "EAST", "SOUTH"),
        steps=(SeriesStep("Review", 1), SeriesStep("Late Fee", 2)),
    )
    assert problems(east) == [
        "series[Guarantor Letters].steps[2].action: action 'Late Fee' is not available to portfolio 'SOUTH'"
    ]


def test_what_a_form_may_offer_is_what_validation_accepts() -> None:
    """usable_in says which actions a next-action or series-step dropdown may offer: exactly those the
    validation accepts there, for each collection type and choice of portfolios."""
    by_name = {a.name: a for a in ACTIONS}
    for context in (GUAR, CollectionType.INSURANCE):
        for everywhere, codes in ((True, ()), (False, ("NORTH", "EAST")), (False, ("NORTH", "EAST", "SOUTH"))):
            for name, action in by_name.items():
                series = Series("Probe", context, (SeriesStep(name, 1), SeriesStep(name, 1)), FinalAction.CUSTOM,
                                custom_action=name, all_portfolios=everywhere, portfolios=codes)  # fmt: skip
                found = [p for p in problems(replace(BASE, series=(*BASE.series, series)))
                         if p.startswith("series[Probe].steps[1].action")]  # fmt: skip
                assert usable_in(action, context, everywhere, codes) == (found == []), (context, codes, name, found)


def test_steps_must_name_existing_actions() -> None:
    steps = (SeriesStep("Letter 1", 30), SeriesStep("Letter 9", 30), SeriesStep("Insurance Follow-up", 1))
    assert problems(with_series("Guarantor Letters", steps=steps)) == [
        "series[Guarantor Letters].steps[2].action: names an unknown action 'Letter 9'",
        "series[Guarantor Letters].steps[3].action: names series 'Insurance Follow-up', but must name an action",
    ]


def test_inactive_actions_are_not_available_for_new_configuration() -> None:
    # "Inactive Actions/Action Series ... will not be available for action creation until returned to Active."
    inactive = with_action("Call 1", inactive=True)
    assert problems(inactive) == [
        "series[Guarantor Letters].steps[2].action: "
        "action 'Call 1' is inactive and cannot be used in new configuration",
        "entry_policy.portfolios[NORTH].assignment.rules[2].default_work: "
        "action 'Call 1' is inactive and cannot be used in new configuration",
    ]
    # ... but configuration that already used it keeps working when it is made inactive
    assert problems(inactive, previous=BASE) == []
    # an inactive series may hold inactive actions, but nothing active may start an inactive series
    both = replace(inactive, series=tuple(replace(s, inactive=s.name == "Guarantor Letters") for s in SERIES))
    assert problems(both) == [
        "entry_policy.portfolios[NORTH].assignment.default_action: "
        "series 'Guarantor Letters' is inactive and cannot be used in new configuration",
        "entry_policy.portfolios[NORTH].assignment.rules[2].default_work: "
        "action 'Call 1' is inactive and cannot be used in new configuration",
        "entry_policy.portfolios[EAST].assignment.rules[2].default_work: "
        "series 'Guarantor Letters' is inactive and cannot be used in new configuration",
    ]


def test_a_step_shows_the_letter_of_its_action() -> None:
    letters_series = SERIES[0]
    assert letters_series.step_letters(ACTIONS) == ("L1", None, "L2")
    assert BASE.action_label("Letter 2") == "Letter 2 (Final Notice)"
    assert BASE.action_label("Late Fee") == "Late Fee (Final Notice)"
    assert BASE.action_label("Call 1") == "Call 1"


# -------------------------------------------------------------------------- seed 003: entry rules


@pytest.mark.parametrize(("percent", "ok"), [(0, False), (1, True), (100, True), (101, False)])
def test_percentage_must_be_1_to_100(percent: int, ok: bool) -> None:
    expected = [] if ok else ["entry_policy.enterprise.min_payment_percent: must be between 1 and 100"]
    assert problems(with_enterprise(min_payment_percent=percent)) == expected
    east = with_portfolio("EAST", rules=replace(EAST_RULES, min_payment_percent=percent))
    expected = [] if ok else ["entry_policy.portfolios[EAST].rules.min_payment_percent: must be between 1 and 100"]
    assert problems(east) == expected


@pytest.mark.parametrize("field", ["days_past_due_over", "payment_window_days", "delinquent_grace_days"])
@pytest.mark.parametrize(("days", "ok"), [(0, True), (999, True), (1000, False)])
def test_days_must_be_0_to_999(field: str, days: int, ok: bool) -> None:
    expected = [] if ok else [f"entry_policy.enterprise.{field}: must be between 0 and 999"]
    assert problems(with_enterprise(**{field: days})) == expected


def test_amounts_are_whole_cents_not_below_zero() -> None:
    assert problems(with_enterprise(balance_over_cents=-1)) == [
        "entry_policy.enterprise.balance_over_cents: must be a whole number of cents, 0 or more"
    ]


@pytest.mark.parametrize(
    ("minimum", "percent", "balance", "required"),
    [
        ("$25.00", 10, "$1,000.00", "$100.00"),  # 10% of $1,000.00 is higher
        ("$25.00", 10, "$100.00", "$25.00"),  # $25 is higher than $10
        ("$25.00", 10, "$250.00", "$25.00"),  # equal
        ("$0.00", 10, "$10.05", "$1.01"),  # 10% of $10.05 = $1.005, rounded up to the cent
        ("$0.00", 100, "$37.42", "$37.42"),
    ],
)
def test_the_required_payment_is_the_higher_of_dollars_and_percent(
    minimum: str, percent: int, balance: str, required: str
) -> None:
    rules = EntryRules(min_payment_cents=dollars(minimum), min_payment_percent=percent)
    assert rules.required_payment_cents(dollars(balance)) == dollars(required)


def test_override_rules_are_required_with_override_and_only_then() -> None:
    assert problems(with_portfolio("EAST", rules=None)) == [
        "entry_policy.portfolios[EAST].rules: is required when override_enterprise is set"
    ]
    assert problems(with_portfolio("NORTH", rules=EAST_RULES)) == [
        "entry_policy.portfolios[NORTH].rules: is only allowed when override_enterprise is set"
    ]


def test_the_practice_configuration_table() -> None:
    # Portfolio | Collections Enabled | Assignment Level | rules in effect
    rows = [
        (code, POLICY.collections_enabled(code), POLICY.assignment_level(code), POLICY.effective_rules(code))
        for code in ("NORTH", "SOUTH", "EAST", "WEST")
    ]
    assert rows == [
        ("NORTH", True, "Enterprise", ENTERPRISE_RULES),
        ("SOUTH", False, "Enterprise", None),  # disabled: nothing applies
        ("EAST", True, "Portfolio", EAST_RULES),  # override
        ("WEST", False, "Enterprise", None),  # no settings at all
    ]
    assert POLICY.assignment("NORTH") == NORTH_ASSIGNMENT
    assert POLICY.assignment("SOUTH") is None


# ---------------------------------------------------------------------- seed 003: task assignment


def test_name_ranges_a_d_and_e_h_are_accepted() -> None:
    assert problems(with_north_rules("A | D | ann\nE | H | bob")) == []


def test_overlapping_name_ranges_a_d_and_d_h_are_rejected() -> None:
    assert problems(with_north_rules("A | D | ann\nD | H | bob")) == [
        "entry_policy.portfolios[NORTH].assignment.rules[2]: overlaps assignment rule 1 (A–D)"
    ]


def test_missed_plan_rules_do_not_overlap_the_others() -> None:
    assert problems(with_north_rules("A | Z | ann\nA | Z | bob | | yes")) == []
    assert problems(with_north_rules("A | M | ann | | yes\nM | Z | bob | | yes")) == [
        "entry_policy.portfolios[NORTH].assignment.rules[2]: overlaps assignment rule 1 (A–M)"
    ]


def test_balance_ranges_500_to_2500_and_2501_to_10000_are_accepted() -> None:
    rules = "$500.00 | $2,500.00 | ann\n$2,501.00 | $10,000.00 | bob"
    assert problems(with_north_rules(rules, AssignmentType.BALANCE_RANGE)) == []


def test_balance_ranges_are_inclusive_so_2500_overlaps() -> None:
    rules = "$500.00 | $2,500.00 | ann\n$2,500.00 | $3,000.00 | bob"
    assert problems(with_north_rules(rules, AssignmentType.BALANCE_RANGE)) == [
        "entry_policy.portfolios[NORTH].assignment.rules[2]: overlaps assignment rule 1 ($500.00–$2,500.00)"
    ]


def test_from_after_to_is_rejected() -> None:
    assert problems(with_north_rules("H | D | ann")) == [
        "entry_policy.portfolios[NORTH].assignment.rules[1]: from (H) must not be greater than to (D)"
    ]
    assert problems(with_north_rules("$2,500.00 | $500.00 | ann", AssignmentType.BALANCE_RANGE)) == [
        "entry_policy.portfolios[NORTH].assignment.rules[1]: from ($2,500.00) must not be greater than to ($500.00)"
    ]


def test_range_ends_must_suit_the_assignment_type() -> None:
    assert problems(with_north_rules("AB | 4 | ann")) == [
        "entry_policy.portfolios[NORTH].assignment.rules[1].from: must be a single letter A–Z",
        "entry_policy.portfolios[NORTH].assignment.rules[1].to: must be a single letter A–Z",
    ]
    rules = replace(NORTH_ASSIGNMENT, assignment_type=AssignmentType.BALANCE_RANGE)  # the letters remain
    assert problems(with_portfolio("NORTH", assignment=rules))[:2] == [
        "entry_policy.portfolios[NORTH].assignment.rules[1].from: must be a whole number of cents, 0 or more",
        "entry_policy.portfolios[NORTH].assignment.rules[1].to: must be a whole number of cents, 0 or more",
    ]


def test_a_rule_names_a_collector_or_a_group() -> None:
    both = (AssignmentRule("A", "D", collector="ann", group="early"), AssignmentRule("E", "H"))
    assignment = replace(NORTH_ASSIGNMENT, rules=both)
    assert problems(with_portfolio("NORTH", assignment=assignment)) == [
        "entry_policy.portfolios[NORTH].assignment.rules[1]: must name a collector or a group, not both",
        "entry_policy.portfolios[NORTH].assignment.rules[2]: must name a collector or a group",
    ]
    assert problems(with_north_rules("A | D | cy\nE | H | group:late")) == [
        "entry_policy.portfolios[NORTH].assignment.rules[1].collector: names an unknown collector 'cy'",
        "entry_policy.portfolios[NORTH].assignment.rules[2].group: names an unknown group 'late'",
    ]


def test_default_collector_and_default_action_are_required_when_collections_are_enabled() -> None:
    empty = TaskAssignment()
    assert problems(with_portfolio("NORTH", assignment=empty)) == [
        "entry_policy.portfolios[NORTH].assignment.default_collector: is required",
        "entry_policy.portfolios[NORTH].assignment.default_action: is required",
    ]
    assert problems(with_portfolio("NORTH", assignment=empty, collections_enabled=False)) == []
    unknown = replace(NORTH_ASSIGNMENT, default_collector="early", default_action="Letter 9")
    assert problems(with_portfolio("NORTH", assignment=unknown)) == [
        "entry_policy.portfolios[NORTH].assignment.default_collector: names an unknown collector 'early'",
        "entry_policy.portfolios[NORTH].assignment.default_action: names an unknown action or series 'Letter 9'",
    ]


def test_assignment_work_must_suit_guarantor_collections_and_the_portfolio() -> None:
    work = replace(NORTH_ASSIGNMENT, default_action="Insurance Follow-up")
    assert problems(with_portfolio("NORTH", assignment=work)) == [
        "entry_policy.portfolios[NORTH].assignment.default_action: series 'Insurance Follow-up' is an insurance "
        "series and cannot be used in portfolio 'NORTH'"
    ]
    assert problems(with_north_rules("A | Z | ann | Late Fee")) == []
    east = replace(POLICY.portfolios[2].assignment, default_action="Ins Call")
    assert problems(with_portfolio("EAST", assignment=east)) == [
        "entry_policy.portfolios[EAST].assignment.default_action: action 'Ins Call' is an insurance action "
        "and cannot be used in portfolio 'EAST'",
        "entry_policy.portfolios[EAST].assignment.default_action: "
        "action 'Ins Call' is not available to portfolio 'EAST'",
    ]


def test_changing_the_assignment_type_deletes_the_rules_and_returns_them() -> None:
    # "If you change the Assignment Type, any values in the Task Assignment table ... will be deleted."
    changed, deleted = NORTH_ASSIGNMENT.with_assignment_type(AssignmentType.BALANCE_RANGE)
    assert changed.assignment_type is AssignmentType.BALANCE_RANGE
    assert changed.rules == ()
    assert deleted == NORTH_ASSIGNMENT.rules
    assert (changed.default_collector, changed.default_action) == ("ann", "Guarantor Letters")
    assert NORTH_ASSIGNMENT.with_assignment_type(AssignmentType.NAME_RANGE) == (NORTH_ASSIGNMENT, ())


@pytest.mark.parametrize(
    ("last_name", "plan_delinquent", "expected"),
    [
        ("Doe", False, ("ann", "Guarantor Letters", 0)),  # A–D, no default work → the default action
        ("Evans", False, ("bob", "Call 1", 1)),  # E–H
        ("evans", False, ("bob", "Call 1", 1)),  # any case
        ("zeta", False, ("early", "Guarantor Letters", 2)),  # I–Z, a group
        ("O'Brien", False, ("early", "Guarantor Letters", 2)),  # first letter O
        ("  Adams", False, ("ann", "Guarantor Letters", 0)),
        ("Émile", False, ("bob", "Call 1", 1)),  # accents ignored
        ("", False, ("ann", "Guarantor Letters", None)),  # nothing matches → defaults
        ("'Brien", False, ("ann", "Guarantor Letters", None)),
        ("42nd Street LLC", False, ("ann", "Guarantor Letters", None)),
        ("ßmith", False, ("ann", "Guarantor Letters", None)),  # not a letter A–Z
        ("Doe", True, ("bob", "Late Fee", 3)),  # missed payment plan rules come first
        ("", True, ("ann", "Guarantor Letters", None)),
    ],
)
def test_name_range_assignment(last_name: str, plan_delinquent: bool, expected: tuple[str, str, int | None]) -> None:
    assert match_assignment(NORTH_ASSIGNMENT, last_name, 10000, plan_delinquent) == expected


@pytest.mark.parametrize(
    ("balance", "expected"),
    [
        ("$499.99", ("bob", "Letter 1", None)),
        ("$500.00", ("ann", "Letter 1", 0)),
        ("$2,500.00", ("ann", "Letter 1", 0)),
        ("$2,500.50", ("bob", "Letter 1", None)),  # between the ranges
        ("$2,501.00", ("bob", "Guarantor Letters", 1)),
        ("$10,000.00", ("bob", "Guarantor Letters", 1)),
        ("$10,000.01", ("bob", "Letter 1", None)),
    ],
)
def test_balance_range_assignment(balance: str, expected: tuple[str, str, int | None]) -> None:
    east = POLICY.portfolios[2].assignment
    match = match_assignment(east, "Doe", dollars(balance), plan_delinquent=False)
    assert match == expected
    assert (match.assignee, match.work, match.rule_index) == expected


def test_a_missed_plan_rule_applies_only_to_delinquent_plans() -> None:
    assignment = replace(NORTH_ASSIGNMENT, rules=table("A | D | ann\nA | D | bob | Late Fee | yes"))
    assert match_assignment(assignment, "Doe", 100, plan_delinquent=False) == ("ann", "Guarantor Letters", 0)
    assert match_assignment(assignment, "Doe", 100, plan_delinquent=True) == ("bob", "Late Fee", 1)


# ------------------------------------------------------------------------------------------ people


def test_people_and_letters() -> None:
    strategy = replace(
        BASE,
        collectors=(*BASE.collectors, Collector("cy", "Cy", ("late",), 100)),
        groups=(*BASE.groups, CollectorGroup("ann", "Clash")),
        users=(User("root", "", -1),),
        letters=(*LETTERS, LetterTemplate("L3", "Empty", "", "")),
    )
    assert problems(strategy) == [
        "groups[ann].code: is already the code of a collector (collectors and groups share codes)",
        "collectors[cy].user_level: must be between 0 and 99",
        "users[root].name: must not be empty",
        "users[root].user_level: must be between 0 and 99",
        "letters[L3].body: must not be empty",
        "collectors[cy].groups: names an unknown group 'late'",
    ]


def test_config_error_reads_as_path_and_rule() -> None:
    error = ConfigError("actions[Call 1].follow_up_days", "must be between 1 and 999")
    assert str(error) == "actions[Call 1].follow_up_days: must be between 1 and 999"


# ------------------------------------------------------------------------------------------- usages


def test_usages_say_who_uses_an_action() -> None:
    assert usages(BASE, "action", "Call 1") == (
        "action 'Call 1' is step 2 of series 'Guarantor Letters'",
        "action 'Call 1' is the default work of assignment rule 2 of portfolio 'NORTH'",
    )
    assert usages(BASE, "action", "Letter 2") == (
        "action 'Letter 2' is the next action of action 'Call 1'",
        "action 'Letter 2' is step 3 of series 'Guarantor Letters'",
    )
    assert usages(BASE, "action", "Review") == (
        "action 'Review' is step 2 of series 'Insurance Follow-up'",
        "action 'Review' is the custom final action of series 'Insurance Follow-up'",
    )
    assert usages(BASE, "action", "Letter 1") == (
        "action 'Letter 1' is step 1 of series 'Guarantor Letters'",
        "action 'Letter 1' is the default action of portfolio 'EAST'",
    )
    assert usages(BASE, "action", "Nobody") == ()


def test_usages_of_series_collectors_groups_letters_and_portfolios() -> None:
    assert usages(BASE, "series", "Guarantor Letters") == (
        "series 'Guarantor Letters' is the default action of portfolio 'NORTH'",
        "series 'Guarantor Letters' is the default work of assignment rule 2 of portfolio 'EAST'",
    )
    assert usages(BASE, "collector", "ann") == (
        "collector 'ann' is the default collector of portfolio 'NORTH'",
        "collector 'ann' is the collector of assignment rule 1 of portfolio 'NORTH'",
        "collector 'ann' is the collector of assignment rule 1 of portfolio 'EAST'",
    )
    assert usages(BASE, "group", "early") == (
        "group 'early' is a group of collector 'ann'",
        "group 'early' is the group of assignment rule 3 of portfolio 'NORTH'",
    )
    assert usages(BASE, "letter", "L2") == (
        "letter 'L2' is the letter template of action 'Letter 2'",
        "letter 'L2' is the collection letter of action 'Late Fee'",
    )
    assert usages(BASE, "portfolio", "EAST") == (
        "portfolio 'EAST' is a portfolio of action 'Late Fee'",
        "portfolio 'EAST' has guarantor collections settings",
    )


# ------------------------------------------------------------------------------------------ conditions


def test_the_entry_rules_are_a_condition_in_the_structured_seed_form() -> None:
    payment = "largest_payment < required_payment"
    assert ENTERPRISE_RULES.rules_condition == f"balance > 5 AND days_past_due > 45 AND {payment}"
    assert EAST_RULES.rules_condition == f"balance > 100 AND days_past_due > 60 AND {payment}"
    assert EntryRules(balance_over_cents=123456).rules_condition.startswith("balance > 1234.56 AND days_past_due > 0")


def test_entry_policy_and_assignment_conditions_are_validated_with_their_paths() -> None:
    enterprise = replace(ENTERPRISE_RULES, condition="NOT bankrupcy AND NOT deceased")
    east = replace(EAST_RULES, condition="guarantor_state = 5")
    rules = (*NORTH_ASSIGNMENT.rules[:3], replace(NORTH_ASSIGNMENT.rules[3], condition="NOT (xyzzy"))
    portfolios = tuple(
        replace(p, rules=east) if p.portfolio == "EAST"
        else replace(p, assignment=replace(NORTH_ASSIGNMENT, rules=rules)) if p.portfolio == "NORTH"
        else p
        for p in POLICY.portfolios
    )  # fmt: skip
    found = problems(replace(BASE, entry_policy=EntryPolicy(enterprise, portfolios)))
    assert found[0].startswith(
        "entry_policy.enterprise.condition: line 1, column 5: unknown field 'bankrupcy'; did you mean: bankruptcy? "
        "(known fields: balance, days_past_due,"
    )
    assert found[1:] == [
        "entry_policy.portfolios[NORTH].assignment.rules[4].condition: line 1, column 11: syntax error: the "
        "condition ends too early; expected ')'",
        "entry_policy.portfolios[EAST].rules.condition: line 1, column 19: guarantor_state is text; value 5 is a "
        "number (quote text: '5')",
    ]
    blank = replace(BASE, entry_policy=replace(POLICY, enterprise=replace(ENTERPRISE_RULES, condition="  ")))
    assert problems(blank) == []  # blank: no condition


def test_an_assignment_rule_matches_only_where_its_condition_holds() -> None:
    texas = AssignmentRule("A", "Z", collector="bob", default_work="Call 1", condition="guarantor_state = 'TX'")
    assignment = replace(NORTH_ASSIGNMENT, rules=(texas, *NORTH_ASSIGNMENT.rules))
    assert problems(with_portfolio("NORTH", assignment=assignment)) == []  # a condition may narrow an overlap
    in_texas = {"guarantor_state": "TX"}
    assert match_assignment(assignment, "Doe", 100, False, in_texas) == ("bob", "Call 1", 0)
    assert match_assignment(assignment, "Doe", 100, False, {"guarantor_state": "OK"}) == ("ann", "Guarantor Letters", 1)
    assert match_assignment(assignment, "Doe", 100, False, {}) == ("ann", "Guarantor Letters", 1)  # missing: false
    with pytest.raises(ValueError, match="assignment rule 1 has a condition: pass the account's fields"):
        match_assignment(assignment, "Doe", 100, False)


def test_rules_without_conditions_still_may_not_overlap() -> None:
    rules = (*NORTH_ASSIGNMENT.rules, AssignmentRule("C", "F", collector="ann"))
    assert problems(with_portfolio("NORTH", assignment=replace(NORTH_ASSIGNMENT, rules=rules))) == [
        "entry_policy.portfolios[NORTH].assignment.rules[5]: overlaps assignment rule 1 (A–D)",
        "entry_policy.portfolios[NORTH].assignment.rules[5]: overlaps assignment rule 2 (E–H)",
    ]


def test_blank_default_work_is_the_default_action() -> None:
    rules = (AssignmentRule("A", "Z", collector="bob", default_work="  "),)
    strategy = with_portfolio("NORTH", assignment=replace(NORTH_ASSIGNMENT, rules=rules))
    assert problems(strategy) == []
    assignment = strategy.entry_policy.assignment("NORTH")
    assert assignment is not None
    assert match_assignment(assignment, "Doe", 100, False) == ("bob", "Guarantor Letters", 0)


def test_the_fields_the_conditions_of_a_strategy_read() -> None:
    assert condition_fields(BASE) == {"balance", "days_past_due", "largest_payment", "required_payment"}
    enterprise = replace(ENTERPRISE_RULES, condition="NOT bankruptcy AND NOT deceased")
    texas = AssignmentRule("A", "Z", collector="bob", condition="guarantor_state = 'TX' AND collector IS NULL")
    north = PortfolioCollections("NORTH", assignment=replace(NORTH_ASSIGNMENT, rules=(texas,)))
    strategy = replace(BASE, entry_policy=EntryPolicy(enterprise, (north,)))
    assert condition_fields(strategy) == {
        "balance", "days_past_due", "largest_payment", "required_payment", "bankruptcy", "deceased",
        "guarantor_state", "collector",
    }  # fmt: skip


def test_name_whitespace_is_every_character_python_calls_a_space() -> None:
    spaces = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert set(NAME_WHITESPACE) == spaces
    assert name_initial("\u3000\x1c élan") == "E"
    assert name_initial("ıvan") is None  # a dotless i is not a letter A–Z (its upper case I would be)
