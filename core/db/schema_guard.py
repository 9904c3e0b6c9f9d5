"""Checks that every tenant-owned table is protected in the database itself.

Used by the test suite (and usable against a production database): each table with a
``tenant_id`` column must be mapped by a ``TenantOwned`` model, have ``tenant_id NOT NULL``, an
index leading with ``tenant_id``, and on PostgreSQL row-level security enabled, forced and
exactly the four tenant policies of :mod:`core.db.rls` (a ``FOR ALL`` policy beside them would
be joined to the read policy with OR).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import MetaData, UniqueConstraint, inspect, text
from sqlalchemy.engine import Connection

from core.db.rls import POLICIES


def tenant_schema_problems(connection: Connection, tenant_owned: set[str]) -> list[str]:
    """Problems found, one sentence each; an empty list means the schema is sound."""
    inspector = inspect(connection)
    problems: list[str] = []
    for table in sorted(inspector.get_table_names()):
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        if "tenant_id" not in columns:
            if table in tenant_owned:
                problems.append(f"{table}: tenant-owned model but no tenant_id column")
            continue
        if table not in tenant_owned:
            problems.append(f"{table}: has tenant_id but its model is not TenantOwned")
        if columns["tenant_id"]["nullable"]:
            problems.append(f"{table}: tenant_id is nullable")
        leading = [
            ix["column_names"][0] for ix in inspector.get_indexes(table) if ix["column_names"]
        ] + [
            uq["column_names"][0]
            for uq in inspector.get_unique_constraints(table)
            if uq["column_names"]
        ]
        if "tenant_id" not in leading:
            problems.append(f"{table}: no index leads with tenant_id")
        if connection.dialect.name == "postgresql":
            row = connection.execute(
                text(
                    "SELECT c.relrowsecurity, c.relforcerowsecurity, "
                    "ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid "
                    "ORDER BY 1) "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relname = :t"
                ),
                {"t": table},
            ).one()
            if not row[0]:
                problems.append(f"{table}: row-level security is not enabled")
            if not row[1]:
                problems.append(f"{table}: row-level security is not forced")
            if not row[2]:
                problems.append(f"{table}: no row-level security policy")
            elif sorted(row[2]) != sorted(POLICIES):
                problems.append(
                    f"{table}: row-level security policies {', '.join(row[2])}, not "
                    f"{', '.join(sorted(POLICIES))} (core/db/rls.py)"
                )
    return problems


def citus_key_gaps(
    metadata: MetaData, distributed_by: Mapping[str, str] | None = None
) -> list[str]:
    """What keeps the tables from being distributed on Citus (docs/deploy.md): each primary
    key, unique constraint or unique index of a distributed table that lacks its distribution
    column, and each foreign key to a tenant-owned table that does not pair that column with
    the parent's ``tenant_id``. The distributed tables: every tenant-owned one (by
    ``tenant_id``) and the shared tables of ``distributed_by`` (default
    :data:`core.db.citus.DISTRIBUTED_BY`: table -> its tenant column). A shared table pointing
    at a tenant-owned one must be one of those (Citus has no foreign key from a reference or
    coordinator table to a distributed one). One line each; empty when the schema is ready."""
    if distributed_by is None:
        from core.db.citus import DISTRIBUTED_BY

        distributed_by = DISTRIBUTED_BY
    owned = {t.name for t in metadata.tables.values() if "tenant_id" in t.c}
    gaps: list[str] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        column = "tenant_id" if table.name in owned else distributed_by.get(table.name)
        if column is not None:
            keys = [("primary key", list(table.primary_key.columns))]
            keys += [
                (f"unique constraint {c.name}", list(c.columns))
                for c in table.constraints
                if isinstance(c, UniqueConstraint)
            ]
            keys += [
                (f"unique index {ix.name}", list(ix.columns)) for ix in table.indexes if ix.unique
            ]
            for what, columns in keys:
                names = [c.name for c in columns]
                if column not in names:
                    gaps.append(f"{table.name}: {what} ({', '.join(names)}) lacks {column}")
        for fk in sorted(table.foreign_key_constraints, key=lambda f: list(f.column_keys)):
            target = fk.referred_table.name
            if target not in owned:
                continue
            names = [n for n in fk.column_keys if n != column]
            if column is None:
                gaps.append(
                    f"{table.name}: foreign key ({', '.join(names)}) -> {target}: a shared table "
                    "points at a tenant-owned one"
                )
            elif not any(
                e.parent.name == column and e.column.name == "tenant_id" for e in fk.elements
            ):
                gaps.append(
                    f"{table.name}: foreign key ({', '.join(names)}) -> {target} lacks {column}"
                )
    return gaps
