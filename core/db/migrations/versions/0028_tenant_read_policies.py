"""Row-level security per command: one read policy that may name several tenants (issue 14)

Every tenant-owned table had one ``FOR ALL`` policy, ``tenant_isolation``. It becomes four
(core/db/rls.py): ``tenant_read`` for SELECT - the row's tenant is in ``app.read_tenants`` when
that is set, else it is ``app.tenant_id`` - and ``tenant_insert``, ``tenant_update``,
``tenant_delete`` with the old predicate. Only ``core.db.tenant_scope.reading_tenants`` sets
``app.read_tenants`` (the partner's aggregate reads every granted municipality in one statement
instead of a round of statements per municipality, docs/reports.md "Speed"); it also sets
``app.tenant_id`` to nothing, so the database refuses writes while several tenants are read.
Without ``app.read_tenants`` the policies admit exactly what ``tenant_isolation`` admitted, so
older code runs on the new schema unchanged. PostgreSQL only; nothing to do on SQLite.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db.rls import LEGACY_POLICY_NAME, POLICIES, TENANT_PREDICATE, create_tenant_policies

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables_with(policies: Sequence[str]) -> list[str]:
    return list(
        op.get_bind()
        .execute(
            sa.text(
                "SELECT DISTINCT tablename FROM pg_policies "
                "WHERE schemaname = current_schema() AND policyname = ANY(:names) "
                "ORDER BY tablename"
            ),
            {"names": list(policies)},
        )
        .scalars()
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables_with([LEGACY_POLICY_NAME, *POLICIES]):
        create_tenant_policies(table)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables_with([LEGACY_POLICY_NAME, *POLICIES]):
        for name in (LEGACY_POLICY_NAME, *POLICIES):
            op.execute(f'DROP POLICY IF EXISTS {name} ON "{table}"')
        op.execute(
            f'CREATE POLICY {LEGACY_POLICY_NAME} ON "{table}" '
            f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
        )
