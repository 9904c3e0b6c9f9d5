"""questionnaire_response: outcome questionnaire answers, versioned, with RLS (issue 13)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_response",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("forloeb_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("instrument", sa.String(length=60), nullable=False),
        sa.Column("instrument_version", sa.String(length=20), nullable=False),
        sa.Column("occasion", sa.String(length=140), nullable=False),
        sa.Column("occasion_kind", sa.String(length=20), nullable=False),
        sa.Column("occasion_date", sa.Date(), nullable=False),
        sa.Column("answers", JsonB, nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("entered_as", sa.String(length=20), nullable=False),
        sa.Column("entered_by", sa.String(length=255), nullable=False),
        sa.Column("submitted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('mentee', 'mentor')", name=op.f("ck_questionnaire_response_role")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted')", name=op.f("ck_questionnaire_response_status")
        ),
        sa.CheckConstraint(
            "entered_as IN ('self', 'conversation')",
            name=op.f("ck_questionnaire_response_entered_as"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_questionnaire_response_version")),
        sa.ForeignKeyConstraint(
            ["forloeb_id"],
            ["forloeb.id"],
            name=op.f("fk_questionnaire_response_forloeb_id_forloeb"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_questionnaire_response_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_questionnaire_response_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_response")),
    )
    with op.batch_alter_table("questionnaire_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_questionnaire_response_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_questionnaire_response_tenant_id_person_id",
            ["tenant_id", "person_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_questionnaire_response_occasion_version",
            ["tenant_id", "forloeb_id", "occasion", "version"],
            unique=True,
        )
    enable_tenant_rls("questionnaire_response")


def downgrade() -> None:
    disable_tenant_rls("questionnaire_response")
    op.drop_table("questionnaire_response")
