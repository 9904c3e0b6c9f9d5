"""Notifications and the job queue (issue 16): planned meetings, the outbox, contact
preferences, tenant.notifications and, on PostgreSQL, procrastinate's queue in its own schema

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

An expand step: three new tables (with RLS), a column with a default, and a schema
(``procrastinate``) that only the worker uses. The queue's tables, types and functions are the
ones of the procrastinate release in the lock files (``SchemaManager.get_schema()``), created in
the schema ``procrastinate`` so that they stay apart from Makker's tables: the app role gets
DML on them with every upgrade (core/db/roles.py). SQLite has no queue: the app runs the jobs
itself (docs/notifications.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_SCHEMA = "procrastinate"
_KINDS = (
    "'meeting_reminder', 'meeting_cancelled', 'proposal_waiting', 'questionnaire_due', "
    "'course_session', 'activity', 'digest'"
)
_STATES = "'pending', 'claimed', 'handing_over', 'sent', 'failed', 'uncertain', 'withdrawn'"


def _common(_table: str) -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
    ]


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenant.id"], name=op.f(f"fk_{table}_tenant_id_tenant"), ondelete="RESTRICT"
    )


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "planned_meeting",
        *_common("planned_meeting"),
        sa.Column("forloeb_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("planned_as", sa.String(length=20), nullable=False),
        sa.Column("planned_by", sa.String(length=255), nullable=False),
        sa.Column("cancelled_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("cancelled_as", sa.String(length=20), nullable=True),
        sa.Column("cancelled_by", sa.String(length=255), nullable=True),
        *_stamps(),
        _fk("planned_meeting", "forloeb_id", "forloeb"),
        _tenant_fk("planned_meeting"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_meeting")),
    )
    with op.batch_alter_table("planned_meeting") as batch_op:
        batch_op.create_index(batch_op.f("ix_planned_meeting_tenant_id"), ["tenant_id"])
        batch_op.create_index(
            "ix_planned_meeting_tenant_id_forloeb_id_starts_at",
            ["tenant_id", "forloeb_id", "starts_at"],
        )

    op.create_table(
        "notification",
        *_common("notification"),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("lease_until", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("read_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("transport", sa.String(length=30), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        *_stamps(),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'page')", name=op.f("ck_notification_channel")
        ),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name=op.f("ck_notification_kind")),
        sa.CheckConstraint(f"status IN ({_STATES})", name=op.f("ck_notification_status")),
        _fk("notification", "person_id", "person"),
        _tenant_fk("notification"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "tenant_id",
            "idempotency_key",
            name=op.f("uq_notification_tenant_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("notification") as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_tenant_id"), ["tenant_id"])
        batch_op.create_index("ix_notification_tenant_id_person_id", ["tenant_id", "person_id"])
        batch_op.create_index(
            "ix_notification_tenant_id_status_due_at", ["tenant_id", "status", "due_at"]
        )

    op.create_table(
        "contact_preference",
        *_common("contact_preference"),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("consent_given_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("consent_withdrawn_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("channels", JsonB, nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=True),
        sa.Column("quiet_to", sa.Time(), nullable=True),
        *_stamps(),
        _fk("contact_preference", "person_id", "person"),
        _tenant_fk("contact_preference"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_preference")),
        sa.UniqueConstraint(
            "tenant_id", "person_id", name=op.f("uq_contact_preference_tenant_id_person_id")
        ),
    )
    with op.batch_alter_table("contact_preference") as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_preference_tenant_id"), ["tenant_id"])

    for table in ("planned_meeting", "notification", "contact_preference"):
        enable_tenant_rls(table)

    # Plain ALTER TABLE ADD COLUMN: a batch copy of `tenant` would drop a referenced table.
    op.add_column(
        "tenant", sa.Column("notifications", JsonB, nullable=False, server_default=sa.text("'{}'"))
    )

    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager
        from sqlalchemy.util import await_only

        op.execute(f"CREATE SCHEMA {QUEUE_SCHEMA}")
        op.execute(f"SET LOCAL search_path TO {QUEUE_SCHEMA}")
        # Many statements in one script: asyncpg runs them with the simple query protocol, in
        # the migration's transaction.
        driver = op.get_bind().connection.driver_connection
        await_only(driver.execute(SchemaManager.get_schema()))  # type: ignore[union-attr]
        op.execute("SET LOCAL search_path TO public")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA {QUEUE_SCHEMA} CASCADE")
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL), as in 0013: a batch copy of `tenant`
    # would have to drop a table every other table refers to.
    op.execute("ALTER TABLE tenant DROP COLUMN notifications")
    for table in ("contact_preference", "notification", "planned_meeting"):
        disable_tenant_rls(table)
        op.drop_table(table)
