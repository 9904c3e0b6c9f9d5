"""PostgreSQL row-level security for tenant-owned tables, for use in hand-written migrations.

Every migration that creates a tenant-owned table calls :func:`enable_tenant_rls` for it (and
:func:`disable_tenant_rls` in its downgrade). Both do nothing on other dialects.
"""

from __future__ import annotations

from alembic import op

POLICY_NAME = "tenant_isolation"
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def enable_tenant_rls(table: str) -> None:
    """Enable and force RLS on ``table`` with the tenant isolation policy."""
    if not _is_postgresql():
        return
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(
        f'CREATE POLICY {POLICY_NAME} ON "{table}" '
        f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
    )


def disable_tenant_rls(table: str) -> None:
    """Undo :func:`enable_tenant_rls`."""
    if not _is_postgresql():
        return
    op.execute(f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
