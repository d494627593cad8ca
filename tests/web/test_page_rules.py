"""Rules every page follows, through a test client on both databases: Collections Admin follows the API's
permissions (a manager changes their practices' collections settings, as the API's ``configure`` lets them, and
nothing enterprise-wide); a malformed parameter of a page's address answers a page naming it and its rule (the
API stays JSON); the worklist shows each item's party flags as the account page does."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from arrears.domain.flags import FlagChange
from arrears.services.flags import set_flags
from arrears.services.security import create_token
from arrears.services.stored_strategy import load_strategy
from tests.notation import d
from tests.web.conftest import DAY, Site


def test_a_manager_changes_their_practices_settings_and_nothing_enterprise_wide(site: Site) -> None:
    site.login("mgr")  # a manager of NORTH
    tab = site.client.get("/admin/guarantor")
    assert tab.status_code == 200
    assert 'value="NORTH"' in tab.text and 'value="SOUTH"' not in tab.text  # only their practices
    assert "Save the enterprise rules" not in tab.text and re.search(r"<fieldset disabled>", tab.text)
    assert 'href="/admin/actions"' not in tab.text  # the tabs they may not open are not offered
    enterprise = site.post("/admin/guarantor/enterprise", balance_over="1.00")
    assert enterprise.status_code == 403
    assert site.client.get("/admin/guarantor/practice?selected=SOUTH").status_code == 404
    page = site.client.get("/admin/guarantor/practice?selected=NORTH")
    assert page.status_code == 200
    north = load_strategy(site.db).entry_policy.portfolio("NORTH")
    assert north is not None
    saved = site.post("/admin/guarantor/practice", portfolio="NORTH", enabled="1", default_collector="LO",
                      default_action=north.assignment.default_action or "",
                      insurance_action=north.assignment.insurance_action or "")  # fmt: skip
    assert saved.status_code == 303, saved.text
    changed = load_strategy(site.db).entry_policy.portfolio("NORTH")
    assert changed is not None and changed.assignment.default_collector == "LO"
    other = site.post("/admin/guarantor/practice", portfolio="SOUTH", enabled="")
    assert other.status_code == 404
    for path in ("/admin/actions", "/admin/milestones", "/admin/compliance", "/admin/configuration"):
        assert site.client.get(path).status_code == 403, path
    site.switch("BO")  # a collector configures nothing
    assert site.client.get("/admin/guarantor").status_code == 403
    assert 'href="/admin/guarantor"' not in site.client.get("/accounts").text


def test_a_malformed_parameter_answers_a_page_naming_it_and_its_rule_and_the_api_stays_json(site: Site) -> None:
    site.login("BO")
    for path, name, value in (("/worklist?on=notadate", "on", "notadate"),
                              ("/accounts/evans?as_of=2026-13-01", "as_of", "2026-13-01")):  # fmt: skip
        answer = site.client.get(path)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html"), path
        assert re.search(rf'<span class="label">{name}</span>: Input should be a valid date[^<]*\(got “{value}”\)',
                         answer.text), answer.text  # fmt: skip
        assert "Content-Security-Policy" in answer.headers
    token = create_token(site.db, "BO", "tests", None, 1, now=datetime.now(UTC)).secret
    api = site.client.get("/api/v1/worklist?on=notadate", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and api.headers["content-type"] == "application/json"
    assert [p["location"] for p in api.json()["problems"]] == ["query.on"]


def test_the_worklist_shows_each_items_party_flags_as_the_account_page_does(site: Site) -> None:
    set_flags(site.db, [FlagChange("evans", "attorney_represented"), FlagChange("evans", "dispute", d(DAY))],
              on=d(DAY), actor="ann")  # fmt: skip
    site.login("BO")
    worklist = site.client.get(f"/worklist?on={DAY}").text
    flags = re.search(r'<ul class="flags" aria-label="Flags of Evans[^"]*">(.*?)</ul>', worklist, re.S)
    assert flags is not None
    shown = re.findall(r'<li class="flag">([^<]*)</li>', flags[1])
    assert shown == ["attorney represented", f"disputed {DAY}"]
    account = site.client.get(f"/accounts/evans?as_of={DAY}").text
    assert re.findall(r'<li class="flag">([^<]*)</li>', account) == shown
    assert "Ford · ford" in worklist and not re.search(r'aria-label="Flags of Ford', worklist)  # none: none shown
