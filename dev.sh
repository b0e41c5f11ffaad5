#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv from uv.lock, then runs a job.
#   ./dev.sh demo    set up, then run the main job on generated demo data in demo_output/ (demo exports,
#                    ingest into the embedded store, both reports through Prefect's ephemeral mode)
#   ./dev.sh test    set up, then run the whole test suite
#   ./dev.sh bench   set up (with benchmark extras), then run the benchmarks
#   ./dev.sh setup   only set up
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    echo "dev.sh: Python 3.11, 3.12 or 3.13 not found (set PYTHON=/path/to/python3)" >&2
    return 1
}

setup() {
    local extras=(--extra dev)
    [ "${1:-}" = bench ] && extras+=(--extra bench)
    if [ ! -x .venv/bin/uv ]; then
        local py; py=$(find_python)
        "$py" -m venv .venv
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.8"
    fi
    # --inexact keeps uv itself, which lives in the same environment.
    # Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set, every process would otherwise
    # recompile pandas, scipy and scikit-learn from source (seconds per start).
    UV_PYTHON_DOWNLOADS=never .venv/bin/uv sync --quiet --frozen --inexact --compile-bytecode "${extras[@]}" --python .venv/bin/python
}

# The report browser test drives Debian's headless Chromium; CI runs as root on a fresh machine.
browser() {
    if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "dev.sh: installing Debian's chromium for the browser test" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
            echo "dev.sh: could not install chromium; the browser test will be skipped" >&2
    fi
}

# Prefect runs in ephemeral mode inside the project, offline, without telemetry.
export PREFECT_HOME="$PWD/.prefect"
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export DO_NOT_TRACK=1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=120

cmd=${1:-demo}
shift || true
case "$cmd" in
    setup) setup ;;
    demo)  setup; .venv/bin/cs-toolkit demo --out demo_output "$@" ;;
    test)  setup; browser; .venv/bin/python -m pytest -n 2 "$@" ;;
    bench) setup bench; for b in bench/bench_*.py; do .venv/bin/python "$b" "$@"; done ;;
    *) echo "usage: ./dev.sh {demo|test|bench|setup}" >&2; exit 2 ;;
esac
