"""participants: contact fields, enrolment status machine and history, intake, consent

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:24:33.243331
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("consent_text", "consent", "enrolment_event", "intake")


def upgrade() -> None:
    op.create_table(
        "consent_text",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_consent_text_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_consent_text_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_text")),
        sa.UniqueConstraint(
            "tenant_id",
            "programme_id",
            "version",
            name=op.f("uq_consent_text_tenant_id_programme_id_version"),
        ),
    )
    with op.batch_alter_table("consent_text", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_text_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("consent_text_id", sa.Uuid(), nullable=False),
        sa.Column("given_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("withdrawn_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("withdrawn_recorded_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_text_id"],
            ["consent_text.id"],
            name=op.f("fk_consent_consent_text_id_consent_text"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_consent_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_consent_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_tenant_enrolment", ["tenant_id", "enrolment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consent_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "enrolment_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=True),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_enrolment_event_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_enrolment_event_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_event")),
    )
    with op.batch_alter_table("enrolment_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrolment_event_tenant_enrolment", ["tenant_id", "enrolment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enrolment_event_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "intake",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("staff", sa.String(length=200), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=True),
        sa.Column("expectations", sa.Text(), nullable=True),
        sa.Column("wish_gender", sa.String(length=60), nullable=True),
        sa.Column("wish_age_min", sa.SmallInteger(), nullable=True),
        sa.Column("wish_age_max", sa.SmallInteger(), nullable=True),
        sa.Column("wish_activities", sa.Text(), nullable=True),
        sa.Column("wish_area", sa.String(length=200), nullable=True),
        sa.Column("lived_experience", JsonB, nullable=False),
        sa.Column("challenges", sa.Text(), nullable=True),
        sa.Column("chemistry_notes", sa.Text(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_intake_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_intake_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake")),
        sa.UniqueConstraint(
            "tenant_id", "enrolment_id", name=op.f("uq_intake_tenant_id_enrolment_id")
        ),
    )
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("override_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("override_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.create_index(
            "uq_enrolment_open",
            ["tenant_id", "person_id", "programme_id", "role"],
            unique=True,
            sqlite_where=sa.text("status NOT IN ('finished', 'withdrawn')"),
            postgresql_where=sa.text("status NOT IN ('finished', 'withdrawn')"),
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("postal_code", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("gender", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("languages", JsonB, nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("interests", JsonB, nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("availability", JsonB, nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("external_ref", sa.String(length=60), nullable=True))

    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_enrolment_status"),
            "status IN ('interested', 'intake', 'eligible', 'ineligible', 'ready', 'matched', "
            "'active', 'finished', 'withdrawn')",
        )
    for table in NEW_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in NEW_TABLES:
        disable_tenant_rls(table)
    if op.get_bind().dialect.name == "postgresql":
        # SQLite's batch mode rebuilds the table below without the (unreflected) CHECK.
        op.drop_constraint(op.f("ck_enrolment_status"), "enrolment", type_="check")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("external_ref")
        batch_op.drop_column("availability")
        batch_op.drop_column("interests")
        batch_op.drop_column("languages")
        batch_op.drop_column("gender")
        batch_op.drop_column("postal_code")
        batch_op.drop_column("address")
        batch_op.drop_column("email")
        batch_op.drop_column("phone")

    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_enrolment_open",
            sqlite_where=sa.text("status NOT IN ('finished', 'withdrawn')"),
            postgresql_where=sa.text("status NOT IN ('finished', 'withdrawn')"),
        )
        batch_op.drop_column("override_at")
        batch_op.drop_column("override_by")
        batch_op.drop_column("override_reason")

    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_tenant_id"))

    op.drop_table("intake")
    with op.batch_alter_table("enrolment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_event_tenant_id"))
        batch_op.drop_index("ix_enrolment_event_tenant_enrolment")

    op.drop_table("enrolment_event")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_tenant_id"))
        batch_op.drop_index("ix_consent_tenant_enrolment")

    op.drop_table("consent")
    with op.batch_alter_table("consent_text", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_text_tenant_id"))

    op.drop_table("consent_text")
