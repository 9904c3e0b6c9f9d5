"""The PostgreSQL roles around Makker's schema, and what each may do (docs/deploy.md).

* the **owner** (``makker_owner``) owns every table and runs migrations; forced row-level
  security binds it too, so it cannot take a complete backup;
* the **app** role (``MAKKER_DB_APP_ROLE``, ``makker_app``) gets DML on every table after every
  upgrade and after a restore (:func:`grant_app_role`), only SELECT on the migration tables,
  and on the audit log only INSERT and SELECT (plus UPDATE of the seal columns ``seq`` and
  ``hash``, which a trigger lets it set once; :mod:`core.audit.seal`);
* the **backup** role (``makker_backup``) is ``BYPASSRLS`` and read-only: SELECT on every
  table and sequence of ``public`` and of the job queue's schema ``procrastinate``, now and in
  future schemas and tables of the owner (:func:`backup_role_statements`).
"""

from __future__ import annotations

import re

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

ROLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DEFAULT_OWNER_ROLE = "makker_owner"
DEFAULT_BACKUP_ROLE = "makker_backup"
#: Tables only migrations write: the app role may read them (readiness), never change them.
MIGRATION_TABLES = ("alembic_version", "schema_compatibility")
#: The audit log (issue 15): the app role inserts and reads rows and seals them, nothing more.
AUDIT_TABLE = "audit_event"
AUDIT_SEAL_COLUMNS = ("seq", "hash")
#: Where the chain continues after retention (written by the owner only).
AUDIT_ANCHOR_TABLE = "audit_seal_anchor"
#: The PostgreSQL schema of the job queue (migration 0015).
QUEUE_SCHEMA = "procrastinate"


def check_role_name(role: str, what: str) -> str:
    if not ROLE_RE.match(role):
        raise ValueError(f"{what} is not a plain role name: {role!r}")
    return role


def grant_app_role(connection: Connection, role: str) -> None:
    """Give the app role DML on every table; it never owns a table, so FORCE'd RLS binds it."""
    check_role_name(role, "MAKKER_DB_APP_ROLE")
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    connection.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    )
    inspector = inspect(connection)
    for table in MIGRATION_TABLES:
        if inspector.has_table(table):
            connection.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {role}"))
    if AUDIT_TABLE in inspector.get_table_names():
        seal = [c["name"] for c in inspector.get_columns(AUDIT_TABLE)]
        connection.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {AUDIT_TABLE} FROM {role}"))
        if all(column in seal for column in AUDIT_SEAL_COLUMNS):
            columns = ", ".join(AUDIT_SEAL_COLUMNS)
            connection.execute(text(f"GRANT UPDATE ({columns}) ON {AUDIT_TABLE} TO {role}"))
    if inspector.has_table(AUDIT_ANCHOR_TABLE):
        connection.execute(
            text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {AUDIT_ANCHOR_TABLE} FROM {role}")
        )
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    if QUEUE_SCHEMA in inspector.get_schema_names():
        # The job queue (procrastinate, core/jobs): the worker's tables, types and functions.
        for statement in (
            f"GRANT USAGE ON SCHEMA {QUEUE_SCHEMA} TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {QUEUE_SCHEMA} "
            f"TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {QUEUE_SCHEMA} TO {role}",
            f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {QUEUE_SCHEMA} TO {role}",
        ):
            connection.execute(text(statement))


def backup_grant_statements(role: str, owner: str | None) -> list[str]:
    """What the backup role may read in the current database: every table and sequence of
    ``public`` and of the job queue's schema (:data:`QUEUE_SCHEMA`, when it exists), and (with
    ``owner``) every schema, table and sequence the owner creates later - so the queue's schema,
    made by migration 0015 after a backup role created on an empty database, is readable too.
    Run as a superuser, or as the owner with ``owner=None`` (``ALTER DEFAULT PRIVILEGES`` then
    applies to the current role)."""
    check_role_name(role, "the backup role")
    for_role = f"FOR ROLE {check_role_name(owner, 'the owner role')} " if owner else ""
    read_only = (
        "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA"
    )
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # read-only: whatever was granted before, no writing
        f"{read_only} public FROM {role}",
        # the job queue's schema (procrastinate), if the database has it already
        f"DO $$ BEGIN IF EXISTS (SELECT FROM pg_namespace WHERE nspname = '{QUEUE_SCHEMA}') "
        f"THEN GRANT USAGE ON SCHEMA {QUEUE_SCHEMA} TO {role}; "
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {QUEUE_SCHEMA} TO {role}; "
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {QUEUE_SCHEMA} TO {role}; "
        f"{read_only} {QUEUE_SCHEMA} FROM {role}; END IF; END $$",
        # later: every schema, table and sequence the owner creates, in any schema
        f"ALTER DEFAULT PRIVILEGES {for_role}GRANT USAGE ON SCHEMAS TO {role}",
        f"ALTER DEFAULT PRIVILEGES {for_role}GRANT SELECT ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES {for_role}GRANT SELECT ON SEQUENCES TO {role}",
    ]


def backup_role_statements(role: str, owner: str, database: str) -> list[str]:
    """Create or correct the backup role (idempotent; as a superuser, connected to the Makker
    database). The password is set separately (:data:`SET_PASSWORD`)."""
    check_role_name(role, "the backup role")
    if not re.match(r"^[A-Za-z0-9_-]{1,63}$", database):
        raise ValueError(f"not a plain database name: {database!r}")
    return [
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f"CREATE ROLE {role}; END IF; END $$",
        # BYPASSRLS: forced row-level security would otherwise hide (or, for pg_dump, refuse)
        # every tenant's rows. Nothing else: no superuser, no DDL, no replication.
        f"ALTER ROLE {role} LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION",
        # a second lock on the door: its sessions are read-only unless they ask otherwise
        f"ALTER ROLE {role} SET default_transaction_read_only = on",
        f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
        *backup_grant_statements(role, owner),
    ]


#: Sets a role's password without the password appearing in a statement's text (logs).
SET_PASSWORD = (
    "SELECT format('ALTER ROLE %I PASSWORD %L', CAST(:role AS text), CAST(:password AS text))"
)
