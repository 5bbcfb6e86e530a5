#!/usr/bin/env bash
# Creates one database per service (RENTEZY_DATABASES, space-separated) on the
# Compose stack's first start; the official postgres image runs the scripts of
# /docker-entrypoint-initdb.d once, on an empty data volume.
set -euo pipefail
for db in ${RENTEZY_DATABASES:?}; do
  echo "creating database $db"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
done
