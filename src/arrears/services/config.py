"""Collections Admin use cases: collectors, groups, users, letters, actions, series, contact plans, entry policy,
assignment.

The configuration is stored as one ``config_entity`` row per entity (kind, name, position, JSON body in the
document's form, see :mod:`arrears.services.config_document`). Every use case here:

1. takes the configuration lock and loads the whole :class:`~arrears.domain.strategy.Strategy` in one unit
   of work,
2. builds the new whole strategy,
3. validates it (:func:`~arrears.domain.strategy.validate_strategy` with the portfolio codes of the
   ``portfolio`` table, the lengths of the columns values are stored in, the largest amount, letter template
   checks) and raises :class:`ValidationFailed` with every new problem before anything is written (problems
   the stored configuration already had are not blamed on this change),
4. refuses to remove (or rename) an action, series, collector, group or letter that collections work still
   uses — pending activities, open cases, queued letters — unless it is told what to do with that work
   (:class:`~arrears.services.config_document.Migration`: move it to another one, or cancel it),
5. writes only the entities that changed, with one :class:`AuditRow` each (actor, UTC time, kind, key,
   created/updated/deleted, before and after JSON), moves or cancels the work (one audit row per activity,
   case or letter), records a new numbered configuration version with the whole document, and commits once.

Deleting something other configuration uses is refused with :class:`InUse` listing its users ("action
'Call 1' is step 2 of series 'Guarantor Letters'"); something collections work uses, with :class:`WorkInUse`.
Changing a portfolio's assignment type deletes its assignment rules (seed 003) and applying a document that
removes entities deletes them: without confirmation both raise a :class:`ConfirmationRequired` listing what
would be deleted.

:func:`export_document` and :func:`apply_document` move the whole configuration through YAML; applying is
atomic and idempotent (the same document twice changes nothing, writes no audit rows and no version the
second time).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from arrears.domain.compliance_rules import (
    CallOutcome,
    ComplianceParams,
    CompliancePolicy,
    with_enterprise,
    with_portfolio,
)
from arrears.domain.engine import OPERATOR_KINDS
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.model import ENTERPRISE
from arrears.domain.money import format_cents
from arrears.domain.plans import Plan, TransactionType
from arrears.domain.strategy import (
    Action,
    ActionKind,
    AssignmentRule,
    AssignmentType,
    Collector,
    CollectorGroup,
    ConfigError,
    EntryPolicy,
    EntryRules,
    FinalAction,
    LetterTemplate,
    PortfolioCollections,
    Series,
    Strategy,
    TaskAssignment,
    User,
    usages,
)
from arrears.domain.strategy.schemes import Scheme
from arrears.services.config_document import (
    COMPLIANCE,
    CREDIT_RATING,
    ENTERPRISE_KEY,
    ENTERPRISE_RULES,
    ENTITY_KINDS,
    PORTFOLIO_COLLECTIONS,
    PORTFOLIO_COMPLIANCE,
    PROMISES,
    DocumentError,
    Migration,
    MigrationKind,
    RuleDoc,
    body_json,
    column_limit,
    dump_strategy,
    entity_bodies,
    parse_document,
    rule_from,
    rules_doc,
    shorten,
    strategy_from_bodies,
    strategy_problems,
)
from arrears.services.stored_strategy import load_strategy
from arrears.store import config_repo
from arrears.store import milestones as store_milestones
from arrears.store.audit import current_request_id, recent_audit
from arrears.store.config_repo import PendingActivity, UsedAs, VersionInfo, WorkUse
from arrears.store.db import Connection, Database, Session
from arrears.store.models import AuditRow, ConfigEntityRow, ConfigVersionRow
from arrears.store.portfolios import portfolio_names
from arrears.store.uow import UnitOfWork

SYSTEM = "system"
"""The actor of changes made without a named person."""
ACTOR_LIMIT = column_limit(AuditRow.actor, ConfigEntityRow.updated_by, ConfigVersionRow.actor)

Change = Literal["added", "changed", "removed"]

# -------------------------------------------------------------------------------------- results/errors

_MISSING: Any = object()


def _shown(value: Any) -> str:
    """A document value in a diff line: JSON, long text cut with its length, absent as ``(none)``."""
    if value is _MISSING:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else f"{text[:56]}…\" ({len(text):,} characters)"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value of the document that changes: its path, before and after (document values)."""

    path: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{shorten(self.path)}: {_shown(self.before)} → {_shown(self.after)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": None if self.before is _MISSING else self.before,
            "after": None if self.after is _MISSING else self.after,
        }


@dataclass(frozen=True, slots=True)
class EntityChange:
    """One entity added, changed or removed; ``fields`` are the document keys that changed, ``details`` every
    value with its before and after."""

    kind: str
    key: str
    change: Change
    fields: tuple[str, ...] = ()
    details: tuple[FieldChange, ...] = ()

    @property
    def path(self) -> str:
        """The entity in the document: ``actions[Call 1]``, ``entry_policy.portfolios[FAMILY]``."""
        return entity_path(self.kind, self.key)

    def __str__(self) -> str:
        shown = f" ({', '.join(self.fields)})" if self.fields else ""
        return shorten(f"{self.change} {self.kind} '{self.key}'{shown}")


_SECTION_OF_KIND = {
    "collector": "collectors", "group": "groups", "user": "users", "letter": "letters", "action": "actions",
    "series": "series", "plan": "plans", "transaction_type": "transaction_types", "scheme": "schemes",
}  # fmt: skip


def entity_path(kind: str, key: str) -> str:
    """Where an entity is in the document."""
    if kind == ENTERPRISE_RULES:
        return "entry_policy.enterprise"
    if kind == PORTFOLIO_COLLECTIONS:
        return f"entry_policy.portfolios[{key}]"
    if kind == COMPLIANCE:
        return "compliance.enterprise"
    if kind == PORTFOLIO_COMPLIANCE:
        return f"compliance.portfolios[{key}]"
    if kind == CREDIT_RATING:
        return "credit_rating"
    if kind == PROMISES:
        return "promises"
    return f"{_SECTION_OF_KIND[kind]}[{key}]"


_LABEL: Mapping[MigrationKind, str] = {
    "action": "action", "series": "series", "collector": "collector", "group": "group", "letter": "letter",
}  # fmt: skip
_USED_AS: Mapping[MigrationKind, UsedAs] = {
    "action": "action", "series": "series", "collector": "assignee", "group": "assignee", "letter": "letter",
}  # fmt: skip


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def describe_use(kind: MigrationKind, name: str, use: WorkUse) -> str:
    """``action 'Call 2' is used by 12 pending activities and 3 open cases' work (accounts A-1, A-7, …)``."""
    parts = []
    if use.activities:
        parts.append(_count(use.activities, "pending activity", "pending activities"))
    if use.cases:
        parts.append(_count(use.cases, "open case", "open cases") + ("'" if kind in ("action", "series") else ""))
    if use.letters:
        parts.append(_count(use.letters, "queued letter", "queued letters"))
    accounts = ", ".join(use.accounts) + (", …" if use.more_accounts else "")
    roles = {"collector": "the assignee of", "group": "the assignee of", "letter": "the template of"}
    what = roles.get(kind, "used by")
    cases_work = " work" if use.cases and kind in ("action", "series") else ""
    return shorten(f"{_LABEL[kind]} '{name}' is {what} {' and '.join(parts)}{cases_work} (accounts {accounts})")


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    """The work a migration moves or cancels."""

    migration: Migration
    use: WorkUse

    def __str__(self) -> str:
        m = self.migration
        done = f"moved to '{m.move_to}'" if m.move_to is not None else "cancelled"
        return f"{describe_use(m.kind, m.name, self.use)}: {done}"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a document did (or would do, on a dry run), or every error that stopped it."""

    changes: tuple[EntityChange, ...] = ()
    errors: tuple[DocumentError, ...] = ()
    dry_run: bool = False
    migrations: tuple[MigrationOutcome, ...] = ()
    """The collections work moved or cancelled with the change."""
    version: int | None = None
    """The configuration version the change created (None: nothing written)."""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        """True when the changes were written (not a dry run, no errors)."""
        return self.ok and not self.dry_run

    @property
    def removed(self) -> tuple[EntityChange, ...]:
        return tuple(change for change in self.changes if change.change == "removed")

    @property
    def diff(self) -> dict[str, dict[Change, list[str]]]:
        """Entity kind → added / changed / removed keys (only kinds with a change)."""
        found: dict[str, dict[Change, list[str]]] = {}
        for change in self.changes:
            per = found.setdefault(change.kind, {"added": [], "changed": [], "removed": []})
            per[change.change].append(change.key)
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "version": self.version,
            "changes": [
                {
                    "kind": c.kind,
                    "key": c.key,
                    "change": c.change,
                    "fields": list(c.fields),
                    "details": [d.as_dict() for d in c.details],
                }
                for c in self.changes
            ],
            "migrations": [str(outcome) for outcome in self.migrations],
            "errors": [{"file": e.file, "path": e.path, "rule": e.rule} for e in self.errors],
        }


class InUse(ValidationFailed):
    """A delete refused because other configuration uses the entity."""

    def __init__(self, kind: str, key: str, users: tuple[str, ...]) -> None:
        self.kind, self.key, self.users = kind, key, users
        super().__init__(Problem(f"{kind} '{key}'", f"is in use: {use}") for use in users)


class WorkInUse(ValidationFailed):
    """A removal or rename refused because collections work (pending activities, open cases, queued letters)
    uses the entity and nothing says what to do with that work."""

    def __init__(self, problems: Sequence[Problem], uses: Sequence[tuple[MigrationKind, str, WorkUse]]) -> None:
        self.uses = tuple(uses)
        super().__init__(problems)


class ConfirmationRequired(Exception):
    """A change that deletes configuration: nothing was changed; call again confirming it."""

    def __init__(self, message: str, descriptions: tuple[str, ...]) -> None:
        self.descriptions = descriptions
        super().__init__(message)


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


class RemovalsNeedConfirmation(ConfirmationRequired):
    """Applying the document removes entities; call again with ``confirm`` naming them (or True)."""

    def __init__(self, preview: ApplyResult) -> None:
        self.preview = preview
        self.removals = frozenset((change.kind, change.key) for change in preview.removed)
        descriptions = tuple(str(change) for change in preview.removed)
        count = len(descriptions)
        super().__init__(
            f"applying the document removes {count} entit{'y' if count == 1 else 'ies'}: " + "; ".join(descriptions),
            descriptions,
        )


def describe_rule(rule: AssignmentRule) -> str:
    """An assignment rule as the admin table shows it: ``A–H → ann (Call 1)``."""
    ends = [format_cents(end) if isinstance(end, int) else str(end) for end in (rule.from_, rule.to)]
    assignee = rule.collector or (f"group {rule.group}" if rule.group else "?")
    work = f" ({rule.default_work})" if rule.default_work else ""
    missed = " [missed plan only]" if rule.missed_plan_only else ""
    return f"{ends[0]}–{ends[1]} → {assignee}{work}{missed}"


# -------------------------------------------------------------------------------------- loading


def _rows(session: Session) -> dict[tuple[str, str], ConfigEntityRow]:
    return {(row.kind, row.name): row for row in config_repo.config_entities(session) if row.kind in ENTITY_KINDS}


def _strategy(rows: Mapping[tuple[str, str], ConfigEntityRow]) -> Strategy:
    return strategy_from_bodies((kind, key, row.position, row.body) for (kind, key), row in rows.items())


def portfolio_codes(session: Session) -> set[str]:
    """The codes of the portfolios configuration may name (every portfolio but the enterprise root)."""
    return {code for code, _ in portfolio_names(session) if code != ENTERPRISE}


# -------------------------------------------------------------------------------------- saving


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(before: str, after: str) -> tuple[str, ...]:
    old, new = json.loads(before), json.loads(after)
    return tuple(key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key))


def _field_changes(path: str, before: Any, after: Any) -> Iterator[FieldChange]:
    """Every value that differs between two document values, with its path (list items counted from 1)."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in dict.fromkeys([*before, *after]):
            yield from _field_changes(f"{path}.{key}", before.get(key, _MISSING), after.get(key, _MISSING))
    elif (
        isinstance(before, list) and isinstance(after, list)
        and any(isinstance(item, dict) for item in (*before, *after))
    ):  # fmt: skip
        for index in range(max(len(before), len(after))):
            yield from _field_changes(
                f"{path}[{index + 1}]",
                before[index] if index < len(before) else _MISSING,
                after[index] if index < len(after) else _MISSING,
            )
    elif before != after:
        yield FieldChange(path, before, after)


Bodies = Mapping[tuple[str, str], tuple[int, str]]
"""(kind, key) → (position, JSON body): the stored form of every entity."""


def _compare(old: Bodies, new: Bodies) -> list[EntityChange]:
    """The entities added, changed (with every value that changed) and removed from ``old`` to ``new``."""
    changes: list[EntityChange] = []
    order = {kind: index for index, kind in enumerate(ENTITY_KINDS)}
    old_rank, new_rank = _ranks_among_kept(old, new), _ranks_among_kept(new, old)
    for (kind, key), (position, body) in sorted(new.items(), key=lambda item: (order[item[0][0]], item[1][0])):
        previous = old.get((kind, key))
        if previous is None:
            changes.append(EntityChange(kind, key, "added"))
            continue
        details = list(_field_changes(entity_path(kind, key), json.loads(previous[1]), json.loads(body)))
        # An entity moved only when its place among the entities kept on both sides changed, not because one
        # was added or removed before it.
        if old_rank[(kind, key)] != new_rank[(kind, key)]:
            details.append(FieldChange(f"{entity_path(kind, key)}.position", previous[0] + 1, position + 1))
        if previous[1] != body:
            changes.append(EntityChange(kind, key, "changed", _fields(previous[1], body), tuple(details)))
        elif old_rank[(kind, key)] != new_rank[(kind, key)]:
            changes.append(EntityChange(kind, key, "changed", ("position",), tuple(details)))
    removed = [key for key in old if key not in new]
    for kind, key in sorted(removed, key=lambda k: (order[k[0]], old[k][0])):
        changes.append(EntityChange(kind, key, "removed"))
    return changes


def _ranks_among_kept(side: Bodies, other: Bodies) -> dict[tuple[str, str], int]:
    """Each entity of ``side`` also in ``other``: its place in its kind's list among those entities only."""
    kept = sorted((key for key in side if key in other), key=lambda key: (key[0], side[key][0]))
    ranks: dict[tuple[str, str], int] = {}
    seen: Counter[str] = Counter()
    for kind, key in kept:
        ranks[(kind, key)] = seen[kind]
        seen[kind] += 1
    return ranks


def _stored_bodies(stored: Mapping[tuple[str, str], ConfigEntityRow]) -> dict[tuple[str, str], tuple[int, str]]:
    return {key: (row.position, row.body) for key, row in stored.items()}


def _diff(
    stored: Mapping[tuple[str, str], ConfigEntityRow], new: Strategy
) -> tuple[dict[tuple[str, str], tuple[int, str]], list[EntityChange]]:
    bodies = entity_bodies(new)
    enterprise = (ENTERPRISE_RULES, ENTERPRISE_KEY)
    if enterprise not in stored and bodies[enterprise][1] == body_json(rules_doc(EntryRules())):
        del bodies[enterprise]  # nothing configured yet: do not store the defaults as a change
    return bodies, _compare(_stored_bodies(stored), bodies)


_AUDIT_ACTION: Mapping[Change, str] = {"added": "created", "changed": "updated", "removed": "deleted"}


def _write(
    session: Session,
    stored: Mapping[tuple[str, str], ConfigEntityRow],
    bodies: Mapping[tuple[str, str], tuple[int, str]],
    changes: list[EntityChange],
    actor: str,
    now: datetime,
) -> None:
    """Write the changed entities and one audit row each."""
    for change in changes:
        row = stored.get((change.kind, change.key))
        before = row.body if row is not None else None
        after = bodies[(change.kind, change.key)][1] if change.change != "removed" else None
        if change.change == "removed":
            assert row is not None
            session.delete(row)
        elif row is None:
            position, body = bodies[(change.kind, change.key)]
            session.add(
                ConfigEntityRow(
                    kind=change.kind, name=change.key, position=position, body=body, updated_at=now, updated_by=actor
                )
            )
        else:
            row.position, row.body = bodies[(change.kind, change.key)]
            row.updated_at, row.updated_by = now, actor
        session.add(
            AuditRow(
                at=now,
                actor=actor,
                entity=change.kind,
                entity_key=change.key,
                action=_AUDIT_ACTION[change.change],
                before=before,
                after=after,
                request_id=current_request_id(),
            )
        )
    # Entities after one added or removed keep their body but take their new place in the list.
    for key, row in stored.items():
        if key in bodies and row.position != bodies[key][0]:
            row.position = bodies[key][0]
    session.flush()


def _problems(errors: Sequence[ConfigError]) -> list[Problem]:
    return [Problem(shorten(error.path), shorten(error.rule)) for error in errors]


def _check_actor(actor: str) -> None:
    length, column = ACTOR_LIMIT
    if not actor.strip() or len(actor) > length:
        rule = f"must be 1 to {length} characters (it is stored in {column}); it has {len(actor):,}"
        raise ValidationFailed([Problem("actor", rule)])


# ------------------------------------------------------------------------------ work that uses names

MIGRATABLE: frozenset[str] = frozenset(_LABEL)
"""The entity kinds collections work names: removing one of them needs a :class:`Migration` for that work."""


@dataclass(slots=True)
class _Move:
    """One migration, checked, with the rows it changes."""

    migration: Migration
    use: WorkUse
    activities: list[PendingActivity]
    activity_values: list[tuple[list[int], dict[str, object]]] = field(default_factory=list)
    """(activity ids, new values) groups of a move."""


@dataclass(slots=True)
class _Plan:
    moves: list[_Move] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    uses: list[tuple[MigrationKind, str, WorkUse]] = field(default_factory=list)

    @property
    def outcomes(self) -> tuple[MigrationOutcome, ...]:
        return tuple(MigrationOutcome(move.migration, move.use) for move in self.moves)


def _exists(strategy: Strategy, kind: str, key: str) -> bool:
    section = _SECTIONS[kind]
    return any(getattr(item, section.key) == key for item in _items(strategy, kind))


def _operator(kind: str) -> bool:
    return ActionKind(kind) in OPERATOR_KINDS


def _worked(activities: Sequence[PendingActivity]) -> list[PendingActivity]:
    """The activities released into a collector's worklist (operator work waiting for a person)."""
    return [activity for activity in activities if activity.in_worklist]


class _Checker:
    """Checks the migrations of one change against the old and new configuration and the stored work."""

    def __init__(self, connection: Connection, old: Strategy, new: Strategy, plan: _Plan) -> None:
        self.connection, self.old, self.new, self.plan = connection, old, new, plan

    def problem(self, migration: Migration, rule: str, at: str = ".move_to") -> None:
        self.plan.problems.append((f"{migration.path}{at}", rule))

    def action(self, move: _Move, target_name: str) -> None:
        migration, target = move.migration, self.new.action(target_name)
        if target is None:
            self.problem(migration, f"names an unknown action '{target_name}'")
            return
        if target.inactive:
            self.problem(migration, f"action '{target_name}' is inactive")
        source = self.old.action(migration.name)
        if source is not None and not target.collection_type.fits(source.collection_type):
            self.problem(
                migration,
                f"action '{target_name}' is {target.collection_type.label} work; '{migration.name}' was "
                f"{source.collection_type.label} work",
            )
        worked = _worked(move.activities)
        if worked and not _operator(target.kind.value):
            self.problem(
                migration,
                f"{_count(len(worked), 'activity', 'activities')} of '{migration.name}' wait in a collector's "
                f"worklist, but action '{target_name}' ({target.kind.value}) is not worklist work",
            )
        move.activity_values.append(
            ([a.id for a in move.activities], {"action": target.name, "kind": target.kind.value})
        )

    def series(self, move: _Move, target_name: str) -> None:
        migration, target = move.migration, self.new.series_named(target_name)
        if target is None:
            self.problem(migration, f"names an unknown series '{target_name}'")
            return
        if target.inactive:
            self.problem(migration, f"series '{target_name}' is inactive")
        source = self.old.series_named(migration.name)
        if source is not None and source.collection_type is not target.collection_type:
            self.problem(
                migration,
                f"series '{target_name}' is a {target.collection_type.label} series; '{migration.name}' was "
                f"{source.collection_type.label}",
            )
        steps = len(source.steps) if source is not None else 0
        groups: dict[tuple[int, str, str], list[PendingActivity]] = {}
        for activity in move.activities:
            step = activity.step or 0
            if not activity.action or (source is not None and step >= steps):  # the final action
                final = self._final(target)
                if final is None:
                    continue
                groups.setdefault((len(target.steps), *final), []).append(activity)
            elif step < len(target.steps):
                action = self.new.action(target.steps[step].action)
                if action is not None:
                    groups.setdefault((step, action.name, action.kind.value), []).append(activity)
            else:
                groups.setdefault((step, "", ""), []).append(activity)  # no such step: reported below
        for (step, action_name, kind), activities in groups.items():
            if not kind:
                self.problem(
                    migration,
                    f"{_count(len(activities), 'pending activity is', 'pending activities are')} at step "
                    f"{step + 1} of '{migration.name}', but series '{target_name}' has "
                    f"{_count(len(target.steps), 'step', 'steps')}",
                )
                continue
            worked = _worked(activities)
            if worked and not _operator(kind):
                self.problem(
                    migration,
                    f"{_count(len(worked), 'activity', 'activities')} of '{migration.name}' wait in a collector's "
                    f"worklist, but its step {step + 1} in series '{target_name}' is '{action_name}' ({kind}), "
                    "not worklist work",
                )
            values = {"series": target.name, "step": step, "action": action_name, "kind": kind}
            move.activity_values.append(([a.id for a in activities], values))

    def _final(self, series: Series) -> tuple[str, str] | None:
        """(action, kind) of the series' final activity: the referral to external collections has no action."""
        if series.final_action is FinalAction.EXTERNAL_COLLECTIONS:
            return "", ActionKind.EXTERNAL_REFERRAL.value
        custom = self.new.action(series.custom_action or "")
        return (custom.name, custom.kind.value) if custom is not None else None

    def assignee(self, move: _Move, target_name: str) -> None:
        migration = move.migration
        collector, group = self.new.collector(target_name), self.new.group(target_name)
        if collector is None and group is None:
            self.problem(migration, f"names an unknown collector or group '{target_name}'")
            return
        if collector is not None and not collector.active:
            self.problem(migration, f"collector '{target_name}' is not active")
        move.activity_values.append(([a.id for a in move.activities], {"assignee": target_name}))

    def letter(self, move: _Move, target_name: str) -> None:
        if self.new.letter(target_name) is None:
            self.problem(move.migration, f"names an unknown letter template '{target_name}'")

    def cancel(self, move: _Move) -> None:
        migration = move.migration
        if migration.kind in ("collector", "group") and move.use.cases:
            self.problem(
                migration,
                f"{_count(move.use.cases, 'open case is', 'open cases are')} assigned to '{migration.name}' and "
                "their next work would go to a code that no longer exists: move them (move_to)",
                at="",
            )


def _plan_event_work(
    connection: Connection, old: Strategy, new: Strategy, changes: Sequence[EntityChange]
) -> Iterator[tuple[str, str]]:
    """A pending contact a plan made is performed, when it falls due, by the event its origin names (the plan's
    code and the event's sequence number): a change that takes such an event away (with its plan, by a rename or a
    new sequence number) or gives its sequence number another type is refused while the contacts are pending."""
    for change in changes:
        before = old.plan(change.key) if change.kind == "plan" and change.change != "added" else None
        if before is None:
            continue
        after = new.plan(change.key) if change.change == "changed" else None
        for event in before.events:
            now = after.event(event.sequence) if after is not None else None
            if now is not None and now.type is event.type:
                continue
            use = config_repo.plan_event_work(connection, before.code, event.sequence)
            if not use.activities:
                continue
            what = "would be removed" if now is None else f"would become a {now.type.value} event"
            accounts = ", ".join(use.accounts) + (", …" if use.more_accounts else "")
            contacts = _count(use.activities, "pending contact", "pending contacts")
            yield (f"plans[{before.code}].events[{event.sequence}]",
                   f"event {event.sequence} ({event.type.value}) of plan '{before.code}' {what}, but the {contacts} "
                   f"it made (accounts {accounts}) are performed as that event when they fall due: keep the event "
                   "until they are done or deleted")  # fmt: skip


def _plan(
    connection: Connection,
    old: Strategy,
    new: Strategy,
    changes: Sequence[EntityChange],
    migrations: Sequence[Migration],
    unread: Collection[str] = frozenset(),
    *,
    document: bool,
) -> _Plan:
    """Check that the work of every removed action, series, collector, group or letter is moved or cancelled, and
    that no plan event with pending contacts is taken away."""
    plan = _Plan()
    given = {(m.kind, m.name): m for m in migrations}
    for migration in given.values():
        if _exists(new, migration.kind, migration.name):
            kept = f"{_LABEL[migration.kind]} '{migration.name}' is kept by this change"
            plan.problems.append((migration.path, f"{kept}: only the work of what a change removes or renames moves"))
    checker = _Checker(connection, old, new, plan)
    for change in changes:
        if change.change == "removed" and change.kind == "scheme":
            _scheme_in_use(connection, change, plan)
        if change.change != "removed" or change.kind not in MIGRATABLE or change.key in unread:
            continue
        kind: MigrationKind = change.kind  # type: ignore[assignment]
        use = config_repo.work_using(connection, _USED_AS[kind], change.key)
        if not use.any:
            continue
        wanted = given.get((kind, change.key))
        if wanted is None:
            plan.uses.append((kind, change.key, use))
            if document:
                path = Migration(kind, change.key).path
                hint = f"add {path} with move_to: <another {_LABEL[kind]}> or cancel: true"
            else:
                path = change.path
                hint = f"say where it moves (move_work_to=<another {_LABEL[kind]}>) or cancel it (cancel_work=True)"
            plan.problems.append((path, f"{describe_use(kind, change.key, use)}: {hint}"))
            continue
        move = _Move(wanted, use, config_repo.pending_activities(connection, _USED_AS[kind], change.key))
        plan.moves.append(move)
        if wanted.move_to is None:
            checker.cancel(move)
        elif kind == "action":
            checker.action(move, wanted.move_to)
        elif kind == "series":
            checker.series(move, wanted.move_to)
        elif kind == "letter":
            checker.letter(move, wanted.move_to)
        else:
            checker.assignee(move, wanted.move_to)
    plan.problems += _plan_event_work(connection, old, new, changes)
    return plan


def _scheme_in_use(connection: Connection, change: EntityChange, plan: _Plan) -> None:
    """A scheme is not removed (nor renamed) while accounts stand in it: they would leave it without a move in
    their history."""
    count, first = store_milestones.accounts_in_scheme(connection, change.key)
    if count:
        accounts = ", ".join(first) + (", …" if count > len(first) else "")
        standing = _count(count, "account stands", "accounts stand")
        rule = f"scheme '{change.key}' is in use: {standing} in it ({accounts}); make it inactive instead"
        plan.problems.append((change.path, rule))


def _audit(now: datetime, actor: str, entity: str, key: object, action: str, before: object, after: object) -> dict[
    str, object
]:
    return {
        "at": now, "actor": actor, "entity": entity, "entity_key": str(key), "action": action,
        "before": json.dumps(before, ensure_ascii=False), "after": json.dumps(after, ensure_ascii=False),
        "request_id": current_request_id(),
    }  # fmt: skip


def _migrate(connection: Connection, plan: _Plan, actor: str, now: datetime) -> None:
    """Move or cancel the work of every migration of ``plan``, with one audit row per activity, case, letter."""
    audit: list[dict[str, object]] = []
    for move in plan.moves:
        migration = move.migration
        used_as = _USED_AS[migration.kind]
        by_id = {activity.id: activity for activity in move.activities}
        if migration.kind == "letter":
            letters = config_repo.queued_letters(connection, migration.name)
            ids = [letter_id for letter_id, _ in letters]
            if migration.move_to is None:
                config_repo.update_letters(connection, ids, {"status": config_repo.CANCELLED})
                audit += [_audit(now, actor, "queued_letter", i, "cancelled", {"status": config_repo.QUEUED_LETTER},
                                 {"status": config_repo.CANCELLED}) for i in ids]  # fmt: skip
            else:
                config_repo.update_letters(connection, ids, {"template": migration.move_to})
                audit += [_audit(now, actor, "queued_letter", i, "moved", {"template": migration.name},
                                 {"template": migration.move_to}) for i in ids]  # fmt: skip
            continue
        if migration.move_to is None:
            config_repo.cancel_activities(connection, list(by_id), now.date())
            audit += [_audit(now, actor, "activity", i, "cancelled", {"status": activity.status},
                             {"status": config_repo.CANCELLED}) for i, activity in by_id.items()]  # fmt: skip
            continue
        for ids, values in move.activity_values:
            config_repo.update_activities(connection, ids, values)
            audit += [
                _audit(now, actor, "activity", i, "moved", {name: getattr(by_id[i], name) for name in values}, values)
                for i in ids
            ]
        cases = config_repo.open_cases(connection, used_as, migration.name)
        config_repo.move_cases(connection, used_as, migration.name, migration.move_to)
        column = "assignee" if used_as == "assignee" else "work"
        audit += [_audit(now, actor, "collections_case", case.key, "moved", {column: migration.name},
                         {column: migration.move_to}) for case in cases]  # fmt: skip
    config_repo.add_audit_rows(connection, audit)


# ------------------------------------------------------------------------------------------ versions

SUMMARY_CHANGES = 20
"""How many changes a version's summary names before it says how many more there are."""


def _summary(source: str, changes: Sequence[EntityChange], outcomes: Sequence[MigrationOutcome]) -> str:
    """What a version changed, in a line: the changes (an entity that only moved in its list is counted, not
    named), then the work moved or cancelled."""
    moved = [change for change in changes if change.fields == ("position",)]
    listed = [change for change in changes if change.fields != ("position",)]
    named = [str(change) for change in listed[:SUMMARY_CHANGES]]
    if len(listed) > SUMMARY_CHANGES:
        named.append(f"… and {len(listed) - SUMMARY_CHANGES} more")
    if moved:
        named.append(f"{_count(len(moved), 'entity', 'entities')} reordered")
    named += [str(outcome) for outcome in outcomes]
    return (f"{source}: " if source else "") + "; ".join(named)


def _record_version(
    connection: Connection,
    stored: Mapping[tuple[str, str], ConfigEntityRow],
    old: Strategy,
    new: Strategy,
    summary: str,
    actor: str,
    now: datetime,
) -> int:
    """Record the new configuration as the next version; the first change of a configuration that was never
    versioned first records the configuration it replaces, so that every version can be shown and compared."""
    if stored and config_repo.current_version(connection) is None:
        config_repo.add_version(
            connection, at=now, actor=SYSTEM, summary="the configuration before versions were recorded",
            document=dump_strategy(old),
        )  # fmt: skip
    return config_repo.add_version(connection, at=now, actor=actor, summary=summary, document=dump_strategy(new))


def _new_problems(session: Session, old: Strategy, new: Strategy) -> list[Problem]:
    """The problems of ``new`` that ``old`` did not have (those the stored configuration already had are not
    blamed on a change)."""
    codes = portfolio_codes(session)
    before = set(strategy_problems(old, codes))
    return _problems([p for p in strategy_problems(new, codes, previous=old) if p not in before])


def _commit(
    db: Database,
    change: Callable[[Strategy], Strategy],
    actor: str,
    migrations: Sequence[Migration] = (),
) -> tuple[EntityChange, ...]:
    """Lock, load, change, validate, check the work it removes, write the difference with audit rows, move
    or cancel that work, record a version, commit: one use case."""
    _check_actor(actor)
    with UnitOfWork(db) as uow:
        session = uow.session
        connection = session.connection()
        config_repo.lock_configuration(connection)
        stored = _rows(session)
        old = _strategy(stored)
        new = change(old)
        new_problems = _new_problems(session, old, new)
        if new_problems:
            raise ValidationFailed(new_problems)
        bodies, changes = _diff(stored, new)
        plan = _plan(connection, old, new, changes, migrations, document=False)
        if plan.problems:
            raise WorkInUse([Problem(shorten(path), rule) for path, rule in plan.problems], plan.uses)
        if changes:
            now = _now()
            _write(session, stored, bodies, changes, actor, now)
            _migrate(connection, plan, actor, now)
            _record_version(connection, stored, old, new, _summary("", changes, plan.outcomes), actor, now)
            uow.commit()
        return tuple(changes)


# ------------------------------------------------------------------------------ collection entities


@dataclass(frozen=True, slots=True)
class _Section:
    attribute: str
    key: str
    label: str
    usage_kind: Any = None


_SECTIONS: Mapping[str, _Section] = {
    "collector": _Section("collectors", "code", "collector", "collector"),
    "group": _Section("groups", "code", "group", "group"),
    "user": _Section("users", "login", "user"),
    "letter": _Section("letters", "code", "letter", "letter"),
    "action": _Section("actions", "name", "action", "action"),
    "series": _Section("series", "name", "series", "series"),
    "plan": _Section("plans", "code", "plan", "plan"),
    "transaction_type": _Section("transaction_types", "code", "transaction type"),
    "scheme": _Section("schemes", "code", "scheme"),
}


def _section_items(section: _Section, items: tuple[Any, ...]) -> dict[str, Any]:
    return {section.attribute: items}


def _items(strategy: Strategy, kind: str) -> tuple[Any, ...]:
    return getattr(strategy, _SECTIONS[kind].attribute)  # type: ignore[no-any-return]


def _index(strategy: Strategy, kind: str, key: str) -> int:
    section = _SECTIONS[kind]
    for index, item in enumerate(_items(strategy, kind)):
        if getattr(item, section.key) == key:
            return index
    raise NotFound(f"no {section.label} '{key}'")


def _adding(kind: str, item: Any) -> Callable[[Strategy], Strategy]:
    """The change that adds ``item`` (refused when its key is taken)."""
    section = _SECTIONS[kind]
    key = getattr(item, section.key)

    def change(strategy: Strategy) -> Strategy:
        if _exists(strategy, kind, key):
            raise ValidationFailed([Problem(f"{section.attribute}[{key}]", f"{section.label} already exists")])
        return replace(strategy, **_section_items(section, (*_items(strategy, kind), item)))

    return change


def _create(db: Database, kind: str, item: Any, actor: str) -> tuple[EntityChange, ...]:
    return _commit(db, _adding(kind, item), actor)


def _migration(kind: str, key: str, move_work_to: str | None, cancel_work: bool) -> tuple[Migration, ...]:
    """What to do with the work of ``key`` if the change removes it (nothing said: refused if work uses it)."""
    if move_work_to is not None and cancel_work:
        raise ValidationFailed([Problem(f"{_SECTIONS[kind].attribute}[{key}]", "move its work or cancel it, not both")])
    if kind not in MIGRATABLE or (move_work_to is None and not cancel_work):
        return ()
    return (Migration(kind, key, move_work_to),)  # type: ignore[arg-type]


def _update(
    db: Database, kind: str, key: str, item: Any, actor: str, move_work_to: str | None = None, cancel_work: bool = False
) -> tuple[EntityChange, ...]:
    return _commit(db, _replacing(kind, key, item), actor, _migration(kind, key, move_work_to, cancel_work))


def _replacing(kind: str, key: str, item: Any) -> Callable[[Strategy], Strategy]:
    """The change that puts ``item`` in the place of ``key`` (refused when its new key is another's)."""
    section = _SECTIONS[kind]
    new_key = getattr(item, section.key)

    def change(strategy: Strategy) -> Strategy:
        index = _index(strategy, kind, key)
        if new_key != key and _exists(strategy, kind, new_key):
            raise ValidationFailed([Problem(f"{section.attribute}[{new_key}]", f"{section.label} already exists")])
        items = list(_items(strategy, kind))
        items[index] = item
        return replace(strategy, **_section_items(section, tuple(items)))

    return change


def _delete(
    db: Database, kind: str, key: str, actor: str, move_work_to: str | None = None, cancel_work: bool = False
) -> tuple[EntityChange, ...]:
    section = _SECTIONS[kind]

    def change(strategy: Strategy) -> Strategy:
        index = _index(strategy, kind, key)
        items = list(_items(strategy, kind))
        del items[index]
        remaining = replace(strategy, **_section_items(section, tuple(items)))
        if section.usage_kind is not None:
            # what else uses it: a plan that runs itself again next month does not keep itself from removal
            users = usages(remaining, section.usage_kind, key)
            if users:
                raise InUse(section.label, key, users)
        return remaining

    return _commit(db, change, actor, _migration(kind, key, move_work_to, cancel_work))


def create_collector(db: Database, collector: Collector, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a collector."""
    return _create(db, "collector", collector, actor)


def update_collector(
    db: Database, code: str, collector: Collector, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the collector ``code`` (a new code renames it; references must follow).

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "collector", code, collector, actor, move_work_to, cancel_work)


def delete_collector(
    db: Database, code: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete a collector no assignment uses.

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "collector", code, actor, move_work_to, cancel_work)


def create_group(db: Database, group: CollectorGroup, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a collector group."""
    return _create(db, "group", group, actor)


def update_group(
    db: Database, code: str, group: CollectorGroup, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the collector group ``code``.

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "group", code, group, actor, move_work_to, cancel_work)


def delete_group(
    db: Database, code: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete a group no collector or assignment rule uses.

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "group", code, actor, move_work_to, cancel_work)


def create_user(db: Database, user: User, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a user (user level 0–99)."""
    return _create(db, "user", user, actor)


def update_user(db: Database, login: str, user: User, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the user ``login``."""
    return _update(db, "user", login, user, actor)


def delete_user(db: Database, login: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a user."""
    return _delete(db, "user", login, actor)


def create_letter(db: Database, letter: LetterTemplate, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a letter template; its subject and body must be valid Jinja2 using known merge fields."""
    return _create(db, "letter", letter, actor)


def update_letter(
    db: Database, code: str, letter: LetterTemplate, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the letter template ``code``.

    A new key renames it: the work that names the old one (pending activities, open cases, queued letters) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "letter", code, letter, actor, move_work_to, cancel_work)


def delete_letter(
    db: Database, code: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete a letter template no action uses.

    The work that still names it (queued letters) moves to ``move_work_to`` or is cancelled with
    ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "letter", code, actor, move_work_to, cancel_work)


def create_action(db: Database, action: Action, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an action (seed 000)."""
    return _create(db, "action", action, actor)


def update_action(
    db: Database, name: str, action: Action, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the action ``name``.

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "action", name, action, actor, move_work_to, cancel_work)


def delete_action(
    db: Database, name: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete an action nothing uses (series step, next action, final action, assignment).

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "action", name, actor, move_work_to, cancel_work)


def create_series(db: Database, series: Series, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add an action series (seed 001)."""
    return _create(db, "series", series, actor)


def update_series(
    db: Database, name: str, series: Series, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Replace the action series ``name``.

    A new key renames it: the work that names the old one (pending activities, open cases) moves to
    ``move_work_to`` or is cancelled with ``cancel_work``; without either such a rename is refused
    (:class:`WorkInUse`).
    """
    return _update(db, "series", name, series, actor, move_work_to, cancel_work)


def delete_series(
    db: Database, name: str, actor: str = SYSTEM, *,
    move_work_to: str | None = None, cancel_work: bool = False,
) -> tuple[EntityChange, ...]:
    """Delete an action series no assignment uses.

    The work that still names it (pending activities, open cases) moves to ``move_work_to`` or is cancelled
    with ``cancel_work``; without either the delete is refused while such work exists (:class:`WorkInUse`).
    """
    return _delete(db, "series", name, actor, move_work_to, cancel_work)


def create_scheme(db: Database, scheme: Scheme, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a milestone scheme (seed 004)."""
    return _create(db, "scheme", scheme, actor)


def update_scheme(db: Database, code: str, scheme: Scheme, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the milestone scheme ``code`` (a new code renames it: refused while accounts stand in it)."""
    return _update(db, "scheme", code, scheme, actor)


def delete_scheme(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a milestone scheme no account stands in (else refused, naming them: make it inactive instead)."""
    return _delete(db, "scheme", code, actor)


def create_plan(db: Database, plan: Plan, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Add a contact plan (seed 002) with its events."""
    return _create(db, "plan", plan, actor)


def update_plan(db: Database, code: str, plan: Plan, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the contact plan ``code`` and its events (a new code renames it; what runs it must follow)."""
    return _update(db, "plan", code, plan, actor)


def delete_plan(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete a contact plan nothing runs: no transaction type, run-plan action or other plan's event names it
    (refused with :class:`InUse` listing them)."""
    return _delete(db, "plan", code, actor)


def create_transaction_type(
    db: Database, transaction_type: TransactionType, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Add a transaction type (what a ledger line of that code is, and the contact plan it runs)."""
    return _create(db, "transaction_type", transaction_type, actor)


def update_transaction_type(
    db: Database, code: str, transaction_type: TransactionType, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace the transaction type ``code`` (a new code renames it)."""
    return _update(db, "transaction_type", code, transaction_type, actor)


def delete_transaction_type(db: Database, code: str, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Delete the transaction type ``code``."""
    return _delete(db, "transaction_type", code, actor)


def plan_problems(db: Database, plan: Plan, original: str | None = None) -> list[Problem]:
    """Every rule saving ``plan`` (a new one, or in the place of ``original``) would be refused with, checked
    against the whole configuration as :func:`create_plan` and :func:`update_plan` check it; nothing is
    written (a form checks one event before the plan is saved)."""
    change = _adding("plan", plan) if original is None else _replacing("plan", original, plan)
    with db.session() as session:
        old = load_strategy(session)
        try:
            new = change(old)
        except (ValidationFailed, NotFound) as refused:
            return list(refused.problems) if isinstance(refused, ValidationFailed) else [Problem("plans", str(refused))]
        return _new_problems(session, old, new)


# ---------------------------------------------------------------------------------- entry policy


def set_enterprise_rules(db: Database, rules: EntryRules, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the enterprise entry rules (seed 003)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, entry_policy=replace(strategy.entry_policy, enterprise=rules))

    return _commit(db, change, actor)


def set_compliance(db: Database, policy: CompliancePolicy, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Replace the compliance settings: the enterprise's guardrails, the portfolios' overrides and the call
    outcome codes (seed: every value left out keeps its default)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, compliance=policy)

    return _commit(db, change, actor)


def set_enterprise_compliance(
    db: Database, params: ComplianceParams, call_outcomes: Sequence[CallOutcome], actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace the enterprise's compliance parameters and the call outcome codes; each portfolio keeps its own
    values and follows the new enterprise values in the rest."""

    def change(strategy: Strategy) -> Strategy:
        policy = with_enterprise(strategy.compliance, params)
        return replace(strategy, compliance=replace(policy, call_outcomes=tuple(call_outcomes)))

    return _commit(db, change, actor)


def set_portfolio_compliance(
    db: Database, portfolio: str, own: Mapping[str, Mapping[str, Any]], actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Set the compliance values ``portfolio`` sets itself (``{block: {name: value}}``; none: it follows the
    enterprise in everything)."""

    def change(strategy: Strategy) -> Strategy:
        return replace(strategy, compliance=with_portfolio(strategy.compliance, portfolio, own))

    return _commit(db, change, actor)


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

    return _commit(db, change, actor)


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

    return _commit(db, change, actor)


def _rule_index(settings: PortfolioCollections, number: int) -> int:
    if not 1 <= number <= len(settings.assignment.rules):
        raise NotFound(f"portfolio '{settings.portfolio}' has no assignment rule {number}")
    return number - 1


def add_assignment_rule(
    db: Database, portfolio: str, rule: AssignmentRule, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Add a row to the portfolio's task assignment table (ranges may not overlap; from ≤ to)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        assignment = settings.assignment
        return replace(settings, assignment=replace(assignment, rules=(*assignment.rules, rule)))

    return _change_portfolio(db, portfolio, edit, actor)


def update_assignment_rule(
    db: Database, portfolio: str, number: int, rule: AssignmentRule, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Replace assignment rule ``number`` (counting from 1, as the table shows)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        rules[index] = rule
        return replace(settings, assignment=replace(settings.assignment, rules=tuple(rules)))

    return _change_portfolio(db, portfolio, edit, actor)


def remove_assignment_rule(db: Database, portfolio: str, number: int, actor: str = SYSTEM) -> tuple[EntityChange, ...]:
    """Remove assignment rule ``number`` (counting from 1)."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        del rules[index]
        return replace(settings, assignment=replace(settings.assignment, rules=tuple(rules)))

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
        return replace(settings, assignment=replace(settings.assignment, rules=(*settings.assignment.rules, made)))

    return _change_portfolio(db, portfolio, edit, actor)


def update_document_rule(
    db: Database, portfolio: str, number: int, rule: RuleDoc, actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """:func:`update_assignment_rule` with the rule in the document's form."""

    def edit(_: Strategy, settings: PortfolioCollections) -> PortfolioCollections:
        index = _rule_index(settings, number)
        rules = list(settings.assignment.rules)
        rules[index] = _document_rule(settings, rule, "rule")
        return replace(settings, assignment=replace(settings.assignment, rules=tuple(rules)))

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


# ------------------------------------------------------------------------------------------ YAML


def export_document(db: Database, version: int | None = None) -> str:
    """The whole configuration as a YAML document (deterministic: the same configuration, the same text);
    with ``version``, the document of that configuration version."""
    if version is not None:
        return version_document(db, version)
    return dump_strategy(load_strategy(db))


def _confirmed(confirm: bool | Collection[tuple[str, str]], removals: Collection[tuple[str, str]]) -> bool:
    if isinstance(confirm, bool):
        return confirm
    return set(removals) <= set(confirm)


def apply_document(
    db: Database,
    text: str,
    file_name: str = "<document>",
    dry_run: bool = False,
    actor: str = SYSTEM,
    confirm: bool | Collection[tuple[str, str]] = False,
) -> ApplyResult:
    """Validate the document as a whole and make it the configuration, atomically, as a new version.

    On any error nothing is written and every error is returned: the document's own, and every removed (or
    renamed) action, series, collector, group or letter that collections work still uses without a
    ``migrations`` entry saying what to do with that work. On a dry run the changes are computed and nothing
    is written. Entities absent from the document are removed: unless ``confirm`` is True or names every
    removed ``(kind, key)``, that raises :class:`RemovalsNeedConfirmation` (with the would-be result) and
    nothing is written.
    """
    _check_actor(actor)
    with UnitOfWork(db) as uow:
        session = uow.session
        connection = session.connection()
        if not dry_run:
            config_repo.lock_configuration(connection)
        stored = _rows(session)
        old = _strategy(stored)
        parsed = parse_document(text, file_name, portfolio_codes(session), previous=old)
        if parsed.strategy is None:
            return ApplyResult(errors=parsed.errors, dry_run=dry_run)
        bodies, changes = _diff(stored, parsed.strategy)
        plan = _plan(connection, old, parsed.strategy, changes, parsed.migrations, parsed.unread, document=True)
        errors = (*parsed.errors, *(DocumentError(file_name, shorten(path), rule) for path, rule in plan.problems))
        if errors:
            return ApplyResult(errors=tuple(errors), dry_run=dry_run)
        result = ApplyResult(changes=tuple(changes), dry_run=dry_run, migrations=plan.outcomes)
        if dry_run or not changes:
            return result
        if result.removed and not _confirmed(confirm, {(c.kind, c.key) for c in result.removed}):
            raise RemovalsNeedConfirmation(replace(result, dry_run=True))
        now = _now()
        _write(session, stored, bodies, changes, actor, now)
        _migrate(connection, plan, actor, now)
        summary = _summary(f"apply {file_name}", changes, plan.outcomes)
        version = _record_version(connection, stored, old, parsed.strategy, summary, actor, now)
        uow.commit()
        return replace(result, version=version)


# ------------------------------------------------------------------------------------------ versions


def versions(db: Database) -> list[VersionInfo]:
    """Every configuration version, newest first (number, time, actor, summary)."""
    with db.engine.connect() as connection:
        return config_repo.versions(connection)


def version_document(db: Database, number: int) -> str:
    """The YAML document of configuration version ``number``."""
    with db.engine.connect() as connection:
        document = config_repo.version_document(connection, number)
    if document is None:
        raise NotFound(f"no configuration version {number}")
    return document


def version_strategy(db: Database, number: int) -> Strategy:
    """The configuration of version ``number``."""
    parsed = parse_document(version_document(db, number), f"version {number}")
    if parsed.strategy is None:  # a stored version is always a document; this guards a damaged row
        raise NotFound(f"configuration version {number} cannot be read: {parsed.errors[0]}")
    return parsed.strategy


def version_diff(db: Database, first: int, second: int | None = None) -> tuple[EntityChange, ...]:
    """What changed from version ``first`` to version ``second`` (default: the stored configuration)."""
    old = entity_bodies(version_strategy(db, first))
    new = entity_bodies(version_strategy(db, second) if second is not None else load_strategy(db))
    return tuple(_compare(old, new))


# ------------------------------------------------------------------------------------------ audit


def audit_log(db: Database, entity: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent configuration audit rows, newest first (before/after as document data)."""
    with db.session() as session:
        return [
            {
                "id": row.id,
                "at": row.at.isoformat(),
                "actor": row.actor,
                "entity": row.entity,
                "key": row.entity_key,
                "action": row.action,
                "before": json.loads(row.before) if row.before else None,
                "after": json.loads(row.after) if row.after else None,
            }
            for row in recent_audit(session, entity, limit)
        ]


def change_configuration(
    db: Database, change: Callable[[Strategy], Strategy], actor: str = SYSTEM
) -> tuple[EntityChange, ...]:
    """Make ``change`` of the stored configuration as every use case here does: validated against the whole
    configuration, audited per entity, a new version, in one transaction."""
    return _commit(db, change, actor)


__all__ = [
    "PORTFOLIO_COLLECTIONS",
    "SYSTEM",
    "ApplyResult",
    "AssignmentRulesDeleted",
    "ConfirmationRequired",
    "EntityChange",
    "FieldChange",
    "InUse",
    "Migration",
    "MigrationOutcome",
    "PortfolioLine",
    "RemovalsNeedConfirmation",
    "WorkInUse",
    "add_assignment_rule",
    "add_document_rule",
    "apply_document",
    "assignment_rules",
    "audit_log",
    "change_assignment_type",
    "change_configuration",
    "create_action",
    "create_collector",
    "create_group",
    "create_letter",
    "create_plan",
    "create_scheme",
    "create_series",
    "create_transaction_type",
    "create_user",
    "delete_action",
    "delete_collector",
    "delete_group",
    "delete_letter",
    "delete_plan",
    "delete_scheme",
    "delete_series",
    "delete_transaction_type",
    "delete_user",
    "describe_rule",
    "describe_use",
    "export_document",
    "load_strategy",
    "portfolio_codes",
    "portfolio_table",
    "remove_assignment_rule",
    "remove_portfolio_collections",
    "set_compliance",
    "set_enterprise_rules",
    "set_portfolio_collections",
    "update_action",
    "update_assignment_rule",
    "update_collector",
    "update_document_rule",
    "update_group",
    "update_letter",
    "update_plan",
    "update_scheme",
    "update_series",
    "update_transaction_type",
    "update_user",
    "version_diff",
    "version_document",
    "version_strategy",
    "versions",
]
