"""schema_compatibility: the oldest code revision the schema still runs (expand/contract)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

An expand step. After every upgrade and downgrade the migration environment writes the row
(core.db.schema_compat.record); readiness of code that does not know a newer revision reads it.
A later *contract* migration - one that removes or renames what older code still uses - sets
``breaks_code_before = "<revision>"`` at module level (docs/deploy.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schema_compatibility",
        sa.Column("oldest_code_revision", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("oldest_code_revision", name=op.f("pk_schema_compatibility")),
    )


def downgrade() -> None:
    op.drop_table("schema_compatibility")
