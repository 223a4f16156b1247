#!/usr/bin/env bash
# Starts and stops the system. Where a Docker engine answers and `docker compose` works,
# that is the Compose stack of infra/docker-compose.yml (services, PostgreSQL, RabbitMQ,
# Prometheus, Grafana, Tempo). Elsewhere the services run as local processes against the
# PostgreSQL (and, for the services that use it, the RabbitMQ) given in the environment
# or on localhost, with a local Prometheus when its binary is installed.
#
#   run.sh up      build, apply the broker's definitions (local processes), start what
#                  is not running (so it also restarts a service that died), wait for
#                  /readyz, print the URLs
#   run.sh down    stop what `up` started (SIGTERM, then SIGKILL after 10 s)
#   run.sh status  what runs, with its pid and URL
#   run.sh build   build the binaries `up` runs and the bench (what `up` builds first)
#
# Local processes: pids and logs live under .run/ (git-ignored); every variable of the
# calling environment (OTEL_*, RUST_LOG, LOG_FORMAT, RESERVATION_TTL_SECS, ...) reaches
# the processes. Per-service overrides: INVENTORY_DATABASE_URL, <SERVICE>_PORT.
# Compose: the variables the Compose file names (RUST_LOG, ADMIN_API_KEY,
# RESERVATION_TTL_SECS, COMPOSE_PROFILES, ...) reach the containers.
# RUN_MODE=native runs local processes even where Docker runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="$ROOT/.run"
PROFILE="${PROFILE:-release}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"

INVENTORY_SERVICE_PORT="${INVENTORY_SERVICE_PORT:-3003}"
INVENTORY_API_PORT="${INVENTORY_API_PORT:-3001}"
ORDER_SERVICE_PORT="${ORDER_SERVICE_PORT:-3002}"
ORDER_API_PORT="${ORDER_API_PORT:-3000}"
# The services and the bench, in one selection: one resolution of features, so `just up`
# and `just bench` share one build and neither compiles a dependency the other did. Not
# the whole workspace: that would also resolve the test fixtures' features
# (Testcontainers' TLS) into the services' binaries.
BUILD_PACKAGES="-p inventory-service -p inventory-api -p order-service -p order-api -p bench"
# Fixed: prometheus.local.yml scrapes Prometheus itself there.
PROMETHEUS_PORT=9090
COMPOSE_FILE="$ROOT/infra/docker-compose.yml"

# name, port, extra environment; in start order (a facade after the service it calls).
services() {
    echo "inventory-service $INVENTORY_SERVICE_PORT DATABASE_URL=${INVENTORY_DATABASE_URL:-$PG_URL/inventory}"
    echo "inventory-api $INVENTORY_API_PORT INVENTORY_SERVICE_URL=http://127.0.0.1:$INVENTORY_SERVICE_PORT AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
    echo "order-service $ORDER_SERVICE_PORT DATABASE_URL=${ORDER_DATABASE_URL:-$PG_URL/orders}"
    echo "order-api $ORDER_API_PORT ORDER_SERVICE_URL=http://127.0.0.1:$ORDER_SERVICE_PORT INVENTORY_API_URL=http://127.0.0.1:$INVENTORY_API_PORT"
}

say() { printf '%s\n' "$*"; }

# True while the process runs. A process killed but not yet reaped by its parent (a
# zombie, state Z) still answers `kill -0`, yet is dead: `kill -9` followed at once by
# `up` must restart it, not call it "already running".
running() {
    local pid="$1" state=""
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/stat" ]]; then
        # The state follows the command name, which is in parentheses and may hold spaces.
        state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
    else
        state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
    fi
    state="${state//[[:space:]]/}"
    [[ "$state" != Z* ]]
}

alive() {
    local pidfile="$RUN_DIR/$1.pid"
    [[ -f "$pidfile" ]] && running "$(cat "$pidfile")"
}

wait_ready() {
    local name="$1" port="$2" path="${3:-/readyz}"
    for _ in $(seq 1 120); do
        if curl -fsS "http://127.0.0.1:$port$path" >/dev/null 2>&1; then
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

build() {
    say "-- building ($PROFILE)"
    # shellcheck disable=SC2086 # the package flags are split on purpose
    if [[ "$PROFILE" == "release" ]]; then
        cargo build --release $BUILD_PACKAGES --manifest-path "$ROOT/Cargo.toml"
    else
        cargo build $BUILD_PACKAGES --manifest-path "$ROOT/Cargo.toml"
    fi
}

# The broker's definitions (infra/rabbitmq/definitions.json: the exchanges, each
# consumer's queue with its retries and DLQ, the journals, the bindings) go in before
# any service starts, so an event published before its consumer first ran already has a
# queue. Without them nothing is lost, but events wait in their outbox until the
# consumer has started and declared its queue. Never fatal.
apply_definitions() {
    local file="$ROOT/infra/rabbitmq/definitions.json"
    local ctl="${RABBITMQCTL:-rabbitmqctl}"
    local host="${AMQP_URL:-amqp://127.0.0.1:5672/%2f}"
    host="${host#*://}"; host="${host##*@}"; host="${host%%/*}"; host="${host%:*}"
    if [[ "$host" != 127.0.0.1 && "$host" != localhost && "$host" != "[::1]" ]]; then
        say "!! broker definitions NOT applied: AMQP_URL names $host, and rabbitmqctl reaches only"
        say "   this machine's node. Apply them there: rabbitmqctl import_definitions infra/rabbitmq/definitions.json"
        return 0
    fi
    if ! command -v "${ctl%% *}" >/dev/null; then
        say "!! broker definitions NOT applied: rabbitmqctl is not installed. Each service declares"
        say "   its own queue when it starts; until then events for it wait in the outbox"
        say "   (outbox_unroutable_total). By hand: rabbitmqctl import_definitions infra/rabbitmq/definitions.json"
        return 0
    fi
    # shellcheck disable=SC2086 # RABBITMQCTL may carry arguments (sudo, -n node)
    if $ctl -q import_definitions "$file" >"$RUN_DIR/logs/definitions.log" 2>&1; then
        say "-- broker definitions applied (infra/rabbitmq/definitions.json)"
    else
        say "!! broker definitions NOT applied: \`rabbitmqctl import_definitions\` failed (is the node"
        say "   running, may this user reach it?). Last lines of .run/logs/definitions.log:"
        tail -n 5 "$RUN_DIR/logs/definitions.log" | sed 's/^/   /' || true
        say "   The services still start; events for a queue not declared yet wait in the outbox."
    fi
}

# True where a Docker engine answers and the Compose plugin works.
compose_usable() {
    [[ "${RUN_MODE:-auto}" != native ]] || return 1
    command -v docker >/dev/null || return 1
    timeout 20 docker info >/dev/null 2>&1 || return 1
    docker compose version >/dev/null 2>&1
}

KEYS_FILE="$RUN_DIR/keys.env"

compose() {
    if [[ -f "$KEYS_FILE" ]]; then
        docker compose -f "$COMPOSE_FILE" --env-file "$KEYS_FILE" "$@"
    else
        docker compose -f "$COMPOSE_FILE" "$@"
    fi
}

# A random key: 32 hex characters from the kernel's generator.
new_key() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# The Compose stack's keys, generated once into .run/keys.env (git-ignored, owner-only)
# and kept across runs; variables already set in the environment win over the file.
ensure_keys() {
    if [[ ! -f "$KEYS_FILE" ]]; then
        mkdir -p "$RUN_DIR"
        local shop ops saga
        shop="$(new_key)" ops="$(new_key)" saga="$(new_key)"
        (
            umask 077
            {
                echo "# Generated by just up on $(date -u +%FT%TZ). Keep it secret; see docs/security.md."
                echo "# The facades' callers (name:key:scopes): a shop that checks out, an operator"
                echo "# who manages stock, and order-api itself (the saga)."
                echo "API_KEYS=\"shop:$shop:checkout;ops:$ops:stock+reserve;order-api:$saga:saga\""
                echo "SHOP_API_KEY=$shop"
                echo "OPS_API_KEY=$ops"
                echo "SAGA_API_KEY=$saga"
                echo "ORDER_SERVICE_API_KEY=$(new_key)"
                echo "ADMIN_API_KEY=$(new_key)"
            } >"$KEYS_FILE"
        )
        say "-- generated the stack's keys into $KEYS_FILE"
    fi
    say "   keys: $KEYS_FILE (send one as x-api-key, e.g. after \`source $KEYS_FILE\`:"
    say "         curl -H \"x-api-key: \$OPS_API_KEY\" -X POST http://localhost:3001/inventory ...)"
}

up_compose() {
    say "-- Docker engine found: starting the Compose stack${COMPOSE_PROFILES:+ (profiles: $COMPOSE_PROFILES)}"
    ensure_keys
    if ! compose up -d --build --wait; then
        say "!! the stack did not become healthy; see: docker compose -f infra/docker-compose.yml logs <service>"
        compose ps
        exit 1
    fi
    say ""
    status_compose
}

status_compose() {
    compose ps
    say ""
    say "   Grafana     http://localhost:${GRAFANA_HOST_PORT:-3030}  (dashboards; anonymous view, admin/admin to edit)"
    say "   Prometheus  http://localhost:${PROMETHEUS_HOST_PORT:-9090}"
    say "   Tempo       http://localhost:${TEMPO_HOST_PORT:-3200}  (OTLP in on 4317 gRPC, 4318 HTTP)"
    say "   RabbitMQ    http://localhost:${RABBITMQ_UI_HOST_PORT:-15672} (guest/guest)"
    say "   Try: curl -i http://localhost:$INVENTORY_API_PORT/inventory/ABC-1234-AB"
    say "   Changes need a key from $KEYS_FILE (header x-api-key); reads are public."
}

# A local Prometheus scraping the local services, when the binary is installed. Not
# starting it is reported, never fatal: the services run without it.
start_prometheus() {
    if ! command -v prometheus >/dev/null; then
        say "   Prometheus not started: \`apt-get install prometheus\` (Debian) to scrape the local services; Grafana and Tempo need the Compose stack (a Docker engine)"
        return 0
    fi
    if alive prometheus; then
        say "   prometheus already running (pid $(cat "$RUN_DIR/prometheus.pid"))"
        return 0
    fi
    if curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; then
        say "   Prometheus not started: another one already answers on :$PROMETHEUS_PORT"
        return 0
    fi
    say "-- starting prometheus on :$PROMETHEUS_PORT"
    mkdir -p "$RUN_DIR/prometheus"
    nohup prometheus \
        --config.file="$ROOT/infra/prometheus/prometheus.local.yml" \
        --storage.tsdb.path="$RUN_DIR/prometheus" \
        --storage.tsdb.retention.time=2d \
        --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
        >>"$RUN_DIR/logs/prometheus.log" 2>&1 &
    echo $! >"$RUN_DIR/prometheus.pid"
    wait_ready prometheus "$PROMETHEUS_PORT" /-/ready \
        || say "   Prometheus not started (see .run/logs/prometheus.log); the services run without it"
}

up() {
    if compose_usable; then
        up_compose
        return
    fi
    if [[ -S /var/run/docker.sock ]] || [[ -n "${DOCKER_HOST:-}" ]]; then
        say "-- a Docker engine is configured but \`docker info\` or \`docker compose\` fails: running local processes."
    fi
    # PostgreSQL and RabbitMQ: started if stopped, installed if missing (where allowed).
    "$ROOT/infra/local/deps.sh" up
    mkdir -p "$RUN_DIR/logs"
    build
    local target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
    local bin_dir="$target_dir/$([[ "$PROFILE" == "release" ]] && echo release || echo debug)"
    apply_definitions

    while read -r name port env_kv; do
        if alive "$name"; then
            say "   $name already running (pid $(cat "$RUN_DIR/$name.pid"))"
            continue
        fi
        say "-- starting $name on :$port"
        # shellcheck disable=SC2086 # env_kv is KEY=value words, split on purpose
        env PORT="$port" $env_kv nohup "$bin_dir/$name" >>"$RUN_DIR/logs/$name.log" 2>&1 &
        echo $! >"$RUN_DIR/$name.pid"
        wait_ready "$name" "$port"
    done < <(services)

    start_prometheus
    say ""
    status
}

down() {
    if compose_usable; then
        say "-- stopping the Compose stack (data volumes are kept)"
        compose down --remove-orphans
    fi
    [[ -d "$RUN_DIR" ]] || { say "no local processes"; return 0; }
    for pidfile in "$RUN_DIR"/*.pid; do
        [[ -e "$pidfile" ]] || continue
        local name pid
        name="$(basename "$pidfile" .pid)"
        pid="$(cat "$pidfile")"
        if running "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
            running "$pid" && kill -KILL "$pid" 2>/dev/null || true
            say "-- stopped $name (pid $pid)"
        fi
        rm -f "$pidfile"
    done
}

status() {
    if compose_usable; then
        status_compose
        compgen -G "$RUN_DIR/*.pid" >/dev/null || return 0
        say ""
        say "   Local processes:"
    fi
    while read -r name port _; do
        if alive "$name"; then
            say "   $name  http://localhost:$port  (pid $(cat "$RUN_DIR/$name.pid"), log .run/logs/$name.log)"
        else
            say "   $name  not running"
        fi
    done < <(services)
    if alive prometheus; then
        say "   prometheus  http://localhost:$PROMETHEUS_PORT  (pid $(cat "$RUN_DIR/prometheus.pid"), log .run/logs/prometheus.log)"
    elif command -v prometheus >/dev/null; then
        say "   prometheus  not running"
    else
        say "   prometheus  not installed (apt-get install prometheus)"
    fi
    say ""
    say "   Try: curl -i http://localhost:$INVENTORY_API_PORT/inventory/ABC-1234-AB"
    say "        curl -s http://localhost:$INVENTORY_API_PORT/openapi.json"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    build) build ;;
    *) say "usage: $0 up|down|status|build"; exit 2 ;;
esac
