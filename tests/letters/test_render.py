"""Letters: Jinja2 in a sandbox, with documented merge fields; bad templates are refused with the line."""

from datetime import date

import pytest

from arrears.domain.ledger import Position, position
from arrears.domain.strategy import LetterTemplate
from arrears.letters.records import merge_data_from_record, merge_record
from arrears.letters.render import (
    MERGE_FIELDS,
    LetterError,
    MergeData,
    letter_context,
    merge_fields,
    render_letter,
    sample_context,
    sample_data,
    template_problems,
)
from tests.notation import d, ledger


def letter(body: str, subject: str = "Your balance") -> LetterTemplate:
    return LetterTemplate("G30", "Guarantor 30 day", subject, body)


def context() -> dict:
    position = Position(
        as_of=date(2026, 3, 1),
        balance_cents=123456,
        oldest_unpaid_due=date(2026, 1, 15),
        days_past_due=45,
        aging=(("current", 0), ("1-30", 0), ("31-60", 123456), ("61-90", 0), ("91-120", 0), ("120+", 0)),
        last_payment_date=None,
        last_payment_cents=None,
    )
    party = {"first_name": "Ann", "last_name": "O'Brien", "address1": "12 Elm St", "address2": "",
             "city": "Dayton", "state": "OH", "postal_code": "45402"}  # fmt: skip
    data = MergeData(party, "A-1", "NEW", "FAMILY", "Maple Grove Family Practice", position, date(2026, 3, 1))
    return letter_context(data)


def test_every_documented_merge_field_renders() -> None:
    body = (
        "{{ party.full_name }}|{{ party.first_name }}|{{ party.last_name }}|{{ party.address_lines | join('/') }}|"
        "{{ party.city }}, {{ party.state }} {{ party.postal_code }}|{{ account.external_id }}|"
        "{{ account.status_code }}|{{ balance }}|{{ balance_cents }}|{{ aging['31-60'] }}|"
        "{{ aging_cents['31-60'] | money }}|{{ days_past_due }}|{{ oldest_unpaid_due | date }}|"
        "{{ portfolio.code }}|{{ portfolio.name }}|{{ today | date }}|{{ as_of | date('%m/%d/%Y') }}"
    )
    rendered = render_letter(letter(body, "Balance {{ balance }} at {{ portfolio.name }}"), context())
    assert rendered.subject == "Balance $1,234.56 at Maple Grove Family Practice"
    assert rendered.body.split("|") == [
        "Ann O'Brien", "Ann", "O'Brien", "12 Elm St", "Dayton, OH 45402", "A-1", "NEW", "$1,234.56", "123456",
        "$1,234.56", "$1,234.56", "45", "January 15, 2026", "FAMILY", "Maple Grove Family Practice",
        "March 1, 2026", "03/01/2026",
    ]  # fmt: skip


def test_merge_fields_are_documented() -> None:
    assert merge_fields() is MERGE_FIELDS
    for name in ("party.first_name", "account.external_id", "balance", "aging", "portfolio.name", "today"):
        assert MERGE_FIELDS[name]
    assert set(sample_context()) == {name.split(".")[0] for name in MERGE_FIELDS}


def test_unknown_merge_fields_are_clear_errors() -> None:
    with pytest.raises(LetterError, match=r"unknown merge field 'party\.frist_name' \(known: party\.first_name"):
        render_letter(letter("Dear {{ party.frist_name }}"), context())
    with pytest.raises(LetterError, match=r"letter 'G30' body: unknown merge field 'balanse'"):
        render_letter(letter("{{ balanse }}"), context())
    with pytest.raises(LetterError, match=r"unknown merge field 'aging\['1-31'\]'"):
        render_letter(letter("{{ aging['1-31'] }}"), context())


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(LetterError, match="unsafe"):
        render_letter(letter("{{ party.__class__.__mro__ }}"), context())


def test_template_problems_name_the_letter_the_part_and_the_line() -> None:
    assert template_problems(letter("Dear {{ party.first_name }}")) == ()
    [syntax] = template_problems(letter("Dear {{ party.first_name }},\n\n{% if balance %}you owe"))
    assert syntax.path == "letters[G30].body"
    assert "line 3" in syntax.rule
    [unknown] = template_problems(letter("fine", subject="{{ acount.external_id }}"))
    assert (unknown.path, unknown.rule.split(" (")[0]) == ("letters[G30].subject", "uses unknown merge field 'acount'")
    [bad_filter] = template_problems(letter("{{ balance | dollars }}"))
    assert "No filter named 'dollars'" in bad_filter.rule


def test_money_filter_wants_cents() -> None:
    with pytest.raises(LetterError, match="integer cents"):
        render_letter(letter("{{ balance | money }}"), context())


def test_letterhead_itemization_and_dates_render() -> None:
    body = (
        "{{ portfolio.name }}|{{ portfolio.address_lines | join('/') }}|{{ portfolio.city }}, {{ portfolio.state }} "
        "{{ portfolio.postal_code }}|{{ portfolio.phone }}|{{ portfolio.logo[:22] }}|"
        "As of {{ itemization.date | date }} you owed {{ itemization.balance }}|"
        "{% for line in itemization.lines %}{{ line.date | date('%m/%d') }} {{ line.description }} {{ line.amount }};"
        "{% endfor %}|{{ itemization.charges }} {{ itemization.fees }} {{ itemization.payments }} "
        "{{ itemization.adjustments }}|{{ balance }}|{{ response_by | date }}|{{ validation_end | date }}"
    )
    rendered = render_letter(LetterTemplate("G30", "x", "", body, response_days=5), sample_context(
        template=LetterTemplate("G30", "x", response_days=5)))  # fmt: skip
    assert rendered.body.split("|") == [
        "Maple Grove Family Practice", "400 Maple Grove Rd/Suite 200", "Dayton, OH 45409", "(937) 555-0100",
        "data:image/png;base64,", "As of December 1, 2025 you owed $1,150.00",
        "12/15 Office visit $90.00;01/05 Late fee $25.00;01/20 Payment, thank you -$50.00;"
        "02/01 Insurance adjustment $19.56;", "$90.00 $25.00 -$50.00 $19.56", "$1,234.56",
        # Sunday 1 March 2026 + 5 business days; receipt on the 6th, then 30 days
        "March 6, 2026", "April 5, 2026",
    ]  # fmt: skip


def test_saving_refuses_an_unknown_attribute_even_in_a_branch_the_sample_never_takes() -> None:
    [typo] = template_problems(letter("{% if balance_cents > 99999999 %}Dear {{ party.frist_name }}{% endif %}"))
    assert typo.path == "letters[G30].body"
    assert typo.rule.startswith("uses unknown merge field 'party.frist_name' (known: party.first_name")
    [key] = template_problems(letter("{{ aging['1-31'] }}", subject="{{ portfolio.phone }}"))
    assert key.rule.startswith("uses unknown merge field 'aging['1-31']'")


def test_saving_knows_the_payment_plan_and_addressee_fields() -> None:
    good = letter("{{ addressee.name }}: {{ plan.installment }} due {{ plan.next_due | date }}, "
                  "{{ plan.installments_remaining }} left")  # fmt: skip
    assert template_problems(good) == ()
    rendered = render_letter(good, sample_context())
    assert rendered.body == "Ann Smith: $150.00 due March 15, 2026, 10 left"
    (problem,) = template_problems(letter("{% if plan.active %}{{ plan.installment_amount }}{% endif %}"))
    assert problem.path == "letters[G30].body"
    assert problem.rule.startswith("uses unknown merge field 'plan.installment_amount' (known: plan.active, ")


def test_saving_knows_the_promise_fields_and_checks_them_against_the_sample_account() -> None:
    good = letter("{% if promise.active %}{{ promise.amount }} {{ promise.repeat }} due {{ promise.due | date }} "
                  "(keep by {{ promise.keep_by | date }}, grace {{ promise.grace_days }}), next "
                  "{{ promise.next_due | date }}; installment {{ promise.installment }}: {{ promise.paid }} paid, "
                  "{{ promise.shortfall }} short; taken by {{ promise.collector_name }} ({{ promise.collector }}, "
                  "{{ promise.channel }}){% endif %}")  # fmt: skip
    assert template_problems(good) == ()
    assert render_letter(good, sample_context()).body == (
        "$100.00 monthly due March 15, 2026 (keep by March 18, 2026, grace 3), next April 15, 2026; installment 1: "
        "$40.00 paid, $60.00 short; taken by Bob Ortiz (BO, phone)")  # fmt: skip
    assert render_letter(good, context()).body == ""  # no promise on file: promise.active is false
    (problem,) = template_problems(letter("{% if not promise.active %}{{ promise.amout }}{% endif %}"))
    assert problem.rule.startswith("uses unknown merge field 'promise.amout' (known: promise.active, ")


def test_the_remittance_stub_and_its_variants_come_from_one_field() -> None:
    (typo,) = template_problems(letter("{{ remittance.instalment }}"))
    assert typo.rule.startswith("uses unknown merge field 'remittance.instalment' (known: remittance.installment, "
                                "remittance.promise, remittance.dispute)")  # fmt: skip
    html = LetterTemplate("G30", "x", "", "<div>{{ remittance }}</div>")
    assert template_problems(html) == ()
    stub = render_letter(html, sample_context()).body
    assert stub.count('<div class="remittance">') == 1
    assert ("Mail to: Maple Grove Family Practice, 400 Maple Grove Rd, Suite 200, Dayton, OH 45409" in stub
            and '<td class="amount">Amount due: $1,234.56</td>' in stub)  # fmt: skip
    text = render_letter(letter("{{ remittance.promise }}"), sample_context()).body
    assert text.splitlines() == [
        "Please return this part with your payment.",
        "Mail to: Maple Grove Family Practice, 400 Maple Grove Rd, Suite 200, Dayton, OH 45409",
        "Ann Smith · Account A-1 · Promised payment due 03/15/2026: $60.00",
        "Amount enclosed: ____________",
        "Make your check payable to Maple Grove Family Practice and write the account number A-1 on it. To pay by "
        "phone call (937) 555-0100.",
    ]  # fmt: skip
    plan = render_letter(letter("{{ remittance.installment }}"), sample_context()).body.splitlines()[2]
    assert plan == "Ann Smith · Account A-1 · Installment due 03/15/2026: $150.00"
    assert render_letter(letter("{{ remittance.promise }}"), context()).body.splitlines()[2] == (
        "Ann O'Brien · Account A-1 · Amount due: $1,234.56")  # without a promise: the balance


def test_saving_renders_the_template_for_the_sample_account() -> None:
    [loop] = template_problems(letter("{% for line in itemization.lines %}{{ line.descripton }}{% endfor %}"))
    assert loop.path == "letters[G30].body"
    assert loop.rule.startswith("does not render for the sample account: unknown merge field "
                                "'itemization.lines[].descripton' (known: itemization.lines[].date")  # fmt: skip
    [error] = template_problems(letter("{{ balance | money }}"))
    assert error.rule == "does not render for the sample account: the money filter needs integer cents, got '$1,234.56'"
    [days] = template_problems(LetterTemplate("G30", "x", "", "fine", response_days=0))
    assert (days.path, days.rule) == ("letters[G30].response_days", "must be a whole number of business days, 1 to 90")


def test_html_bodies_escape_merge_values_and_text_bodies_do_not() -> None:
    data = MergeData({"first_name": "<b>Ann</b>", "last_name": "O'Brien & Co"}, "A-1", "", "F", "F",
                     sample_data().position, date(2026, 3, 1))  # fmt: skip
    html = render_letter(letter("<p>Dear {{ party.full_name }}</p>"), letter_context(data))
    assert html.body == "<p>Dear &lt;b&gt;Ann&lt;/b&gt; O&#39;Brien &amp; Co</p>"
    text = render_letter(letter("Dear {{ party.full_name }}"), letter_context(data))
    assert text.body == "Dear <b>Ann</b> O'Brien & Co"


def _refusal(body: str) -> str:
    [problem] = template_problems(letter(body))
    assert problem.path == "letters[G30].body"
    return problem.rule


def test_saving_refuses_include_import_and_extends() -> None:
    assert _refusal('Dear {{ party.first_name }}\n{% include "footer.html" %}') == (
        "uses {% include %} on line 2: a letter is one template"
    )
    assert _refusal('{% from "macros" import stub %}') == "uses {% import %} on line 1: a letter is one template"
    assert _refusal('{% extends "base.html" %}') == "uses {% extends %} on line 1: a letter is one template"


def test_saving_refuses_a_template_past_a_limit_and_names_the_limit() -> None:
    assert _refusal("{% macro remind(n) %}{{ remind(n) }}{% endmacro %}{{ remind(1) }}") == (
        "does not render for the sample account: exceeds the recursion limit: calls nested more than 32 deep"
    )
    output_limit = "does not render for the sample account: exceeds the output limit of 2,000,000 characters"
    for body in ('{{ "a" * 100000000 }}', '{{ "a" | center(100000000) }}', '{{ "%999999999s" | format(1) }}',
                 '{{ "{:>999999999}".format(1) }}', '{% set s = "x" * 1000000 %}{% set s = s + s + s %}{{ s }}',
                 "{% for line in itemization.lines %}{{ 'x' * 1000000 }}{% endfor %}"):  # fmt: skip
        assert _refusal(body) == output_limit, body
    nested = "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}"
    assert _refusal(nested) == "does not render for the sample account: exceeds the loop limit of 100,000 iterations"
    assert _refusal("{{ balance_cents / 0 }}") == (
        "does not render for the sample account: ZeroDivisionError: division by zero"
    )


def test_a_template_within_the_limits_renders_a_bounded_recursion_and_loop() -> None:
    body = ("{% macro count(n) %}{% if n > 0 %}{{ count(n - 1) }}{{ n }}{% endif %}{% endmacro %}{{ count(5) }} "
            "{% for i in range(3) %}{{ party.first_name }}{% endfor %} {{ '-' * 3 }}")  # fmt: skip
    assert template_problems(letter(body)) == ()
    assert render_letter(letter(body), context()).body == "12345 AnnAnnAnn ---"


def test_printing_a_letter_past_a_limit_is_a_letter_error_naming_the_letter() -> None:
    with pytest.raises(LetterError, match=r"letter 'G30' body: exceeds the output limit of 2,000,000 characters"):
        render_letter(letter("{{ party.first_name * 3000000 }}"), context())


def test_a_letter_shows_what_is_owed_per_bucket_and_an_overpayment_as_a_credit_of_its_own() -> None:
    """$100.00 charged due 2026-02-04 and $125.00 paid on 2026-02-10: on 2026-02-20 the letter's buckets are what
    is owed ($0.00 current, never -$25.00) and the $25.00 overpaid is the credit; buckets less credit are the
    balance. The queued letter's record reads back to the same fields."""
    lines = """
    2026-01-05 charge  100.00 due 2026-02-04
    2026-02-10 payment 125.00 guarantor
    """
    pos = position(ledger(lines), d("2026-02-20"))
    data = MergeData({"first_name": "Ann", "last_name": "Smith"}, "A-1", "", "FAMILY", "Maple Grove", pos,
                     d("2026-02-20"))  # fmt: skip
    body = "{{ aging['current'] }}|{{ aging_cents['current'] }}|{{ credit }}|{{ credit_cents }}|{{ balance }}"
    for read in (data, merge_data_from_record(merge_record(data))):
        assert render_letter(letter(body), letter_context(read)).body == "$0.00|0|$25.00|2500|-$25.00"
    fields = letter_context(data)
    owed = sum(fields["aging_cents"][name] for name in ("current", "1-30", "31-60", "61-90", "91-120", "120+"))
    assert owed - fields["credit_cents"] == fields["balance_cents"] == -2500
