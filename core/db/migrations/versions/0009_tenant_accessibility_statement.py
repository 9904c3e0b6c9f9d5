"""tenant.accessibility_statement_url: the organisation's published accessibility statement

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenant", sa.Column("accessibility_statement_url", sa.String(500), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL): a batch copy of ``tenant`` would have to
    # drop a table every tenant-owned table refers to.
    op.execute("ALTER TABLE tenant DROP COLUMN accessibility_statement_url")
