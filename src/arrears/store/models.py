"""The ORM classes of Arrears: each names its Core table of :mod:`arrears.store.tables` (where the schema is stated
once) and types its columns for the code that reads and writes rows through a session.

The classes are mapped the first time one of them is used (a column read off the class, or a row made), not when
this module is imported: the ORM is a tenth of a second to import and configure, and a command that only reads
(the account page, the worklist) queries the Core tables and never needs it.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from arrears.store import tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

_mapped = False
_mapper_thread: int | None = None
"""The thread mapping the classes, while it does (SQLAlchemy then asks the classes what they hold)."""
_mapping_lock = threading.Lock()


class _MappedOnFirstUse(type):
    """The metaclass of the row classes: reading a column off a class, naming a class in a statement, or making
    a row maps them all first."""

    def __getattr__(cls, name: str) -> Any:
        # A private or dunder name, or any name while this thread maps, is SQLAlchemy asking what is there;
        # but a statement naming the class (select, insert, update, delete) first asks for its clause element,
        # so that question maps them. A mapped class has none: SQLAlchemy then inspects it and finds its mapper.
        asked = name.startswith("_") and name != "__clause_element__"
        if _mapped or asked or _mapper_thread == threading.get_ident():
            raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")
        map_rows()
        return type.__getattribute__(cls, name)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        map_rows()
        return super().__call__(*args, **kwargs)


class Row(metaclass=_MappedOnFirstUse):
    """Base of every mapped class: made from keyword arguments, one per mapped attribute."""

    __table__: Any

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            if not hasattr(type(self), name):
                raise TypeError(f"{name!r} is an invalid keyword argument for {type(self).__name__}")
            setattr(self, name, value)


class PortfolioRow(Row):
    """A practice, creditor or division; the enterprise is the root (no parent).

    The letterhead of its letters is its name, address, phone and logo (an image, ``logo_type`` its MIME type);
    a portfolio without an address of its own prints its parent's letterhead. Its maximum amount bounds every
    amount entered for its accounts.
    """

    __table__ = tables.portfolio
    id: Mapped[int]
    code: Mapped[str]
    name: Mapped[str]
    parent_id: Mapped[int | None]
    address1: Mapped[str]
    address2: Mapped[str]
    city: Mapped[str]
    state: Mapped[str]
    postal_code: Mapped[str]
    phone: Mapped[str]
    logo: Mapped[bytes | None]
    logo_type: Mapped[str]
    maximum_amount_cents: Mapped[int | None]
    """The largest transaction, claim or installment its accounts take; None: the enterprise's, else the default."""


class PartyRow(Row):
    """A person: the guarantor of one or more accounts."""

    __table__ = tables.party
    id: Mapped[int]
    first_name: Mapped[str]
    last_name: Mapped[str]
    address1: Mapped[str]
    address2: Mapped[str]
    city: Mapped[str]
    state: Mapped[str]
    postal_code: Mapped[str]
    email: Mapped[str]
    time_zone: Mapped[str]
    deceased: Mapped[bool]
    bankruptcy: Mapped[bool]
    attorney_represented: Mapped[bool]
    cease_communication: Mapped[bool]
    dispute_date: Mapped[date | None]
    do_not_call: Mapped[bool]
    bankruptcy_filed: Mapped[date | None]
    deceased_notified: Mapped[date | None]
    cease_requested: Mapped[date | None]
    dispute_verified: Mapped[date | None]
    """The day the disputed debt's verification was recorded (a later dispute holds it again)."""
    phones: Mapped[list[PhoneRow]]


class PhoneRow(Row):
    """A phone number of a party, with its type."""

    __table__ = tables.phone
    id: Mapped[int]
    party_id: Mapped[int]
    number: Mapped[str]
    type: Mapped[str]


class AccountRow(Row):
    """What is collected: one portfolio, one guarantor, a ledger."""

    __table__ = tables.account
    id: Mapped[int]
    external_id: Mapped[str]
    portfolio_id: Mapped[int]
    guarantor_id: Mapped[int]
    mode: Mapped[str]
    status_code: Mapped[str]
    opened_date: Mapped[date | None]
    closed_date: Mapped[date | None]
    statement_hold: Mapped[bool]
    medical: Mapped[bool]
    original_balance_cents: Mapped[int | None]
    first_bill_date: Mapped[date | None]
    """The first post-discharge billing statement (501(r))."""
    assistance_applied_on: Mapped[date | None]
    """A financial-assistance application (501(r)): pending until ``assistance_decided_on`` is on or after it."""
    assistance_decided_on: Mapped[date | None]
    commission_basis_points: Mapped[int | None]
    """The commission rate on the account (1250 is 12.5%), set by a plan's commission event."""
    guarantor: Mapped[PartyRow]
    portfolio: Mapped[PortfolioRow]


class LedgerLineRow(Row):
    """An append-only ledger line (a transaction) of an account."""

    __table__ = tables.ledger_line
    id: Mapped[int]
    account_id: Mapped[int]
    external_id: Mapped[str | None]
    kind: Mapped[str]
    amount_cents: Mapped[int]
    posted_date: Mapped[date]
    due_date: Mapped[date | None]
    service_date: Mapped[date | None]
    source: Mapped[str | None]
    reverses_id: Mapped[int | None]
    description: Mapped[str]


class ClaimRow(Row):
    """An insurance claim on an account."""

    __table__ = tables.claim
    id: Mapped[int]
    external_id: Mapped[str]
    account_id: Mapped[int]
    payer: Mapped[str]
    billed_date: Mapped[date]
    amount_cents: Mapped[int]
    paid_cents: Mapped[int]
    status: Mapped[str]


class PaymentPlanRow(Row):
    """A payment plan: installments from a first due date; the latest active one counts."""

    __table__ = tables.payment_plan
    id: Mapped[int]
    external_id: Mapped[str]
    account_id: Mapped[int]
    installment_cents: Mapped[int]
    frequency: Mapped[str]
    first_due_date: Mapped[date]
    grace_days: Mapped[int]
    start_date: Mapped[date | None]
    installments: Mapped[int | None]
    active: Mapped[bool]


class AccountSummaryRow(Row):
    """One row per account with what the daily run reads, kept current by every posting."""

    __table__ = tables.account_summary
    account_id: Mapped[int]
    portfolio_id: Mapped[int]
    balance_cents: Mapped[int]
    oldest_unpaid_due: Mapped[date | None]
    last_payment_date: Mapped[date | None]
    last_payment_cents: Mapped[int | None]
    last_guarantor_payment_date: Mapped[date | None]
    on_payment_plan: Mapped[bool]
    plan_next_unpaid_due: Mapped[date | None]
    plan_grace_days: Mapped[int | None]
    insurance_balance_cents: Mapped[int]
    oldest_open_claim_billed: Mapped[date | None]
    open_claim_count: Mapped[int]
    updated_at: Mapped[datetime | None]


class AuditRow(Row):
    """Who changed what, when: before and after as JSON text."""

    __table__ = tables.audit
    id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    entity: Mapped[str]
    entity_key: Mapped[str]
    action: Mapped[str]
    before: Mapped[str | None]
    after: Mapped[str | None]
    request_id: Mapped[str | None]
    """The API request that made the change (None: the command line or the run)."""


class ConfigEntityRow(Row):
    """One configuration entity (collector, letter, action, series, policy ...) as a JSON document.

    The strategy is validated as a whole by the domain before any row is written, so references
    between entities are checked there rather than by foreign keys.
    """

    __table__ = tables.config_entity
    id: Mapped[int]
    kind: Mapped[str]
    name: Mapped[str]
    position: Mapped[int]
    body: Mapped[str]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str]


class ConfigVersionRow(Row):
    """A numbered version of the whole configuration: when, who, what changed, and the document itself."""

    __table__ = tables.config_version
    number: Mapped[int]
    created_at: Mapped[datetime]
    actor: Mapped[str]
    summary: Mapped[str]
    document: Mapped[str]
    """The configuration as ``arrears config export`` writes it (YAML)."""


class CollectionsCaseRow(Row):
    """One episode of an account's collections case on one track (guarantor or insurance).

    A relapse opens a new episode (a new row); the earlier one keeps its entry reason, dates and close reason.
    ``is_current`` marks the latest episode of each account and track (at most one, by a partial unique index).
    """

    __table__ = tables.collections_case
    id: Mapped[int]
    account_id: Mapped[int]
    track: Mapped[str]
    episode: Mapped[int]
    is_current: Mapped[bool]
    status: Mapped[str]
    entered_on: Mapped[date]
    anchor_due: Mapped[date | None]
    """The earliest unpaid due date when the episode began."""
    entry_reason: Mapped[str]
    assignee: Mapped[str]
    assignment_rule: Mapped[int | None]
    work: Mapped[str]
    closed_on: Mapped[date | None]
    close_reason: Mapped[str | None]
    """Set when the episode is resolved."""
    referred_on: Mapped[date | None]
    hold_reason: Mapped[str | None]
    """Why a held episode is held (``H01: bankruptcy …`` for a compliance hold)."""


class ActivityRow(Row):
    """One scheduled or recorded thing on an account; its states are those of :mod:`arrears.domain.cases`."""

    __table__ = tables.activity
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    track: Mapped[str]
    episode: Mapped[int]
    kind: Mapped[str]
    action: Mapped[str]
    origin: Mapped[str]
    """The kind of origin: action, series_step, plan_event, milestone_action."""
    series: Mapped[str | None]
    step: Mapped[int | None]
    origin_ref: Mapped[str | None]
    """What identifies a plan-event or milestone-action origin."""
    assignee: Mapped[str]
    due_date: Mapped[date]
    due_at: Mapped[datetime | None]
    """The moment it is due, for timed work."""
    priority: Mapped[int]
    status: Mapped[str]
    no_auto_delete: Mapped[bool]
    reason: Mapped[str]
    created_on: Mapped[date | None]
    released_on: Mapped[date | None]
    """The day it was opened into a worklist or performed."""
    done_on: Mapped[date | None]
    cancelled_on: Mapped[date | None]
    hold_reason: Mapped[str | None]
    outcome: Mapped[str | None]
    note: Mapped[str | None]
    run_id: Mapped[int | None]
    amount_cents: Mapped[int | None]
    """A promise's amount (a plan's promise event: its percentage of the amount owing)."""


class LetterRow(Row):
    """A letter queued for printing: the template and the merge data as of the day it was queued."""

    __table__ = tables.letter
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    template: Mapped[str]
    channel: Mapped[str]
    queued_on: Mapped[date]
    merge_data: Mapped[str]
    status: Mapped[str]
    addressee: Mapped[str]
    """The representative it is addressed to (attorney, estate representative); empty: the party."""
    printed_on: Mapped[date | None]
    pages: Mapped[int | None]
    pdf: Mapped[bytes | None]
    """The PDF as printed, kept with the account's history; a reprint gives these bytes again."""
    pdf_sha256: Mapped[str | None]


class OutboxRow(Row):
    """An e-mail or SMS to send: the rendered message, its recipient and where its delivery stands.

    ``key`` is the idempotency key (the queued message's key): it is handed to the provider, and a message is
    in the outbox once."""

    __table__ = tables.outbox
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    party_id: Mapped[int]
    channel: Mapped[str]
    template: Mapped[str]
    recipient: Mapped[str]
    subject: Mapped[str]
    body: Mapped[str]
    status: Mapped[str]
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    provider_message_id: Mapped[str | None]
    queued_on: Mapped[date]
    sent_at: Mapped[datetime | None]


class ChannelStopRow(Row):
    """A channel (email, sms) stopped for a party: an opt-out or a hard bounce, and where it came from."""

    __table__ = tables.channel_stop
    id: Mapped[int]
    party_id: Mapped[int]
    channel: Mapped[str]
    reason: Mapped[str]
    on: Mapped[date]
    source: Mapped[str]


class NoteRow(Row):
    """A note on an account: collection action notes, and account notes (type collections)."""

    __table__ = tables.note
    id: Mapped[int]
    key: Mapped[str | None]
    account_id: Mapped[int]
    on: Mapped[date]
    scope: Mapped[str]
    note_type: Mapped[str]
    text: Mapped[str]
    author: Mapped[str]


class HistoryRow(Row):
    """What happened to an account's collections and why: entered, assigned, resolved, referred..."""

    __table__ = tables.history
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    on: Mapped[date]
    event: Mapped[str]
    detail: Mapped[str]
    run_id: Mapped[int | None]


class RunRow(Row):
    """One engine pass for one as-of date and scope (all portfolios, or one): running, completed or failed.

    A running run is held by a lease: ``lease_token`` names the attempt that holds it, ``lease_until`` is when
    it expires unless renewed (every committed chunk renews it); ``owner`` is the holder's ``host:pid`` and
    ``owner_machine`` identifies its machine and process namespace, so that a holder known to be gone on this
    machine can be taken over before its lease expires. ``failure`` says why a failed run stopped.
    """

    __table__ = tables.run
    id: Mapped[int]
    scope: Mapped[str]
    as_of: Mapped[date]
    status: Mapped[str]
    owner: Mapped[str | None]
    owner_machine: Mapped[str | None]
    lease_token: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    failure: Mapped[str | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    attempts: Mapped[int]
    counts: Mapped[str]
    errors: Mapped[str]
    config_version: Mapped[int | None]
    """The configuration version the run used (None: no version was recorded yet)."""


class RunChunkRow(Row):
    """What one committed chunk of a run did: counts and per-account errors, written with its effects."""

    __table__ = tables.run_chunk
    id: Mapped[int]
    run_id: Mapped[int]
    first_account: Mapped[int]
    last_account: Mapped[int]
    counts: Mapped[str]
    errors: Mapped[str]


class ReferralRow(Row):
    """A placement of the account with an outside agency (external collections)."""

    __table__ = tables.referral
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    on: Mapped[date]
    agency: Mapped[str]
    exported_on: Mapped[date | None]


class AlertRow(Row):
    """An alert shown on the account and its worklist rows until it is cleared."""

    __table__ = tables.alert
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    on: Mapped[date]
    text: Mapped[str]
    cleared_on: Mapped[date | None]


class ServiceRequestRow(Row):
    """A request for a collector or group to act on an account."""

    __table__ = tables.service_request
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    on: Mapped[date]
    text: Mapped[str]
    assignee: Mapped[str]
    status: Mapped[str]


class CreditPointRow(Row):
    """Credit-rating points added to a party (more points, worse rating)."""

    __table__ = tables.credit_point
    id: Mapped[int]
    key: Mapped[str]
    party_id: Mapped[int]
    account_id: Mapped[int]
    on: Mapped[date]
    points: Mapped[int]


class CreditReportRow(Row):
    """A report of the account to the credit bureaus made by the run (the release gate allowed it), with the
    balance reported; ``exported_on`` is the day it went into a bureau file."""

    __table__ = tables.credit_report
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    party_id: Mapped[int]
    on: Mapped[date]
    balance_cents: Mapped[int]
    exported_on: Mapped[date | None]


class PlanRequestRow(Row):
    """A request that a contact plan run on an account (from a run-plan action or a trigger)."""

    __table__ = tables.plan_request
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    plan: Mapped[str]
    requested_on: Mapped[date]
    start_date: Mapped[date | None]
    status: Mapped[str]


class PlanBatchRow(Row):
    """One batch run of a contact plan over many accounts: what it selected, what it did, whom it skipped."""

    __table__ = tables.plan_batch
    id: Mapped[int]
    plan: Mapped[str]
    on: Mapped[date]
    actor: Mapped[str]
    selection: Mapped[str]
    """The condition or the accounts file that selected the accounts."""
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    accounts: Mapped[int]
    skipped_closed: Mapped[str]
    """JSON list of the external ids of closed accounts skipped (do not run on closed accounts)."""
    counts: Mapped[str]
    done_through: Mapped[int | None]
    """The highest account id of the last chunk committed (accounts go in id order); None before the first."""
    selection_key: Mapped[str | None]
    """A digest of what the batch runs (plan, date, selection, start date, user): a rerun finds it unfinished."""


class PartyRoleRow(Row):
    """A representative of a party on file: the attorney, the estate representative (one of each)."""

    __table__ = tables.party_role
    id: Mapped[int]
    party_id: Mapped[int]
    role: Mapped[str]
    name: Mapped[str]
    address1: Mapped[str]
    address2: Mapped[str]
    city: Mapped[str]
    state: Mapped[str]
    postal_code: Mapped[str]
    phone: Mapped[str]
    email: Mapped[str]
    since: Mapped[date | None]


class CallAttemptRow(Row):
    """A call attempt recorded by a collector: when, the outcome code and its class, and any rule it broke."""

    __table__ = tables.call_attempt
    id: Mapped[int]
    account_id: Mapped[int]
    activity_id: Mapped[int | None]
    at: Mapped[datetime]
    outcome: Mapped[str]
    outcome_class: Mapped[str]
    phone_type: Mapped[str]
    actor: Mapped[str]
    breach: Mapped[str | None]
    """The rule and reason the call broke when it was made (None: made within every rule)."""


class ComplianceEventRow(Row):
    """What the release gate did to an activity other than allow it: held, deferred or redirected, and why."""

    __table__ = tables.compliance_event
    id: Mapped[int]
    key: Mapped[str]
    account_id: Mapped[int]
    on: Mapped[date]
    activity_key: Mapped[str]
    channel: Mapped[str]
    verdict: Mapped[str]
    rule: Mapped[str]
    reason: Mapped[str]
    until: Mapped[datetime | None]
    run_id: Mapped[int | None]


class SchemeHoldRow(Row):
    """A hold on an account's place in its milestone scheme (seed 004): while it lasts the run does not move the
    account, unless the scheme lets held accounts decrement and resolve."""

    __table__ = tables.scheme_hold
    account_id: Mapped[int]
    held_on: Mapped[date]
    until: Mapped[date | None]
    """The last day held; None: until released."""
    reason: Mapped[str]
    actor: Mapped[str]


class MilestoneStateRow(Row):
    """Where an account stands in its milestone scheme (seed 004): one row per account, kept after it resolves."""

    __table__ = tables.milestone_state
    account_id: Mapped[int]
    scheme: Mapped[str]
    milestone: Mapped[str | None]
    """The milestone reached; None before the first and once resolved."""
    entered_on: Mapped[date]
    reached_on: Mapped[date]
    """The day the current milestone was reached (its duration counts from it)."""
    moved_on: Mapped[date]
    """The last day the account moved: it moves at most once a day."""
    entry_balance_cents: Mapped[int]
    resolved: Mapped[bool]
    last_move: Mapped[str]
    reason: Mapped[str]


class PromiseRow(Row):
    """A promise to pay (a payment arrangement when it repeats): its terms, the installment it is on, what has
    been paid toward that installment, and its status (:mod:`arrears.domain.promises`)."""

    __table__ = tables.promise
    id: Mapped[int]
    key: Mapped[str]
    """What made it (the completed call, the plan contact, a collector's entry): made once per fact."""
    account_id: Mapped[int]
    amount_cents: Mapped[int]
    first_due: Mapped[date]
    installment: Mapped[int]
    due_date: Mapped[date]
    """The current installment's due date (computed from the first due date and the installment)."""
    repeat_period: Mapped[str | None]
    repeat_days: Mapped[int | None]
    grace_days: Mapped[int]
    advance: Mapped[bool]
    paid_cents: Mapped[int]
    """Paid toward the current installment."""
    status: Mapped[str]
    collector: Mapped[str]
    channel: Mapped[str]
    source: Mapped[str]
    """How it was made: ``call`` (an activity's outcome), ``direct`` or ``plan`` (a plan event)."""
    activity_id: Mapped[int | None]
    created_on: Mapped[date]
    created_by: Mapped[str]
    judged_on: Mapped[date | None]
    """The last day something happened to it (kept, partial, broken, reversed, completed)."""
    ended_on: Mapped[date | None]
    """The day it was kept for good, broken, completed, cancelled or marked done."""
    ended_by: Mapped[str | None]
    """What ended it without a verdict: ``close`` (the account's closing; reopening revives it), ``plan`` (a
    plan's delete all pending contacts); None while it stands or once judged."""


class PromisePaymentRow(Row):
    """A guarantor payment counted toward a promise (once per promise and ledger line), and whether it was
    reversed since (NSF)."""

    __table__ = tables.promise_payment
    id: Mapped[int]
    promise_id: Mapped[int]
    line_id: Mapped[int]
    amount_cents: Mapped[int]
    paid_on: Mapped[date]
    installment: Mapped[int]
    """The installment it was counted toward."""
    reversed: Mapped[bool]


class LoginRow(Row):
    """A user who signs in: a configured user's or collector's login, their role, the portfolios they see (a JSON
    list; empty for an administrator or an auditor, who see every one), the argon2 hash of their password, and
    the failed attempts in a row that throttle their logins."""

    __table__ = tables.login
    login: Mapped[str]
    role: Mapped[str]
    portfolios: Mapped[str]
    password_hash: Mapped[str]
    active: Mapped[bool]
    failed_logins: Mapped[int]
    last_failed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class ApiTokenRow(Row):
    """A bearer token of a user: its SHA-256 digest (the token itself is shown once), name, scopes (JSON list),
    expiry, and when it was revoked; ``kind`` is ``api`` (made by the user) or ``session`` (made by a login)."""

    __table__ = tables.api_token
    id: Mapped[int]
    login: Mapped[str]
    digest: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str]
    scopes: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class IdempotencyRow(Row):
    """A write sent with an ``Idempotency-Key``: reserved while it runs, then its response, so the same key
    from the same user replays the response instead of applying the write again."""

    __table__ = tables.idempotency_key
    id: Mapped[int]
    login: Mapped[str]
    key: Mapped[str]
    fingerprint: Mapped[str]
    """SHA-256 of the method, path and body: the same key with another request is refused."""
    status_code: Mapped[int | None]
    """None while the request runs."""
    body: Mapped[str | None]
    created_at: Mapped[datetime]


class JobRow(Row):
    """Work a server does in the background (printing a large letter batch), kept here so that any server
    process answers its status: ``queued``, ``running``, ``done`` (with its result, JSON) or ``failed`` (with
    its problems, a JSON list of ``{location, rule, value}``). A job not yet ended is held by the server process
    that runs it: ``owner`` is its ``host:pid``, ``owner_machine`` its machine and process namespace, and
    ``lease_until`` when the job counts as interrupted unless that process renews it (it does while it lives)."""

    __table__ = tables.job
    id: Mapped[int]
    kind: Mapped[str]
    status: Mapped[str]
    actor: Mapped[str]
    portfolio: Mapped[str | None]
    """The portfolio the job works on (None: every one): who may see it."""
    params: Mapped[str]
    """JSON: what the job was asked to do."""
    result: Mapped[str | None]
    error: Mapped[str | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    owner: Mapped[str | None]
    owner_machine: Mapped[str | None]
    lease_until: Mapped[datetime | None]


def map_rows() -> None:
    """Map every row class onto its table (once; a later call returns at once, one in another thread while the
    first maps waits for it)."""
    global _mapped, _mapper_thread
    if _mapped or _mapper_thread == threading.get_ident():
        return
    with _mapping_lock:
        if _mapped:
            return
        from sqlalchemy.orm import configure_mappers, registry, relationship

        _mapper_thread = threading.get_ident()
        try:
            rows = registry(metadata=tables.metadata)
            relationships: dict[type[Row], dict[str, Any]] = {
                PartyRow: {"phones": relationship(PhoneRow, order_by=tables.phone.c.id, cascade="all, delete-orphan")},
                AccountRow: {"guarantor": relationship(PartyRow), "portfolio": relationship(PortfolioRow)},
            }
            for row in ROWS:
                rows.map_imperatively(row, row.__table__, properties=relationships.get(row, {}))
            configure_mappers()
            _mapped = True
        finally:
            _mapper_thread = None


ROWS: tuple[type[Row], ...] = (
    PortfolioRow,
    PartyRow,
    PhoneRow,
    AccountRow,
    LedgerLineRow,
    ClaimRow,
    PaymentPlanRow,
    AccountSummaryRow,
    AuditRow,
    ConfigEntityRow,
    ConfigVersionRow,
    CollectionsCaseRow,
    ActivityRow,
    LetterRow,
    OutboxRow,
    ChannelStopRow,
    NoteRow,
    HistoryRow,
    RunRow,
    RunChunkRow,
    ReferralRow,
    AlertRow,
    ServiceRequestRow,
    CreditPointRow,
    CreditReportRow,
    PlanRequestRow,
    PlanBatchRow,
    PartyRoleRow,
    CallAttemptRow,
    ComplianceEventRow,
    SchemeHoldRow,
    MilestoneStateRow,
    PromiseRow,
    PromisePaymentRow,
    LoginRow,
    ApiTokenRow,
    IdempotencyRow,
    JobRow,
)
