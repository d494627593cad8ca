"""credit reports: the accounts the run reported to the credit bureaus

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per report the release gate allowed: the balance of the day, and when it went into a bureau file.
    op.create_table(
        "credit_report",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("exported_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_credit_report_account_id_account")),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_credit_report_party_id_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_report")),
        sa.UniqueConstraint("key", name=op.f("uq_credit_report_key")),
    )
    op.create_index(op.f("ix_credit_report_account_id"), "credit_report", ["account_id"])
    op.create_index(op.f("ix_credit_report_on"), "credit_report", ["on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_report_on"), table_name="credit_report")
    op.drop_index(op.f("ix_credit_report_account_id"), table_name="credit_report")
    op.drop_table("credit_report")
