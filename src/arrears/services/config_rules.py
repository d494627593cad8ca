"""Collections Admin use cases of the policies: the enterprise entry rules, the compliance settings, each
portfolio's guarantor collections settings and task assignment rules (seed 003), and the portfolio table.

Each is a change of the stored configuration through :func:`arrears.services.config.change_configuration`.
Changing a portfolio's assignment type deletes its assignment rules (seed 003): without confirmation it
raises :class:`AssignmentRulesDeleted` listing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from arrears.domain.compliance_rules import (
    CallOutcome,
    ComplianceParams,
    CompliancePolicy,
    with_enterprise,
    with_portfolio,
)
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.model import ENTERPRISE
from arrears.domain.money import format_cents
from arrears.domain.strategy import (
    AssignmentRule,
    AssignmentType,
    EntryPolicy,
    EntryRules,
    PortfolioCollections,
    Strategy,
    TaskAssignment,
)
from arrears.services.config import SYSTEM, ConfirmationRequired, EntityChange, change_configuration
from arrears.services.config_document import RuleDoc, rule_from, rules_doc
from arrears.services.stored_strategy import load_strategy
from arrears.store.db import Database
from arrears.store.portfolios import portfolio_names


def describe_rule(rule: AssignmentRule) -> str:
    """An assignment rule as the admin table shows it: ``A–H → ann (Call 1)``."""
    ends = [format_cents(end) if isinstance(end, int) else str(end) for end in (rule.from_, rule.to)]
    assignee = rule.collector or (f"group {rule.group}" if rule.group else "?")
    work = f" ({rule.default_work})" if rule.default_work else ""
    missed = " [missed plan only]" if rule.missed_plan_only else ""
    return f"{ends[0]}–{ends[1]} → {assignee}{work}{missed}"


class AssignmentRulesDeleted(ConfirmationRequired):
    """Changing the assignment type would delete assignment rules; call again with ``confirm=True``."""

    def __init__(self, portfolio: str, new_type: AssignmentType, rules: tuple[AssignmentRule, ...]) -> None:
        self.portfolio, self.new_type, self.rules = portfolio, new_type, rules
        descriptions = tuple(describe_rule(rule) for rule in rules)
        count = len(rules)
        super().__init__(
            f"changing the assignment type of portfolio '{portfolio}' to {new_type.value} deletes its "
            f"{count} assignment rule{'s' if count != 1 else ''}: " + "; ".join(descriptions),
            descriptions,
        )


# ---------------------------------------------------------------------------------- entry policy


def set_enterprise_rules(db: Database, rules: EntryRules, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the enterprise entry rules (seed 003)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, entry_policy=replace(strategy.entry_policy, enterprise=rules))

    return change_configuration(db, change, actor)


def set_compliance(db: Database, policy: CompliancePolicy, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the compliance settings: the enterprise's guardrails, the portfolios' overrides and the call
    outcome codes (seed: every value left out keeps its default)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, compliance=policy)

    return change_configuration(db, change, actor)


def set_enterprise_compliance(
    db: Database, params: ComplianceParams, call_outcomes: Sequence[CallOutcome], actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace the enterprise's compliance parameters and the call outcome codes; each portfolio keeps its own
    values and follows the new enterprise values in the rest."""

    def change(strategy: Strategy) -> Strategy:
        policy = with_enterprise(strategy.compliance, params)
        return replace(strategy, compliance=replace(policy, call_outcomes=tuple(call_outcomes)))

    return change_configuration(db, change, actor)


def set_portfolio_compliance(
    db: Database, portfolio: str, own: Mapping[str, Mapping[str, Any]], actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Set the compliance values ``portfolio`` sets itself (``{block: {name: value}}``; none: it follows the
    enterprise in everything)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, compliance=with_portfolio(strategy.compliance, portfolio, own))

    return change_configuration(db, change, actor)


def _settings(strategy: Strategy, portfolio: str) -> PortfolioCollections:
    """The portfolio's settings; a portfolio never configured starts with collections not enabled."""
    return strategy.entry_policy.portfolio(portfolio) or PortfolioCollections(portfolio, collections_enabled=False)


def _with_settings(strategy: Strategy, settings: PortfolioCollections) -> Strategy:
    policy = strategy.entry_policy
    others = list(policy.portfolios)
    index = next((i for i, p in enumerate(others) if p.portfolio == settings.portfolio), None)
    if index is None:
        others.append(settings)
    else:
        others[index] = settings
    return replace(strategy, entry_policy=EntryPolicy(policy.enterprise, tuple(others)))


def _change_portfolio(
    db: Database, portfolio: str, edit: Callable[[Strategy, PortfolioCollections], PortfolioCollections], actor: str
) -> tuple[EntityChange, ...]:
    def change(strategy: Strategy) -> Strategy:
        return _with_settings(strategy, edit(strategy, _settings(strategy, portfolio)))

    return change_configuration(db, change, actor)


def set_portfolio_collections(
    db: Database,
    portfolio: str,
    *,
    collections_enabled: bool | None = None,
    override_enterprise: bool | None = None,
    rules: EntryRules | None = None,
    default_collector: str | None = None,
    default_action: str | None = None,
    insurance_action: str | None = None,
    actor: str = SYSTEM,
) -> tuple[EntityChange, ...]:
    """Change a portfolio's guarantor collections page (and the action or series of its insurance
    collections); arguments left as None keep their value.

    Turning ``override_enterprise`` on without rules starts from a copy of the enterprise rules; turning it
    off drops the portfolio's rules (the page then shows the enterprise values, read-only).
    """

    def edit(strategy: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        if collections_enabled is not None:
            settings = replace(settings, collections_enabled=collections_enabled)
        if override_enterprise is True:
            kept = rules or settings.rules or strategy.entry_policy.enterprise
            settings = replace(settings, override_enterprise=True, rules=kept)
        elif override_enterprise is False:
            settings = replace(settings, override_enterprise=False, rules=rules)
        elif rules is not None:
            settings = replace(settings, rules=rules)
        assignment = settings.assignment
        if default_collector is not None:
            assignment = replace(assignment, default_collector=default_collector)
        if default_action is not None:
            assignment = replace(assignment, default_action=default_action)
        if insurance_action is not None:
            assignment = replace(assignment, insurance_action=insurance_action)
        return replace(settings, assignment=assignment)

    return _change_portfolio(db, portfolio, edit, actor)


def remove_portfolio_collections(db: Database, portfolio: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Forget a portfolio's collections settings (it is then not enabled)."""

    def change(strategy: Strategy) -> Strategy:
        policy = strategy.entry_policy
        if policy.portfolio(portfolio) is None:
            raise NotFound(f"portfolio '{portfolio}' has no collections settings")
        kept = tuple(p for p in policy.portfolios if p.portfolio != portfolio)
        return replace(strategy, entry_policy=EntryPolicy(policy.enterprise, kept))

    return change_configuration(db, change, actor)


def _rule_index(settings: PortfolioCollections, number: int) -> int:
    if not 1 <= number <= len(settings.assignment.rules):
        raise NotFound(f"portfolio '{settings.portfolio}' has no assignment rule {number}")
    return number - 1


def _with_rules(settings: PortfolioCollections, rules: Iterable[AssignmentRule]) -> PortfolioCollections:
    return replace(settings, assignment=replace(settings.assignment, rules=tuple(rules)))


def add_assignment_rule(
    db: Database, portfolio: str, rule: AssignmentRule, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Add a row to the portfolio's task assignment table (ranges may not overlap; from ≤ to)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        return _with_rules(settings, (*settings.assignment.rules, rule))

    return _change_portfolio(db, portfolio, edit, actor)


def update_assignment_rule(
    db: Database, portfolio: str, number: int, rule: AssignmentRule, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace assignment rule ``number`` (counting from 1, as the table shows)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        rules[index] = rule
        return _with_rules(settings, rules)

    return _change_portfolio(db, portfolio, edit, actor)


def remove_assignment_rule(db: Database, portfolio: str, number: int, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Remove assignment rule ``number`` (counting from 1)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        del rules[index]
        return _with_rules(settings, rules)

    return _change_portfolio(db, portfolio, edit, actor)


def _document_rule(settings: PortfolioCollections, rule: RuleDoc, location: str) -> AssignmentRule:
    problems: list[tuple[str, str]] = []
    made = rule_from(rule, settings.assignment.assignment_type, location, problems)
    if problems:
        raise ValidationFailed([Problem(path, text, "") for path, text in problems])
    return made


def add_document_rule(db: Database, portfolio: str, rule: RuleDoc, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """:func:`add_assignment_rule` with the rule in the document's form (a balance range's ends as text dollars,
    read by the portfolio's assignment type)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        made = _document_rule(settings, rule, "rule")
        return _with_rules(settings, (*settings.assignment.rules, made))

    return _change_portfolio(db, portfolio, edit, actor)


def update_document_rule(
    db: Database, portfolio: str, number: int, rule: RuleDoc, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """:func:`update_assignment_rule` with the rule in the document's form."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        rules[index] = _document_rule(settings, rule, "rule")
        return _with_rules(settings, rules)

    return _change_portfolio(db, portfolio, edit, actor)


def assignment_rules(db: Database, portfolio: str) -> tuple[AssignmentRule, ...]:
    """The portfolio's assignment rules (empty when it has none)."""
    settings = load_strategy(db).entry_policy.portfolio(portfolio)
    return settings.assignment.rules if settings is not None else ()


def change_assignment_type(
    db: Database, portfolio: str, new_type: AssignmentType | str, confirm: bool = False, actor: str = SYSTEM
) -> tuple[AssignmentRule, ...]:
    """Change the portfolio's assignment type; its assignment rules are deleted (seed 003).

    Without ``confirm`` and with rules to delete, raises :class:`AssignmentRulesDeleted` listing them and
    changes nothing. Returns the deleted rules (their deletion is in the audit row's before/after).
    """
    try:
        wanted = AssignmentType(new_type)
    except ValueError as error:
        choices = ", ".join(t.value for t in AssignmentType)
        raise ValidationFailed([Problem("assignment.type", f"must be one of {choices}", str(new_type))]) from error
    deleted: list[AssignmentRule] = []

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        assignment, removed = settings.assignment.with_assignment_type(wanted)
        if removed and not confirm:
            raise AssignmentRulesDeleted(portfolio, wanted, removed)
        deleted.extend(removed)
        return replace(settings, assignment=assignment)

    _change_portfolio(db, portfolio, edit, actor)
    return tuple(deleted)


@dataclass(frozen=True, slots=True)
class PortfolioLine:
    """A row of the Guarantor Collections tab's portfolio table (seed 003), with what its page shows."""

    portfolio: str
    name: str
    collections_enabled: Literal["Yes", "No"]
    assignment_level: Literal["Enterprise", "Portfolio"]
    rules: EntryRules
    """The portfolio's own rules when it overrides the enterprise, else the enterprise rules (read-only)."""
    assignment: TaskAssignment = field(default_factory=TaskAssignment)

    def as_dict(self) -> dict[str, Any]:
        a = self.assignment
        return {
            "portfolio": self.portfolio,
            "name": self.name,
            "collections_enabled": self.collections_enabled,
            "assignment_level": self.assignment_level,
            "rules": rules_doc(self.rules).model_dump(),
            "assignment": {
                "type": a.assignment_type.value,
                "default_collector": a.default_collector,
                "default_action": a.default_action,
                "rules": [describe_rule(rule) for rule in a.rules],
            },
        }


def portfolio_table(db: Database) -> list[PortfolioLine]:
    """Every portfolio: collections enabled Yes/No, assignment level Enterprise/Portfolio, its effective rules."""
    with db.session() as session:
        portfolios = [(code, name) for code, name in portfolio_names(session) if code != ENTERPRISE]
        policy = load_strategy(session).entry_policy
    lines = []
    for code, name in portfolios:
        settings = policy.portfolio(code)
        own = settings is not None and settings.override_enterprise and settings.rules is not None
        lines.append(
            PortfolioLine(
                portfolio=code,
                name=name,
                collections_enabled="Yes" if policy.collections_enabled(code) else "No",
                assignment_level=policy.assignment_level(code),
                rules=settings.rules if own and settings is not None and settings.rules else policy.enterprise,
                assignment=settings.assignment if settings is not None else TaskAssignment(),
            )
        )
    return lines
