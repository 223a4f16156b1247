#!/usr/bin/env bash
# Drops what earlier test runs left behind: their `test_*` databases (each test creates
# its own), the end-to-end suite's `e2e-*` RabbitMQ virtual hosts, and the journal queues
# of the tests' broker prefixes (a journal never expires on its own). Only those older
# than an hour, so a run in progress elsewhere on the same servers keeps its own.
set -euo pipefail
ADMIN_URL="${TEST_DATABASE_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
if command -v psql >/dev/null; then
    psql "$ADMIN_URL" -qAt -v ON_ERROR_STOP=0 -c "
        SELECT datname FROM pg_database
         WHERE datname LIKE 'test\_%'
           AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '1 hour'" 2>/dev/null |
    while read -r db; do
        psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
fi

# Virtual hosts are named e2e-<scenario>-<unix seconds>-<random>.
RABBITMQCTL="${RABBITMQCTL:-rabbitmqctl}"
if command -v "${RABBITMQCTL%% *}" >/dev/null; then
    cutoff=$(( $(date +%s) - 3600 ))
    { $RABBITMQCTL -q list_vhosts name 2>/dev/null || true; } | { grep '^e2e-' || true; } |
    while read -r vhost; do
        created="$(awk -F- '{print $(NF-1)}' <<<"$vhost")"
        if [[ "$created" =~ ^[0-9]+$ ]] && (( created < cutoff )); then
            $RABBITMQCTL -q delete_vhost "$vhost" >/dev/null 2>&1 || true
        fi
    done
fi

# A test prefix ends in a UUID v7, whose first 12 hex digits are its time in milliseconds.
if command -v "${RABBITMQCTL%% *}" >/dev/null; then
    cutoff_ms=$(( ($(date +%s) - 3600) * 1000 ))
    { $RABBITMQCTL -q list_queues name 2>/dev/null || true; } |
        { grep -E '^test_.*_[0-9a-f]{32}\..*\.journal$' || true; } |
    while read -r queue; do
        uuid="$(grep -oE '[0-9a-f]{32}' <<<"$queue" | head -1)"
        if (( 16#${uuid:0:12} < cutoff_ms )); then
            $RABBITMQCTL -q delete_queue "$queue" >/dev/null 2>&1 || true
        fi
    done
fi
