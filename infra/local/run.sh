#!/usr/bin/env bash
# Runs the services as local processes against the PostgreSQL (and, for the services
# that use it, the RabbitMQ) given in the environment or on localhost.
#
#   run.sh up      build, start what is not running (so it also restarts a service that
#                  died), wait for /readyz, print the URLs
#   run.sh down    stop what `up` started (SIGTERM, then SIGKILL after 10 s)
#   run.sh status  what runs, with its pid and URL
#
# Pids and logs live under .run/ (git-ignored). Every variable of the calling
# environment (OTEL_*, RUST_LOG, LOG_FORMAT, RESERVATION_TTL_SECS, ...) reaches the
# processes. Per-service overrides: INVENTORY_DATABASE_URL, <SERVICE>_PORT.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="$ROOT/.run"
PROFILE="${PROFILE:-release}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"

INVENTORY_SERVICE_PORT="${INVENTORY_SERVICE_PORT:-3003}"
INVENTORY_API_PORT="${INVENTORY_API_PORT:-3001}"

# name, port, extra environment; in start order (a facade after the service it calls).
services() {
    echo "inventory-service $INVENTORY_SERVICE_PORT DATABASE_URL=${INVENTORY_DATABASE_URL:-$PG_URL/inventory}"
    echo "inventory-api $INVENTORY_API_PORT INVENTORY_SERVICE_URL=http://127.0.0.1:$INVENTORY_SERVICE_PORT"
}

say() { printf '%s\n' "$*"; }

alive() {
    local pidfile="$RUN_DIR/$1.pid"
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

wait_ready() {
    local name="$1" port="$2"
    for _ in $(seq 1 120); do
        if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
            return 0
        fi
        if ! alive "$name"; then
            say "!! $name exited; last lines of $RUN_DIR/logs/$name.log:"
            tail -n 20 "$RUN_DIR/logs/$name.log" || true
            return 1
        fi
        sleep 0.5
    done
    say "!! $name did not become ready within 60 s (see $RUN_DIR/logs/$name.log)"
    return 1
}

check_backends() {
    local pg_host_port="${PG_URL#*@}"
    pg_host_port="${pg_host_port%%/*}"
    if ! (exec 3<>"/dev/tcp/${pg_host_port%:*}/${pg_host_port#*:}") 2>/dev/null; then
        say "!! PostgreSQL does not answer at $pg_host_port."
        say "   Start it (Debian: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)"
        say "   or point PG_URL at one, then run this again."
        exit 1
    fi
}

up() {
    if [[ -S /var/run/docker.sock ]] || [[ -n "${DOCKER_HOST:-}" ]]; then
        say "-- a Docker engine is present, but this version runs the services as local processes."
    fi
    check_backends
    mkdir -p "$RUN_DIR/logs"
    say "-- building ($PROFILE)"
    if [[ "$PROFILE" == "release" ]]; then
        cargo build --release --bins --manifest-path "$ROOT/Cargo.toml"
    else
        cargo build --bins --manifest-path "$ROOT/Cargo.toml"
    fi
    local target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
    local bin_dir="$target_dir/$([[ "$PROFILE" == "release" ]] && echo release || echo debug)"

    while read -r name port env_kv; do
        if alive "$name"; then
            say "   $name already running (pid $(cat "$RUN_DIR/$name.pid"))"
            continue
        fi
        say "-- starting $name on :$port"
        # shellcheck disable=SC2086 # env_kv is one KEY=value word
        env PORT="$port" $env_kv nohup "$bin_dir/$name" >>"$RUN_DIR/logs/$name.log" 2>&1 &
        echo $! >"$RUN_DIR/$name.pid"
        wait_ready "$name" "$port"
    done < <(services)

    if command -v prometheus >/dev/null; then
        say "   (Prometheus is installed; scraping comes with the observability stack.)"
    fi
    say ""
    status
}

down() {
    [[ -d "$RUN_DIR" ]] || { say "nothing runs"; return 0; }
    for pidfile in "$RUN_DIR"/*.pid; do
        [[ -e "$pidfile" ]] || continue
        local name pid
        name="$(basename "$pidfile" .pid)"
        pid="$(cat "$pidfile")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
            say "-- stopped $name (pid $pid)"
        fi
        rm -f "$pidfile"
    done
}

status() {
    while read -r name port _; do
        if alive "$name"; then
            say "   $name  http://localhost:$port  (pid $(cat "$RUN_DIR/$name.pid"), log .run/logs/$name.log)"
        else
            say "   $name  not running"
        fi
    done < <(services)
    say ""
    say "   Try: curl -i http://localhost:$INVENTORY_API_PORT/inventory/ABC-1234-AB"
    say "        curl -s http://localhost:$INVENTORY_API_PORT/openapi.json"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) say "usage: $0 up|down|status"; exit 2 ;;
esac
