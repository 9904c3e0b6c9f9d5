"""initial schema: tenant, programme, person

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC, JsonB
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
    ]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenant.id"],
        name=op.f(f"fk_{table}_tenant_id_tenant"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.create_table(
        "tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("municipality", "partner", name="tenant_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("municipality_code", sa.String(length=3), nullable=True),
        sa.Column("plugins", JsonB, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenant_slug")),
    )
    op.create_table(
        "programme",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("areas", JsonB, nullable=False),
        sa.Column("policy", JsonB, nullable=False),
        sa.Column("plugins", JsonB, nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("archived_at", DateTimeUTC(timezone=True), nullable=True),
        *_timestamps(),
        _tenant_fk("programme"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
        sa.UniqueConstraint("tenant_id", "slug", name=op.f("uq_programme_tenant_id_slug")),
    )
    op.create_index(op.f("ix_programme_tenant_id"), "programme", ["tenant_id"])
    op.create_table(
        "person",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        *_timestamps(),
        _tenant_fk("person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    op.create_index(op.f("ix_person_tenant_id"), "person", ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_person_tenant_id"), table_name="person")
    op.drop_table("person")
    op.drop_index(op.f("ix_programme_tenant_id"), table_name="programme")
    op.drop_table("programme")
    op.drop_table("tenant")
