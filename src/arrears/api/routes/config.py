"""The configuration: its entities (collectors, groups, users, letter templates, actions, series, contact plans
and their events, transaction types, milestone schemes) each listed, shown, created, replaced and deleted; the
entry policy, the compliance settings, the credit rating and the promise settings; the configuration document
(export, apply with a dry run, versions).

Enterprise-wide configuration is changed by an administrator and read by everyone (configured users by an
administrator only). Renaming or deleting what collections work still uses names what to do with that work:
``move_work_to`` another one, or ``cancel_work``; without either it is refused (409). Every write goes through
the configuration use cases: validated against the whole configuration, audited, a new configuration version.
"""

# Annotations are evaluated here (no ``from __future__ import annotations``): the routes of each entity are made
# by :func:`entity_router` with that entity's schemas as their annotations.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel

from arrears.api import config_schemas as cs
from arrears.api.auth import Admin, DatabaseDep, Reader, allowed
from arrears.api.errors import ERROR_RESPONSES
from arrears.domain.access import Permission, Principal
from arrears.domain.errors import NotFound, Problem, ValidationFailed
from arrears.domain.strategy import Strategy
from arrears.services import config, config_document, config_entities, config_items, config_rules, plans
from arrears.services.config import EntityChange
from arrears.services.config_versions import export_document, version_diff, versions
from arrears.services.database import Database
from arrears.services.schemes import scheme_actions
from arrears.services.stored_strategy import load_strategy

router = APIRouter(tags=["configuration"], responses=ERROR_RESPONSES)
PublicModel = TypeVar("PublicModel", bound=BaseModel)

MoveWorkTo = Annotated[str | None, Query(min_length=1, max_length=200,
                                         description="Move the work that names it to this one.")]  # fmt: skip
CancelWork = Annotated[bool, Query(description="Cancel the work that names it.")]


@dataclass(frozen=True, slots=True)
class EntityKind:
    """One kind of configuration entity served at ``path``: its schemas, how to read it from the strategy and
    the use cases that add, replace and delete one."""

    path: str
    label: str
    key: str
    public: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel]
    items: Callable[[Strategy], tuple[Any, ...]]
    to_doc: Callable[[Any], BaseModel]
    from_doc: Callable[[Any], Any]
    add: Callable[..., tuple[EntityChange, ...]]
    replace: Callable[..., tuple[EntityChange, ...]]
    remove: Callable[..., tuple[EntityChange, ...]]
    migrates_work: bool = True
    read: Permission = Permission.READ
    reads: bool = True
    """False: the kind's list and show are routes of their own (what a user sees of it is narrowed)."""


def public_of(public: type[PublicModel], doc: BaseModel) -> PublicModel:
    """The ``XPublic`` answer of an entity in the document's form (the same keys, ``from`` included)."""
    return public.model_validate(doc.model_dump(by_alias=True))


def entity_router(kind: EntityKind) -> APIRouter:
    """The five routes of one kind of entity: list, show, create, replace, delete."""
    entities = APIRouter(prefix=kind.path, tags=["configuration"], responses=ERROR_RESPONSES)
    Viewer = Annotated[Principal, Depends(allowed(kind.read))]
    Public, Create, Update = kind.public, kind.create, kind.update

    def _find(db: Database, key: str) -> Any:
        found = next((item for item in kind.items(load_strategy(db)) if getattr(item, kind.key) == key), None)
        if found is None:
            raise NotFound(f"no {kind.label} {key!r}")
        return found

    def _public(item: Any) -> BaseModel:
        return public_of(Public, kind.to_doc(item))

    if kind.reads:

        @entities.get("", summary=f"List every {kind.label}", response_model=list[Public])  # type: ignore[valid-type]
        def list_entities(principal: Viewer, db: DatabaseDep) -> list[BaseModel]:
            return [_public(item) for item in kind.items(load_strategy(db))]

        @entities.get("/{key}", summary=f"One {kind.label}", response_model=Public)
        def show_entity(key: cs.Key, principal: Viewer, db: DatabaseDep) -> BaseModel:
            return _public(_find(db, key))

    @entities.post("", summary=f"Add a {kind.label}", status_code=status.HTTP_201_CREATED, response_model=Public)
    def create_entity(body: Create, principal: Admin, db: DatabaseDep) -> BaseModel:  # type: ignore[valid-type]
        kind.add(db, kind.from_doc(body), principal.login)
        return _public(_find(db, getattr(body, kind.key)))

    if kind.migrates_work:

        @entities.put("/{key}", summary=f"Replace a {kind.label} (a new key renames it)", response_model=Public)
        def replace_entity(key: cs.Key, body: Update, principal: Admin, db: DatabaseDep,  # type: ignore[valid-type]
                           move_work_to: MoveWorkTo = None, cancel_work: CancelWork = False) -> BaseModel:  # fmt: skip
            kind.replace(db, key, kind.from_doc(body), principal.login, move_work_to=move_work_to,
                         cancel_work=cancel_work)  # fmt: skip
            return _public(_find(db, getattr(body, kind.key)))

        @entities.delete("/{key}", summary=f"Delete a {kind.label}", status_code=status.HTTP_204_NO_CONTENT)
        def delete_entity(key: cs.Key, principal: Admin, db: DatabaseDep, move_work_to: MoveWorkTo = None,
                          cancel_work: CancelWork = False) -> None:  # fmt: skip
            kind.remove(db, key, principal.login, move_work_to=move_work_to, cancel_work=cancel_work)

    else:

        @entities.put("/{key}", summary=f"Replace a {kind.label} (a new key renames it)", response_model=Public)
        def replace_plain(key: cs.Key, body: Update, principal: Admin,  # type: ignore[valid-type]
                          db: DatabaseDep) -> BaseModel:  # fmt: skip
            kind.replace(db, key, kind.from_doc(body), principal.login)
            return _public(_find(db, getattr(body, kind.key)))

        @entities.delete("/{key}", summary=f"Delete a {kind.label}", status_code=status.HTTP_204_NO_CONTENT)
        def delete_plain(key: cs.Key, principal: Admin, db: DatabaseDep) -> None:
            kind.remove(db, key, principal.login)

    return entities


d = config_document
e = config_entities
ENTITY_KINDS = (
    EntityKind("/collectors", "collector", "code", cs.CollectorPublic, cs.CollectorCreate, cs.CollectorUpdate,
               lambda s: s.collectors, d.collector_doc, d.collector_from, e.create_collector,
               e.update_collector, e.delete_collector),
    EntityKind("/groups", "group", "code", cs.GroupPublic, cs.GroupCreate, cs.GroupUpdate, lambda s: s.groups,
               d.group_doc, d.group_from, e.create_group, e.update_group, e.delete_group),
    EntityKind("/users", "user", "login", cs.UserPublic, cs.UserCreate, cs.UserUpdate, lambda s: s.users,
               d.user_doc, d.user_from, e.create_user, e.update_user, e.delete_user,
               migrates_work=False, read=Permission.ADMIN),
    EntityKind("/letter-templates", "letter template", "code", cs.LetterTemplatePublic, cs.LetterTemplateCreate,
               cs.LetterTemplateUpdate, lambda s: s.letters, d.letter_doc, d.letter_from, e.create_letter,
               e.update_letter, e.delete_letter),
    EntityKind("/actions", "action", "name", cs.ActionPublic, cs.ActionCreate, cs.ActionUpdate, lambda s: s.actions,
               d.action_doc, d.action_from, e.create_action, e.update_action, e.delete_action),
    EntityKind("/series", "series", "name", cs.SeriesPublic, cs.SeriesCreate, cs.SeriesUpdate, lambda s: s.series,
               d.series_doc, d.series_from, e.create_series, e.update_series, e.delete_series),
    EntityKind("/plans", "contact plan", "code", cs.PlanPublic, cs.PlanCreate, cs.PlanUpdate, lambda s: s.plans,
               d.plan_doc, d.plan_from, e.create_plan, e.update_plan, e.delete_plan,
               migrates_work=False, reads=False),
    EntityKind("/transaction-types", "transaction type", "code", cs.TransactionTypePublic, cs.TransactionTypeCreate,
               cs.TransactionTypeUpdate, lambda s: s.transaction_types, d.transaction_type_doc,
               d.transaction_type_from, e.create_transaction_type, e.update_transaction_type,
               e.delete_transaction_type, migrates_work=False),
    EntityKind("/schemes", "scheme", "code", cs.SchemePublic, cs.SchemeCreate, cs.SchemeUpdate, lambda s: s.schemes,
               d.scheme_doc, d.scheme_from, e.create_scheme, e.update_scheme, e.delete_scheme,
               migrates_work=False, reads=False),
)  # fmt: skip


# ------------------------------------------------------------------------------------- plans, schemes


@router.get("/plans")
def list_plans(principal: Reader, db: DatabaseDep) -> list[cs.PlanLinePublic]:
    """The contact plans: a manager or a collector sees those their user level may run (sub-plans hidden);
    an administrator or an auditor every plan."""
    user = principal.login if principal.portfolios is not None else None
    return [cs.PlanLinePublic.model_validate(line.as_dict()) for line in plans.list_plans(db, user)]


@router.get("/plans/{code}")
def show_plan(code: cs.Key, principal: Reader, db: DatabaseDep) -> cs.PlanPublic:
    """A contact plan and its events."""
    return public_of(cs.PlanPublic, d.plan_doc(plans.show_plan(db, code)))


def _event(db: Database, code: str, sequence: int) -> cs.PlanEventPublic:
    event = plans.show_plan(db, code).event(sequence)
    if event is None:
        raise NotFound(f"no event {sequence} in contact plan {code!r}")
    return public_of(cs.PlanEventPublic, d.plan_event_doc(event))


@router.get("/plans/{code}/events")
def list_plan_events(code: cs.Key, principal: Reader, db: DatabaseDep) -> list[cs.PlanEventPublic]:
    """The events of a contact plan, as the plan lists them."""
    return [public_of(cs.PlanEventPublic, d.plan_event_doc(e)) for e in plans.show_plan(db, code).events]


@router.get("/plans/{code}/events/{sequence}")
def show_plan_event(code: cs.Key, sequence: cs.EventSequence, principal: Reader,
                    db: DatabaseDep) -> cs.PlanEventPublic:  # fmt: skip
    """One event of a contact plan, by its sequence number."""
    return _event(db, code, sequence)


@router.post("/plans/{code}/events", status_code=status.HTTP_201_CREATED)
def add_plan_event(code: cs.Key, body: cs.PlanEventCreate, principal: Admin, db: DatabaseDep) -> cs.PlanEventPublic:
    """Add an event to a contact plan (its sequence number must be free in the plan)."""
    config_items.add_plan_event(db, code, d.plan_event_from(body), principal.login)
    return _event(db, code, body.sequence)


@router.put("/plans/{code}/events/{sequence}")
def replace_plan_event(code: cs.Key, sequence: cs.EventSequence, body: cs.PlanEventUpdate, principal: Admin,
                       db: DatabaseDep) -> cs.PlanEventPublic:  # fmt: skip
    """Replace an event of a contact plan (a new sequence number moves it)."""
    config_items.update_plan_event(db, code, sequence, d.plan_event_from(body), principal.login)
    return _event(db, code, body.sequence)


@router.delete("/plans/{code}/events/{sequence}", status_code=status.HTTP_204_NO_CONTENT)
def delete_plan_event(code: cs.Key, sequence: cs.EventSequence, principal: Admin, db: DatabaseDep) -> None:
    """Delete an event of a contact plan."""
    config_items.delete_plan_event(db, code, sequence, principal.login)


def _scheme_seen(principal: Principal, portfolio: str | None) -> bool:
    return portfolio is None or principal.sees(portfolio)


@router.get("/schemes")
def list_schemes(principal: Reader, db: DatabaseDep) -> list[cs.SchemePublic]:
    """The milestone schemes (a manager's or a collector's: the enterprise's and their portfolios')."""
    return [public_of(cs.SchemePublic, d.scheme_doc(s)) for s in load_strategy(db).schemes
            if _scheme_seen(principal, s.portfolio)]  # fmt: skip


@router.get("/schemes/{code}")
def show_scheme(code: cs.Key, principal: Reader, db: DatabaseDep) -> cs.SchemeDetailPublic:
    """A milestone scheme and its collections actions summary."""
    strategy = load_strategy(db)
    scheme = strategy.scheme(code)
    if scheme is None or not _scheme_seen(principal, scheme.portfolio):
        raise NotFound(f"no scheme {code!r}")
    actions = [cs.SchemeActionPublic.model_validate(line) for line in scheme_actions(strategy, code)]
    return cs.SchemeDetailPublic(scheme=public_of(cs.SchemePublic, d.scheme_doc(scheme)), actions=actions)


# ------------------------------------------------------------------------------ entry policy, compliance


@router.get("/entry-policy")
def entry_policy(principal: Reader, db: DatabaseDep) -> cs.EntryPolicyPublic:
    """The enterprise entry rules and each portfolio's collections settings (within the user's portfolios)."""
    policy = load_strategy(db).entry_policy
    portfolios = [public_of(cs.PortfolioCollectionsPublic, d.portfolio_doc(p))
                  for p in policy.portfolios if principal.sees(p.portfolio)]  # fmt: skip
    enterprise = public_of(cs.EntryRulesPublic, d.rules_doc(policy.enterprise))
    return cs.EntryPolicyPublic(enterprise=enterprise, portfolios=portfolios)


@router.put("/entry-policy/enterprise")
def set_enterprise_rules(body: cs.EntryRulesUpdate, principal: Admin, db: DatabaseDep) -> cs.EntryRulesPublic:
    """Replace the enterprise entry rules (seed 003)."""
    config_rules.set_enterprise_rules(db, d.rules_from(body), principal.login)
    return public_of(cs.EntryRulesPublic, d.rules_doc(load_strategy(db).entry_policy.enterprise))


def _compliance(principal: Principal, db: Database) -> cs.CompliancePublic:
    found = d.compliance_doc(load_strategy(db).compliance)
    shown = found.model_dump() if found is not None else {}
    shown["portfolios"] = [p for p in shown.get("portfolios", []) if principal.sees(p["portfolio"])]
    return cs.CompliancePublic.model_validate(shown)


@router.get("/compliance")
def compliance(principal: Reader, db: DatabaseDep) -> cs.CompliancePublic:
    """The compliance settings as the document has them: what is left out keeps its default."""
    return _compliance(principal, db)


@router.put("/compliance")
def set_compliance(body: cs.ComplianceUpdate, principal: Admin, db: DatabaseDep) -> cs.CompliancePublic:
    """Replace the compliance settings (the enterprise's guardrails, portfolios' overrides, call outcomes)."""
    config_rules.set_compliance(db, d.compliance_from(body.enterprise, body.portfolios, body.call_outcomes),
                          principal.login)  # fmt: skip
    return _compliance(principal, db)


# ------------------------------------------------------------------------------- credit rating, promises


@router.get("/credit-rating")
def credit_rating(principal: Reader, db: DatabaseDep) -> cs.CreditRatingPublic:
    """The credit rating setup: levels by their least points, the look-back (the default setup when none is
    configured)."""
    return public_of(cs.CreditRatingPublic, d.credit_rating_doc(load_strategy(db).credit_rating))


@router.put("/credit-rating")
def set_credit_rating(body: cs.CreditRatingUpdate, principal: Admin, db: DatabaseDep) -> cs.CreditRatingPublic:
    """Replace the credit rating setup."""
    config_items.set_credit_rating(db, d.credit_rating_from(body), principal.login)
    return credit_rating(principal, db)


@router.delete("/credit-rating", status_code=status.HTTP_204_NO_CONTENT)
def reset_credit_rating(principal: Admin, db: DatabaseDep) -> None:
    """Go back to the default credit rating setup."""
    config_items.set_credit_rating(db, d.credit_rating_from(None), principal.login)


@router.get("/promise-settings")
def promise_settings(principal: Reader, db: DatabaseDep) -> cs.PromiseSettingsPublic:
    """The promise settings (the defaults when none are configured); a manager or a collector sees the
    portfolio settings of their portfolios only."""
    found = d.promises_doc(load_strategy(db).promises)
    seen = [p for p in found.portfolios if principal.sees(p.portfolio)]
    return public_of(cs.PromiseSettingsPublic, found.model_copy(update={"portfolios": seen}))


@router.put("/promise-settings")
def set_promise_settings(body: cs.PromiseSettingsUpdate, principal: Admin,
                         db: DatabaseDep) -> cs.PromiseSettingsPublic:  # fmt: skip
    """Replace the promise settings."""
    config_items.set_promise_settings(db, d.promises_from(body), principal.login)
    return promise_settings(principal, db)


@router.delete("/promise-settings", status_code=status.HTTP_204_NO_CONTENT)
def reset_promise_settings(principal: Admin, db: DatabaseDep) -> None:
    """Go back to the default promise settings."""
    config_items.set_promise_settings(db, d.promises_from(None), principal.login)


# ------------------------------------------------------------------------------------------ document

YAML = "application/yaml"
YAML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {YAML: {"schema": {"type": "object"}}}, "description": "The configuration document (YAML)"}
}


@router.get("/config", response_class=Response, responses=YAML_RESPONSE)
def export_config(principal: Reader, db: DatabaseDep,
                  version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:  # fmt: skip
    """The whole configuration as a YAML document (``version``: that configuration version's)."""
    return Response(export_document(db, version), media_type=YAML)


@router.post("/config")
def apply_config(body: cs.ConfigApplyCreate, principal: Admin, db: DatabaseDep) -> cs.ConfigApplyPublic:
    """Make the document the configuration, atomically, as a new version; on a dry run write nothing and
    answer the difference. Every problem is answered at once (422, nothing written); removing entities needs
    ``confirm_removals`` (else 409 listing them)."""
    result = config.apply_document(db, body.document, "document", dry_run=body.dry_run, actor=principal.login,
                                   confirm=body.confirm_removals)  # fmt: skip
    if result.errors:
        raise ValidationFailed(Problem(e.path or "document", e.rule) for e in result.errors)
    return cs.ConfigApplyPublic.model_validate(result.as_dict())


@router.get("/config/versions")
def config_versions(principal: Reader, db: DatabaseDep) -> list[cs.ConfigVersionPublic]:
    """Every configuration version, newest first."""
    return [cs.ConfigVersionPublic.model_validate(v) for v in versions(db)]


@router.get("/config/versions/{number}/diff")
def config_version_diff(number: cs.VersionNumber, principal: Reader, db: DatabaseDep,
                        to: Annotated[int | None, Query(ge=1, le=2**31 - 1,
                                                        description="Default: the stored configuration.")] = None,
                        ) -> list[cs.EntityChangePublic]:  # fmt: skip
    """What changed from version ``number`` to version ``to``."""
    changes = version_diff(db, number, to)
    return [cs.EntityChangePublic(kind=c.kind, key=c.key, change=c.change, fields=list(c.fields),
                                  details=[cs.FieldChangePublic.model_validate(f.as_dict()) for f in c.details])
            for c in changes]  # fmt: skip


for _kind in ENTITY_KINDS:
    router.include_router(entity_router(_kind))
