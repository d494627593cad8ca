"""Contact plans in the configuration document: every option round-trips, and bad plans are refused with
their paths (events named by their sequence number)."""

from __future__ import annotations

from pathlib import Path

from arrears.domain.plans import Timing
from arrears.services.config_document import dump_strategy, parse_document
from tests.examples import example_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "strategy.yaml"
PORTFOLIOS = {"FAMILY", "ORTHO", "OUTPT"}
HEAD = """
version: 1
collectors: [{code: ann, name: Ann}]
letters: [{code: G30, name: G30, body: "Dear {{ party.first_name }}"}]
"""


def problems(text: str) -> list[str]:
    return [f"{e.path}: {e.rule}" for e in parse_document(HEAD + text, "plans.yaml", PORTFOLIOS).errors]


def test_the_example_plans_round_trip_through_export_and_apply() -> None:
    parsed = parse_document(example_text(), "strategy.yaml", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    codes = [plan.code for plan in parsed.strategy.plans]
    assert codes == ["NEW", "MONTHLY", "C1", "PROMISE", "CLOSE", "LEGAL", "BROKEN"]
    new = parsed.strategy.plan("NEW")
    assert new is not None and [(e.type.value, e.timing, e.days) for e in new.events] == [
        ("letter", Timing.IMMEDIATELY, None), ("review", Timing.DELAY_DAYS, 10),
    ]  # fmt: skip
    call = parsed.strategy.plan("C1")
    assert call is not None and call.events[0].delay_minutes == 60
    again = parse_document(dump_strategy(parsed.strategy), "export.yaml", PORTFOLIOS)
    assert again.errors == () and again.strategy == parsed.strategy
    assert 'delay_minutes: "1:00"' in dump_strategy(parsed.strategy).replace("'", '"')


def test_every_option_of_an_event_is_read() -> None:
    text = """
plans:
  - code: ALL
    description: every option
    delete_all_pending: true
    prompt_before_deleting: true
    do_not_run_on_closed: true
    prompt_for_start_date: true
    access: [{low: 10, high: 20}, {low: 50, high: 60}, {low: 99, high: 99}]
    events:
      - {sequence: 5, type: promise, assign_to: specific_operator, operator: ann, timing: day_of_month,
         day_of_month: 31, delay_minutes: 40, repeat: monthly, copy_on_repeat: true, log_repeat_to_notes: true,
         priority: 66, no_autocomplete: true, no_autodelete: true, mark_done_immediately: true,
         delete_same_type: true, same_description_only: true, record_event_history: true, promise_percent: 50,
         advance_promise_on_overpayment: true,
         schedule_if: {field: balance, operator: "..", value1: "100", value2: "200"}}
      - {sequence: 6, type: transaction, description: fee, amount: "25.00", timing: next_month_same_day}
"""
    parsed = parse_document(HEAD + text, "plans.yaml", PORTFOLIOS)
    assert parsed.errors == ()
    assert parsed.strategy is not None
    again = parse_document(dump_strategy(parsed.strategy), "export.yaml", PORTFOLIOS)
    assert again.strategy == parsed.strategy
    promise, fee = parsed.strategy.plans[0].events
    assert (promise.delay_minutes, promise.priority, promise.promise_percent, fee.amount_cents) == (40, 66, 50, 2500)


def test_bad_plans_are_refused_with_their_paths() -> None:
    text = """
plans:
  - code: TOOLONGX
    events:
      - {sequence: 1, type: letter, description: G99}
  - code: P2
    colour: red
    events:
      - {sequence: 2, type: review, timing: delay_days, days: "10"}
      - {sequence: 3, type: phone_call, delay_minutes: "1:75"}
      - {sequence: 4, type: note, description: hi, priority: 0}
"""
    assert problems(text) == [
        "plans[P2].events[2].days: must be a whole number",
        "plans[P2].events[3].delay_minutes: must be minutes (40) or hours and minutes on a 24-hour clock (1:00)",
        "plans[P2].colour: is not a known key (known: code, description, delete_all_pending, prompt_before_deleting, "
        "do_not_run_on_closed, sub_plan, prompt_for_start_date, run_on_close, access, events)",
        "plans[TOOLONGX].code: must be at most 7 letters or digits",
        "plans[TOOLONGX].events[1].description: names an unknown letter template 'G99'",
        "plans[P2].events[4].priority: must be between 1 and 99",
    ]


def test_transaction_types_link_ledger_kinds_to_plans() -> None:
    text = """
plans:
  - {code: THANKS, run_on_close: true, events: [{sequence: 1, type: note, description: Thank you}]}
transaction_types:
  - {code: PAY, kind: payment, plan: THANKS, description: Guarantor payment}
  - {code: CHG, kind: charge}
"""
    parsed = parse_document(HEAD + text, "plans.yaml", PORTFOLIOS)
    assert parsed.errors == () and parsed.strategy is not None
    assert parsed.strategy.transaction_plans() == {"payment": "THANKS"}
    assert parsed.strategy.plans[0].run_on_close
    again = parse_document(dump_strategy(parsed.strategy), "export.yaml", PORTFOLIOS)
    assert again.strategy == parsed.strategy
    bad = """
transaction_types:
  - {code: PAY, kind: payment, plan: NOPE}
  - {code: PAY2, kind: payment}
  - {code: GIFT, kind: gift}
"""
    assert problems(bad) == [
        "transaction_types[PAY].plan: names an unknown plan 'NOPE'",
        "transaction_types[PAY2].kind: payment is already the kind of transaction type 'PAY'",
        "transaction_types[GIFT].kind: must be a ledger kind: one of charge, payment, adjustment, fee, penalty, "
        "deposit, write_off, reversal, refund",
    ]
