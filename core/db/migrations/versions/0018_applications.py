"""Applications on the public programme page (issue 17): programme.public, the application
table (with RLS) and the enrolment status ``applied``

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30

An expand step: a nullable column, a new table and a wider status check. Code from before this
revision does not know the status ``applied``; it never writes one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = (
    "'interested', 'intake', 'eligible', 'ineligible', 'ready', 'matched', 'active', "
    "'finished', 'withdrawn'"
)


def upgrade() -> None:
    op.add_column("programme", sa.Column("public", JsonB, nullable=True))
    with op.batch_alter_table("enrolment") as batch_op:
        batch_op.drop_constraint(op.f("ck_enrolment_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_enrolment_status"), f"status IN ('applied', {_OLD_STATUSES})"
        )
    op.create_table(
        "application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("hope", sa.Text(), nullable=True),
        sa.Column("contact_consent_text", sa.Text(), nullable=False),
        sa.Column("contact_consent_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_application_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_application_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_application_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
    )
    with op.batch_alter_table("application") as batch_op:
        batch_op.create_index(batch_op.f("ix_application_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_application_tenant_enrolment", ["tenant_id", "enrolment_id"], unique=False
        )
        batch_op.create_index(
            "ix_application_tenant_fingerprint", ["tenant_id", "fingerprint"], unique=False
        )
    enable_tenant_rls("application")


def downgrade() -> None:
    disable_tenant_rls("application")
    op.drop_table("application")
    op.execute("DELETE FROM enrolment_event WHERE to_status = 'applied' OR from_status = 'applied'")
    op.execute("DELETE FROM enrolment WHERE status = 'applied'")
    with op.batch_alter_table("enrolment") as batch_op:
        batch_op.drop_constraint(op.f("ck_enrolment_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_enrolment_status"), f"status IN ({_OLD_STATUSES})"
        )
    op.execute("ALTER TABLE programme DROP COLUMN public")
