"""run lease (owner machine, token, expiry) and failure reason

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs of nullable columns: a run left "running" by an older version has no lease, which
    # counts as expired, so it can be resumed.
    op.add_column("run", sa.Column("owner_machine", sa.String(length=80), nullable=True))
    op.add_column("run", sa.Column("lease_token", sa.String(length=32), nullable=True))
    op.add_column("run", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("run", sa.Column("failure", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_column("failure")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_token")
        batch_op.drop_column("owner_machine")
