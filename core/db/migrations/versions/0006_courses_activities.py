"""Mentor courses (hold), activities, calendar links (issue 7); RLS on the tenant-owned tables

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 20:25:35.747239
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "activity",
    "activity_attendance",
    "activity_cancellation",
    "activity_member",
    "course",
    "course_attendance",
    "course_participant",
    "course_session",
)


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "supervision",
                "cafe",
                "interest_group",
                "event",
                "info_meeting",
                name="activity_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=False),
        sa.Column("first_on", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column(
            "recurrence",
            sa.Enum(
                "none",
                "weekly",
                "monthly",
                name="activity_recurrence",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_activity_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_activity_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "calendar_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("owner_tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_tenant_id"], ["tenant.id"], name=op.f("fk_calendar_link_owner_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_calendar_link_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_link_token_hash")),
    )
    with op.batch_alter_table("calendar_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calendar_link_owner", ["owner_tenant_id", "person_id"], unique=False
        )

    op.create_table(
        "course",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_course_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_course_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
        sa.UniqueConstraint(
            "tenant_id",
            "programme_id",
            "number",
            name=op.f("uq_course_tenant_id_programme_id_number"),
        ),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "activity_attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_attendance_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_activity_attendance_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_activity_attendance_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_attendance")),
        sa.UniqueConstraint(
            "tenant_id",
            "activity_id",
            "day",
            "person_id",
            name=op.f("uq_activity_attendance_tenant_id_activity_id_day_person_id"),
        ),
    )
    with op.batch_alter_table("activity_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_attendance_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "activity_cancellation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_cancellation_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_activity_cancellation_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_cancellation")),
        sa.UniqueConstraint(
            "tenant_id",
            "activity_id",
            "day",
            name=op.f("uq_activity_cancellation_tenant_id_activity_id_day"),
        ),
    )
    with op.batch_alter_table("activity_cancellation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_cancellation_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "activity_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_member_activity_id_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_activity_member_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_activity_member_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_member")),
        sa.UniqueConstraint(
            "tenant_id",
            "activity_id",
            "person_id",
            name=op.f("uq_activity_member_tenant_id_activity_id_person_id"),
        ),
    )
    with op.batch_alter_table("activity_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_member_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "course_participant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_participant_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_course_participant_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_course_participant_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_participant")),
        sa.UniqueConstraint(
            "tenant_id",
            "course_id",
            "person_id",
            name=op.f("uq_course_participant_tenant_id_course_id_person_id"),
        ),
    )
    with op.batch_alter_table("course_participant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_participant_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "course_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_course_session_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_course_session_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_session")),
        sa.UniqueConstraint(
            "tenant_id",
            "course_id",
            "position",
            name=op.f("uq_course_session_tenant_id_course_id_position"),
        ),
    )
    with op.batch_alter_table("course_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_session_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index("ix_course_session_tenant_id_day", ["tenant_id", "day"], unique=False)

    op.create_table(
        "course_attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_course_attendance_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["course_session.id"],
            name=op.f("fk_course_attendance_session_id_course_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_course_attendance_tenant_id_tenant"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_attendance")),
        sa.UniqueConstraint(
            "tenant_id",
            "session_id",
            "person_id",
            name=op.f("uq_course_attendance_tenant_id_session_id_person_id"),
        ),
    )
    with op.batch_alter_table("course_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_attendance_tenant_id"), ["tenant_id"], unique=False
        )

    for table in TENANT_TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    with op.batch_alter_table("course_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_attendance_tenant_id"))

    op.drop_table("course_attendance")
    with op.batch_alter_table("course_session", schema=None) as batch_op:
        batch_op.drop_index("ix_course_session_tenant_id_day")
        batch_op.drop_index(batch_op.f("ix_course_session_tenant_id"))

    op.drop_table("course_session")
    with op.batch_alter_table("course_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_participant_tenant_id"))

    op.drop_table("course_participant")
    with op.batch_alter_table("activity_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_member_tenant_id"))

    op.drop_table("activity_member")
    with op.batch_alter_table("activity_cancellation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_cancellation_tenant_id"))

    op.drop_table("activity_cancellation")
    with op.batch_alter_table("activity_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_attendance_tenant_id"))

    op.drop_table("activity_attendance")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_tenant_id"))

    op.drop_table("course")
    with op.batch_alter_table("calendar_link", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_link_owner")

    op.drop_table("calendar_link")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_tenant_id"))

    op.drop_table("activity")
