"""Portfolios: list, show, add, their maximum amount; each portfolio's collections settings, assignment type
and assignment rules (seed 003). An administrator adds portfolios; a manager changes the collections settings
and assignment of their portfolios."""

from __future__ import annotations

from fastapi import APIRouter, status

from arrears.api import config_schemas as cs
from arrears.api.auth import Admin, Configurer, DatabaseDep, Reader, portfolio_in_scope
from arrears.api.errors import ERROR_RESPONSES
from arrears.domain.access import Principal
from arrears.domain.errors import NotFound
from arrears.domain.strategy import PortfolioCollections
from arrears.services import config_document, config_rules
from arrears.services.accounts import create_portfolio, set_portfolio_maximum
from arrears.services.database import Database
from arrears.services.queries import list_portfolios
from arrears.services.stored_strategy import load_strategy

router = APIRouter(prefix="/portfolios", tags=["portfolios"], responses=ERROR_RESPONSES)


def _portfolios(db: Database, principal: Principal) -> list[cs.PortfolioPublic]:
    return [cs.PortfolioPublic.model_validate(row) for row in list_portfolios(db) if principal.sees(row["code"])]


def _one(db: Database, principal: Principal, code: str) -> cs.PortfolioPublic:
    found = next((p for p in _portfolios(db, principal) if p.code == code), None)
    if found is None:
        raise NotFound(f"no portfolio {code!r}")
    return found


@router.get("")
def portfolios(principal: Reader, db: DatabaseDep) -> list[cs.PortfolioPublic]:
    """The portfolios within the user's, with the maximum amount their accounts take."""
    return _portfolios(db, principal)


@router.get("/{code}")
def portfolio(code: cs.PortfolioCode, principal: Reader, db: DatabaseDep) -> cs.PortfolioPublic:
    """One portfolio."""
    return _one(db, principal, code)


@router.post("", status_code=status.HTTP_201_CREATED)
def add_portfolio(body: cs.PortfolioCreate, principal: Admin, db: DatabaseDep) -> cs.PortfolioPublic:
    """Add a portfolio under the enterprise."""
    create_portfolio(db, body.code, body.name, body.maximum_amount_cents, actor=principal.login)
    return _one(db, principal, body.code)


@router.patch("/{code}")
def update_portfolio(
    code: cs.PortfolioCode, body: cs.PortfolioUpdate, principal: Admin, db: DatabaseDep
) -> cs.PortfolioPublic:
    """Set the largest amount the portfolio's accounts take (null: the enterprise's)."""
    set_portfolio_maximum(db, code, body.maximum_amount_cents, principal.login)
    return _one(db, principal, code)


def _settings(db: Database, code: str) -> PortfolioCollections:
    return load_strategy(db).entry_policy.portfolio(code) or PortfolioCollections(code, collections_enabled=False)


def _collections(db: Database, code: str) -> cs.PortfolioCollectionsPublic:
    doc = config_document.portfolio_doc(_settings(db, code))
    return cs.PortfolioCollectionsPublic.model_validate(doc.model_dump(by_alias=True))


@router.get("/{code}/collections")
def collections(code: cs.PortfolioCode, principal: Reader, db: DatabaseDep) -> cs.PortfolioCollectionsPublic:
    """The portfolio's guarantor collections settings (a portfolio never configured: not enabled)."""
    portfolio_in_scope(db, principal, code)
    return _collections(db, code)


@router.patch("/{code}/collections")
def update_collections(
    code: cs.PortfolioCode, body: cs.PortfolioCollectionsUpdate, principal: Configurer, db: DatabaseDep
) -> cs.PortfolioCollectionsPublic:
    """Change the portfolio's collections settings; what the body leaves out keeps its value."""
    portfolio_in_scope(db, principal, code)
    rules = config_document.rules_from(body.rules) if body.rules is not None else None
    config_rules.set_portfolio_collections(db, code, collections_enabled=body.collections_enabled,
                                     override_enterprise=body.override_enterprise, rules=rules,
                                     default_collector=body.default_collector, default_action=body.default_action,
                                     actor=principal.login)  # fmt: skip
    return _collections(db, code)


@router.put("/{code}/assignment-type")
def assignment_type(
    code: cs.PortfolioCode, body: cs.AssignmentTypeUpdate, principal: Configurer, db: DatabaseDep
) -> cs.AssignmentTypePublic:
    """Change the assignment type; its assignment rules are deleted, so without ``confirm`` a portfolio with
    rules answers 409 listing them."""
    portfolio_in_scope(db, principal, code)
    deleted = config_rules.change_assignment_type(db, code, body.type, confirm=body.confirm, actor=principal.login)
    deleted_rules = [config_rules.describe_rule(r) for r in deleted]
    return cs.AssignmentTypePublic(portfolio=code, type=body.type, deleted=deleted_rules)


def _rules(db: Database, code: str) -> list[cs.AssignmentRulePublic]:
    return [cs.AssignmentRulePublic(number=number, rule=config_document.rule_doc(rule),
                                    text=config_rules.describe_rule(rule))
            for number, rule in enumerate(config_rules.assignment_rules(db, code), start=1)]  # fmt: skip


def _rule(db: Database, code: str, number: int) -> cs.AssignmentRulePublic:
    rules = _rules(db, code)
    if not 1 <= number <= len(rules):
        raise NotFound(f"portfolio {code!r} has no assignment rule {number}")
    return rules[number - 1]


@router.get("/{code}/assignment-rules")
def assignment_rules(code: cs.PortfolioCode, principal: Reader, db: DatabaseDep) -> list[cs.AssignmentRulePublic]:
    """The portfolio's task assignment table, in order."""
    portfolio_in_scope(db, principal, code)
    return _rules(db, code)


@router.get("/{code}/assignment-rules/{number}")
def assignment_rule(
    code: cs.PortfolioCode, number: cs.RuleNumber, principal: Reader, db: DatabaseDep
) -> cs.AssignmentRulePublic:
    """Assignment rule ``number`` (counting from 1)."""
    portfolio_in_scope(db, principal, code)
    return _rule(db, code, number)


@router.post("/{code}/assignment-rules", status_code=status.HTTP_201_CREATED)
def add_assignment_rule(
    code: cs.PortfolioCode, body: cs.AssignmentRuleCreate, principal: Configurer, db: DatabaseDep
) -> cs.AssignmentRulePublic:
    """Add a row to the task assignment table (ranges may not overlap)."""
    portfolio_in_scope(db, principal, code)
    config_rules.add_document_rule(db, code, body, principal.login)
    return _rules(db, code)[-1]


@router.put("/{code}/assignment-rules/{number}")
def update_assignment_rule(
    code: cs.PortfolioCode, number: cs.RuleNumber, body: cs.AssignmentRuleUpdate, principal: Configurer,
    db: DatabaseDep,
) -> cs.AssignmentRulePublic:  # fmt: skip
    """Replace assignment rule ``number``."""
    portfolio_in_scope(db, principal, code)
    config_rules.update_document_rule(db, code, number, body, principal.login)
    return _rule(db, code, number)


@router.delete("/{code}/assignment-rules/{number}", status_code=status.HTTP_204_NO_CONTENT)
def remove_assignment_rule(code: cs.PortfolioCode, number: cs.RuleNumber, principal: Configurer,
                           db: DatabaseDep) -> None:  # fmt: skip
    """Remove assignment rule ``number`` (those after it move up)."""
    portfolio_in_scope(db, principal, code)
    config_rules.remove_assignment_rule(db, code, number, principal.login)
