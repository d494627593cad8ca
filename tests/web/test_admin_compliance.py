"""Collections Admin, Compliance (docs/compliance.md), through a test client on both databases: the enterprise's
guardrails and call outcome codes changed through the form, a portfolio's own values (the rest following the
enterprise), and refusals next to their fields saving nothing."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import httpx

from arrears.domain.compliance import AttemptClass
from arrears.domain.compliance_rules import StateWindow
from arrears.services.config_versions import versions
from arrears.services.stored_strategy import load_strategy
from tests.web.conftest import Site


def _form(site: Site, path: str = "/admin/compliance") -> dict[str, Any]:
    """The fields of the compliance form as the page fills them (ticked boxes, chosen options, typed values)."""
    html = site.client.get(path).text
    form = html[html.index('id="compliance-form"'):]
    form = form[:form.index("</form>")]
    fields: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, kind = re.search(r'name="([^"]*)"', tag), re.search(r'type="([^"]*)"', tag)
        if name is None or " disabled" in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if kind is not None and kind[1] == "checkbox":
            if " checked" in tag:
                fields.setdefault(name[1], []).append(value[1] if value else "1")
            continue
        fields[name[1]] = value[1] if value else ""
    for attributes, options in re.findall(r"<select([^>]*)>(.*?)</select>", form, re.S):
        name = re.search(r'name="([^"]*)"', attributes)
        if name is None or " disabled" in attributes:
            continue
        # the option chosen, else the first, as a browser sends it: its value, or its text without one
        offered = [(value if has_value else text, bool(selected)) for has_value, value, selected, text
                   in re.findall(r'<option( value="([^"]*)")?( selected)?>([^<]*)<', options)]  # fmt: skip
        fields[name[1]] = next((value for value, selected in offered if selected), offered[0][0] if offered else "")
    return fields


def _saved(site: Site, fields: dict[str, Any], op: str = "") -> httpx.Response:
    return site.client.post("/admin/compliance/save" + (f"?op={op}" if op else ""), data=fields,
                            follow_redirects=False)  # fmt: skip


def test_the_enterprise_guardrails_and_a_state_window_are_changed_through_the_form(admin: Site) -> None:
    page = admin.client.get("/admin/compliance").text
    assert 'aria-current="page">Compliance<' in page and "H06 do not call" in page
    fields = _form(admin)
    assert fields["call_frequency.attempts"] == "7" and fields["time_of_day.start"] == "08:00"
    assert fields["window.2.state"] == "MA" and fields["window.2.zone"] == "America/New_York"
    grown = _saved(admin, fields, "add-window").text
    assert 'name="window.3.state"' in grown
    before = len(versions(admin.db))
    fields |= {"call_frequency.attempts": "6", "window.3.state": "TX", "window.3.start": "09:00",
               "window.3.end": "20:00", "window.3.zone": "America/Chicago"}  # fmt: skip
    assert _saved(admin, fields).status_code == 303
    enterprise = load_strategy(admin.db).compliance.enterprise
    assert enterprise.call_frequency.attempts == 6 and len(versions(admin.db)) == before + 1
    assert enterprise.time_of_day.state_windows[-1] == StateWindow("TX", time(9), time(20), "America/Chicago")
    assert enterprise.holds.do_not_call  # what the form did not change is kept


def test_a_refused_setting_is_shown_next_to_its_field_and_nothing_is_saved(admin: Site) -> None:
    before = load_strategy(admin.db).compliance, len(versions(admin.db))
    fields = _form(admin) | {"time_of_day.end": "07:00", "window.1.zone": "Mars/Olympus",
                             "call_frequency.days": "0"}  # fmt: skip
    refused = _saved(admin, fields)
    assert refused.status_code == 422
    assert re.search(r'id="c-time-of-day-end-error">must be after start \(08:00\)<', refused.text)
    assert re.search(r'id="c-window-1-zone-error">&#39;Mars/Olympus&#39; is not an IANA time zone', refused.text)
    assert re.search(r'id="c-call-frequency-days-error">must be a whole number, 1 or more<', refused.text)
    assert 'value="07:00"' in refused.text  # what was typed is kept
    # every class of call needs an outcome code: without the voicemail's, the table is refused
    codes = {name: value for name, value in _form(admin).items()}
    voicemail = [n for n, v in codes.items() if n.endswith(".class") and v == AttemptClass.VOICEMAIL.value]
    for name in voicemail:
        number = name.split(".")[1]
        codes = {k: v for k, v in codes.items() if not k.startswith(f"outcome.{number}.")}
    refused = _saved(admin, codes)
    assert refused.status_code == 422
    assert re.search(r'id="c-outcomes-error">must give a code for every class of call \(missing: voicemail\)<',
                     refused.text)  # fmt: skip
    assert (load_strategy(admin.db).compliance, len(versions(admin.db))) == before


def test_a_portfolio_has_its_own_values_and_follows_the_enterprise_in_the_rest(admin: Site) -> None:
    page = admin.client.get("/admin/compliance?portfolio=NORTH").text
    assert re.search(r'id="c-holds-do-not-call"[^>]*checked\s+disabled', page)  # the enterprise's, read-only
    fields = _form(admin, "/admin/compliance?portfolio=NORTH") | {"own.holds": ["1"]}
    opened = _saved(admin, fields, "refresh").text
    assert not re.search(r'id="c-holds-do-not-call"[^>]*disabled', opened)
    fields = {k: v for k, v in fields.items() if not k.startswith("holds.")} | {
        "holds.bankruptcy": ["1"], "holds.deceased": ["1"], "holds.cease_communication": ["1"], "holds.attorney": ["1"],
        "holds.dispute": ["1"]}  # do not call: off for NORTH  # fmt: skip
    assert _saved(admin, fields).status_code == 303
    policy = load_strategy(admin.db).compliance
    assert not policy.params("NORTH").holds.do_not_call and policy.params("SOUTH").holds.do_not_call
    # the enterprise changes: NORTH follows it where it has no values of its own
    enterprise = _form(admin) | {"call_frequency.attempts": "5"}
    assert _saved(admin, enterprise).status_code == 303
    policy = load_strategy(admin.db).compliance
    assert policy.params("NORTH").call_frequency.attempts == 5 and not policy.params("NORTH").holds.do_not_call
    assert admin.client.get("/admin/compliance?portfolio=NOWHERE").status_code == 404
