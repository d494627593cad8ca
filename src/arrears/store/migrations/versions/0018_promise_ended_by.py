"""promises: what ended one without a verdict, so that reopening an account revives what its closing cancelled

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ended_by: 'close' (the account's closing cancelled it), 'plan' (a plan's delete all pending contacts);
    # null while it stands or when it was judged (kept, broken, completed).
    with op.batch_alter_table("promise") as batch:
        batch.add_column(sa.Column("ended_by", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promise") as batch:
        batch.drop_column("ended_by")
