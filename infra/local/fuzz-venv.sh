#!/usr/bin/env bash
# Makes sure the pinned schemathesis that e2e/tests/fuzz.rs runs is installed, in a
# Python virtual environment of its own under target/, and prints the path of its
# `schemathesis` executable (the only line on stdout). Quiet when it already is.
#
#   infra/local/fuzz-venv.sh            create or repair target/fuzz-venv
#   FUZZ_VENV=/some/dir infra/local/fuzz-venv.sh
#
# Needs `python3 -m venv` (Debian: the python3-venv package) and PyPI.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${FUZZ_VENV:-$ROOT/target/fuzz-venv}"
BIN="$VENV/bin/schemathesis"

installed() {
    [[ -x "$BIN" ]] &&
        "$VENV/bin/python" -c 'import importlib.metadata as m, sys
sys.exit(m.version("schemathesis") != sys.argv[1])' "$SCHEMATHESIS_VERSION" 2>/dev/null
}

if ! installed; then
    mkdir -p "$(dirname "$VENV")"
    # One installer at a time; a second one waits, then finds it done.
    exec 9>"$VENV.lock"
    if command -v flock >/dev/null; then flock 9; fi
    if ! installed; then
        echo "fuzz-venv: installing schemathesis==$SCHEMATHESIS_VERSION into $VENV" >&2
        python3 -m venv --clear "$VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            "schemathesis==$SCHEMATHESIS_VERSION" >&2
        installed || { echo "fuzz-venv: schemathesis did not install in $VENV" >&2; exit 1; }
    fi
fi

echo "$BIN"
