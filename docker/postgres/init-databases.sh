#!/bin/sh
# One database and one login role per service (DESIGN §6: each service owns its data).
# Run once by the postgres image on an empty data directory (/docker-entrypoint-initdb.d/).
# Passwords come from CONSENT_DB_PASSWORD, COFFRE_DB_PASSWORD, NOTIFY_DB_PASSWORD.
set -eu

for service in consent coffre notify; do
    var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$var" || true)"
    if [ -z "$password" ]; then
        echo "init-databases: $var is not set" >&2
        exit 1
    fi
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v name="$service" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
