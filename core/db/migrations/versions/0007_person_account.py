"""person.account: the sign-in (principal user id, ``iss#sub``) linked to a person

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("account", sa.String(length=600), nullable=True))
        batch.create_unique_constraint(
            batch.f("uq_person_tenant_id_account"), ["tenant_id", "account"]
        )


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint(batch.f("uq_person_tenant_id_account"), type_="unique")
        batch.drop_column("account")
