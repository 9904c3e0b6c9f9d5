"""identity audit partnerships enrolment

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:54:44.721105
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("tenant_slug", sa.String(length=60), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("route", sa.String(length=255), nullable=True),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("detail", JsonB, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_tenant_slug_at", ["tenant_slug", "at"], unique=False)

    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("principal", JsonB, nullable=False),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_session")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("mentee", "mentor", name="enrolment_role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_enrolment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_enrolment_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_enrolment_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolment_tenant_id"), ["tenant_id"], unique=False)
    enable_tenant_rls("enrolment")

    op.create_table(
        "programme_partnership",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("partner_tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "aggregate", "participants", name="partnership_scope", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("granted_by", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_tenant_id"],
            ["tenant.id"],
            name=op.f("fk_programme_partnership_owner_tenant_id_tenant"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_tenant_id"],
            ["tenant.id"],
            name=op.f("fk_programme_partnership_partner_tenant_id_tenant"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_partnership_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_partnership")),
    )
    with op.batch_alter_table("programme_partnership", schema=None) as batch_op:
        batch_op.create_index(
            "ix_programme_partnership_owner", ["owner_tenant_id", "programme_id"], unique=False
        )
        batch_op.create_index(
            "ix_programme_partnership_partner", ["partner_tenant_id"], unique=False
        )


def downgrade() -> None:
    disable_tenant_rls("enrolment")
    with op.batch_alter_table("programme_partnership", schema=None) as batch_op:
        batch_op.drop_index("ix_programme_partnership_partner")
        batch_op.drop_index("ix_programme_partnership_owner")

    op.drop_table("programme_partnership")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_tenant_id"))

    op.drop_table("enrolment")
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_expires_at"))

    op.drop_table("web_session")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_tenant_slug_at")

    op.drop_table("audit_event")
