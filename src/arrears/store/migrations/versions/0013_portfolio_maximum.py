"""portfolio maximum: the largest amount a portfolio's accounts take (None: the enterprise's, else $10M)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portfolio") as batch:
        batch.add_column(sa.Column("maximum_amount_cents", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portfolio") as batch:
        batch.drop_column("maximum_amount_cents")
