"""foundation: portfolios, parties, accounts, ledger, claims, plans, summaries, audit

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entity", ["entity", "entity_key"], unique=False)

    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("address1", sa.String(length=200), nullable=False),
        sa.Column("address2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("deceased", sa.Boolean(), nullable=False),
        sa.Column("bankruptcy", sa.Boolean(), nullable=False),
        sa.Column("attorney_represented", sa.Boolean(), nullable=False),
        sa.Column("cease_communication", sa.Boolean(), nullable=False),
        sa.Column("dispute_date", sa.Date(), nullable=True),
        sa.Column("do_not_call", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party")),
    )
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_last_name"), ["last_name"], unique=False)

    op.create_table(
        "portfolio",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["portfolio.id"], name=op.f("fk_portfolio_parent_id_portfolio")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio")),
        sa.UniqueConstraint("code", name=op.f("uq_portfolio_code")),
    )
    # The enterprise is the root portfolio: enterprise-wide configuration hangs on it.
    portfolio = sa.table("portfolio", sa.column("code", sa.String), sa.column("name", sa.String))
    op.bulk_insert(portfolio, [{"code": "ENTERPRISE", "name": "Enterprise"}])

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("guarantor_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("status_code", sa.String(length=20), nullable=False),
        sa.Column("opened_date", sa.Date(), nullable=True),
        sa.Column("closed_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["guarantor_id"], ["party.id"], name=op.f("fk_account_guarantor_id_party")),
        sa.ForeignKeyConstraint(["portfolio_id"], ["portfolio.id"], name=op.f("fk_account_portfolio_id_portfolio")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("external_id", name=op.f("uq_account_external_id")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_guarantor_id"), ["guarantor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_portfolio_id"), ["portfolio_id"], unique=False)

    op.create_table(
        "phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_phone_party_id_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone")),
    )
    with op.batch_alter_table("phone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_party_id"), ["party_id"], unique=False)

    op.create_table(
        "account_summary",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("portfolio_id", sa.Integer(), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("oldest_unpaid_due", sa.Date(), nullable=True),
        sa.Column("last_payment_date", sa.Date(), nullable=True),
        sa.Column("last_payment_cents", sa.BigInteger(), nullable=True),
        sa.Column("last_guarantor_payment_date", sa.Date(), nullable=True),
        sa.Column("on_payment_plan", sa.Boolean(), nullable=False),
        sa.Column("plan_next_unpaid_due", sa.Date(), nullable=True),
        sa.Column("plan_grace_days", sa.Integer(), nullable=True),
        sa.Column("insurance_balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("oldest_open_claim_billed", sa.Date(), nullable=True),
        sa.Column("open_claim_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_account_summary_account_id_account")),
        sa.ForeignKeyConstraint(
            ["portfolio_id"], ["portfolio.id"], name=op.f("fk_account_summary_portfolio_id_portfolio")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_summary")),
    )
    with op.batch_alter_table("account_summary", schema=None) as batch_op:
        batch_op.create_index("ix_account_summary_portfolio_due", ["portfolio_id", "oldest_unpaid_due"], unique=False)

    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=200), nullable=False),
        sa.Column("billed_date", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_claim_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
        sa.UniqueConstraint("external_id", name=op.f("uq_claim_external_id")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_claim_status_billed", ["status", "billed_date"], unique=False)

    op.create_table(
        "ledger_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("posted_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=True),
        sa.Column("reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_ledger_line_account_id_account")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["ledger_line.id"], name=op.f("fk_ledger_line_reverses_id_ledger_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_line")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ledger_line_external_id")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_line_reverses_id")),
    )
    with op.batch_alter_table("ledger_line", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_line_account_posted", ["account_id", "posted_date", "id"], unique=False)
        batch_op.create_index("ix_ledger_line_kind_account", ["kind", "account_id", "posted_date"], unique=False)

    op.create_table(
        "payment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("installment_cents", sa.BigInteger(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("first_due_date", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("installments", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_payment_plan_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plan")),
        sa.UniqueConstraint("external_id", name=op.f("uq_payment_plan_external_id")),
    )
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_plan_account_id"), ["account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plan_account_id"))

    op.drop_table("payment_plan")
    with op.batch_alter_table("ledger_line", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_line_kind_account")
        batch_op.drop_index("ix_ledger_line_account_posted")

    op.drop_table("ledger_line")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_status_billed")
        batch_op.drop_index(batch_op.f("ix_claim_account_id"))

    op.drop_table("claim")
    with op.batch_alter_table("account_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_account_summary_portfolio_due")

    op.drop_table("account_summary")
    with op.batch_alter_table("phone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_party_id"))

    op.drop_table("phone")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_portfolio_id"))
        batch_op.drop_index(batch_op.f("ix_account_guarantor_id"))

    op.drop_table("account")
    op.drop_table("portfolio")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_last_name"))

    op.drop_table("party")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entity")

    op.drop_table("audit")
