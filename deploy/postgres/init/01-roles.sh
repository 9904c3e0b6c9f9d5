#!/bin/bash
# Runs once, on the first start of an empty data directory (docker-entrypoint-initdb.d), as the
# superuser. Creates the two Makker roles and the database (see docs/tenancy.md, docs/deploy.md):
#   makker_owner  owns the database and, through migrations, every table. Migrations run as it.
#   makker_app    what the app connects as: not an owner, NOSUPERUSER NOBYPASSRLS, so the
#                 FORCE'd row-level security policies bind it. `makker db upgrade` grants it DML.
# Passwords come from the environment (deploy/.env); psql's :'var' quotes them as literals.
set -euo pipefail

: "${MAKKER_OWNER_DB_PASSWORD:?MAKKER_OWNER_DB_PASSWORD must be set}"
: "${MAKKER_APP_DB_PASSWORD:?MAKKER_APP_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v owner_password="$MAKKER_OWNER_DB_PASSWORD" \
  -v app_password="$MAKKER_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE makker_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
  PASSWORD :'owner_password';
CREATE ROLE makker_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
  PASSWORD :'app_password';
CREATE DATABASE makker OWNER makker_owner;
REVOKE ALL ON DATABASE makker FROM PUBLIC;
GRANT CONNECT ON DATABASE makker TO makker_owner, makker_app;

\connect makker
-- The owner creates the schema objects; the app role may only use them (grants come from
-- `makker db upgrade` with MAKKER_DB_APP_ROLE=makker_app).
ALTER SCHEMA public OWNER TO makker_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO makker_app;
SQL
