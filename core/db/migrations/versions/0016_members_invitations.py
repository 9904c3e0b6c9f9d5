"""tenant_member and invitation: who has access to a tenant, and invitations by e-mail (issue 17)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30

An expand step: two new tenant-owned tables (RLS forced on PostgreSQL). Code from before this
revision does not read them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("send_error", sa.String(length=60), nullable=True),
        sa.Column("accepted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=600), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_invitation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_invitation_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
    )
    with op.batch_alter_table("invitation") as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "tenant_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=600), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=True),
        sa.Column("keycloak_roles", JsonB, nullable=False),
        sa.Column("removed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=255), nullable=True),
        sa.Column("invitation_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_tenant_member_invitation_id_invitation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_tenant_member_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_member")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", name=op.f("uq_tenant_member_tenant_id_user_id")
        ),
    )
    with op.batch_alter_table("tenant_member") as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_member_tenant_id"), ["tenant_id"], unique=False)
    enable_tenant_rls("invitation")
    enable_tenant_rls("tenant_member")


def downgrade() -> None:
    disable_tenant_rls("tenant_member")
    disable_tenant_rls("invitation")
    with op.batch_alter_table("tenant_member") as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_member_tenant_id"))
    op.drop_table("tenant_member")
    with op.batch_alter_table("invitation") as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_tenant_id"))
    op.drop_table("invitation")
