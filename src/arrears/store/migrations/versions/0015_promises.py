"""promises to pay: the promise and the payments counted toward it

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "promise",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("installment", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("repeat_period", sa.String(length=10), nullable=True),
        sa.Column("repeat_days", sa.Integer(), nullable=True),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("advance", sa.Boolean(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("collector", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("activity_id", ID, nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_promise_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise")),
        sa.UniqueConstraint("key", name=op.f("uq_promise_key")),
    )
    op.create_index("ix_promise_status_account", "promise", ["status", "account_id"])
    op.create_index("ix_promise_status_due", "promise", ["status", "due_date"])
    op.create_table(
        "promise_payment",
        sa.Column("id", ID, nullable=False),
        sa.Column("promise_id", ID, nullable=False),
        sa.Column("line_id", ID, nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("installment", sa.Integer(), nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["promise_id"], ["promise.id"], name=op.f("fk_promise_payment_promise_id_promise")),
        sa.ForeignKeyConstraint(["line_id"], ["ledger_line.id"], name=op.f("fk_promise_payment_line_id_ledger_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promise_payment")),
        sa.UniqueConstraint("promise_id", "line_id", name=op.f("uq_promise_payment_promise_id")),
    )
    op.create_index(op.f("ix_promise_payment_line_id"), "promise_payment", ["line_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_promise_payment_line_id"), table_name="promise_payment")
    op.drop_table("promise_payment")
    op.drop_index("ix_promise_status_due", table_name="promise")
    op.drop_index("ix_promise_status_account", table_name="promise")
    op.drop_table("promise")
