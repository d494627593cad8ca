"""The web pages through a test client, on both databases: signing in (a Secure, HttpOnly session cookie),
CSRF on every form, a refused form shows each rule next to its field and saves nothing, and a collector
cannot open another portfolio's account."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from arrears.services.security import update_user
from tests.services.run_scenarios import table
from tests.web.conftest import DAY, Site, csrf_of, form_token_of


def _notes_by_people(site: Site) -> list[str]:
    """The notes a person wrote (not the run's)."""
    return [row.text for row in table(site.db, "note") if row.author != "arrears"]


def test_a_page_needs_a_login_and_the_login_makes_a_secure_http_only_session(site: Site) -> None:
    answer = site.client.get(f"/worklist?on={DAY}", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, f"/login?next=/worklist%3Fon%3D{DAY}")
    page = site.client.get("/login")
    refused = site.client.post("/login", data={"login": "BO", "password": "wrong password!",
                                               "csrf_token": site.csrf("/login")})  # fmt: skip
    assert refused.status_code == 401 and "wrong login or password" in refused.text
    signed = site.client.post("/login", data={"login": "BO", "password": "correct horse battery", "next": "/accounts",
                                              "csrf_token": site.csrf("/login")}, follow_redirects=False)  # fmt: skip
    assert (signed.status_code, signed.headers["location"]) == (303, "/accounts")
    cookie = next(v for k, v in signed.headers.multi_items() if k == "set-cookie" and "arrears_session=" in v)
    assert all(flag in cookie.lower() for flag in ("secure", "httponly", "samesite=lax"))
    assert "Content-Security-Policy" in page.headers
    assert [(row.login, row.kind) for row in table(site.db, "api_token")] == [("BO", "session")]
    worklist = site.client.get(f"/worklist?on={DAY}")
    assert worklist.status_code == 200 and "Evans" in worklist.text and "Sloan" not in worklist.text


def test_logging_out_revokes_the_session(site: Site) -> None:
    site.login("BO")
    assert site.client.post("/logout", data={"csrf_token": site.csrf("/accounts")}, follow_redirects=False
                            ).status_code == 303  # fmt: skip
    assert [row.revoked_at is not None for row in table(site.db, "api_token")] == [True]
    assert site.client.get("/accounts", follow_redirects=False).status_code == 303


def test_deactivating_a_login_ends_its_web_session_at_once(site: Site) -> None:
    site.login("BO")
    assert site.client.get("/accounts", follow_redirects=False).status_code == 200
    update_user(site.db, "BO", active=False, actor="admin", now=datetime.now(UTC))
    answer = site.client.get("/accounts", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/accounts")
    # activated again, the old cookie stays refused: the collector signs in anew
    update_user(site.db, "BO", active=True, actor="admin", now=datetime.now(UTC))
    assert site.client.get("/accounts", follow_redirects=False).status_code == 303
    site.login("BO")
    assert site.client.get("/accounts", follow_redirects=False).status_code == 200


def test_a_form_without_a_valid_csrf_token_is_refused_and_does_nothing(site: Site) -> None:
    site.login("BO")
    for token in ("", "0" * 64):
        refused = site.client.post("/accounts/evans/notes", data={"text": "Called", "csrf_token": token})
        assert refused.status_code == 403 and "security token" in refused.text
    assert _notes_by_people(site) == []
    # a token is good only with the browser's own cookies
    token = site.csrf("/accounts/evans")
    site.client.cookies.delete("arrears_csrf")
    assert site.client.post("/accounts/evans/notes", data={"text": "Called", "csrf_token": token}).status_code == 403
    site.client.get("/login")  # a new CSRF cookie: the old token is no longer this browser's
    assert site.client.post("/accounts/evans/notes", data={"text": "Called", "csrf_token": token}).status_code == 403
    assert _notes_by_people(site) == []


def test_a_refused_payment_shows_the_rule_next_to_the_field_and_saves_nothing(site: Site) -> None:
    site.login("BO")
    lines = len(table(site.db, "ledger_line"))
    page = f"/accounts/gray?as_of={DAY}"
    refused = site.post(f"/accounts/gray/payments?as_of={DAY}", page, amount="12.345", posted="2026-02-31")
    assert refused.status_code == 422
    assert 'id="payment-amount-error"' in refused.text and "more than two decimals" in refused.text
    assert 'id="payment-posted-error"' in refused.text and "is not a date (YYYY-MM-DD)" in refused.text
    assert 'value="12.345"' in refused.text  # what was typed is kept
    zero = site.post(f"/accounts/gray/payments?as_of={DAY}", page, amount="0", posted=DAY)
    assert zero.status_code == 422 and 'id="payment-amount-error"' in zero.text
    assert len(table(site.db, "ledger_line")) == lines


def test_a_collector_cannot_open_another_portfolios_account(site: Site) -> None:
    site.login("BO")
    for path in ("/accounts/sloan", "/accounts/nobody"):
        answer = site.client.get(path)
        assert answer.status_code == 404 and "in your portfolios" in answer.text
    token = site.csrf("/accounts/evans")
    assert site.client.post("/accounts/sloan/notes", data={"text": "x", "csrf_token": token}).status_code == 404
    sloan_work = next(a.id for a in table(site.db, "activity") if a.assignee == "LO")
    assert site.client.post(f"/activities/{sloan_work}/complete", data={
        "outcome": "NOANSWER", "on": DAY, "csrf_token": token}).status_code == 404  # fmt: skip
    assert site.client.get(f"/worklist?on={DAY}&collector=LO").status_code == 403
    assert "sloan" not in site.client.get("/accounts").text
    assert _notes_by_people(site) == []


def test_an_unknown_collector_or_group_is_refused_not_shown_as_an_empty_worklist(site: Site) -> None:
    site.login("aud")
    for query in ("collector=ZED", "group=NIGHT"):
        answer = site.client.get(f"/worklist?on={DAY}&{query}")
        assert answer.status_code == 422 and "is not a collector or group" in answer.text
    assert site.client.get(f"/worklist?on={DAY}&collector=LO").status_code == 200


def test_an_auditor_reads_but_cannot_write(site: Site) -> None:
    site.login("aud")
    page = site.client.get(f"/accounts/sloan?as_of={DAY}")
    assert page.status_code == 200 and "Post a payment" not in page.text
    refused = site.client.post("/accounts/sloan/notes", data={"text": "x", "csrf_token": site.csrf("/accounts")})
    assert refused.status_code == 403 and _notes_by_people(site) == []


def test_an_unknown_outcome_is_shown_next_to_the_outcome_and_nothing_is_saved(site: Site) -> None:
    site.login("BO")
    call = next(a.id for a in table(site.db, "activity") if a.action == "Call 1" and a.status == "open")
    refused = site.post(f"/activities/{call}/complete?on={DAY}&collector=BO", f"/worklist?on={DAY}", outcome="MAYBE",
                        note="hm", on=DAY)  # fmt: skip
    assert refused.status_code == 422 and f'id="outcome-{call}-error"' in refused.text
    assert "is not an outcome code" in refused.text
    assert [a.status for a in table(site.db, "activity") if a.id == call] == ["open"]


def test_the_dashboard_and_the_runs_are_for_managers_within_their_portfolios(site: Site) -> None:
    site.login("BO")
    assert site.client.get("/dashboard").status_code == 403 and site.client.get("/runs").status_code == 403
    site.switch("mgr")
    board = site.client.get(f"/dashboard?as_of={DAY}")
    assert board.status_code == 200 and "chart-aging" in board.text
    assert '"portfolio": "NORTH"' in board.text and '"portfolio": "SOUTH"' not in board.text
    runs = site.client.get("/runs")
    run_id = next(row.id for row in table(site.db, "run"))
    assert f'href="/runs/{run_id}"' in runs.text and DAY in runs.text
    assert "No account errors in your portfolios" in site.client.get(f"/runs/{run_id}").text
    assert site.client.get("/runs/99999").status_code == 404


def test_a_manager_starts_a_run_of_their_portfolio(site: Site) -> None:
    site.login("mgr")
    token = site.csrf("/runs")
    refused = site.client.post("/runs", data={"as_of": "2026-02-21", "portfolio": "", "csrf_token": token})
    assert refused.status_code == 422 and 'id="run-portfolio-error"' in refused.text
    back_dated = site.client.post("/runs", data={"as_of": "2026-02-19", "portfolio": "NORTH", "csrf_token": token})
    assert back_dated.status_code == 422 and 'id="run-as_of-error"' in back_dated.text
    assert len(table(site.db, "run")) == 1
    started = site.client.post("/runs", data={"as_of": "2026-02-21", "portfolio": "NORTH", "csrf_token": token},
                               follow_redirects=False)  # fmt: skip
    assert started.status_code == 303 and started.headers["location"].startswith("/runs/")
    site.client.app.state.runs.join()
    assert [(run.scope, str(run.as_of), run.status) for run in table(site.db, "run")][-1] == (
        "NORTH", "2026-02-21", "completed")
    assert "completed" in site.client.get(started.headers["location"]).text


def test_a_manager_prints_a_days_letters_and_downloads_the_batch(site: Site) -> None:
    site.login("mgr")
    ran = site.post(f"/accounts/evans/plans?as_of={DAY}", f"/accounts/evans?as_of={DAY}", plan="WELCOME")
    assert ran.status_code == 303, ran.text
    assert [(row.template, str(row.queued_on), row.status) for row in table(site.db, "letter")] == [
        ("L30", DAY, "queued")]
    runs = site.client.get("/runs").text
    assert re.search(rf"<td>{DAY}</td><td>NORTH</td><td class=\"amount\">1</td><td class=\"amount\">0</td>", runs)
    token = site.csrf("/runs")
    assert site.client.post("/letters/print", data={"day": DAY, "portfolio": "SOUTH", "csrf_token": token}
                            ).status_code == 404  # fmt: skip
    batch = site.client.post("/letters/print", data={"day": DAY, "portfolio": "NORTH", "csrf_token": token})
    assert batch.status_code == 200 and batch.headers["content-type"] == "application/pdf"
    assert batch.headers["content-disposition"] == f'attachment; filename="letters-NORTH-{DAY}.pdf"'
    assert batch.content.startswith(b"%PDF")
    assert [row.status for row in table(site.db, "letter")] == ["printed"]
    assert "Print again and download" in site.client.get("/runs").text


def test_a_form_sent_twice_with_its_one_time_token_writes_once_and_the_repeat_says_what_the_first_did(
    site: Site,
) -> None:
    site.login("BO")
    page = site.client.get(f"/accounts/gray?as_of={DAY}").text
    payments = f"/accounts/gray/payments?as_of={DAY}"
    token = form_token_of(page, payments)
    assert token, "the payment form carries a one-time token"
    lines = len(table(site.db, "ledger_line"))
    # refused first (not an amount): nothing written, and the token may be sent again, corrected
    refused = site.client.post(payments, data={"csrf_token": csrf_of(page), **token, "amount": "5OO", "posted": DAY})
    assert refused.status_code == 422 and len(table(site.db, "ledger_line")) == lines
    form = {"csrf_token": csrf_of(page), **token, "amount": "125.00", "posted": DAY}
    first = site.client.post(payments, data=form, follow_redirects=False)
    again = site.client.post(payments, data=form, follow_redirects=False)  # the same form, bypassing the page's script
    assert (first.status_code, again.status_code) == (303, 303)
    assert again.headers["location"] == first.headers["location"] == f"/accounts/gray?as_of={DAY}"
    assert len(table(site.db, "ledger_line")) == lines + 1  # one payment line
    shown = site.client.get(again.headers["location"]).text
    assert "This form was already sent; nothing more was done. Payment of 125.00 posted on 2026-02-20" in shown
    # a note: one row for two posts of its form
    notes = f"/accounts/gray/notes?as_of={DAY}"
    note = {"csrf_token": csrf_of(page), **form_token_of(page, notes), "text": "promised to call back"}
    assert [site.client.post(notes, data=note, follow_redirects=False).status_code for _ in range(2)] == [303, 303]
    assert _notes_by_people(site) == ["promised to call back"]
    # without a token this browser was given, or with another form's, nothing is done
    for sent in ({}, {"form_token": "forged.0123"}, form_token_of(page, notes)):
        answer = site.client.post(payments, data={"csrf_token": csrf_of(page), **sent, "amount": "9.00", "posted": DAY})
        assert answer.status_code in (400, 422) and "one-time token" in answer.text, sent
    assert len(table(site.db, "ledger_line")) == lines + 1
