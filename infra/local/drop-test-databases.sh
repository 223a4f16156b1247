#!/usr/bin/env bash
# Drops the databases that earlier test runs left behind (each test creates its own
# `test_*` database). Only those older than an hour, so a run in progress elsewhere on
# the same server keeps its own.
set -euo pipefail
ADMIN_URL="${TEST_DATABASE_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
command -v psql >/dev/null || exit 0
psql "$ADMIN_URL" -qAt -v ON_ERROR_STOP=0 -c "
    SELECT datname FROM pg_database
     WHERE datname LIKE 'test\_%'
       AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '1 hour'" 2>/dev/null |
while read -r db; do
    psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
done
