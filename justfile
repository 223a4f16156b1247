# Inventory + order saga. `just` lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Build and start everything: the Compose stack where Docker runs, else local processes (see docs/runbooks/local.md).
up:
    infra/local/run.sh up

# Stop what `just up` started.
down:
    infra/local/run.sh down

# Install what is missing and start what is stopped: PostgreSQL, RabbitMQ and, for `test`, Python's venv (`up` and `test` run it themselves).
deps MODE="test":
    infra/local/deps.sh {{MODE}}

# What runs, and where.
status:
    infra/local/run.sh status

# Run every test: unit tests in memory; adapter, API and saga tests against PostgreSQL and RabbitMQ; the end-to-end scenarios with the four binaries and the schemathesis fuzz of both facades (docs/runbooks/e2e.md); the infra checks.
test:
    infra/local/deps.sh test
    infra/local/drop-test-leftovers.sh
    infra/local/fuzz-venv.sh >/dev/null
    infra/check.sh
    if cargo nextest --version >/dev/null 2>&1; then \
        cargo nextest run --workspace --no-fail-fast; \
        cargo nextest run --workspace --run-ignored only; \
    else \
        cargo test --workspace --no-fail-fast; \
        cargo test --workspace -- --ignored; \
    fi
    cargo test --workspace --doc

# Benchmark the running system and, in the same run, the PostgreSQL (pgbench) and RabbitMQ limits it is read against; figures go to bench/results/. Pass flags, e.g. `just bench --quick`.
bench *ARGS: up
    infra/local/run.sh build >/dev/null
    "${CARGO_TARGET_DIR:-target}/release/bench" {{ARGS}}

# Formatting and lints, as CI wants them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
