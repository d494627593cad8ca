"""The tables of Arrears as SQLAlchemy Core ``Table`` objects: the one statement of the schema.

The ORM classes of :mod:`arrears.store.models` are mapped onto these tables; a repository that only reads
(the account page, the worklist, the stored strategy) queries them with Core alone, so a command that reads
does not pay for importing and configuring the ORM. Money columns hold integer cents. Constraint and index
names are deterministic (``NAMING``) so migrations stay stable.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


portfolio = Table(
    "portfolio",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("portfolio.id")),
    Column("address1", String(200), nullable=False, default=""),
    Column("address2", String(200), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("state", String(40), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("phone", String(40), nullable=False, default=""),
    Column("logo", LargeBinary),
    Column("logo_type", String(40), nullable=False, default=""),
    Column("maximum_amount_cents", BigInteger),
)


party = Table(
    "party",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False, index=True),
    Column("address1", String(200), nullable=False, default=""),
    Column("address2", String(200), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("state", String(40), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("time_zone", String(64), nullable=False, default="America/New_York"),
    Column("deceased", Boolean, nullable=False, default=False),
    Column("bankruptcy", Boolean, nullable=False, default=False),
    Column("attorney_represented", Boolean, nullable=False, default=False),
    Column("cease_communication", Boolean, nullable=False, default=False),
    Column("dispute_date", Date),
    Column("do_not_call", Boolean, nullable=False, default=False),
    Column("bankruptcy_filed", Date),
    Column("deceased_notified", Date),
    Column("cease_requested", Date),
    Column("dispute_verified", Date),
)


phone = Table(
    "phone",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", Integer, ForeignKey("party.id"), nullable=False, index=True),
    Column("number", String(40), nullable=False),
    Column("type", String(20), nullable=False, default="home"),
)


account = Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("portfolio_id", Integer, ForeignKey("portfolio.id"), nullable=False, index=True),
    Column("guarantor_id", Integer, ForeignKey("party.id"), nullable=False, index=True),
    Column("mode", String(10), nullable=False, default="active"),
    Column("status_code", String(20), nullable=False, default=""),
    Column("opened_date", Date),
    Column("closed_date", Date),
    Column("statement_hold", Boolean, nullable=False, default=False),
    Column("medical", Boolean, nullable=False, default=False),
    Column("original_balance_cents", BigInteger),
    Column("first_bill_date", Date),
    Column("assistance_applied_on", Date),
    Column("assistance_decided_on", Date),
    Column("commission_basis_points", Integer),
)


ledger_line = Table(
    "ledger_line",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("external_id", String(64), unique=True),
    Column("kind", String(12), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("posted_date", Date, nullable=False),
    Column("due_date", Date),
    Column("service_date", Date),
    Column("source", String(10)),
    Column("reverses_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("ledger_line.id"), unique=True),
    Column("description", String(200), nullable=False, default=""),
    Index("ix_ledger_line_account_posted", "account_id", "posted_date", "id"),
    Index("ix_ledger_line_kind_account", "kind", "account_id", "posted_date"),
)


claim = Table(
    "claim",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("payer", String(200), nullable=False),
    Column("billed_date", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False, default=0),
    Column("status", String(10), nullable=False, default="open"),
    Index("ix_claim_status_billed", "status", "billed_date"),
)


payment_plan = Table(
    "payment_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("installment_cents", BigInteger, nullable=False),
    Column("frequency", String(10), nullable=False),
    Column("first_due_date", Date, nullable=False),
    Column("grace_days", Integer, nullable=False, default=0),
    Column("start_date", Date),
    Column("installments", Integer),
    Column("active", Boolean, nullable=False, default=True),
)


account_summary = Table(
    "account_summary",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id"), primary_key=True),
    Column("portfolio_id", Integer, ForeignKey("portfolio.id"), nullable=False),
    Column("balance_cents", BigInteger, nullable=False, default=0),
    Column("oldest_unpaid_due", Date),
    Column("last_payment_date", Date),
    Column("last_payment_cents", BigInteger),
    Column("last_guarantor_payment_date", Date),
    Column("on_payment_plan", Boolean, nullable=False, default=False),
    Column("plan_next_unpaid_due", Date),
    Column("plan_grace_days", Integer),
    Column("insurance_balance_cents", BigInteger, nullable=False, default=0),
    Column("oldest_open_claim_billed", Date),
    Column("open_claim_count", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True)),
    Index("ix_account_summary_portfolio_due", "portfolio_id", "oldest_unpaid_due"),
)


audit = Table(
    "audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_key", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("request_id", String(64)),
    Index("ix_audit_entity", "entity", "entity_key"),
)


config_entity = Table(
    "config_entity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("body", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
    UniqueConstraint("kind", "name"),
)


config_version = Table(
    "config_version",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("summary", Text, nullable=False),
    Column("document", Text, nullable=False),
)


collections_case = Table(
    "collections_case",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("track", String(10), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False, default=True),
    Column("status", String(20), nullable=False),
    Column("entered_on", Date, nullable=False),
    Column("anchor_due", Date),
    Column("entry_reason", Text, nullable=False),
    Column("assignee", String(60), nullable=False),
    Column("assignment_rule", Integer),
    Column("work", String(100), nullable=False),
    Column("closed_on", Date),
    Column("close_reason", String(200)),
    Column("referred_on", Date),
    Column("hold_reason", String(300)),
    UniqueConstraint("account_id", "track", "episode"),
    # at most one current episode per account and track
    Index(
        "ix_collections_case_current",
        "account_id",
        "track",
        unique=True,
        sqlite_where=text("is_current"),
        postgresql_where=text("is_current"),
    ),
    Index("ix_collections_case_status", "status"),
)


activity = Table(
    "activity",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("track", String(10), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("action", String(100), nullable=False),
    Column("origin", String(20), nullable=False),
    Column("series", String(100)),
    Column("step", Integer),
    Column("origin_ref", String(300)),
    Column("assignee", String(60), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("priority", Integer, nullable=False, default=50),
    Column("status", String(10), nullable=False, default="scheduled"),
    Column("no_auto_delete", Boolean, nullable=False, default=False),
    Column("reason", String(300), nullable=False),
    Column("created_on", Date),
    Column("released_on", Date),
    Column("done_on", Date),
    Column("cancelled_on", Date),
    Column("hold_reason", String(300)),
    Column("outcome", String(40)),
    Column("note", Text),
    Column("run_id", Integer),
    Column("amount_cents", BigInteger),
    Index("ix_activity_account", "account_id", "status"),
    Index("ix_activity_due", "status", "account_id", "due_date"),
    # the worklist's page: open work in the order the database sorts, read without the table
    Index(
        "ix_activity_open_order",
        "kind",
        "due_date",
        "priority",
        "due_at",
        "assignee",
        "account_id",
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_activity_worklist", "status", "assignee", "due_date"),
)


letter = Table(
    "letter",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("template", String(100), nullable=False),
    Column("channel", String(10), nullable=False, default="letter"),
    Column("queued_on", Date, nullable=False),
    Column("merge_data", Text, nullable=False),
    Column("status", String(10), nullable=False, default="queued"),
    Column("addressee", String(30), nullable=False, default=""),
    Column("printed_on", Date),
    Column("pages", Integer),
    Column("pdf", LargeBinary),
    Column("pdf_sha256", String(64)),
    Index("ix_letter_status", "status", "queued_on"),
)


outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("party_id", Integer, ForeignKey("party.id"), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("template", String(100), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("provider_message_id", String(200), index=True),
    Column("queued_on", Date, nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_outbox_due", "status", "next_attempt_at"),
)


channel_stop = Table(
    "channel_stop",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", Integer, ForeignKey("party.id"), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("reason", String(20), nullable=False),
    Column("on", Date, nullable=False),
    Column("source", String(200), nullable=False),
    UniqueConstraint("party_id", "channel", "reason", name="uq_channel_stop_party_channel_reason"),
)


note = Table(
    "note",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("on", Date, nullable=False),
    Column("scope", String(20), nullable=False),
    Column("note_type", String(20), nullable=False, default="collections"),
    Column("text", Text, nullable=False),
    Column("author", String(100), nullable=False, default="arrears"),
)


history = Table(
    "history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("on", Date, nullable=False),
    Column("event", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("run_id", Integer),
)


run = Table(
    "run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(40), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("status", String(12), nullable=False),
    Column("owner", String(100)),
    Column("owner_machine", String(80)),
    Column("lease_token", String(32)),
    Column("lease_until", DateTime(timezone=True)),
    Column("failure", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=1),
    Column("counts", Text, nullable=False, default="{}"),
    Column("errors", Text, nullable=False, default="[]"),
    Column("config_version", Integer),
    UniqueConstraint("scope", "as_of"),
)


run_chunk = Table(
    "run_chunk",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("run.id"), nullable=False, index=True),
    Column("first_account", Integer, nullable=False),
    Column("last_account", Integer, nullable=False),
    Column("counts", Text, nullable=False),
    Column("errors", Text, nullable=False),
)


referral = Table(
    "referral",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("on", Date, nullable=False),
    Column("agency", String(200), nullable=False),
    Column("exported_on", Date),
)


alert = Table(
    "alert",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("on", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("cleared_on", Date),
)


service_request = Table(
    "service_request",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("on", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("assignee", String(60), nullable=False),
    Column("status", String(10), nullable=False, default="open"),
)


credit_point = Table(
    "credit_point",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("party_id", Integer, ForeignKey("party.id"), nullable=False, index=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("on", Date, nullable=False),
    Column("points", Integer, nullable=False),
)


credit_report = Table(
    "credit_report",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("party_id", Integer, ForeignKey("party.id"), nullable=False),
    Column("on", Date, nullable=False, index=True),
    Column("balance_cents", BigInteger, nullable=False),
    Column("exported_on", Date),
)


plan_request = Table(
    "plan_request",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
    Column("plan", String(40), nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("start_date", Date),
    Column("status", String(10), nullable=False, default="requested"),
)


plan_batch = Table(
    "plan_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan", String(7), nullable=False),
    Column("on", Date, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("selection", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("accounts", Integer, nullable=False),
    Column("skipped_closed", Text, nullable=False),
    Column("counts", Text, nullable=False),
    Column("done_through", BigInteger),
    Column("selection_key", String(64)),
    Index("ix_plan_batch_selection_key", "selection_key"),
)


party_role = Table(
    "party_role",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", Integer, ForeignKey("party.id"), nullable=False),
    Column("role", String(30), nullable=False),
    Column("name", String(200), nullable=False),
    Column("address1", String(200), nullable=False, default=""),
    Column("address2", String(200), nullable=False, default=""),
    Column("city", String(100), nullable=False, default=""),
    Column("state", String(40), nullable=False, default=""),
    Column("postal_code", String(20), nullable=False, default=""),
    Column("phone", String(40), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("since", Date),
    UniqueConstraint("party_id", "role"),
)


call_attempt = Table(
    "call_attempt",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("activity_id", BigInteger),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("outcome_class", String(30), nullable=False),
    Column("phone_type", String(10), nullable=False, default=""),
    Column("actor", String(100), nullable=False),
    Column("breach", String(300)),
    Index("ix_call_attempt_account_at", "account_id", "at"),
    Index("ix_call_attempt_at", "at"),
)


compliance_event = Table(
    "compliance_event",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(340), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("on", Date, nullable=False),
    Column("activity_key", String(300), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("verdict", String(12), nullable=False),
    Column("rule", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("until", DateTime(timezone=True)),
    Column("run_id", Integer),
    Index("ix_compliance_event_account", "account_id", "on"),
    Index("ix_compliance_event_on", "on", "rule"),
)


scheme_hold = Table(
    "scheme_hold",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id"), primary_key=True),
    Column("held_on", Date, nullable=False),
    Column("until", Date),
    Column("reason", String(300), nullable=False),
    Column("actor", String(100), nullable=False),
)


milestone_state = Table(
    "milestone_state",
    metadata,
    Column("account_id", Integer, ForeignKey("account.id"), primary_key=True),
    Column("scheme", String(40), nullable=False),
    Column("milestone", String(60)),
    Column("entered_on", Date, nullable=False),
    Column("reached_on", Date, nullable=False),
    Column("moved_on", Date, nullable=False),
    Column("entry_balance_cents", BigInteger, nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("last_move", String(30), nullable=False),
    Column("reason", String(300), nullable=False),
    Index("ix_milestone_state_scheme", "scheme", "milestone"),
)


promise = Table(
    "promise",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("account_id", Integer, ForeignKey("account.id"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("first_due", Date, nullable=False),
    Column("installment", Integer, nullable=False, default=0),
    Column("due_date", Date, nullable=False),
    Column("repeat_period", String(10)),
    Column("repeat_days", Integer),
    Column("grace_days", Integer, nullable=False, default=0),
    Column("advance", Boolean, nullable=False, default=False),
    Column("paid_cents", BigInteger, nullable=False, default=0),
    Column("status", String(10), nullable=False, default="open"),
    Column("collector", String(60), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("source", String(10), nullable=False),
    Column("activity_id", BigInteger().with_variant(Integer, "sqlite")),
    Column("created_on", Date, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("judged_on", Date),
    Column("ended_on", Date),
    Column("ended_by", String(10)),
    Index("ix_promise_status_account", "status", "account_id"),
    Index("ix_promise_status_due", "status", "due_date"),
)


promise_payment = Table(
    "promise_payment",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("promise_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("promise.id"), nullable=False),
    Column(
        "line_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("ledger_line.id"),
        nullable=False,
        index=True,
    ),
    Column("amount_cents", BigInteger, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("installment", Integer, nullable=False),
    Column("reversed", Boolean, nullable=False, default=False),
    UniqueConstraint("promise_id", "line_id"),
)


login = Table(
    "login",
    metadata,
    Column("login", String(60), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("portfolios", Text, nullable=False, default="[]"),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("last_failed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)


api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(60), ForeignKey("login.login"), nullable=False, index=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("scopes", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)


idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("login", String(60), nullable=False),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer),
    Column("body", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("login", "key"),
)


job = Table(
    "job",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("status", String(10), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("portfolio", String(40)),
    Column("params", Text, nullable=False),
    Column("result", Text),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("owner", String(100)),
    Column("owner_machine", String(80)),
    Column("lease_until", DateTime(timezone=True)),
)
