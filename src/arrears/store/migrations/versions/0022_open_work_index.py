"""the open activities' index in the worklist's order, covering what orders its first page

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_index(
        "ix_activity_open_order", "activity", ["kind", "due_date", "priority", "due_at", "assignee", "account_id"],
        sqlite_where=OPEN, postgresql_where=OPEN,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_activity_open_order", table_name="activity")
