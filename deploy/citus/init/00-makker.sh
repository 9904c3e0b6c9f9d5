#!/bin/bash
# The coordinator's first start (docker-entrypoint-initdb.d, after the image's own scripts have
# created the citus extension in "makker"): register the workers, then make Makker's roles -
# Citus propagates CREATE ROLE and GRANT to the nodes already registered. The same roles as
# deploy/postgres/init/01-roles.sh; the database exists already (POSTGRES_DB). NOT RUN HERE.
set -euo pipefail

: "${MAKKER_OWNER_DB_PASSWORD:?MAKKER_OWNER_DB_PASSWORD must be set}"
: "${MAKKER_APP_DB_PASSWORD:?MAKKER_APP_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname makker \
  -v owner_password="$MAKKER_OWNER_DB_PASSWORD" \
  -v app_password="$MAKKER_APP_DB_PASSWORD" <<'SQL'
SELECT citus_set_coordinator_host('coordinator', 5432);
SELECT citus_add_node('worker-1', 5432);
SELECT citus_add_node('worker-2', 5432);
CREATE ROLE makker_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
  PASSWORD :'owner_password';
CREATE ROLE makker_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
  PASSWORD :'app_password';
ALTER DATABASE makker OWNER TO makker_owner;
REVOKE ALL ON DATABASE makker FROM PUBLIC;
GRANT CONNECT ON DATABASE makker TO makker_owner, makker_app;
ALTER SCHEMA public OWNER TO makker_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO makker_app;
SQL
