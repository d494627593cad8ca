"""contact plan batches: progress, so that an interrupted batch resumes

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # done_through: the highest account id of the last chunk committed (the batch goes in account id order);
    # selection_key: what the batch runs (plan, date, selection, start date, user), to find it again on a rerun.
    with op.batch_alter_table("plan_batch") as batch:
        batch.add_column(sa.Column("done_through", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("selection_key", sa.String(length=64), nullable=True))
        batch.create_index("ix_plan_batch_selection_key", ["selection_key"])


def downgrade() -> None:
    with op.batch_alter_table("plan_batch") as batch:
        batch.drop_index("ix_plan_batch_selection_key")
        batch.drop_column("selection_key")
        batch.drop_column("done_through")
