"""milestone schemes: a hold on an account's place in its scheme

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per held account: from which day, until which day (null: until released), why and by whom.
    op.create_table(
        "scheme_hold",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_scheme_hold_account_id_account")),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_scheme_hold")),
    )


def downgrade() -> None:
    op.drop_table("scheme_hold")
