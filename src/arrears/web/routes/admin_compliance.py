"""Collections Admin, *Compliance*: the guardrails of the release gate (docs/compliance.md) for the enterprise or
one portfolio — the flags that hold work (H01–H06), call frequency (R01, R02), contact hours and the states' own
windows with their time zones (R03), state call caps (R04), the validation period and notice (V01, V02), credit
reporting (C01), medical debt (M01), the nonprofit hospital's rule (N01) — and the call outcome codes. A
portfolio takes each block from the enterprise unless it has values of its own ("Own values", the enterprise's
shown read-only until ticked). Saving is one configuration use case validated with the whole configuration: a
refused form shows each rule next to its field and saves nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arrears.domain.access import Principal
from arrears.domain.compliance import AttemptClass
from arrears.domain.compliance_rules import (
    PHONE_TYPES,
    CallOutcome,
    ComplianceParams,
    CompliancePolicy,
    StateCallCap,
    StateWindow,
    override,
    own_values,
)
from arrears.domain.errors import Problem, ValidationFailed
from arrears.domain.money import Money
from arrears.services import config_rules
from arrears.services.database import Database
from arrears.services.stored_strategy import load_strategy
from arrears.web.forms import FormInput, field_errors
from arrears.web.pages import render
from arrears.web.posted import Posted, done
from arrears.web.routes.admin import admin_only
from arrears.web.session import DatabaseDep, PageRefused, Viewer

router = APIRouter(include_in_schema=False)

HOLDS = (("bankruptcy", "H01 bankruptcy: nothing at all; the case is held"),
         ("deceased", "H02 deceased: letters only, to the estate representative"),
         ("cease_communication", "H03 cease communication: only cease notices"),
         ("attorney", "H04 attorney represented: letters to the attorney, no direct contact"),
         ("dispute", "H05 disputed: held until the verification is recorded"),
         ("do_not_call", "H06 do not call: no phone calls"))  # fmt: skip
NUMBERS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "call_frequency": (("attempts", "R01 call attempts at most"), ("days", "in any rolling days"),
                       ("conversation_days", "R02 no call for days after a conversation")),
    "validation": (("receipt_business_days", "V01 receipt assumed after business days"),
                   ("period_days", "validation period (days)"),
                   ("first_contact_days", "V02 notice within days of the first contact")),
    "credit_reporting": (("letter_wait_days", "C01 days after a letter"),),
    "medical": (("min_age_days", "M01 days past first delinquency"),),
    "nonprofit_hospital": (("days_after_first_bill", "N01 days after the first bill"),
                           ("days_after_notice", "days after the ECA notice"),
                           ("application_days", "financial assistance applications within days")),
}  # fmt: skip
"""The whole-number parameters of each block, with their labels."""
BLOCKS = (("holds", "Flags that hold work"), ("call_frequency", "Call frequency (Reg F 1006.14)"),
          ("time_of_day", "Contact hours (R03)"), ("state_caps", "State call caps (R04)"),
          ("validation", "Validation period and notice (1006.34)"), ("credit_reporting", "Credit reporting (1006.30)"),
          ("medical", "Medical debt"), ("nonprofit_hospital", "Nonprofit hospital (501(r))"))  # fmt: skip
CLASS_LABELS = {c: c.value.replace("_", " ") for c in AttemptClass}
_WINDOW = re.compile(r"^window\.(\d+)\.state$")
_CAP = re.compile(r"^cap\.(\d+)\.state$")
_OUTCOME = re.compile(r"^outcome\.(\d+)\.code$")
_ROW = re.compile(r"^(?P<block>time_of_day\.state_windows|state_caps\.caps|call_outcomes)\[(?P<key>[^\]]*)\]"
                  r"(?:\.(?P<field>.*))?$")  # fmt: skip
_ROW_FIELD = {"time_of_day.state_windows": "window", "state_caps.caps": "cap", "call_outcomes": "outcome"}
_RENAMED = {"medical.min_original_cents": "medical.min_original_balance"}


# ------------------------------------------------------------------------------------------- values


def _time(value: time) -> str:
    return f"{value:%H:%M}"


def _block_values(params: ComplianceParams, block: str) -> dict[str, Any]:
    """The form's fields of one block of ``params``, as shown."""
    part = getattr(params, block)
    if block == "holds":
        return {f"holds.{name}": getattr(part, name) for name, _ in HOLDS}
    values: dict[str, Any] = {f"{block}.enabled": part.enabled}
    values |= {f"{block}.{name}": str(getattr(part, name)) for name, _ in NUMBERS.get(block, ())}
    if block == "time_of_day":
        values |= {"time_of_day.start": _time(part.start), "time_of_day.end": _time(part.end),
                   "windows": [{"state": w.state, "start": _time(w.start), "end": _time(w.end), "zone": w.zone}
                               for w in part.state_windows]}  # fmt: skip
    if block == "state_caps":
        values["caps"] = [{"state": c.state, "calls": str(c.calls), "days": str(c.days),
                           "phone_types": list(c.phone_types)} for c in part.caps]  # fmt: skip
    if block == "medical":
        values["medical.min_original_balance"] = Money(part.min_original_cents).plain()
    return values


def _outcome_values(outcomes: Sequence[CallOutcome]) -> list[dict[str, str]]:
    return [{"code": o.code, "class": o.outcome_class.value, "description": o.description} for o in outcomes]


def _stored_values(policy: CompliancePolicy, portfolio: str) -> dict[str, Any]:
    """What the form shows for the enterprise or ``portfolio`` as configured."""
    settings = next((p for p in policy.portfolios if p.portfolio == portfolio), None) if portfolio else None
    params = settings.params if settings is not None else policy.enterprise
    values: dict[str, Any] = {"portfolio": portfolio, "outcomes": _outcome_values(policy.call_outcomes)}
    own = own_values(settings) if settings is not None else {}
    for block, _ in BLOCKS:
        values |= _block_values(params, block)
        values[f"own.{block}"] = block in own
    return values


def _rows(form: FormInput, pattern: re.Pattern[str]) -> list[int]:
    return sorted({int(hit[1]) for name in form.values if (hit := pattern.match(name))})


def _form_values(form: FormInput, policy: CompliancePolicy, portfolio: str) -> dict[str, Any]:
    """What the form holds as typed; a portfolio's blocks without their own values show the enterprise's."""
    values = _stored_values(policy, portfolio) | {"portfolio": portfolio}
    for block, _ in BLOCKS:
        own = not portfolio or form.checked(f"own.{block}")
        values[f"own.{block}"] = own
        if not own:
            values |= _block_values(policy.enterprise, block)
            continue
        for name in [n for n in values if n.startswith(f"{block}.")]:
            values[name] = form.checked(name) if isinstance(values[name], bool) else form.text(name)
        if block == "time_of_day":
            values["windows"] = [{f: form.text(f"window.{n}.{f}") for f in ("state", "start", "end", "zone")}
                                 for n in _rows(form, _WINDOW)]  # fmt: skip
        if block == "state_caps":
            values["caps"] = [{"state": form.text(f"cap.{n}.state"), "calls": form.text(f"cap.{n}.calls"),
                               "days": form.text(f"cap.{n}.days"), "phone_types": form.many(f"cap.{n}.phone_types")}
                              for n in _rows(form, _CAP)]  # fmt: skip
    if not portfolio:
        values["outcomes"] = [{f: form.text(f"outcome.{n}.{f}") for f in ("code", "class", "description")}
                              for n in _rows(form, _OUTCOME)]  # fmt: skip
    return values


# ------------------------------------------------------------------------------------------- reading


def _number(form: FormInput, name: str) -> int:
    value = form.optional_int(name)
    if value is None and not any(p.location == name for p in form.problems):
        form.problems.append(Problem(name, "is required"))
    return value or 0


def _clock(form: FormInput, name: str) -> time:
    value = form.optional_time(name)
    if value is None and not any(p.location == name for p in form.problems):
        form.problems.append(Problem(name, "is required (HH:MM)"))
    return value or time(0)


def _block(form: FormInput, block: str) -> dict[str, Any]:
    """The parameters of one block the form gives, as ``{name: value}`` (the domain's names)."""
    if block == "holds":
        return {name: form.checked(f"holds.{name}") for name, _ in HOLDS}
    values: dict[str, Any] = {"enabled": form.checked(f"{block}.enabled")}
    values |= {name: _number(form, f"{block}.{name}") for name, _ in NUMBERS.get(block, ())}
    if block == "time_of_day":
        values |= {"start": _clock(form, "time_of_day.start"), "end": _clock(form, "time_of_day.end"),
                   "state_windows": tuple(StateWindow(form.text(f"window.{n}.state"), _clock(form, f"window.{n}.start"),
                                                      _clock(form, f"window.{n}.end"), form.text(f"window.{n}.zone"))
                                          for n in _rows(form, _WINDOW))}  # fmt: skip
    if block == "state_caps":
        values["caps"] = tuple(StateCallCap(form.text(f"cap.{n}.state"), _number(form, f"cap.{n}.calls"),
                                            _number(form, f"cap.{n}.days"), tuple(form.many(f"cap.{n}.phone_types")))
                               for n in _rows(form, _CAP))  # fmt: skip
    if block == "medical":
        values["min_original_cents"] = form.amount_cents("medical.min_original_balance") or 0
    return values


def _outcomes(form: FormInput) -> list[CallOutcome]:
    outcomes = []
    for n in _rows(form, _OUTCOME):
        try:
            kind = AttemptClass(form.text(f"outcome.{n}.class"))
        except ValueError:
            form.problems.append(Problem(f"outcome.{n}.class", "choose what the call reached"))
            continue
        outcomes.append(CallOutcome(form.text(f"outcome.{n}.code"), kind, form.text(f"outcome.{n}.description")))
    return outcomes


# ------------------------------------------------------------------------------------------- errors


def _field(location: str, portfolio: str, values: Mapping[str, Any]) -> str:
    """The form's field a configuration problem names (else the location itself, shown at the top)."""
    scope = f"compliance.portfolios[{portfolio}]." if portfolio else "compliance.enterprise."
    if location.startswith(scope):
        rest = location.removeprefix(scope)
    elif location.startswith("compliance.call_outcomes") and not portfolio:
        rest = location.removeprefix("compliance.")
    else:
        return location
    if rest == "call_outcomes":
        return "outcomes"
    row = _ROW.match(rest)
    if row is None:
        return _RENAMED.get(rest, rest)
    prefix, key = _ROW_FIELD[row["block"]], row["key"]
    rows = values.get({"window": "windows", "cap": "caps", "outcome": "outcomes"}[prefix], [])
    named = "code" if prefix == "outcome" else "state"
    matching = [n for n, r in enumerate(rows, start=1) if r.get(named) == key]
    number = int(key) if key.isdigit() and not matching else (matching[-1] if matching else 0)
    return f"{prefix}.{number}.{row['field'] or named}"


def _errors(problems: Sequence[Problem], portfolio: str, values: Mapping[str, Any]) -> dict[str, list[str]]:
    known = [name for name in values if isinstance(name, str) and "." in name] + ["outcomes"]
    for prefix, rows in (("window", "windows"), ("cap", "caps"), ("outcome", "outcomes")):
        known += [f"{prefix}.{n}.{f}" for n, row in enumerate(values.get(rows, []), start=1) for f in row]
    located = [replace(p, location=_field(p.location, portfolio, values)) for p in problems]
    return field_errors(located, known)


# ------------------------------------------------------------------------------------------- pages


def _page(request: Request, db: Database, principal: Principal, values: dict[str, Any],
          errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:  # fmt: skip
    lines = config_rules.portfolio_table(db)
    context = {"form": values, "tab": "compliance", "blocks": BLOCKS, "holds": HOLDS, "numbers": NUMBERS,
               "portfolios": [(line.portfolio, f"{line.name} ({line.portfolio})") for line in lines],
               "zones": sorted(available_timezones()), "phone_types": PHONE_TYPES,
               "classes": [(c.value, label) for c, label in CLASS_LABELS.items()],
               "errors": {"compliance": errors or {}}}  # fmt: skip
    return render(request, "admin_compliance.html", context, viewer=principal, status=status)


def _known_portfolio(db: Database, portfolio: str) -> str:
    if portfolio and portfolio not in {line.portfolio for line in config_rules.portfolio_table(db)}:
        raise PageRefused(404, f"There is no portfolio {portfolio!r}.")
    return portfolio


@router.get("/admin/compliance")
def compliance_tab(request: Request, principal: Viewer, db: DatabaseDep, portfolio: str = "") -> Response:
    """The compliance settings of the enterprise, or of one portfolio (its own values, the rest the
    enterprise's)."""
    admin_only(principal)
    code = _known_portfolio(db, portfolio)
    return _page(request, db, principal, _stored_values(load_strategy(db).compliance, code))


def _edited(values: dict[str, Any], operation: str) -> bool:
    """Add or remove a row of a table (a state window, a cap, an outcome code): only the form changes."""
    tables = {"window": ("windows", {"state": "", "start": "08:00", "end": "21:00", "zone": ""}),
              "cap": ("caps", {"state": "", "calls": "", "days": "", "phone_types": ["home", "mobile"]}),
              "outcome": ("outcomes", {"code": "", "class": "", "description": ""})}  # fmt: skip
    if hit := re.fullmatch(r"add-(window|cap|outcome)", operation):
        name, blank = tables[hit[1]]
        values[name] = [*values.get(name, []), dict(blank)]
    elif hit := re.fullmatch(r"remove-(window|cap|outcome)-(\d+)", operation):
        name = tables[hit[1]][0]
        values[name] = [row for n, row in enumerate(values.get(name, []), start=1) if n != int(hit[2])]
    elif operation != "refresh":
        return False
    return True


@router.post("/admin/compliance/save")
def save(request: Request, form: Posted, principal: Viewer, db: DatabaseDep, op: str = "") -> Response:
    """Save the enterprise's settings (and the call outcome codes) or a portfolio's own values; with ``op``,
    ``refresh`` the form (a portfolio's block ticked or not) or add or remove a table's row. Nothing is saved
    until the whole configuration is valid."""
    admin_only(principal)
    portfolio = _known_portfolio(db, form.text("portfolio"))
    policy = load_strategy(db).compliance
    values = _form_values(form, policy, portfolio)
    if _edited(values, op or form.text("op")):
        return _page(request, db, principal, values)
    own = {block: _block(form, block) for block, _ in BLOCKS if not portfolio or form.checked(f"own.{block}")}
    try:
        if portfolio:
            form.raise_problems()
            config_rules.set_portfolio_compliance(db, portfolio, own, actor=principal.login)
        else:
            outcomes = _outcomes(form)
            form.raise_problems()
            params = override(policy.enterprise, own)
            config_rules.set_enterprise_compliance(db, params, outcomes, actor=principal.login)
    except ValidationFailed as refused:
        return _page(request, db, principal, values, _errors(refused.problems, portfolio, values), status=422)
    target = "/admin/compliance" + (f"?portfolio={portfolio}" if portfolio else "")
    return done(request, target, f"Compliance settings of {portfolio or 'the enterprise'} saved.")

