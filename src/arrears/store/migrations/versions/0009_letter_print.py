"""printed letters: the day, the page count and the PDF kept with the letter

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable columns: a letter queued before printing existed is simply not printed yet.
    op.add_column("letter", sa.Column("printed_on", sa.Date(), nullable=True))
    op.add_column("letter", sa.Column("pages", sa.Integer(), nullable=True))
    op.add_column("letter", sa.Column("pdf", sa.LargeBinary(), nullable=True))
    op.add_column("letter", sa.Column("pdf_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_column("pdf_sha256")
        batch_op.drop_column("pdf")
        batch_op.drop_column("pages")
        batch_op.drop_column("printed_on")
