"""milestone schemes: where each account stands in its scheme

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per account: the scheme it is in (or left), the milestone and the anchors the rule recomputes from.
    op.create_table(
        "milestone_state",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=40), nullable=False),
        sa.Column("milestone", sa.String(length=60), nullable=True),
        sa.Column("entered_on", sa.Date(), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("entry_balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("last_move", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_milestone_state_account_id_account")),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_milestone_state")),
    )
    op.create_index("ix_milestone_state_scheme", "milestone_state", ["scheme", "milestone"])


def downgrade() -> None:
    op.drop_index("ix_milestone_state_scheme", table_name="milestone_state")
    op.drop_table("milestone_state")
