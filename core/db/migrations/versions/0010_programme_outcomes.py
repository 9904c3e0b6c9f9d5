"""programme.outcomes: the outcome questionnaire schedules of the tenant file

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import JsonB
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing programmes have no schedule until ``makker tenants sync`` writes one.
    op.add_column(
        "programme",
        sa.Column("outcomes", JsonB, nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ and PostgreSQL), as in 0009.
    op.execute("ALTER TABLE programme DROP COLUMN outcomes")
