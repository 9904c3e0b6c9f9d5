"""The language a person's messages are written in (issue 16): contact_preference.language

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30

An expand step: a nullable column. ``en`` writes the person's messages from the English
templates; ``NULL`` (every row before this revision) and ``da`` the Danish ones. The command
that stores choices accepts only these two (core/notifications/commands.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_preference") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_preference") as batch_op:
        batch_op.drop_column("language")
