"""compliance: party flag dates and representatives, the debt's medical and 501(r) facts, call attempts with
their outcome class, case hold reasons, letters addressed to a representative, and the release gate's log

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for name in ("bankruptcy_filed", "deceased_notified", "cease_requested", "dispute_verified"):
        op.add_column("party", sa.Column(name, sa.Date(), nullable=True))
    op.add_column("account", sa.Column("medical", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("account", sa.Column("original_balance_cents", sa.BigInteger(), nullable=True))
    for name in ("first_bill_date", "assistance_applied_on", "assistance_decided_on"):
        op.add_column("account", sa.Column(name, sa.Date(), nullable=True))
    op.add_column("collections_case", sa.Column("hold_reason", sa.String(length=300), nullable=True))
    op.add_column("letter", sa.Column("addressee", sa.String(length=30), nullable=False, server_default=""))
    op.create_table(
        "party_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address1", sa.String(length=200), nullable=False),
        sa.Column("address2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_party_role_party_id_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_role")),
        sa.UniqueConstraint("party_id", "role", name=op.f("uq_party_role_party_id")),
    )
    op.create_table(
        "call_attempt",
        sa.Column("id", _ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("outcome_class", sa.String(length=30), nullable=False),
        sa.Column("phone_type", sa.String(length=10), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("breach", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_call_attempt_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempt")),
    )
    op.create_index("ix_call_attempt_account_at", "call_attempt", ["account_id", "at"], unique=False)
    op.create_index("ix_call_attempt_at", "call_attempt", ["at"], unique=False)
    op.create_table(
        "compliance_event",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=340), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("activity_key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=12), nullable=False),
        sa.Column("rule", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_compliance_event_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_event")),
        sa.UniqueConstraint("key", name=op.f("uq_compliance_event_key")),
    )
    op.create_index("ix_compliance_event_on", "compliance_event", ["on", "rule"], unique=False)
    op.create_index("ix_compliance_event_account", "compliance_event", ["account_id", "on"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("the compliance schema cannot be downgraded: restore a backup instead")
