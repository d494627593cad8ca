"""SQLAlchemy 2 models: the tables of Arrears. Money columns hold integer cents.

The annotations are evaluated by Python as each class is built (no ``from __future__ import annotations``):
SQLAlchemy would otherwise evaluate each of some 400 annotation strings itself, a fifth of this module's import
time, which every command pays. A class named before it is defined is quoted.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; constraint names are deterministic so migrations stay stable."""

    metadata = MetaData(naming_convention=NAMING)


class PortfolioRow(Base):
    """A practice, creditor or division; the enterprise is the root (no parent).

    The letterhead of its letters is its name, address, phone and logo (an image, ``logo_type`` its MIME type);
    a portfolio without an address of its own prints its parent's letterhead. Its maximum amount bounds every
    amount entered for its accounts.
    """

    __tablename__ = "portfolio"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio.id"))
    address1: Mapped[str] = mapped_column(String(200), default="")
    address2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str] = mapped_column(String(40), default="")
    maximum_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    """The largest transaction, claim or installment its accounts take; None: the enterprise's, else the default."""


class PartyRow(Base):
    """A person: the guarantor of one or more accounts."""

    __tablename__ = "party"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    address1: Mapped[str] = mapped_column(String(200), default="")
    address2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    deceased: Mapped[bool] = mapped_column(Boolean, default=False)
    bankruptcy: Mapped[bool] = mapped_column(Boolean, default=False)
    attorney_represented: Mapped[bool] = mapped_column(Boolean, default=False)
    cease_communication: Mapped[bool] = mapped_column(Boolean, default=False)
    dispute_date: Mapped[date | None] = mapped_column(Date)
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    bankruptcy_filed: Mapped[date | None] = mapped_column(Date)
    deceased_notified: Mapped[date | None] = mapped_column(Date)
    cease_requested: Mapped[date | None] = mapped_column(Date)
    dispute_verified: Mapped[date | None] = mapped_column(Date)
    """The day the disputed debt's verification was recorded (a later dispute holds it again)."""
    phones: Mapped[list["PhoneRow"]] = relationship(order_by="PhoneRow.id", cascade="all, delete-orphan")


class PhoneRow(Base):
    """A phone number of a party, with its type."""

    __tablename__ = "phone"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20), default="home")


class AccountRow(Base):
    """What is collected: one portfolio, one guarantor, a ledger."""

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"), index=True)
    guarantor_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10), default="active")
    status_code: Mapped[str] = mapped_column(String(20), default="")
    opened_date: Mapped[date | None] = mapped_column(Date)
    closed_date: Mapped[date | None] = mapped_column(Date)
    statement_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    medical: Mapped[bool] = mapped_column(Boolean, default=False)
    original_balance_cents: Mapped[int | None] = mapped_column(BigInteger)
    first_bill_date: Mapped[date | None] = mapped_column(Date)
    """The first post-discharge billing statement (501(r))."""
    assistance_applied_on: Mapped[date | None] = mapped_column(Date)
    """A financial-assistance application (501(r)): pending until ``assistance_decided_on`` is on or after it."""
    assistance_decided_on: Mapped[date | None] = mapped_column(Date)
    commission_basis_points: Mapped[int | None] = mapped_column(Integer)
    """The commission rate on the account (1250 is 12.5%), set by a plan's commission event."""
    guarantor: Mapped[PartyRow] = relationship()
    portfolio: Mapped[PortfolioRow] = relationship()


class LedgerLineRow(Base):
    """An append-only ledger line (a transaction) of an account."""

    __tablename__ = "ledger_line"
    __table_args__ = (
        Index("ix_ledger_line_account_posted", "account_id", "posted_date", "id"),
        Index("ix_ledger_line_kind_account", "kind", "account_id", "posted_date"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    posted_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    service_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str | None] = mapped_column(String(10))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_line.id"), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")


class ClaimRow(Base):
    """An insurance claim on an account."""

    __tablename__ = "claim"
    __table_args__ = (Index("ix_claim_status_billed", "status", "billed_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    payer: Mapped[str] = mapped_column(String(200))
    billed_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")


class PaymentPlanRow(Base):
    """A payment plan: installments from a first due date; the latest active one counts."""

    __tablename__ = "payment_plan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    installment_cents: Mapped[int] = mapped_column(BigInteger)
    frequency: Mapped[str] = mapped_column(String(10))
    first_due_date: Mapped[date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date | None] = mapped_column(Date)
    installments: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AccountSummaryRow(Base):
    """One row per account with what the daily run reads, kept current by every posting."""

    __tablename__ = "account_summary"
    __table_args__ = (Index("ix_account_summary_portfolio_due", "portfolio_id", "oldest_unpaid_due"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id"))
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    oldest_unpaid_due: Mapped[date | None] = mapped_column(Date)
    last_payment_date: Mapped[date | None] = mapped_column(Date)
    last_payment_cents: Mapped[int | None] = mapped_column(BigInteger)
    last_guarantor_payment_date: Mapped[date | None] = mapped_column(Date)
    on_payment_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    plan_next_unpaid_due: Mapped[date | None] = mapped_column(Date)
    plan_grace_days: Mapped[int | None] = mapped_column(Integer)
    insurance_balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    oldest_open_claim_billed: Mapped[date | None] = mapped_column(Date)
    open_claim_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Who changed what, when: before and after as JSON text."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_key"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    """The API request that made the change (None: the command line or the run)."""


class ConfigEntityRow(Base):
    """One configuration entity (collector, letter, action, series, policy ...) as a JSON document.

    The strategy is validated as a whole by the domain before any row is written, so references
    between entities are checked there rather than by foreign keys.
    """

    __tablename__ = "config_entity"
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(100))


class ConfigVersionRow(Base):
    """A numbered version of the whole configuration: when, who, what changed, and the document itself."""

    __tablename__ = "config_version"
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)
    document: Mapped[str] = mapped_column(Text)
    """The configuration as ``arrears config export`` writes it (YAML)."""


class CollectionsCaseRow(Base):
    """One episode of an account's collections case on one track (guarantor or insurance).

    A relapse opens a new episode (a new row); the earlier one keeps its entry reason, dates and close reason.
    ``is_current`` marks the latest episode of each account and track (at most one, by a partial unique index).
    """

    __tablename__ = "collections_case"
    __table_args__ = (
        UniqueConstraint("account_id", "track", "episode"),
        Index("ix_collections_case_status", "status"),
        Index(
            "ix_collections_case_current",
            "account_id",
            "track",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    track: Mapped[str] = mapped_column(String(10))
    episode: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20))
    entered_on: Mapped[date] = mapped_column(Date)
    anchor_due: Mapped[date | None] = mapped_column(Date)
    """The earliest unpaid due date when the episode began."""
    entry_reason: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str] = mapped_column(String(60))
    assignment_rule: Mapped[int | None] = mapped_column(Integer)
    work: Mapped[str] = mapped_column(String(100))
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str | None] = mapped_column(String(200))
    """Set when the episode is resolved."""
    referred_on: Mapped[date | None] = mapped_column(Date)
    hold_reason: Mapped[str | None] = mapped_column(String(300))
    """Why a held episode is held (``H01: bankruptcy …`` for a compliance hold)."""


class ActivityRow(Base):
    """One scheduled or recorded thing on an account; its states are those of :mod:`arrears.domain.cases`."""

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_due", "status", "account_id", "due_date"),
        Index("ix_activity_worklist", "status", "assignee", "due_date"),
        Index("ix_activity_account", "account_id", "status"),
        # the worklist's page: open work in the order the database sorts, read without the table
        Index("ix_activity_open_order", "kind", "due_date", "priority", "due_at", "assignee", "account_id",
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    track: Mapped[str] = mapped_column(String(10))
    episode: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(20))
    """The kind of origin: action, series_step, plan_event, milestone_action."""
    series: Mapped[str | None] = mapped_column(String(100))
    step: Mapped[int | None] = mapped_column(Integer)
    origin_ref: Mapped[str | None] = mapped_column(String(300))
    """What identifies a plan-event or milestone-action origin."""
    assignee: Mapped[str] = mapped_column(String(60))
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """The moment it is due, for timed work."""
    priority: Mapped[int] = mapped_column(Integer, default=50)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    no_auto_delete: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300))
    created_on: Mapped[date | None] = mapped_column(Date)
    released_on: Mapped[date | None] = mapped_column(Date)
    """The day it was opened into a worklist or performed."""
    done_on: Mapped[date | None] = mapped_column(Date)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    hold_reason: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    """A promise's amount (a plan's promise event: its percentage of the amount owing)."""


class LetterRow(Base):
    """A letter queued for printing: the template and the merge data as of the day it was queued."""

    __tablename__ = "letter"
    __table_args__ = (Index("ix_letter_status", "status", "queued_on"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    template: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10), default="letter")
    queued_on: Mapped[date] = mapped_column(Date)
    merge_data: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    addressee: Mapped[str] = mapped_column(String(30), default="")
    """The representative it is addressed to (attorney, estate representative); empty: the party."""
    printed_on: Mapped[date | None] = mapped_column(Date)
    pages: Mapped[int | None] = mapped_column(Integer)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The PDF as printed, kept with the account's history; a reprint gives these bytes again."""
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class OutboxRow(Base):
    """An e-mail or SMS to send: the rendered message, its recipient and where its delivery stands.

    ``key`` is the idempotency key (the queued message's key): it is handed to the provider, and a message is
    in the outbox once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    channel: Mapped[str] = mapped_column(String(10))
    template: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    queued_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChannelStopRow(Base):
    """A channel (email, sms) stopped for a party: an opt-out or a hard bounce, and where it came from."""

    __tablename__ = "channel_stop"
    __table_args__ = (
        UniqueConstraint("party_id", "channel", "reason", name="uq_channel_stop_party_channel_reason"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    channel: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))


class NoteRow(Base):
    """A note on an account: collection action notes, and account notes (type collections)."""

    __tablename__ = "note"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str | None] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(20))
    note_type: Mapped[str] = mapped_column(String(20), default="collections")
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100), default="arrears")


class HistoryRow(Base):
    """What happened to an account's collections and why: entered, assigned, resolved, referred..."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)


class RunRow(Base):
    """One engine pass for one as-of date and scope (all portfolios, or one): running, completed or failed.

    A running run is held by a lease: ``lease_token`` names the attempt that holds it, ``lease_until`` is when
    it expires unless renewed (every committed chunk renews it); ``owner`` is the holder's ``host:pid`` and
    ``owner_machine`` identifies its machine and process namespace, so that a holder known to be gone on this
    machine can be taken over before its lease expires. ``failure`` says why a failed run stopped.
    """

    __tablename__ = "run"
    __table_args__ = (UniqueConstraint("scope", "as_of"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    owner: Mapped[str | None] = mapped_column(String(100))
    owner_machine: Mapped[str | None] = mapped_column(String(80))
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    counts: Mapped[str] = mapped_column(Text, default="{}")
    errors: Mapped[str] = mapped_column(Text, default="[]")
    config_version: Mapped[int | None] = mapped_column(Integer)
    """The configuration version the run used (None: no version was recorded yet)."""


class RunChunkRow(Base):
    """What one committed chunk of a run did: counts and per-account errors, written with its effects."""

    __tablename__ = "run_chunk"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    first_account: Mapped[int] = mapped_column(Integer)
    last_account: Mapped[int] = mapped_column(Integer)
    counts: Mapped[str] = mapped_column(Text)
    errors: Mapped[str] = mapped_column(Text)


class ReferralRow(Base):
    """A placement of the account with an outside agency (external collections)."""

    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    agency: Mapped[str] = mapped_column(String(200))
    exported_on: Mapped[date | None] = mapped_column(Date)


class AlertRow(Base):
    """An alert shown on the account and its worklist rows until it is cleared."""

    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    cleared_on: Mapped[date | None] = mapped_column(Date)


class ServiceRequestRow(Base):
    """A request for a collector or group to act on an account."""

    __tablename__ = "service_request"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    assignee: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="open")


class CreditPointRow(Base):
    """Credit-rating points added to a party (more points, worse rating)."""

    __tablename__ = "credit_point"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    on: Mapped[date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(Integer)


class CreditReportRow(Base):
    """A report of the account to the credit bureaus made by the run (the release gate allowed it), with the
    balance reported; ``exported_on`` is the day it went into a bureau file."""

    __tablename__ = "credit_report"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    on: Mapped[date] = mapped_column(Date, index=True)
    balance_cents: Mapped[int] = mapped_column(BigInteger)
    exported_on: Mapped[date | None] = mapped_column(Date)


class PlanRequestRow(Base):
    """A request that a contact plan run on an account (from a run-plan action or a trigger)."""

    __tablename__ = "plan_request"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    plan: Mapped[str] = mapped_column(String(40))
    requested_on: Mapped[date] = mapped_column(Date)
    start_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="requested")


class PlanBatchRow(Base):
    """One batch run of a contact plan over many accounts: what it selected, what it did, whom it skipped."""

    __tablename__ = "plan_batch"
    __table_args__ = (Index("ix_plan_batch_selection_key", "selection_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan: Mapped[str] = mapped_column(String(7))
    on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(100))
    selection: Mapped[str] = mapped_column(Text)
    """The condition or the accounts file that selected the accounts."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accounts: Mapped[int] = mapped_column(Integer)
    skipped_closed: Mapped[str] = mapped_column(Text)
    """JSON list of the external ids of closed accounts skipped (do not run on closed accounts)."""
    counts: Mapped[str] = mapped_column(Text)
    done_through: Mapped[int | None] = mapped_column(BigInteger)
    """The highest account id of the last chunk committed (accounts go in id order); None before the first."""
    selection_key: Mapped[str | None] = mapped_column(String(64))
    """A digest of what the batch runs (plan, date, selection, start date, user): a rerun finds it unfinished."""


class PartyRoleRow(Base):
    """A representative of a party on file: the attorney, the estate representative (one of each)."""

    __tablename__ = "party_role"
    __table_args__ = (UniqueConstraint("party_id", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id"))
    role: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    address1: Mapped[str] = mapped_column(String(200), default="")
    address2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    since: Mapped[date | None] = mapped_column(Date)


class CallAttemptRow(Base):
    """A call attempt recorded by a collector: when, the outcome code and its class, and any rule it broke."""

    __tablename__ = "call_attempt"
    __table_args__ = (
        Index("ix_call_attempt_account_at", "account_id", "at"),
        Index("ix_call_attempt_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    activity_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(40))
    outcome_class: Mapped[str] = mapped_column(String(30))
    phone_type: Mapped[str] = mapped_column(String(10), default="")
    actor: Mapped[str] = mapped_column(String(100))
    breach: Mapped[str | None] = mapped_column(String(300))
    """The rule and reason the call broke when it was made (None: made within every rule)."""


class ComplianceEventRow(Base):
    """What the release gate did to an activity other than allow it: held, deferred or redirected, and why."""

    __tablename__ = "compliance_event"
    __table_args__ = (
        Index("ix_compliance_event_on", "on", "rule"),
        Index("ix_compliance_event_account", "account_id", "on"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(340), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    on: Mapped[date] = mapped_column(Date)
    activity_key: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(12))
    rule: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(Integer)


class SchemeHoldRow(Base):
    """A hold on an account's place in its milestone scheme (seed 004): while it lasts the run does not move the
    account, unless the scheme lets held accounts decrement and resolve."""

    __tablename__ = "scheme_hold"
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    """The last day held; None: until released."""
    reason: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(100))


class MilestoneStateRow(Base):
    """Where an account stands in its milestone scheme (seed 004): one row per account, kept after it resolves."""

    __tablename__ = "milestone_state"
    __table_args__ = (Index("ix_milestone_state_scheme", "scheme", "milestone"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(40))
    milestone: Mapped[str | None] = mapped_column(String(60))
    """The milestone reached; None before the first and once resolved."""
    entered_on: Mapped[date] = mapped_column(Date)
    reached_on: Mapped[date] = mapped_column(Date)
    """The day the current milestone was reached (its duration counts from it)."""
    moved_on: Mapped[date] = mapped_column(Date)
    """The last day the account moved: it moves at most once a day."""
    entry_balance_cents: Mapped[int] = mapped_column(BigInteger)
    resolved: Mapped[bool] = mapped_column(Boolean)
    last_move: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(300))


class PromiseRow(Base):
    """A promise to pay (a payment arrangement when it repeats): its terms, the installment it is on, what has
    been paid toward that installment, and its status (:mod:`arrears.domain.promises`)."""

    __tablename__ = "promise"
    __table_args__ = (
        Index("ix_promise_status_account", "status", "account_id"),
        Index("ix_promise_status_due", "status", "due_date"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    """What made it (the completed call, the plan contact, a collector's entry): made once per fact."""
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    first_due: Mapped[date] = mapped_column(Date)
    installment: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date] = mapped_column(Date)
    """The current installment's due date (computed from the first due date and the installment)."""
    repeat_period: Mapped[str | None] = mapped_column(String(10))
    repeat_days: Mapped[int | None] = mapped_column(Integer)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    advance: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    """Paid toward the current installment."""
    status: Mapped[str] = mapped_column(String(10), default="open")
    collector: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(10))
    """How it was made: ``call`` (an activity's outcome), ``direct`` or ``plan`` (a plan event)."""
    activity_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    judged_on: Mapped[date | None] = mapped_column(Date)
    """The last day something happened to it (kept, partial, broken, reversed, completed)."""
    ended_on: Mapped[date | None] = mapped_column(Date)
    """The day it was kept for good, broken, completed, cancelled or marked done."""
    ended_by: Mapped[str | None] = mapped_column(String(10))
    """What ended it without a verdict: ``close`` (the account's closing; reopening revives it), ``plan`` (a
    plan's delete all pending contacts); None while it stands or once judged."""


class PromisePaymentRow(Base):
    """A guarantor payment counted toward a promise (once per promise and ledger line), and whether it was
    reversed since (NSF)."""

    __tablename__ = "promise_payment"
    __table_args__ = (UniqueConstraint("promise_id", "line_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    promise_id: Mapped[int] = mapped_column(ForeignKey("promise.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("ledger_line.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    installment: Mapped[int] = mapped_column(Integer)
    """The installment it was counted toward."""
    reversed: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginRow(Base):
    """A user who signs in: a configured user's or collector's login, their role, the portfolios they see (a JSON
    list; empty for an administrator or an auditor, who see every one), the argon2 hash of their password, and
    the failed attempts in a row that throttle their logins."""

    __tablename__ = "login"
    login: Mapped[str] = mapped_column(String(60), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    portfolios: Mapped[str] = mapped_column(Text, default="[]")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiTokenRow(Base):
    """A bearer token of a user: its SHA-256 digest (the token itself is shown once), name, scopes (JSON list),
    expiry, and when it was revoked; ``kind`` is ``api`` (made by the user) or ``session`` (made by a login)."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(ForeignKey("login.login"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyRow(Base):
    """A write sent with an ``Idempotency-Key``: reserved while it runs, then its response, so the same key
    from the same user replays the response instead of applying the write again."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("login", "key"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    login: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the method, path and body: the same key with another request is refused."""
    status_code: Mapped[int | None] = mapped_column(Integer)
    """None while the request runs."""
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JobRow(Base):
    """Work a server does in the background (printing a large letter batch), kept here so that any server
    process answers its status: ``queued``, ``running``, ``done`` (with its result, JSON) or ``failed`` (with
    its problems, a JSON list of ``{location, rule, value}``). A job not yet ended is held by the server process
    that runs it: ``owner`` is its ``host:pid``, ``owner_machine`` its machine and process namespace, and
    ``lease_until`` when the job counts as interrupted unless that process renews it (it does while it lives)."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(100))
    portfolio: Mapped[str | None] = mapped_column(String(40))
    """The portfolio the job works on (None: every one): who may see it."""
    params: Mapped[str] = mapped_column(Text)
    """JSON: what the job was asked to do."""
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(100))
    owner_machine: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
