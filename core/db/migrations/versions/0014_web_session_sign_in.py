"""web_session.user_id and web_session.sid: end every session of a sign-in at once (issues 17, 20)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

An expand step: two nullable, indexed columns. Code from before this revision writes sessions
without them; code from this revision on refuses such a session (its holder signs in again),
so a session that cannot be ended by sign-in or by Keycloak session id never lasts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_session") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=600), nullable=True))
        batch.add_column(sa.Column("sid", sa.String(length=255), nullable=True))
        batch.create_index(batch.f("ix_web_session_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_web_session_sid"), ["sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_session") as batch:
        batch.drop_index(batch.f("ix_web_session_sid"))
        batch.drop_index(batch.f("ix_web_session_user_id"))
        batch.drop_column("sid")
        batch.drop_column("user_id")
