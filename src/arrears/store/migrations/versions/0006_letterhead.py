"""letterhead: the portfolio's address, phone and logo, printed on its letters

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TEXT_COLUMNS = (("address1", 200), ("address2", 200), ("city", 100), ("state", 40), ("postal_code", 20),
                 ("phone", 40), ("logo_type", 40))  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("portfolio") as batch:
        for name, length in _TEXT_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
        batch.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portfolio") as batch:
        batch.drop_column("logo")
        for name, _ in reversed(_TEXT_COLUMNS):
            batch.drop_column(name)
