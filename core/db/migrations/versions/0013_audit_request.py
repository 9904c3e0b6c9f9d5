"""audit_event.request_id and audit_event.client_address (issue 20)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

An expand step: two nullable columns; code that does not know them writes rows without them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: older rows and rows written outside a request have neither.
    op.add_column("audit_event", sa.Column("request_id", sa.String(64), nullable=True))
    op.add_column("audit_event", sa.Column("client_address", sa.String(64), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL), as in 0009.
    op.execute("ALTER TABLE audit_event DROP COLUMN client_address")
    op.execute("ALTER TABLE audit_event DROP COLUMN request_id")
