"""collections cases, activities, letters, notes, history, runs

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
        sa.UniqueConstraint("scope", "as_of", name=op.f("uq_run_scope")),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=10), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("series", sa.String(length=100), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=60), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_time", sa.String(length=8), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("no_auto_delete", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_activity_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("key", name=op.f("uq_activity_key")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index("ix_activity_account", ["account_id", "status"], unique=False)
        batch_op.create_index("ix_activity_due", ["released", "account_id", "due_date"], unique=False)
        batch_op.create_index("ix_activity_worklist", ["status", "assignee", "due_date"], unique=False)

    op.create_table(
        "collections_case",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=10), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("entry_reason", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=60), nullable=False),
        sa.Column("assignment_rule", sa.Integer(), nullable=True),
        sa.Column("work", sa.String(length=100), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_collections_case_account_id_account")),
        sa.PrimaryKeyConstraint("account_id", "track", name=op.f("pk_collections_case")),
    )
    with op.batch_alter_table("collections_case", schema=None) as batch_op:
        batch_op.create_index("ix_collections_case_status", ["status"], unique=False)

    op.create_table(
        "history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_history_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
        sa.UniqueConstraint("key", name=op.f("uq_history_key")),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_account_id"), ["account_id"], unique=False)

    op.create_table(
        "letter",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("queued_on", sa.Date(), nullable=False),
        sa.Column("merge_data", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_letter_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter")),
        sa.UniqueConstraint("key", name=op.f("uq_letter_key")),
    )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_letter_status", ["status", "queued_on"], unique=False)

    op.create_table(
        "note",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("note_type", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_note_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
        sa.UniqueConstraint("key", name=op.f("uq_note_key")),
    )
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_account_id"), ["account_id"], unique=False)

    op.create_table(
        "run_chunk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_account", sa.Integer(), nullable=False),
        sa.Column("last_account", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_run_chunk_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_chunk")),
    )
    with op.batch_alter_table("run_chunk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_chunk_run_id"), ["run_id"], unique=False)

    # A plain ADD COLUMN: on SQLite a batch operation would copy the account table under its foreign keys.
    op.add_column("account", sa.Column("statement_hold", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_table("run_chunk")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("statement_hold")

    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_account_id"))

    op.drop_table("note")
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_status")
        batch_op.drop_index(batch_op.f("ix_letter_account_id"))

    op.drop_table("letter")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_account_id"))

    op.drop_table("history")
    with op.batch_alter_table("collections_case", schema=None) as batch_op:
        batch_op.drop_index("ix_collections_case_status")

    op.drop_table("collections_case")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_worklist")
        batch_op.drop_index("ix_activity_due")
        batch_op.drop_index("ix_activity_account")

    op.drop_table("activity")
    op.drop_table("run")
