"""Forløb (proposals, history, pauses, meetings) with RLS; intake fields for matching (issue 6)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("forloeb", "forloeb_event", "forloeb_pause", "meeting")


def upgrade() -> None:
    op.create_table(
        "forloeb",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("mentee_enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("mentor_enrolment_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("strategy", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", JsonB, nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("proposed_by", sa.String(length=255), nullable=False),
        sa.Column("mentee_accepted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("mentee_accepted_by", sa.String(length=255), nullable=True),
        sa.Column("mentor_accepted_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("mentor_accepted_by", sa.String(length=255), nullable=True),
        sa.Column("frequency", sa.String(length=40), nullable=False),
        sa.Column("planned_months", sa.SmallInteger(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('proposed', 'active', 'paused', 'completed', 'ended_early', 'declined')",
            name=op.f("ck_forloeb_state"),
        ),
        sa.CheckConstraint(
            "mentee_enrolment_id <> mentor_enrolment_id", name=op.f("ck_forloeb_two_people")
        ),
        sa.ForeignKeyConstraint(
            ["mentee_enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_forloeb_mentee_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_enrolment_id"],
            ["enrolment.id"],
            name=op.f("fk_forloeb_mentor_enrolment_id_enrolment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_forloeb_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_forloeb_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forloeb")),
    )
    with op.batch_alter_table("forloeb", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forloeb_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_forloeb_tenant_id_mentor_enrolment_id",
            ["tenant_id", "mentor_enrolment_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_forloeb_tenant_id_programme_id_state",
            ["tenant_id", "programme_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            "uq_forloeb_open_mentee",
            ["tenant_id", "mentee_enrolment_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('proposed', 'active', 'paused')"),
            postgresql_where=sa.text("state IN ('proposed', 'active', 'paused')"),
        )

    op.create_table(
        "forloeb_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("forloeb_id", sa.Uuid(), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["forloeb_id"],
            ["forloeb.id"],
            name=op.f("fk_forloeb_event_forloeb_id_forloeb"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_forloeb_event_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forloeb_event")),
    )
    with op.batch_alter_table("forloeb_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forloeb_event_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_forloeb_event_tenant_id_forloeb_id", ["tenant_id", "forloeb_id"], unique=False
        )

    op.create_table(
        "forloeb_pause",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("forloeb_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("planned_resume", sa.Date(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["forloeb_id"],
            ["forloeb.id"],
            name=op.f("fk_forloeb_pause_forloeb_id_forloeb"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_forloeb_pause_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forloeb_pause")),
    )
    with op.batch_alter_table("forloeb_pause", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forloeb_pause_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_forloeb_pause_tenant_id_forloeb_id", ["tenant_id", "forloeb_id"], unique=False
        )

    op.create_table(
        "meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("forloeb_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("logged_as", sa.String(length=20), nullable=False),
        sa.Column("logged_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "activity IN ('gaatur', 'cafe', 'sport', 'biograf', 'indkoeb', 'andet')",
            name=op.f("ck_meeting_activity"),
        ),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR (duration_minutes > 0 AND duration_minutes <= 720)",
            name=op.f("ck_meeting_duration"),
        ),
        sa.ForeignKeyConstraint(
            ["forloeb_id"],
            ["forloeb.id"],
            name=op.f("fk_meeting_forloeb_id_forloeb"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_meeting_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_meeting_tenant_id_forloeb_id_day", ["tenant_id", "forloeb_id", "day"], unique=False
        )

    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "wish_gender_required", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("wish_age_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("capacity", sa.SmallInteger(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    with op.batch_alter_table("intake", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("capacity")
        batch_op.drop_column("wish_age_required")
        batch_op.drop_column("wish_gender_required")

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_tenant_id_forloeb_id_day")
        batch_op.drop_index(batch_op.f("ix_meeting_tenant_id"))

    op.drop_table("meeting")
    with op.batch_alter_table("forloeb_pause", schema=None) as batch_op:
        batch_op.drop_index("ix_forloeb_pause_tenant_id_forloeb_id")
        batch_op.drop_index(batch_op.f("ix_forloeb_pause_tenant_id"))

    op.drop_table("forloeb_pause")
    with op.batch_alter_table("forloeb_event", schema=None) as batch_op:
        batch_op.drop_index("ix_forloeb_event_tenant_id_forloeb_id")
        batch_op.drop_index(batch_op.f("ix_forloeb_event_tenant_id"))

    op.drop_table("forloeb_event")
    with op.batch_alter_table("forloeb", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_forloeb_open_mentee",
            sqlite_where=sa.text("state IN ('proposed', 'active', 'paused')"),
            postgresql_where=sa.text("state IN ('proposed', 'active', 'paused')"),
        )
        batch_op.drop_index("ix_forloeb_tenant_id_programme_id_state")
        batch_op.drop_index("ix_forloeb_tenant_id_mentor_enrolment_id")
        batch_op.drop_index(batch_op.f("ix_forloeb_tenant_id"))

    op.drop_table("forloeb")
