"""Collections Admin, Actions & Action Series (seeds 000 and 001), through a test client on both databases:
the list with its Alt+C / Alt+U / Alt+R buttons, the action and series forms offering only what is allowed, a
refused form saving nothing, Save & Add Next, removing what nothing uses."""

from __future__ import annotations

import re

import httpx

from arrears.domain.strategy import ActionKind, CollectionType, FinalAction
from arrears.services.config_versions import versions
from arrears.services.stored_strategy import load_strategy
from tests.web.conftest import Site, option_labels


def config_versions(site: Site) -> list[object]:
    """The configuration's versions."""
    return list(versions(site.db))


def _saved(site: Site, **fields: object) -> httpx.Response:
    return site.post("/admin/actions/save", **fields)


def test_the_list_and_its_keys_are_for_administrators(site: Site) -> None:
    site.login("mgr")
    assert site.client.get("/admin/actions").status_code == 403
    site.switch("admin")
    page = site.client.get("/admin/actions").text
    for key, label in (("c", "reate"), ("u", "pdate"), ("r", "emove")):
        assert re.search(rf'accesskey="{key}" aria-keyshortcuts="Alt\+{key.upper()}"><u>{key.upper()}</u>{label}', page)
    assert "Call 1" in page and "Guarantor Letters" in page and "External Collections" in page


def test_an_action_is_refused_next_to_its_field_and_nothing_is_saved_then_saved(admin: Site) -> None:
    new = admin.client.get("/admin/actions/edit?type=action").text
    assert re.search(r'id="f-follow-up-days"[^>]*disabled', new)  # enabled only once a next action is chosen
    assert option_labels(new, "f-collection-type") == ["Guarantor", "Insurance", "Guarantor/Insurance"]
    before = load_strategy(admin.db)
    refused = _saved(admin, action_type="action", collection_type="guarantor", name="Call 3", next_action="Call 2",
                     follow_up_days="1000", portfolio=["NORTH"])  # fmt: skip
    assert refused.status_code == 422
    assert re.search(r'id="f-follow-up-days-error">must be between 1 and 999<', refused.text)
    assert load_strategy(admin.db) == before
    saved = _saved(admin, action_type="action", collection_type="guarantor", name="Call 3", next_action="Call 2",
                   follow_up_days="10", portfolio=["NORTH"], letter="L60")  # fmt: skip
    assert saved.status_code == 303
    action = load_strategy(admin.db).action("Call 3")
    assert action is not None
    assert (action.kind, action.collection_type, action.params.template_code, action.next_action,
            action.follow_up_days, action.portfolios) == (
        ActionKind.LETTER, CollectionType.GUARANTOR, "L60", "Call 2", 10, ("NORTH",))  # fmt: skip
    # an update keeps what the action does; the next action offered fits its collection type
    edit = admin.client.get("/admin/actions/edit?selected=action:Call 2").text
    offered = option_labels(edit, "f-next-action")
    assert "What it does: phone call" in edit and "Call 2" not in offered
    assert "Letter 30 (L30)" in offered and "Claim Review" not in offered


def test_the_series_form_offers_only_the_allowed_actions_and_final_actions(admin: Site) -> None:
    assert _saved(admin, action_type="action", collection_type="guarantor", name="South Call",
                  portfolio=["SOUTH"]).status_code == 303  # fmt: skip
    form = {"action_type": "series", "collection_type": "guarantor", "name": "North Letters", "portfolio": ["NORTH"]}
    page = admin.post("/admin/actions/save?op=refresh", **form).text
    steps = option_labels(page, "f-new-step-action")
    assert "Letter 30 (L30)" in steps and "Call 1" in steps
    assert "South Call" not in steps and "Claim Letter (CLM)" not in steps
    assert option_labels(page, "f-final-action") == ["choose…", "Custom", "External Collections"]
    assert option_labels(page, "f-collection-type") == ["Guarantor", "Insurance"]
    assert re.search(r'id="f-letter"[^>]*disabled', page) and re.search(r'id="f-custom-action"[^>]*disabled', page)
    insurance = admin.post("/admin/actions/save?op=refresh", **form | {"collection_type": "insurance"}).text
    assert option_labels(insurance, "f-final-action") == ["choose…", "Custom"]
    assert "Claim Letter (CLM)" in option_labels(insurance, "f-new-step-action")
    # Save & Add Next: the step is added and the form is ready for the next one; nothing is saved yet
    added = admin.post("/admin/actions/save?op=add", **form, new_step_action="Letter 30", new_step_days="30").text
    assert added.count('name="step_action"') == 1 and load_strategy(admin.db).series_named("North Letters") is None
    one_step = _saved(admin, **form, step_action=["Letter 30"], step_days=["30"], final_action="external_collections")
    assert one_step.status_code == 422 and "must include at least 2 actions" in one_step.text
    assert load_strategy(admin.db).series_named("North Letters") is None
    saved = _saved(admin, **form, step_action=["Letter 30", "Letter 60"], step_days=["30", "30"],
                   final_action="external_collections")  # fmt: skip
    assert saved.status_code == 303
    series = load_strategy(admin.db).series_named("North Letters")
    assert series is not None
    assert ([(s.action, s.days_until_next) for s in series.steps], series.final_action, series.portfolios) == (
        [("Letter 30", 30), ("Letter 60", 30)], FinalAction.EXTERNAL_COLLECTIONS, ("NORTH",))


def test_remove_what_nothing_uses_and_refuse_what_something_does(admin: Site) -> None:
    token = admin.csrf("/admin/actions")
    assert "Remove action Call 2?" in admin.client.get("/admin/actions/remove?selected=action:Call 2").text
    in_use = admin.client.post("/admin/actions/remove", data={"csrf_token": token, "selected": "action:Call 2"})
    assert in_use.status_code == 422 and "Call 1" in in_use.text and load_strategy(admin.db).action("Call 2")
    removed = admin.client.post("/admin/actions/remove", data={"csrf_token": token, "selected": "series:Full Works"},
                                follow_redirects=False)  # fmt: skip
    assert removed.status_code == 303 and load_strategy(admin.db).series_named("Full Works") is None


def test_download_upload_with_a_dry_run_then_apply_the_configuration(admin: Site) -> None:
    page = admin.client.get("/admin/configuration")
    assert page.status_code == 200 and "Download the configuration (YAML)" in page.text
    download = admin.client.get("/admin/configuration.yaml")
    assert download.headers["content-disposition"] == 'attachment; filename="arrears-config.yaml"'
    document = download.text
    assert "Call 1" in document
    versions = len(config_versions(admin))

    def preview(text: str) -> httpx.Response:
        return admin.client.post("/admin/configuration/preview", data={"csrf_token": admin.csrf("/accounts")},
                                 files={"file": ("office.yaml", text.encode(), "application/yaml")})  # fmt: skip

    broken = preview(document.replace("follow_up_days: 7", "follow_up_days: 7000"))
    assert broken.status_code == 422 and "must be between 1 and 999" in broken.text
    assert "Apply as a new version" not in broken.text
    renamed = document.replace("name: BO\n", "name: Bo Brown\n")
    assert renamed != document
    shown = preview(renamed)
    assert shown.status_code == 200 and "changed" in shown.text and "Bo Brown" in shown.text
    assert load_strategy(admin.db).collector("BO").name == "BO"  # a dry run writes nothing
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', shown.text)
    assert digest is not None
    token = admin.csrf("/admin/configuration")
    tampered = admin.client.post("/admin/configuration/apply", data={
        "csrf_token": token, "document": renamed + "\n# more", "digest": digest[1], "file_name": "office.yaml"})
    assert tampered.status_code == 422 and load_strategy(admin.db).collector("BO").name == "BO"
    applied = admin.client.post("/admin/configuration/apply", data={
        "csrf_token": token, "document": renamed, "digest": digest[1], "file_name": "office.yaml"},
        follow_redirects=False)  # fmt: skip
    assert applied.status_code == 303 and load_strategy(admin.db).collector("BO").name == "Bo Brown"
    assert len(config_versions(admin)) == versions + 1
    assert "office.yaml applied: configuration version" in admin.client.get("/admin/configuration").text


def test_a_document_that_removes_something_asks_first(admin: Site) -> None:
    document = admin.client.get("/admin/configuration.yaml").text
    start = document.index("  - code: START\n")
    without = document[:start] + document[document.index("  - code: CLEAR\n"):]  # contact plan START removed
    shown = admin.client.post("/admin/configuration/preview", data={"csrf_token": admin.csrf("/admin/configuration")},
                              files={"file": ("office.yaml", without.encode(), "application/yaml")})  # fmt: skip
    assert 'id="config-removals"' in shown.text and "removed plan &#39;START&#39;" in shown.text
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', shown.text)
    assert digest is not None
    data = {"csrf_token": admin.csrf("/admin/configuration"), "document": without, "digest": digest[1],
            "file_name": "office.yaml"}  # fmt: skip
    unconfirmed = admin.client.post("/admin/configuration/apply", data=data)
    assert unconfirmed.status_code == 422 and load_strategy(admin.db).plan("START") is not None
    confirmed = admin.client.post("/admin/configuration/apply", data=data | {"confirm_removals": "1"},
                                  follow_redirects=False)  # fmt: skip
    assert confirmed.status_code == 303 and load_strategy(admin.db).plan("START") is None


def test_a_letter_is_previewed_as_edited_for_an_account_then_saved(admin: Site) -> None:
    assert "L30" in admin.client.get("/admin/letters").text
    edit = admin.client.get("/admin/letters/edit?selected=L60").text
    assert 'value="L60"' in edit and "Dear {{ party.first_name }}" in edit
    form = {"csrf_token": admin.csrf("/admin/letters"), "original": "L60", "code": "L60", "name": "Second notice",
            "subject": "Account {{ account.external_id }}", "response_days": "10", "account": "evans",
            "body": "<p>Dear {{ party.last_name }}, you owe {{ balance }}.</p>", "as_of": "2026-02-20"}  # fmt: skip
    shown = admin.client.post("/admin/letters/save?op=preview", data=form)
    assert shown.status_code == 200 and 'id="preview-subject">Account evans<' in shown.text
    assert "Dear Evans, you owe $500.00." in shown.text  # in the frame's srcdoc, escaped
    assert "'unsafe-inline'" in shown.headers["content-security-policy"] and "script-src 'self'" in shown.headers[
        "content-security-policy"]  # fmt: skip
    assert load_strategy(admin.db).letter("L60").name == "L60"  # a preview saves nothing
    unknown = admin.client.post("/admin/letters/save?op=preview", data=form | {"body": "<p>{{ party.shoe_size }}</p>"})
    assert unknown.status_code == 422 and 'id="preview-problems"' in unknown.text and "shoe_size" in unknown.text
    other = admin.client.post("/admin/letters/save?op=preview", data=form | {"account": "nobody"})
    assert other.status_code == 422 and 'id="l-account-error"' in other.text
    refused = admin.client.post("/admin/letters/save", data=form | {"body": "<p>{{ party.shoe_size }}</p>"})
    assert refused.status_code == 422 and 'id="l-body-error"' in refused.text
    assert load_strategy(admin.db).letter("L60").name == "L60"
    saved = admin.client.post("/admin/letters/save", data=form, follow_redirects=False)
    assert saved.status_code == 303 and load_strategy(admin.db).letter("L60").name == "Second notice"
    in_use = admin.post("/admin/letters/remove", selected="L60")
    assert in_use.status_code == 422 and "Letter 60" in in_use.text and load_strategy(admin.db).letter("L60")


def test_collectors_groups_and_users_and_who_may_sign_in(admin: Site) -> None:
    assert "BO" in admin.client.get("/admin/people").text and "Manager" in admin.client.get("/admin/users").text
    post = admin.post
    assert post("/admin/people/save", kind="group", code="desk", name="Front desk").status_code == 303
    refused = post("/admin/people/save", kind="collector", code="ZED", name="Zed", user_level="100", group=["desk"],
                   active="1")  # fmt: skip
    assert refused.status_code == 422 and 'id="f-user_level-error">must be between 0 and 99<' in refused.text
    assert load_strategy(admin.db).collector("ZED") is None
    assert post("/admin/people/save", kind="collector", code="ZED", name="Zed", user_level="30", group=["desk"],
                active="1").status_code == 303  # fmt: skip
    zed = load_strategy(admin.db).collector("ZED")
    assert zed is not None and (zed.groups, zed.user_level, zed.active) == (("desk",), 30, True)
    in_use = post("/admin/people/remove", selected="group:desk")
    assert in_use.status_code == 422 and "ZED" in in_use.text and load_strategy(admin.db).group("desk")
    assert post("/admin/people/save", kind="user", login="clerk", name="Clerk", user_level="20").status_code == 303
    short = post("/admin/users/login", login="clerk", role="auditor", password="short")
    assert short.status_code == 422 and 'id="s-password-error"' in short.text
    assert post("/admin/users/login", login="clerk", role="auditor", password="a long enough password"
                ).status_code == 303  # fmt: skip
    scoped = post("/admin/users/login", login="ZED", role="collector", password="another long password")
    assert scoped.status_code == 422 and 'id="s-portfolios-error"' in scoped.text
    assert post("/admin/users/login", login="ZED", role="collector", portfolio=["NORTH"],
                password="another long password").status_code == 303  # fmt: skip
    assert post("/admin/users/password", login="clerk", password="a new long password").status_code == 303
    admin.switch("clerk", "a new long password")  # signed in with the new password
