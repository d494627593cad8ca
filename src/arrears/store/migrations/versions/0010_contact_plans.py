"""contact plans: a promise's amount on its activity, the account's commission rate, plan batch records

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activity", sa.Column("amount_cents", sa.BigInteger(), nullable=True))
    op.add_column("account", sa.Column("commission_basis_points", sa.Integer(), nullable=True))
    op.create_table(
        "plan_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=7), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("selection", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("skipped_closed", sa.Text(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_batch")),
    )


def downgrade() -> None:
    op.drop_table("plan_batch")
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("commission_basis_points")
    with op.batch_alter_table("activity") as batch_op:
        batch_op.drop_column("amount_cents")
