"""Collections Admin, Milestones (seed 004), through a test client on both databases: the list with its
Alt+C / Alt+U / Alt+R buttons, a scheme made through the form (its milestones and their actions, each with only the
parameters its kind uses), a refused form showing each rule next to its field and saving nothing, the
dropdowns offering only what exists, and a scheme accounts stand in not removed."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from arrears.domain.cases import Track
from arrears.domain.strategy.schemes import CreditLevel, CreditRating, MilestoneAction, MilestoneActionKind, PerformOn
from arrears.services.config_rules import portfolio_table
from arrears.services.config_versions import audit_log, versions
from arrears.services.run import run_day
from arrears.services.stored_strategy import load_strategy
from tests.notation import d
from tests.web.conftest import DAY, Site, option_values

# Seed 004's example: a 30-day and a 60-day milestone with a notice, a one-off charge, a log on decrement and
# credit points (NORTH's own scheme).
WATER = {
    "code": "WATER", "name": "Water collections", "portfolio": "NORTH", "collection_type": "guarantor",
    "entry_condition": "NOT bankruptcy", "min_entry_amount": "50.00", "balance_basis": "entry",
    "jump_actions": "each", "holiday_country": "US", "holiday_state": "TX",
    "m1.name": "30 days", "m1.days_past_due": "30", "m1.duration_days": "10", "m1.duration_unit": "calendar",
    "m1.resolve_below": "10.00", "m1.a1.kind": "notice", "m1.a1.perform_on": "entry", "m1.a1.template": "L30",
    "m1.a2.kind": "one_off_charge", "m1.a2.perform_on": "entry", "m1.a2.line_item_type": "Late fee",
    "m1.a2.amount": "25.00",
    "m1.a3.kind": "log", "m1.a3.perform_on": "decrement", "m1.a3.text": "Back under 30 days",
    "m2.name": "60 days", "m2.days_past_due": "60", "m2.duration_days": "10", "m2.duration_unit": "business",
    "m2.reversal_milestone": "30 days",
    "m2.a1.kind": "credit_rating", "m2.a1.perform_on": "entry", "m2.a1.points": "50",
}  # fmt: skip


def _saved(site: Site, op: str = "", **fields: object) -> httpx.Response:
    return site.post("/admin/milestones/save" + (f"?op={op}" if op else ""), **fields)


def test_the_list_and_its_keys_are_for_administrators(site: Site) -> None:
    site.login("BO")
    assert site.client.get("/admin/milestones").status_code == 403
    site.switch("admin")
    page = site.client.get("/admin/milestones").text
    for key, label in (("c", "reate"), ("u", "pdate"), ("r", "emove")):
        assert re.search(rf'accesskey="{key}" aria-keyshortcuts="Alt\+{key.upper()}"><u>{key.upper()}</u>{label}', page)
    assert "No milestone scheme yet." in page and 'aria-current="page">Milestones<' in page


def test_a_scheme_is_made_through_the_form_with_its_milestones_and_actions(admin: Site) -> None:
    before = len(versions(admin.db))
    assert _saved(admin, **WATER).status_code == 303
    scheme = load_strategy(admin.db).scheme("WATER")
    assert scheme is not None and len(versions(admin.db)) == before + 1
    assert (scheme.portfolio, scheme.track, scheme.entry_condition, scheme.min_entry_cents, scheme.holiday_state) == (
        "NORTH", Track.GUARANTOR, "NOT bankruptcy", 5_000, "TX")
    first, second = scheme.milestones
    assert (first.name, first.days_past_due, first.duration_days, first.resolve_below_cents) == (
        "30 days", 30, 10, 1_000)
    assert first.actions == (
        MilestoneAction(MilestoneActionKind.NOTICE, template="L30"),
        MilestoneAction(MilestoneActionKind.ONE_OFF_CHARGE, line_item_type="Late fee", amount_cents=2_500),
        MilestoneAction(MilestoneActionKind.LOG, PerformOn.DECREMENT, text="Back under 30 days"),
    )
    assert second.reversal_milestone == "30 days" and second.actions == (
        MilestoneAction(MilestoneActionKind.CREDIT_RATING, points=50),)
    page = admin.client.get("/admin/milestones").text
    assert "Water collections" in page and "30 days → 60 days" in page
    # Update shows what was saved, with the read-only collections actions summary
    edit = admin.client.get("/admin/milestones/edit?selected=WATER").text
    assert 'value="Back under 30 days"' in edit and "one-off charge &#39;Late fee&#39; of $25.00" in edit


def test_the_dropdowns_offer_only_what_exists_and_an_action_shows_only_its_kinds_fields(admin: Site) -> None:
    page = _saved(admin, "refresh", **(WATER | {"m1.a1.kind": "service_request"})).text
    assert option_values(page, "s-portfolio") == ["", *(line.portfolio for line in portfolio_table(admin.db))]
    assert option_values(page, "s-m2-reversal-milestone") == ["", "30 days", "60 days"]
    assert "TX" in option_values(page, "s-holiday-state") and "ON" not in option_values(page, "s-holiday-state")
    strategy = load_strategy(admin.db)
    assignees = option_values(page, "s-m1-a1-assignee")
    assert assignees[1:] == [c.code for c in strategy.collectors if c.active] + [g.code for g in strategy.groups]
    assert 'name="m1.a1.request_type"' in page and 'name="m1.a1.template"' not in page
    assert option_values(page, "s-m1-a2-kind") == [k.value for k in MilestoneActionKind]
    letters = option_values(_saved(admin, "refresh", **WATER).text, "s-m1-a1-template")
    assert letters[1:] == [t.code for t in strategy.letters]
    canada = _saved(admin, "refresh", **(WATER | {"holiday_country": "CA", "holiday_state": ""})).text
    assert "ON" in option_values(canada, "s-holiday-state")
    # adding a milestone and an action, then removing one, changes only the form
    grown = _saved(admin, "add-milestone", **WATER).text
    assert 'name="m3.name"' in grown
    more = _saved(admin, "add-action-2", **WATER).text
    assert 'name="m2.a2.kind"' in more
    fewer = _saved(admin, "remove-action-1-1", **WATER).text
    assert 'value="Late fee"' in fewer and 'name="m1.a3.kind"' not in fewer
    assert load_strategy(admin.db).scheme("WATER") is None


def test_a_refused_scheme_shows_each_rule_next_to_its_field_and_saves_nothing(admin: Site) -> None:
    before = load_strategy(admin.db), len(versions(admin.db))
    refused = _saved(admin, **(WATER | {"m2.days_past_due": "20", "m2.a1.points": "1000", "m1.a2.amount": "ten",
                                        "m1.a1.template": "NOPE"}))  # fmt: skip
    assert refused.status_code == 422
    assert re.search(r'id="s-m1-a2-amount-error">[^<]*not[^<]*<', refused.text)
    assert load_strategy(admin.db) == before[0]
    fixed_amount = WATER | {"m2.days_past_due": "20", "m2.a1.points": "1000", "m1.a1.template": "NOPE"}
    refused = _saved(admin, **fixed_amount)
    assert refused.status_code == 422
    assert re.search(r'id="s-m2-days-past-due-error">must be more than the previous milestone&#39;s \(30\)<',
                     refused.text)  # fmt: skip
    assert re.search(r'id="s-m2-a1-points-error">must be between 1 and 999<', refused.text)
    assert re.search(r'id="s-m1-a1-template-error">names an unknown letter template &#39;NOPE&#39;<', refused.text)
    assert 'value="Back under 30 days"' in refused.text  # what was typed is kept
    assert (load_strategy(admin.db), len(versions(admin.db))) == before
    assert _saved(admin, **(WATER | {"portfolio": ""})).status_code == 303
    taken = _saved(admin, **(WATER | {"portfolio": "SOUTH"}))
    assert taken.status_code == 422 and re.search(r'id="s-code-error">scheme already exists<', taken.text)
    again = _saved(admin, **(WATER | {"portfolio": "", "code": "OTHER"}))
    assert again.status_code == 422
    assert re.search(r'id="s-portfolio-error">the enterprise already has the active guarantor scheme &#39;WATER&#39;<',
                     again.text)  # fmt: skip


def test_a_scheme_accounts_stand_in_is_not_removed_and_one_they_left_is(admin: Site) -> None:
    assert _saved(admin, **WATER).status_code == 303
    run_day(admin.db, d(DAY) + timedelta(days=1))  # NORTH's accounts 98 days past due enter WATER
    prompt = admin.client.get("/admin/milestones/remove?selected=WATER").text
    assert "Remove scheme WATER?" in prompt
    refused = admin.post("/admin/milestones/remove", selected="scheme:WATER")
    assert refused.status_code == 422
    assert re.search(r"scheme &#39;WATER&#39; is in use: 5 accounts stand in it \(adams, evans, ford, gray, harris\);"
                     r" make it inactive instead", refused.text)  # fmt: skip
    assert load_strategy(admin.db).scheme("WATER") is not None
    assert _saved(admin, **(WATER | {"code": "WATER2", "original": "WATER"})).status_code == 422  # nor renamed
    assert _saved(admin, **(WATER | {"name": "Unused", "code": "SPARE", "portfolio": "SOUTH", "inactive": "1"})
                  ).status_code == 303  # fmt: skip
    assert admin.post("/admin/milestones/remove", selected="scheme:SPARE").status_code == 303
    assert load_strategy(admin.db).scheme("SPARE") is None


SEED_LEVELS = {"level.1.name": "Gold", "level.1.min_points": "0", "level.2.name": "Silver", "level.2.min_points": "50",
               "level.3.name": "Bronze", "level.3.min_points": "100", "lookback_days": "730"}  # fmt: skip


def _rating(site: Site, op: str = "", **fields: object) -> httpx.Response:
    return site.post("/admin/milestones/credit-rating" + (f"?op={op}" if op else ""), **fields)


def test_the_credit_rating_levels_are_added_changed_and_removed_on_the_milestones_tab(admin: Site) -> None:
    # seed 004's levels by points: Gold from 0, Silver from 50, Bronze from 100, points counted for 730 days
    page = admin.client.get("/admin/milestones").text
    assert re.search(r'id="r-level-2-name" name="level.2.name" value="Silver"', page)
    assert re.search(r'id="r-level-3-min-points" name="level.3.min_points" value="100"', page)
    assert re.search(r'id="r-lookback-days" name="lookback_days" type="number" min="1" value="730"', page)
    versions_before = len(versions(admin.db))
    # Add a level and Remove one change only the form
    grown = _rating(admin, "add-level", **SEED_LEVELS)
    assert grown.status_code == 200 and 'name="level.4.name" value=""' in grown.text
    shrunk = _rating(admin, "remove-level-2", **SEED_LEVELS)
    assert 'value="Silver"' not in shrunk.text and re.search(r'name="level.2.name" value="Bronze"', shrunk.text)
    assert load_strategy(admin.db).credit_rating == CreditRating() and len(versions(admin.db)) == versions_before
    # a level that does not rise, and a look-back of 0 days: each rule next to its field, nothing saved
    poor = {"level.4.name": "Poor", "level.4.min_points": "100", "lookback_days": "0"}
    refused = _rating(admin, **SEED_LEVELS | poor)
    assert refused.status_code == 422
    assert re.search(r'id="r-level-4-min-points-error">must be more than the previous level&#39;s \(100\)<',
                     refused.text)  # fmt: skip
    assert re.search(r'id="r-lookback-days-error">must be at least 1 \(leave it out for the whole history\)<',
                     refused.text)  # fmt: skip
    assert 'name="level.4.name" value="Poor"' in refused.text  # what was typed is kept
    not_a_number = _rating(admin, **SEED_LEVELS | {"level.2.min_points": "fifty"})
    assert re.search(r'id="r-level-2-min-points-error">is not a whole number<', not_a_number.text)
    assert load_strategy(admin.db).credit_rating == CreditRating() and len(versions(admin.db)) == versions_before
    # Silver from 40, Bronze removed, Poor from 150, the whole history: one audited version
    saved = _rating(admin, **{"level.1.name": "Gold", "level.1.min_points": "0", "level.2.name": "Silver",
                              "level.2.min_points": "40", "level.3.name": "Poor", "level.3.min_points": "150",
                              "lookback_days": ""})  # fmt: skip
    assert saved.status_code == 303
    assert load_strategy(admin.db).credit_rating == CreditRating(
        (CreditLevel("Gold", 0), CreditLevel("Silver", 40), CreditLevel("Poor", 150)), None)
    assert len(versions(admin.db)) == versions_before + 1
    audited = [row for row in audit_log(admin.db, "credit_rating") if row["actor"] == "admin"]
    assert [(row["key"], row["after"]["levels"][2]["name"]) for row in audited] == [("enterprise", "Poor")]
    assert "Credit rating saved: Gold from 0, Silver from 40, Poor from 150 points." in admin.client.get(
        saved.headers["location"]).text  # fmt: skip


def test_a_manager_does_not_change_the_credit_rating(site: Site) -> None:
    site.login("mgr")
    assert _rating(site, **SEED_LEVELS).status_code == 403
    assert load_strategy(site.db).credit_rating == CreditRating()
