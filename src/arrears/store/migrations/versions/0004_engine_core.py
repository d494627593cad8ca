"""engine core: case episodes, explicit activity states and origins, timed work, typed effect tables

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _keyed_table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f(f"fk_{name}_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("key", name=op.f(f"uq_{name}_key")),
    )
    op.create_index(op.f(f"ix_{name}_account_id"), name, ["account_id"], unique=False)


def _case_episodes() -> None:
    """One row per episode instead of one per account and track (the primary key changes: copy the table)."""
    op.drop_index("ix_collections_case_status", table_name="collections_case")
    op.rename_table("collections_case", "collections_case_old")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX pk_collections_case RENAME TO pk_collections_case_old")
        op.execute(
            "ALTER TABLE collections_case_old RENAME CONSTRAINT fk_collections_case_account_id_account "
            "TO fk_collections_case_old_account_id_account"
        )
    op.create_table(
        "collections_case",
        sa.Column("id", _ID, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=10), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("anchor_due", sa.Date(), nullable=True),
        sa.Column("entry_reason", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=60), nullable=False),
        sa.Column("assignment_rule", sa.Integer(), nullable=True),
        sa.Column("work", sa.String(length=100), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_collections_case_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections_case")),
        sa.UniqueConstraint("account_id", "track", "episode", name=op.f("uq_collections_case_account_id")),
    )
    op.execute(
        "INSERT INTO collections_case (account_id, track, episode, is_current, status, entered_on, entry_reason, "
        "assignee, assignment_rule, work, closed_on, close_reason) "
        "SELECT account_id, track, episode, TRUE, status, entered_on, entry_reason, assignee, assignment_rule, work, "
        "closed_on, close_reason FROM collections_case_old"
    )
    op.drop_table("collections_case_old")
    op.create_index("ix_collections_case_status", "collections_case", ["status"], unique=False)
    op.create_index(
        "ix_collections_case_current",
        "collections_case",
        ["account_id", "track"],
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    )


def _activity_states() -> None:
    """pending + released → open, pending → scheduled; origins; the series' referral is a real kind."""
    op.add_column("activity", sa.Column("origin", sa.String(length=20), nullable=False, server_default="action"))
    for name, kind in (
        ("origin_ref", sa.String(length=300)),
        ("due_at", sa.DateTime(timezone=True)),
        ("created_on", sa.Date()),
        ("released_on", sa.Date()),
        ("cancelled_on", sa.Date()),
        ("hold_reason", sa.String(length=300)),
    ):
        op.add_column("activity", sa.Column(name, kind, nullable=True))
    op.execute(
        "UPDATE activity SET status = CASE WHEN status = 'pending' AND released THEN 'open' "
        "WHEN status = 'pending' THEN 'scheduled' ELSE status END, "
        "origin = CASE WHEN series IS NULL THEN 'action' ELSE 'series_step' END, "
        "released_on = CASE WHEN released THEN COALESCE(done_on, due_date) END"
    )
    op.execute("UPDATE activity SET kind = 'external_referral', action = '' WHERE kind = 'external_collections'")
    op.drop_index("ix_activity_due", table_name="activity")
    with op.batch_alter_table("activity") as batch_op:
        batch_op.drop_column("released")
        batch_op.drop_column("due_time")
    op.create_index("ix_activity_due", "activity", ["status", "account_id", "due_date"], unique=False)


def upgrade() -> None:
    _case_episodes()
    _activity_states()
    _keyed_table(
        "referral",
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("exported_on", sa.Date(), nullable=True),
    )
    _keyed_table(
        "alert",
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cleared_on", sa.Date(), nullable=True),
    )
    _keyed_table(
        "service_request",
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
    )
    _keyed_table(
        "plan_request",
        sa.Column("plan", sa.String(length=40), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
    )
    op.create_table(
        "credit_point",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_credit_point_account_id_account")),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_credit_point_party_id_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_point")),
        sa.UniqueConstraint("key", name=op.f("uq_credit_point_key")),
    )
    op.create_index(op.f("ix_credit_point_party_id"), "credit_point", ["party_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("the engine-core schema cannot be downgraded: restore a backup instead")
