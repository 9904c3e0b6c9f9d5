"""PostgreSQL row-level security for tenant-owned tables, for use in hand-written migrations.

Every migration that creates a tenant-owned table calls :func:`enable_tenant_rls` for it (and
:func:`disable_tenant_rls` in its downgrade). Both do nothing on other dialects.

Four policies per table (migration 0028; docs/tenancy.md):

* ``tenant_read`` (SELECT): the row's tenant is in ``app.read_tenants`` when that is set - only
  :func:`core.db.tenant_scope.reading_tenants` sets it, for the partner's aggregate over every
  municipality that granted it - else it is ``app.tenant_id``;
* ``tenant_insert``, ``tenant_update``, ``tenant_delete``: the row's tenant is ``app.tenant_id``
  (before and after the change). ``reading_tenants`` sets ``app.tenant_id`` to nothing, so while
  several tenants are read the database refuses every write to a tenant-owned table.

One policy per command, not one ``FOR ALL`` policy and a second for reading: PostgreSQL joins
permissive policies of one command with OR, which made every ordinary read 40% slower in
``tests.benchmarks.bench_reports``; the array form of ``tenant_read`` measured the same as the
single tenant's equality (docs/reports.md, "Speed").
"""

from __future__ import annotations

from alembic import op

#: The single policy of migrations 0002-0027 (``FOR ALL``), dropped by migration 0028.
LEGACY_POLICY_NAME = "tenant_isolation"
TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"
#: The tenants as an array, in a scalar subquery: PostgreSQL works it out once per statement (an
#: InitPlan). Written inline, a filter would parse the text into an array again for every row -
#: 98 municipalities' ids per row made the partner's aggregate three times slower.
READ_PREDICATE = (
    "tenant_id = ANY(CAST((SELECT COALESCE(NULLIF(current_setting('app.read_tenants', true), ''), "
    "'{' || current_setting('app.tenant_id', true) || '}')::uuid[]) AS uuid[]))"
)
#: Name -> the policy's command and clauses.
POLICIES: dict[str, str] = {
    "tenant_read": f"FOR SELECT USING ({READ_PREDICATE})",
    "tenant_insert": f"FOR INSERT WITH CHECK ({TENANT_PREDICATE})",
    "tenant_update": f"FOR UPDATE USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})",
    "tenant_delete": f"FOR DELETE USING ({TENANT_PREDICATE})",
}


def _is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_tenant_policies(table: str) -> None:
    """(Re)create the four policies on ``table`` (RLS already enabled); PostgreSQL only."""
    if not _is_postgresql():
        return
    for name in (LEGACY_POLICY_NAME, *POLICIES):
        op.execute(f'DROP POLICY IF EXISTS {name} ON "{table}"')
    for name, clauses in POLICIES.items():
        op.execute(f'CREATE POLICY {name} ON "{table}" {clauses}')


def enable_tenant_rls(table: str) -> None:
    """Enable and force RLS on ``table`` with the tenant policies."""
    if not _is_postgresql():
        return
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    create_tenant_policies(table)


def disable_tenant_rls(table: str) -> None:
    """Undo :func:`enable_tenant_rls`."""
    if not _is_postgresql():
        return
    for name in (LEGACY_POLICY_NAME, *POLICIES):
        op.execute(f'DROP POLICY IF EXISTS {name} ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
