#!/usr/bin/env bash
# Makes sure what `just up` (local processes) and `just test` need is there and running:
# PostgreSQL and RabbitMQ on this machine (and, for `test`, Python's venv module, which
# the fuzz test's schemathesis lives in). Starts what is installed but stopped; installs
# what is missing through apt-get when it may (root, or sudo without a password); else
# prints the one command that does, and fails.
#
#   deps.sh up      PostgreSQL and RabbitMQ
#   deps.sh test    the same, and python3-venv
#
# A server already listening on 127.0.0.1:5432 or :5672 is used as it is (a package, a
# container, started by hand); for tests, a running Docker engine stands in for
# PostgreSQL (Testcontainers). Servers elsewhere: point PG_URL (for `up`),
# TEST_DATABASE_URL or DATABASE_URL (for `test`) and AMQP_URL at them, and nothing is
# installed or started here. DEPS=skip skips every check.
set -euo pipefail

MODE="${1:-up}"
say() { printf -- '-- deps: %s\n' "$*"; }
fail() { printf -- '!! deps: %s\n' "$*" >&2; exit 1; }

[[ "${DEPS:-}" == skip ]] && exit 0

# The host named by a URL (scheme://user:pass@host:port/...).
url_host() {
    local rest="${1#*://}"
    rest="${rest##*@}"
    rest="${rest%%/*}"
    echo "${rest%:*}"
}
local_host() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == "[::1]" ]]; }

# Runs a command as root: directly, or through sudo when it needs no password.
as_root() {
    if [[ "$(id -u)" == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

APT_UPDATED=""
install() {
    local package="$1"
    if ! command -v apt-get >/dev/null; then
        fail "$package is missing and this is not a Debian-like system: install $package and run this again"
    fi
    say "installing $package"
    if [[ -z "$APT_UPDATED" ]]; then
        as_root apt-get update -qq || fail "installing $package needs root: sudo apt-get install -y $package"
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null \
        || fail "installing $package needs root: sudo apt-get install -y $package"
}

# True when something accepts connections on 127.0.0.1:<port>.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
    local what="$1"; shift
    for _ in $(seq 1 60); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    fail "$what did not come up within 60 s"
}

postgres() {
    local url="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
    if [[ "$MODE" == test ]]; then
        url="${TEST_DATABASE_URL:-${DATABASE_URL:-$url}}"
    fi
    local host
    host="$(url_host "$url")"
    local_host "$host" || return 0
    # Already served here, however it was started (a package, a container, by hand).
    listening 5432 && return 0
    # Tests fall back to a Testcontainers PostgreSQL where a Docker engine runs.
    if [[ "$MODE" == test ]] && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
        return 0
    fi
    if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
        install postgresql
    fi
    pg_isready -q -h 127.0.0.1 -p 5432 && return 0
    say "starting PostgreSQL"
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
        || fail "PostgreSQL is stopped; start it: sudo pg_ctlcluster $version main start"
    wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
}

rabbitmq() {
    local host
    host="$(url_host "${AMQP_URL:-amqp://127.0.0.1:5672/%2f}")"
    local_host "$host" || return 0
    listening 5672 && return 0
    command -v rabbitmq-server >/dev/null || install rabbitmq-server
    rabbitmq-diagnostics -q ping >/dev/null 2>&1 && return 0
    say "starting RabbitMQ"
    as_root rabbitmq-server -detached >/dev/null 2>&1 \
        || fail "RabbitMQ is stopped; start it: sudo rabbitmq-server -detached"
    wait_for RabbitMQ rabbitmq-diagnostics -q ping
}

python_venv() {
    local probe
    probe="$(mktemp -d)"
    if ! python3 -m venv "$probe/venv" >/dev/null 2>&1; then
        install python3-venv
    fi
    rm -rf "$probe"
}

postgres
rabbitmq
if [[ "$MODE" == test ]]; then
    python_venv
fi
