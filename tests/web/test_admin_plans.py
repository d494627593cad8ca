"""Collections Admin, Contact Plans (seed 002), through a test client on both databases: the list with its
Alt+C / Alt+U / Alt+R buttons, a plan made through the form with its events (a field shown only once its switch
is on, a refused event next to its field with what was typed kept, the events put in order), the plan saved as a
new configuration version and refused with nothing saved, and removing a plan that a transaction type or another
plan's event runs refused with what runs it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from arrears.domain.calendar import RepeatPeriod
from arrears.domain.plans import AssignTo, EventType, LevelRange, Plan, PlanEvent, ScheduleIf, Timing, TransactionType
from arrears.services.config import apply_document
from arrears.services.config_document import dump_strategy
from arrears.services.config_versions import versions
from arrears.services.plans import run_plan
from arrears.services.stored_strategy import load_strategy
from tests.notation import d
from tests.web.conftest import DAY, Site, csrf_of, option_labels

NEW_PLAN = {"code": "R14", "description": "A review in 14 days, then a monthly letter"}


def _form_state(html: str) -> dict[str, Any]:
    """The hidden state a form page carries: its events (the document's JSON) and the event being edited."""
    events = re.search(r'name="events" value="([^"]*)"', html)
    editing = re.search(r'name="editing" value="([^"]*)"', html)
    assert events is not None and editing is not None
    return {"events": events.group(1).replace("&#34;", '"').replace("&quot;", '"'), "editing": editing.group(1)}


def _post(site: Site, op: str = "", **fields: object) -> httpx.Response:
    return site.post("/admin/plans/save" + (f"?op={op}" if op else ""), **fields)


def test_the_list_and_its_keys_are_for_administrators(site: Site) -> None:
    site.login("mgr")
    assert site.client.get("/admin/plans").status_code == 403
    site.switch("admin")
    page = site.client.get("/admin/plans").text
    for key, label in (("c", "reate"), ("u", "pdate"), ("r", "emove")):
        assert re.search(rf'accesskey="{key}" aria-keyshortcuts="Alt\+{key.upper()}"><u>{key.upper()}</u>{label}', page)
    assert 'aria-current="page">Contact Plans<' in page
    row = page[page.index(">CLEAR<"):]
    row = row[:row.index("</tr>")]
    assert "Delete all pending contacts, Prompt before deleting" in row and "every level" in row


def test_a_switch_shows_its_fields_and_the_dropdowns_offer_what_the_configuration_has(admin: Site) -> None:
    new = admin.client.get("/admin/plans/edit").text
    assert 'name="editing" value="new"' in new  # a new plan opens its first event
    assert 'id="ev-days"' not in new and 'id="p-prompt_before_deleting"' not in new
    assert 'id="ev-copy_on_repeat"' not in new and 'id="ev-operator"' not in new
    fields = {**NEW_PLAN, "delete_all_pending": "1", **_form_state(new), "ev_type": "letter", "ev_sequence": "1",
              "ev_timing": "delay_days", "ev_days": "14", "ev_repeat": "monthly", "ev_assign_to": "specific_operator",
              "ev_if_field": "balance", "ev_if_operator": ".."}  # fmt: skip
    page = _post(admin, "refresh", **fields).text
    assert 'id="p-prompt_before_deleting"' in page
    assert re.search(r'id="ev-days"[^>]*value="14"', page)
    assert 'id="ev-copy_on_repeat"' in page and 'id="ev-log_repeat_to_notes"' in page
    assert 'id="ev-if_value2"' in page
    assert option_labels(page, "ev-letter") == ["choose…", "L30 (L30)", "L60 (L60)", "CLM (CLM)"]
    assert "BO (BO)" in option_labels(page, "ev-operator")
    # a delayed event needs a contact: Record event history is on and read only
    assert re.search(r'id="ev-record_event_history" type="checkbox" checked disabled', page)
    plan = _post(admin, "refresh", **{**fields, "ev_type": "run_plan"}).text
    assert "START — A review a week after the start date the user gives" in option_labels(plan, "ev-plan")
    ledger = _post(admin, "refresh", **{**fields, "ev_type": "transaction"}).text
    assert option_labels(ledger, "ev-ledger_kind") == ["choose…", "fee", "penalty", "deposit", "charge"]
    assert 'id="ev-amount"' in ledger and 'id="ev-amount"' not in page


def test_a_plan_is_made_event_by_event_refused_next_to_its_field_then_saved(admin: Site) -> None:
    before, count = load_strategy(admin.db), len(versions(admin.db))
    state = _form_state(admin.client.get("/admin/plans/edit").text)
    refused = _post(admin, "event-save", **NEW_PLAN, **state, ev_type="review", ev_description="Look again",
                    ev_sequence="1", ev_timing="delay_days", ev_days="1000", ev_priority="70")  # fmt: skip
    assert refused.status_code == 422
    assert re.search(r'id="ev-days-error">must be between 0 and 999<', refused.text)
    assert re.search(r'id="ev-days"[^>]*value="1000"', refused.text)  # what was typed is kept
    assert re.search(r'id="ev-description"[^>]*value="Look again"', refused.text)
    assert load_strategy(admin.db) == before and len(versions(admin.db)) == count
    first = _post(admin, "event-save", **NEW_PLAN, **state, ev_type="review", ev_description="Look again",
                  ev_sequence="1", ev_timing="delay_days", ev_days="14", ev_priority="70")  # fmt: skip
    assert first.status_code == 200 and 'name="editing" value=""' in first.text
    opened = _post(admin, "event-new", **NEW_PLAN, **_form_state(first.text))
    state = _form_state(opened.text)
    assert re.search(r'id="ev-sequence"[^>]*value="2"', opened.text)  # the next sequence number
    second = _post(admin, "event-save", **NEW_PLAN, **state, ev_type="letter", ev_letter="L60", ev_sequence="2",
                   ev_timing="next_month_same_day", ev_repeat="monthly", ev_copy_on_repeat="1", ev_priority="50",
                   ev_if_field="balance", ev_if_operator="..", ev_if_value1="100", ev_if_value2="200",
                   ev_assign_to="specific_operator", ev_operator="BO")  # fmt: skip
    assert second.status_code == 200, second.text
    # the letter runs first: moved earlier, it takes sequence 1
    moved = _post(admin, "event-up-2", **NEW_PLAN, **_form_state(second.text), access_1_low="10",
                  access_1_high="80")  # fmt: skip
    saved = _post(admin, **NEW_PLAN, **_form_state(moved.text), access_1_low="10", access_1_high="80")
    assert saved.status_code == 303, saved.text
    plan = load_strategy(admin.db).plan("R14")
    assert plan == Plan("R14", NEW_PLAN["description"], access=(LevelRange(10, 80),), events=(
        PlanEvent(1, EventType.LETTER, "L60", AssignTo.SPECIFIC_OPERATOR, "BO", Timing.NEXT_MONTH_SAME_DAY,
                  repeat=RepeatPeriod.MONTHLY, copy_on_repeat=True,
                  schedule_if=ScheduleIf("balance", "..", "100", "200")),
        PlanEvent(2, EventType.REVIEW, "Look again", timing=Timing.DELAY_DAYS, days=14, priority=70),
    ))  # fmt: skip
    latest = versions(admin.db)[-1]
    assert len(versions(admin.db)) == count + 1 and latest.actor == "admin"


def test_a_refused_plan_shows_its_rule_next_to_the_field_and_saves_nothing(admin: Site) -> None:
    before = load_strategy(admin.db)
    edit = admin.client.get("/admin/plans/edit?selected=START").text
    assert re.search(r'id="p-code"[^>]*value="START"', edit) and "Start review" in edit
    state = _form_state(edit)
    refused = _post(admin, code="START", original="START", description="Changed", prompt_for_start_date="1",
                    access_1_low="90", access_1_high="20", **state)  # fmt: skip
    assert refused.status_code == 422
    assert re.search(r'id="p-access-1-error">low \(90\) must not be greater than high \(20\)<', refused.text)
    assert re.search(r'id="p-description"[^>]*value="Changed"', refused.text)
    taken = _post(admin, code="WELCOME", description="Taken", **state)
    assert taken.status_code == 422 and re.search(r'id="p-code-error">plan already exists<', taken.text)
    empty = _post(admin, code="EMPTY", events="[]")
    assert empty.status_code == 422 and re.search(r'id="p-events-error">must have at least one event<', empty.text)
    assert load_strategy(admin.db) == before


def test_an_event_is_updated_and_removed_on_the_form(admin: Site) -> None:
    state = _form_state(admin.client.get("/admin/plans/edit?selected=START").text)
    events = [*json.loads(state["events"]), {"sequence": 2, "type": "note", "description": "Started"}]
    fields = {"code": "START", "original": "START", "prompt_for_start_date": "1", "events": json.dumps(events)}
    opened = _post(admin, "event-edit-1", **fields)
    assert re.search(r'id="ev-description"[^>]*value="Start review"', opened.text)
    assert "save or cancel the open event first" in opened.text
    changed = _post(admin, "event-save", **{**fields, **_form_state(opened.text)}, ev_type="review",
                    ev_description="Start review", ev_sequence="1", ev_timing="delay_days", ev_days="3",
                    ev_priority="50")  # fmt: skip
    removed = _post(admin, "event-remove-2", **{**fields, **_form_state(changed.text)})
    assert _post(admin, **{**fields, **_form_state(removed.text)}).status_code == 303
    plan = load_strategy(admin.db).plan("START")
    assert plan is not None and plan.events == (PlanEvent(1, EventType.REVIEW, "Start review",
                                                          timing=Timing.DELAY_DAYS, days=3),)  # fmt: skip


def test_removing_a_plan_something_runs_is_refused_with_what_runs_it(admin: Site) -> None:
    strategy = load_strategy(admin.db)
    caller = Plan("CALLER", "Runs START next month", events=(
        PlanEvent(1, EventType.RUN_PLAN, "START", timing=Timing.NEXT_MONTH_SAME_DAY),))  # fmt: skip
    linked = replace(strategy, plans=(*strategy.plans, caller),
                     transaction_types=(TransactionType("PAY", "payment", "WELCOME"),))  # fmt: skip
    assert apply_document(admin.db, dump_strategy(linked), actor="admin").errors == ()
    count = len(versions(admin.db))
    for code, user in (("WELCOME", "plan 'WELCOME' is run by transaction type 'PAY'"),
                       ("START", "plan 'START' is run by event 1 of plan 'CALLER'")):  # fmt: skip
        prompt = admin.client.get(f"/admin/plans/remove?selected={code}").text
        sent = {"csrf_token": csrf_of(prompt), "selected": f"plan:{code}"}
        answer = admin.client.post("/admin/plans/remove", data=sent)
        assert answer.status_code == 422 and f"is in use: {user}" in answer.text.replace("&#39;", "'")
    assert len(versions(admin.db)) == count and load_strategy(admin.db) == linked
    # what nothing runs is removed (CALLER runs START, not itself)
    prompt = admin.client.get("/admin/plans/remove?selected=CALLER").text
    removed = admin.client.post("/admin/plans/remove", data={"csrf_token": csrf_of(prompt), "selected": "plan:CALLER"},
                                follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303 and load_strategy(admin.db).plan("CALLER") is None


def test_an_event_with_pending_contacts_is_kept_until_they_are_done(admin: Site) -> None:
    # START's review, a week after the start date, waits for adams; the daily run will perform it as event 1
    run_plan(admin.db, "START", "adams", on=d(DAY), at=datetime(2026, 2, 20, 15, tzinfo=UTC), start_date=d(DAY))
    before, count = load_strategy(admin.db), len(versions(admin.db))
    fields = {"code": "START", "original": "START", "prompt_for_start_date": "1"}
    note = json.dumps([{"sequence": 1, "type": "note", "description": "Started"}])
    retyped = _post(admin, **fields, events=note)
    assert retyped.status_code == 422
    assert re.search(r'id="event-1-error">event 1 \(review\) of plan &#39;START&#39; would become a note event, '
                     r"but the 1 pending contact it made \(accounts adams\) are performed as that event",
                     retyped.text)  # fmt: skip
    renumbered = _post(admin, **fields, events=json.dumps([{"sequence": 2, "type": "review", "description": "R",
                                                            "timing": "delay_days", "days": 7}]))  # fmt: skip
    assert renumbered.status_code == 422
    assert "plans[START].events[1]: event 1 (review) of plan" in renumbered.text.replace("&#39;", "'")
    prompt = admin.client.get("/admin/plans/remove?selected=START").text
    removed = admin.client.post("/admin/plans/remove", data={"csrf_token": csrf_of(prompt), "selected": "plan:START"})
    assert removed.status_code == 422 and "would be removed, but the 1 pending contact" in removed.text
    # the configuration document is held to the same rule
    dropped = replace(before, plans=tuple(p for p in before.plans if p.code != "START"))
    applied = apply_document(admin.db, dump_strategy(dropped), actor="admin", confirm=True)
    assert [e.path for e in applied.errors] == ["plans[START].events[1]"]
    assert load_strategy(admin.db) == before and len(versions(admin.db)) == count
    # what the event does may change as long as it stays a review at sequence 1
    kept = json.dumps([{"sequence": 1, "type": "review", "description": "Start review", "timing": "delay_days",
                        "days": 3}])  # fmt: skip
    assert _post(admin, **fields, events=kept).status_code == 303
