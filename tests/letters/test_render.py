"""Letters: Jinja2 in a sandbox, with documented merge fields; bad templates are refused with the line."""

from datetime import date

import pytest

from arrears.domain.ledger import Position
from arrears.domain.strategy import LetterTemplate
from arrears.letters import (
    MERGE_FIELDS,
    LetterError,
    MergeData,
    letter_context,
    merge_fields,
    render_letter,
    sample_context,
    template_problems,
)


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
