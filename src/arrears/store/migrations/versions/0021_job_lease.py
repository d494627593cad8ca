"""a background job's holder and lease: the server process that runs it, and until when it is known to be alive

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("job", sa.Column("owner", sa.String(length=100), nullable=True))
    op.add_column("job", sa.Column("owner_machine", sa.String(length=80), nullable=True))
    op.add_column("job", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("owner_machine")
        batch.drop_column("owner")
