"""What the configuration resources read and write: the entities in the configuration document's own form
(money as text dollars ``"25.00"``, times of day as ``"HH:MM"``, the same names and rules as the YAML), so an
entity read from the API, written to the document or sent back is the same value.

Each entity has ``XCreate`` and ``XUpdate`` (a whole entity: a new key renames it) and ``XPublic``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from arrears.api.schemas import Moment
from arrears.domain.access import Role
from arrears.domain.plans import SEQUENCE_MAX, SEQUENCE_MIN
from arrears.services.config_document import (
    ActionDoc,
    CollectorDoc,
    ComplianceDoc,
    CreditRatingDoc,
    EntryRulesDoc,
    GroupDoc,
    LetterDoc,
    PlanDoc,
    PlanEventDoc,
    PortfolioDoc,
    PromisesDoc,
    RuleDoc,
    SchemeDoc,
    SeriesDoc,
    TransactionTypeDoc,
    UserDoc,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ------------------------------------------------------------------------------------------- entities


class CollectorCreate(CollectorDoc):
    """A collector: code, name, groups, user level (0–99), active."""


class CollectorUpdate(CollectorDoc):
    """The whole collector (a new code renames it)."""


class CollectorPublic(CollectorDoc):
    """A collector."""


class GroupCreate(GroupDoc):
    """A collector group."""


class GroupUpdate(GroupDoc):
    """The whole group (a new code renames it)."""


class GroupPublic(GroupDoc):
    """A collector group."""


class UserCreate(UserDoc):
    """A configured user: login, name, user level (0–99, read by contact plans' access ranges)."""


class UserUpdate(UserDoc):
    """The whole configured user."""


class UserPublic(UserDoc):
    """A configured user."""


class LetterTemplateCreate(LetterDoc):
    """A letter template: subject and body are Jinja2 over the known merge fields."""


class LetterTemplateUpdate(LetterDoc):
    """The whole letter template (a new code renames it)."""


class LetterTemplatePublic(LetterDoc):
    """A letter template."""


class ActionCreate(ActionDoc):
    """A collections action (seed 000): kind, parameters, next action and follow-up days, portfolios."""


class ActionUpdate(ActionDoc):
    """The whole action (a new name renames it)."""


class ActionPublic(ActionDoc):
    """A collections action."""


class SeriesCreate(SeriesDoc):
    """An action series (seed 001): at least two steps, a final action."""


class SeriesUpdate(SeriesDoc):
    """The whole series (a new name renames it)."""


class SeriesPublic(SeriesDoc):
    """An action series."""


class PlanCreate(PlanDoc):
    """A contact plan and its events (seed 002): access ranges of user levels, the switches, the events."""


class PlanUpdate(PlanDoc):
    """The whole contact plan with its events (a new code renames it)."""


class PlanPublic(PlanDoc):
    """A contact plan and its events (seed 002)."""


class PlanEventCreate(PlanEventDoc):
    """An event of a contact plan: its sequence number (free in the plan), type, timing, repeat, switches."""


class PlanEventUpdate(PlanEventDoc):
    """The whole event (a new sequence number moves it)."""


class PlanEventPublic(PlanEventDoc):
    """An event of a contact plan."""


class TransactionTypeCreate(TransactionTypeDoc):
    """A transaction type (seed 002): a code, the ledger kind it stands for, the plan run for each one posted."""


class TransactionTypeUpdate(TransactionTypeDoc):
    """The whole transaction type (a new code renames it)."""


class TransactionTypePublic(TransactionTypeDoc):
    """A transaction type."""


class SchemeCreate(SchemeDoc):
    """A milestone scheme (seed 004): its entry, milestones and their actions."""


class SchemeUpdate(SchemeDoc):
    """The whole milestone scheme (a new code renames it)."""


class SchemePublic(SchemeDoc):
    """A milestone scheme (seed 004)."""


class CreditRatingUpdate(CreditRatingDoc):
    """The credit rating setup: the levels by their least points, and the look-back in days (left out: the
    whole history)."""


class CreditRatingPublic(CreditRatingDoc):
    """The credit rating setup (the default one when none is configured)."""


class PromiseSettingsUpdate(PromisesDoc):
    """The promise settings: the default grace, whether a standing promise pauses series, the plan each outcome
    runs, and portfolios' own grace and plans."""


class PromiseSettingsPublic(PromisesDoc):
    """The promise settings (the defaults when none are configured)."""


class SchemeActionPublic(_Out):
    """One line of a scheme's collections actions summary."""

    milestone: str
    number: int
    kind: str
    perform_on: str
    condition: str
    action: str


class SchemeDetailPublic(_Out):
    """A scheme and the summary of every milestone's actions."""

    scheme: SchemePublic
    actions: list[SchemeActionPublic]


class EntryRulesUpdate(EntryRulesDoc):
    """The enterprise entry rules (seed 003): balance over, days past due over, minimum payment …"""


class EntryRulesPublic(EntryRulesDoc):
    """Entry rules."""


class PortfolioCollectionsPublic(PortfolioDoc):
    """A portfolio's guarantor collections settings: enabled, its own rules or the enterprise's, its task
    assignment."""


class EntryPolicyPublic(_Out):
    """The enterprise rules and the settings of each portfolio (those within the user's portfolios)."""

    enterprise: EntryRulesPublic
    portfolios: list[PortfolioCollectionsPublic]


class PortfolioCollectionsUpdate(_In):
    """What changes on a portfolio's collections page; what is left out keeps its value. Turning
    ``override_enterprise`` on without ``rules`` starts from a copy of the enterprise rules."""

    collections_enabled: bool | None = None
    override_enterprise: bool | None = None
    rules: EntryRulesUpdate | None = None
    default_collector: Annotated[str, Field(max_length=60)] | None = None
    default_action: Annotated[str, Field(max_length=200)] | None = None


class AssignmentTypeUpdate(_In):
    """A new assignment type: its assignment rules are deleted (seed 003), so ``confirm`` must say so."""

    type: Literal["name_range", "balance_range"]
    confirm: bool = False


class AssignmentTypePublic(_Out):
    """The assignment type set and the rules it deleted."""

    portfolio: str
    type: str
    deleted: list[str]


class AssignmentRuleCreate(RuleDoc):
    """A row of the task assignment table: a name range (letters) or a balance range (text dollars), a
    collector or a group, the default action or series."""


class AssignmentRuleUpdate(RuleDoc):
    """The whole assignment rule."""


class AssignmentRulePublic(_Out):
    """An assignment rule and its number in the table (counting from 1)."""

    number: int
    rule: RuleDoc
    text: str


class ComplianceUpdate(ComplianceDoc):
    """The compliance settings: the enterprise's guardrails, portfolios' overrides, call outcome codes; every
    value left out keeps its default."""


class CompliancePublic(ComplianceDoc):
    """The compliance settings as the document has them (what is left out is the default)."""


class ChangePublic(_Out):
    """One configuration entity a write added, changed or removed."""

    kind: str
    key: str
    change: str
    fields: list[str]


# ------------------------------------------------------------------------------------------ portfolios


class PortfolioCreate(_In):
    """A portfolio under the enterprise."""

    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    maximum_amount_cents: Annotated[int, Field(ge=1, le=10**13)] | None = None


class PortfolioUpdate(_In):
    """The largest amount the portfolio's accounts take (None: the enterprise's)."""

    maximum_amount_cents: Annotated[int, Field(ge=1, le=10**13)] | None


class PortfolioPublic(_Out):
    code: str
    name: str
    parent: str | None
    maximum_amount_cents: int | None
    """Its own maximum (None: inherited)."""
    maximum_amount: str
    """The maximum in force."""


# --------------------------------------------------------------------------------------------- logins


class LoginUserCreate(_In):
    """Let a configured user or collector sign in with a role (a manager or collector: their portfolios)."""

    login: Annotated[str, Field(min_length=1, max_length=60)]
    role: Role
    portfolios: list[Annotated[str, Field(min_length=1, max_length=40)]] = []
    password: Annotated[str, Field(min_length=1, max_length=256)]


class LoginUserUpdate(_In):
    """What changes of a login; what is left out keeps its value. ``active: false`` deactivates it: it cannot
    sign in and its tokens and web sessions are revoked at once (activating it again gives none back)."""

    role: Role | None = None
    portfolios: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = None
    active: bool | None = None


class PasswordUpdate(_In):
    password: Annotated[str, Field(min_length=1, max_length=256)]


class LoginUserPublic(_Out):
    login: str
    role: str
    portfolios: list[str]
    active: bool


# ------------------------------------------------------------------------------------- the document


class ConfigApplyCreate(_In):
    """A configuration document (YAML or JSON text) to make the configuration; on a dry run nothing is written
    and the answer is the difference. Entities it leaves out are removed only with ``confirm_removals``."""

    document: Annotated[str, Field(min_length=1, max_length=5_000_000)]
    dry_run: bool = False
    confirm_removals: bool = False


class FieldChangePublic(_Out):
    path: str
    before: Any
    after: Any


class EntityChangePublic(_Out):
    kind: str
    key: str
    change: str
    fields: list[str]
    details: list[FieldChangePublic]


class ConfigApplyPublic(_Out):
    """What applying the document did, or would do on a dry run."""

    dry_run: bool
    applied: bool
    version: int | None
    changes: list[EntityChangePublic]
    migrations: list[str]


class ConfigVersionPublic(_Out):
    number: int
    created_at: Moment
    actor: str
    summary: str


# -------------------------------------------------------------------------------------- plans, schemes


class PlanLinePublic(_Out):
    code: str
    description: str
    events: int
    sub_plan: bool
    access: str


class PlanRunCreate(_In):
    """Run a contact plan on the account on a day (default today); ``start_date`` for a plan that asks for one.
    A plan that deletes the pending contacts deletes them."""

    plan: Annotated[str, Field(min_length=1, max_length=60)]
    on: date | None = None
    start_date: date | None = None


class MadeContactPublic(_Out):
    kind: str
    description: str
    due: date
    due_at: Moment | None
    status: str
    assignee: str
    priority: int
    reason: str
    band: str


class PlanRunPublic(_Out):
    plan: str
    account: str
    contacts: list[MadeContactPublic]
    deleted: int
    effects: dict[str, int]
    skipped: str


class PlanBatchCreate(_In):
    """Run a contact plan on every account where ``where`` holds, or on the ``accounts`` listed (one of them),
    within the user's portfolios."""

    plan: Annotated[str, Field(min_length=1, max_length=60)]
    on: date | None = None
    where: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    accounts: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=100_000)] | None = (
        None
    )
    start_date: date | None = None


class ProblemLine(_Out):
    location: str
    rule: str
    value: str = ""


class PlanBatchPublic(_Out):
    batch: int
    plan: str
    selected: int
    ran: int
    resumed: bool
    skipped_closed: list[str]
    counts: dict[str, int]
    errors: list[ProblemLine]


class PlanBatchRecordPublic(_Out):
    """The record of a batch."""

    id: int
    plan: str
    on: date
    actor: str
    selection: str
    started_at: Moment
    finished_at: Moment | None
    accounts: int
    skipped_closed: list[str]
    counts: dict[str, int]
    done_through: int | None


class SchemeHoldCreate(_In):
    """Hold the account in its milestone scheme from ``on`` (default today), through ``until`` or until
    released."""

    reason: Annotated[str, Field(min_length=1, max_length=300)]
    on: date | None = None
    until: date | None = None


class SchemeHoldPublic(_Out):
    account: str
    scheme: str | None
    held: bool


Key = Annotated[str, PathParam(min_length=1, max_length=200)]
EventSequence = Annotated[int, PathParam(ge=SEQUENCE_MIN, le=SEQUENCE_MAX)]
PortfolioCode = Annotated[str, PathParam(min_length=1, max_length=40)]
RuleNumber = Annotated[int, PathParam(ge=1, le=10_000)]
VersionNumber = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
BatchId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
