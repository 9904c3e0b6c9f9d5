"""GDPR erasure and legal hold (issue 15, part C): ``person.erased_at``, table ``legal_hold``

An expand step: a new nullable column and a new table; older code ignores both.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("erased_at", DateTimeUTC(timezone=True), nullable=True))
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("lifted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_legal_hold_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_legal_hold_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    with op.batch_alter_table("legal_hold") as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_hold_tenant_id"), ["tenant_id"])
        batch_op.create_index(batch_op.f("ix_legal_hold_person_id"), ["person_id"])
    enable_tenant_rls("legal_hold")


def downgrade() -> None:
    disable_tenant_rls("legal_hold")
    op.drop_table("legal_hold")
    # Not batch_alter_table: on SQLite it recreates ``person``, and the ON DELETE CASCADE foreign
    # keys of the tables below (enrolment, intake, ...) would empty them. SQLite 3.35 and later
    # drop a column in place; PostgreSQL always does.
    op.execute("ALTER TABLE person DROP COLUMN erased_at")
