"""A message belongs to a programme (issue 21): notification.programme_id

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30

An expand step: a nullable column. A ``coordinate`` partner sees the messages of the
programmes it co-runs only (``core.tenancy.programme_scope``); a row without a programme - the
coordinators' digest, a reminder of an activity of the whole municipality, and every row
written before this revision (not backfilled: row-level security is forced on the migration's
role too) - is the municipality's alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.add_column(sa.Column("programme_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_programme_id_programme"),
            "programme",
            ["programme_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_programme_id_programme"), type_="foreignkey"
        )
        batch_op.drop_column("programme_id")
