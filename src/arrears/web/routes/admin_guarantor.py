"""Collections Admin, *Guarantor Collections* (seed 003): the enterprise rules, the practice configuration
table (Collections Enabled, Assignment Level; Update with Alt+U), and a practice's page: Enable Guarantor
Collections, Override Enterprise Generation Rules (the enterprise values shown read-only while unchecked), and
the task assignment — Assignment Type (changing it deletes the rules, after a confirmation), Default Collector,
Default Action and the rules table with Add, Update and Remove (Alt+D, Alt+U, Alt+R). Every change is one
configuration use case, validated with the whole configuration; a refused form shows each rule next to its
field and nothing is saved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Principal
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.money import Money
from arrears.domain.strategy import (
    AssignmentRule,
    AssignmentType,
    CollectionType,
    EntryRules,
    Strategy,
    TaskAssignment,
    usable_in,
)
from arrears.services import config_rules
from arrears.services.config_rules import AssignmentRulesDeleted, PortfolioLine, describe_rule
from arrears.services.database import Database
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.routes.admin import admin_only, configurer
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)

RULE_FIELDS = ("balance_over", "days_past_due_over", "min_payment", "min_payment_percent", "payment_window_days",
               "force_delinquent_plans", "delinquent_grace_days", "suspend_statements", "notes_to_account_notes")
RULE_ALIASES = {"balance_over_cents": "balance_over", "min_payment_cents": "min_payment"}
PAGE_FIELDS = (*RULE_FIELDS, "default_collector", "default_action", "insurance_action", "override_enterprise")
ASSIGNMENT_FIELDS = ("from", "to", "assignee", "default_work", "missed_plan_only")
ASSIGNMENT_ALIASES = {"collector": "assignee", "group": "assignee", "from_": "from"}
TYPE_LABELS = {AssignmentType.NAME_RANGE: "Name Range", AssignmentType.BALANCE_RANGE: "Balance Range"}


def _last(problems: Sequence[Problem]) -> list[Problem]:
    """Problems located by their last path segment (``entry_policy.enterprise.days_past_due_over`` →
    ``days_past_due_over``); a rule's own problems (overlaps) stay whole for the top of the form."""
    located = []
    for problem in problems:
        tail = problem.location.rsplit(".", 1)[-1]
        located.append(replace(problem, location=tail) if "[" not in tail else problem)
    return located


def _rule_values(rules: EntryRules) -> dict[str, Any]:
    return {"balance_over": Money(rules.balance_over_cents).plain(), "days_past_due_over": rules.days_past_due_over,
            "min_payment": Money(rules.min_payment_cents).plain(), "min_payment_percent": rules.min_payment_percent,
            "payment_window_days": rules.payment_window_days, "force_delinquent_plans": rules.force_delinquent_plans,
            "delinquent_grace_days": rules.delinquent_grace_days, "suspend_statements": rules.suspend_statements,
            "notes_to_account_notes": rules.notes_to_account_notes}  # fmt: skip


def _form_rules(form: FormInput, base: EntryRules) -> EntryRules:
    """The entry rules the form gives (what the page has no field for — insurance, condition — kept)."""
    def number(name: str) -> int:
        value = form.optional_int(name)
        if value is None and not any(p.location == name for p in form.problems):
            form.problems.append(Problem(name, "is required"))
        return value or 0

    return replace(
        base, balance_over_cents=form.amount_cents("balance_over") or 0,
        days_past_due_over=number("days_past_due_over"), min_payment_cents=form.amount_cents("min_payment") or 0,
        min_payment_percent=number("min_payment_percent"), payment_window_days=number("payment_window_days"),
        force_delinquent_plans=form.checked("force_delinquent_plans"),
        delinquent_grace_days=number("delinquent_grace_days"), suspend_statements=form.checked("suspend_statements"),
        notes_to_account_notes=form.checked("notes_to_account_notes"),
    )  # fmt: skip


def _line(db: Database, code: str) -> PortfolioLine:
    line = next((line for line in config_rules.portfolio_table(db) if line.portfolio == code), None)
    if line is None:
        raise PageRefused(404, f"There is no practice {code!r}.")
    return line


# ------------------------------------------------------------------------------------------- the tab


@router.get("/admin/guarantor")
def guarantor_tab(request: Request, principal: Viewer, db: DatabaseDep) -> Response:
    """The enterprise rules (changed by an administrator) and the practice configuration table (a manager: their
    practices)."""
    configurer(principal)
    return _tab(request, db, principal)


def _tab(request: Request, db: Database, principal: Principal, problems: Sequence[Problem] = (),
         values: dict[str, Any] | None = None, status: int = 200) -> Response:  # fmt: skip
    strategy = load_strategy(db)
    context = {"rules": values or _rule_values(strategy.entry_policy.enterprise),
               "lines": [line for line in config_rules.portfolio_table(db) if principal.sees(line.portfolio)],
               "tab": "guarantor",
               "errors": {"rules": field_errors(_last(problems), RULE_FIELDS, RULE_ALIASES)}}  # fmt: skip
    return render(request, "admin_guarantor.html", context, viewer=principal, status=status)


@router.post("/admin/guarantor/enterprise")
def save_enterprise(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Save the enterprise rules."""
    admin_only(principal)
    rules = _form_rules(form, load_strategy(db).entry_policy.enterprise)
    try:
        form.raise_problems()
        config_rules.set_enterprise_rules(db, rules, actor=principal.login)
    except ValidationFailed as refused:
        values = {name: form.values.get(name, "") for name in RULE_FIELDS} | {
            name: form.checked(name) for name in ("force_delinquent_plans", "suspend_statements",
                                                  "notes_to_account_notes")}  # fmt: skip
        return _tab(request, db, principal, refused.problems, values, status=422)
    return done(request, "/admin/guarantor", "Enterprise rules saved.")


# ------------------------------------------------------------------------------------ a practice's page


def _work_options(strategy: Strategy, code: str, kind: CollectionType = CollectionType.GUARANTOR
                  ) -> list[tuple[str, str]]:  # fmt: skip
    """The actions and series a practice's guarantor (or insurance) collections may assign."""
    found = [(a.name, f"action {a.name}") for a in strategy.actions
             if not a.inactive and usable_in(a, kind, False, (code,))]  # fmt: skip
    return found + [(s.name, f"series {s.name}") for s in strategy.series
                    if not s.inactive and usable_in(s, kind, False, (code,))]  # fmt: skip


def _assignees(strategy: Strategy) -> list[tuple[str, str]]:
    return [(c.code, f"{c.name or c.code} ({c.code})") for c in strategy.collectors if c.active] + [
        (g.code, f"group {g.name or g.code}") for g in strategy.groups]  # fmt: skip


def _page(request: Request, db: Database, principal: Principal, code: str, *, values: dict[str, Any] | None = None,
          problems: Sequence[Problem] = (), status: int = 200) -> Response:  # fmt: skip
    line = _line(db, code)
    strategy = load_strategy(db)
    settings = strategy.entry_policy.portfolio(code)
    override = settings is not None and settings.override_enterprise
    shown = {"enabled": line.collections_enabled == "Yes", "override_enterprise": override,
             "default_collector": line.assignment.default_collector, "default_action": line.assignment.default_action,
             "insurance_action": line.assignment.insurance_action} | _rule_values(line.rules)  # fmt: skip
    if values is not None:
        shown |= values
        if values.get("override_enterprise") and not override:  # turning it on starts from the enterprise rules
            shown = _rule_values(strategy.entry_policy.enterprise) | values
        if not values.get("override_enterprise"):
            shown |= _rule_values(strategy.entry_policy.enterprise)
    context = {
        "line": line, "form": shown, "assignment": line.assignment, "type_labels": TYPE_LABELS,
        "rules_shown": [describe_rule(rule) for rule in line.assignment.rules],
        "assignees": _assignees(strategy), "works": _work_options(strategy, code), "tab": "guarantor",
        "insurance_works": _work_options(strategy, code, CollectionType.INSURANCE),
        "errors": {"page": field_errors(_last(problems), PAGE_FIELDS, RULE_ALIASES)},
    }  # fmt: skip
    return render(request, "admin_practice.html", context, viewer=principal, status=status)


@router.get("/admin/guarantor/practice")
def practice_page(request: Request, principal: Viewer, db: DatabaseDep, selected: str = "") -> Response:
    """Guarantor Collections: [Practice] — the practice chosen in the table (Update)."""
    configurer(principal)
    if not selected:
        raise PageRefused(422, "Choose a practice in the table first.")
    configurer(principal, selected)
    return _page(request, db, principal, selected)


@router.post("/admin/guarantor/practice")
def save_practice(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the practice's page (``op=refresh``: show it again for what it holds, saving nothing)."""
    code = form.text("portfolio")
    configurer(principal, code)
    _line(db, code)
    enabled, override = form.checked("enabled"), form.checked("override_enterprise")
    values = {"enabled": enabled, "override_enterprise": override,
              "default_collector": form.text("default_collector"), "default_action": form.text("default_action"),
              "insurance_action": form.text("insurance_action")} | {
        name: form.values[name] for name in RULE_FIELDS if name in form.values} | {
        name: form.checked(name) for name in ("force_delinquent_plans", "suspend_statements", "notes_to_account_notes")
        if override}  # fmt: skip
    if op == "refresh" or form.text("op") == "refresh":
        return _page(request, db, principal, code, values=values)
    strategy = load_strategy(db)
    try:
        if not enabled:
            config_rules.set_portfolio_collections(db, code, collections_enabled=False, actor=principal.login)
        else:
            settings = strategy.entry_policy.portfolio(code)
            base = settings.rules if settings is not None and settings.rules else strategy.entry_policy.enterprise
            rules = _form_rules(form, base) if override else None
            form.raise_problems()
            config_rules.set_portfolio_collections(
                db, code, collections_enabled=True, override_enterprise=override, rules=rules,
                default_collector=form.text("default_collector"), default_action=form.text("default_action"),
                insurance_action=form.text("insurance_action"), actor=principal.login,
            )  # fmt: skip
    except ValidationFailed as refused:
        return _page(request, db, principal, code, values=values, problems=refused.problems, status=422)
    return done(request, f"/admin/guarantor/practice?selected={code}", f"Practice {code} saved.")


@router.post("/admin/guarantor/practice/type")
def change_type(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Change the practice's assignment type: its assignment rules are deleted, after a confirmation."""
    code, wanted = form.text("portfolio"), form.text("assignment_type")
    configurer(principal, code)
    line = _line(db, code)
    try:
        deleted = config_rules.change_assignment_type(db, code, wanted, confirm=form.checked("confirmed"),
                                                actor=principal.login)  # fmt: skip
    except AssignmentRulesDeleted as asked:
        context = {"line": line, "wanted": wanted, "label": TYPE_LABELS[AssignmentType(wanted)],
                   "rules": asked.descriptions, "tab": "guarantor"}  # fmt: skip
        return render(request, "admin_type_confirm.html", context, viewer=principal)
    except ValidationFailed as refused:
        return _page(request, db, principal, code, problems=refused.problems, status=422)
    said = f" and {len(deleted)} assignment rules deleted" if deleted else ""
    return done(request, f"/admin/guarantor/practice?selected={code}", f"Assignment type changed{said}.")


# ----------------------------------------------------------------------------------- assignment rules


def _rule_form(request: Request, db: Database, principal: Principal, code: str, number: int | None,
               values: dict[str, Any], problems: Sequence[Problem] = (), status: int = 200) -> Response:  # fmt: skip
    line = _line(db, code)
    strategy = load_strategy(db)
    located = [replace(p, location=p.location.rsplit(".", 1)[-1]) if p.location.rsplit(".", 1)[-1] in
               ("from", "to", "default_work", "collector", "group") else p for p in problems]  # fmt: skip
    context = {"line": line, "number": number, "form": values, "assignees": _assignees(strategy),
               "works": _work_options(strategy, code), "type_label": TYPE_LABELS[line.assignment.assignment_type],
               "balance": line.assignment.assignment_type is AssignmentType.BALANCE_RANGE, "tab": "guarantor",
               "errors": {"rule": field_errors(located, ASSIGNMENT_FIELDS, ASSIGNMENT_ALIASES)}}  # fmt: skip
    return render(request, "admin_rule_form.html", context, viewer=principal, status=status)


def _rule_values_of(rule: AssignmentRule, assignment: TaskAssignment) -> dict[str, Any]:
    balance = assignment.assignment_type is AssignmentType.BALANCE_RANGE
    shown = [Money(int(end)).plain() if balance else str(end) for end in (rule.from_, rule.to)]
    return {"from": shown[0], "to": shown[1], "assignee": rule.assignee, "default_work": rule.default_work or "",
            "missed_plan_only": rule.missed_plan_only}  # fmt: skip


@router.get("/admin/guarantor/practice/rule")
def rule_form(request: Request, principal: Viewer, db: DatabaseDep, portfolio: str) -> Response:
    """Add Task Assignment."""
    configurer(principal, portfolio)
    _line(db, portfolio)
    return _rule_form(request, db, principal, portfolio, None, {})


@router.post("/admin/guarantor/practice/rule/choose")
def rule_chosen(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Update Task Assignment: the form of the rule chosen in the table (counting from 1); nothing is saved."""
    portfolio, number = form.text("portfolio"), form.optional_int("number")
    configurer(principal, portfolio)
    line = _line(db, portfolio)
    if number is None or not 1 <= number <= len(line.assignment.rules):
        raise PageRefused(404, f"Practice {portfolio} has no assignment rule {number}.")
    rule = line.assignment.rules[number - 1]
    return _rule_form(request, db, principal, portfolio, number, _rule_values_of(rule, line.assignment))


@router.post("/admin/guarantor/practice/rule")
def save_rule(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Save a task assignment rule (Save, or Save & Add Next with ``op=next``)."""
    code = form.text("portfolio")
    configurer(principal, code)
    line = _line(db, code)
    number = form.optional_int("number")
    strategy = load_strategy(db)
    balance = line.assignment.assignment_type is AssignmentType.BALANCE_RANGE
    ends: list[str | int] = []
    for end in ("from", "to"):
        if balance:
            ends.append(form.amount_cents(end) or 0)
        else:
            ends.append(form.text(end).upper())
    assignee = form.text("assignee")
    is_group = strategy.group(assignee) is not None
    rule = AssignmentRule(ends[0], ends[1], collector=None if is_group else (assignee or None),
                          group=assignee if is_group else None, default_work=form.text("default_work") or None,
                          missed_plan_only=form.checked("missed_plan_only"))  # fmt: skip
    values = {name: form.values.get(name, "") for name in ("from", "to", "assignee", "default_work")} | {
        "missed_plan_only": form.checked("missed_plan_only")}
    try:
        form.raise_problems()
        if number is None:
            config_rules.add_assignment_rule(db, code, rule, actor=principal.login)
        else:
            config_rules.update_assignment_rule(db, code, number, rule, actor=principal.login)
    except ValidationFailed as refused:
        return _rule_form(request, db, principal, code, number, values, refused.problems, status=422)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    said = f"Assignment rule {describe_rule(rule)} saved."
    if form.text("op") == "next":
        return done(request, f"/admin/guarantor/practice/rule?portfolio={code}", said)
    return done(request, f"/admin/guarantor/practice?selected={code}", said)


@router.post("/admin/guarantor/practice/rule/remove")
def remove_rule(request: Request, form: Posted, principal: Viewer, db: DatabaseDep) -> Response:
    """Remove the assignment rule chosen in the table."""
    code, number = form.text("portfolio"), form.optional_int("number")
    configurer(principal, code)
    if number is None:
        raise PageRefused(422, "Choose an assignment rule in the table first.")
    try:
        config_rules.remove_assignment_rule(db, code, number, actor=principal.login)
    except NotFound as missing:
        raise PageRefused(404, str(missing)) from missing
    except ValidationFailed as refused:
        return _page(request, db, principal, code, problems=refused.problems, status=422)
    return done(request, f"/admin/guarantor/practice?selected={code}", f"Assignment rule {number} removed.")
