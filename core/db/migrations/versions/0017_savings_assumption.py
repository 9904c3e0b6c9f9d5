"""savings_assumption: versions of a programme's savings assumptions, with RLS (issue 14)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_assumption",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("support_hours_per_fortnight", sa.Float(), nullable=False),
        sa.Column("hourly_cost", sa.Integer(), nullable=False),
        sa.Column("share_otherwise_supported_percent", sa.SmallInteger(), nullable=False),
        sa.Column("coordinator_hours_per_week", sa.Float(), nullable=False),
        sa.Column("coordinator_hourly_cost", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("changed_by_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('file', 'edit')", name=op.f("ck_savings_assumption_source")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_savings_assumption_version")),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_savings_assumption_programme_id_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_savings_assumption_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_assumption")),
        sa.UniqueConstraint(
            "tenant_id",
            "programme_id",
            "version",
            name=op.f("uq_savings_assumption_tenant_id_programme_id_version"),
        ),
    )
    with op.batch_alter_table("savings_assumption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_savings_assumption_tenant_id"), ["tenant_id"], unique=False
        )
    enable_tenant_rls("savings_assumption")


def downgrade() -> None:
    disable_tenant_rls("savings_assumption")
    op.drop_table("savings_assumption")
