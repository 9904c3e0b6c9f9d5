#!/bin/bash
# Runs once, after 01-roles.sh, on the first start of an empty data directory, as the superuser.
# Creates the backup role: LOGIN, BYPASSRLS (forced row-level security would hide every
# tenant's rows from any other role), read-only (SELECT on every table and sequence, now and on
# the schemas and tables makker_owner creates later - the job queue's schema `procrastinate`,
# made by the first migration after this script, included). The same statements as
# `makker db create-backup-role` (core/db/roles.py; tests/test_deploy.py keeps the two equal).
# See docs/operations.md.
set -euo pipefail

: "${MAKKER_BACKUP_DB_PASSWORD:?MAKKER_BACKUP_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname makker \
  -v backup_password="$MAKKER_BACKUP_DB_PASSWORD" <<'SQL'
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'makker_backup') THEN CREATE ROLE makker_backup; END IF; END $$;
ALTER ROLE makker_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
ALTER ROLE makker_backup SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE "makker" TO makker_backup;
GRANT USAGE ON SCHEMA public TO makker_backup;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO makker_backup;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO makker_backup;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM makker_backup;
DO $$ BEGIN IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'procrastinate') THEN GRANT USAGE ON SCHEMA procrastinate TO makker_backup; GRANT SELECT ON ALL TABLES IN SCHEMA procrastinate TO makker_backup; GRANT SELECT ON ALL SEQUENCES IN SCHEMA procrastinate TO makker_backup; REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA procrastinate FROM makker_backup; END IF; END $$;
ALTER DEFAULT PRIVILEGES FOR ROLE makker_owner GRANT USAGE ON SCHEMAS TO makker_backup;
ALTER DEFAULT PRIVILEGES FOR ROLE makker_owner GRANT SELECT ON TABLES TO makker_backup;
ALTER DEFAULT PRIVILEGES FOR ROLE makker_owner GRANT SELECT ON SEQUENCES TO makker_backup;
ALTER ROLE makker_backup PASSWORD :'backup_password';
SQL
