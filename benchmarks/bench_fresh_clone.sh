#!/usr/bin/env bash
# Fresh-clone benchmark: on a new clone (no .venv), time
#   1. `make run` from start until http://127.0.0.1:PORT/_stcore/health answers "ok"
#      (venv creation + `pip install -e .` + migrate + Streamlit start), then stop it;
#   2. `make test` (installs the dev extras into the same venv, then the whole suite).
#
# `git clone` copies COMMITTED work only: commit first, uncommitted changes are not measured.
# pip's cache (~/.cache/pip) is used as usual; set PIP_NO_CACHE_DIR=1 for a cold install.
# Without /usr/bin/chromium the e2e tests are skipped (unless CI is set, then they fail).
#
# Usage: benchmarks/bench_fresh_clone.sh [REPO]     (default REPO: this checkout)
#        KEEP=1 keeps the clone; RUN_TIMEOUT=seconds (default 900) bounds step 1.
set -euo pipefail

REPO=${1:-$(cd "$(dirname "$0")/.." && pwd)}
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
WORK=$(mktemp -d /tmp/atelier-bench.XXXXXX)
CLONE="$WORK/atelier"
RUN_PID=""

now_ms() { date +%s%3N; }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# Stop `make run` and everything in its process group (pip, streamlit): TERM, then KILL.
stop_run() {
    [ -n "$RUN_PID" ] || return 0
    kill -TERM -- "-$RUN_PID" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$RUN_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL -- "-$RUN_PID" 2>/dev/null || true
    wait "$RUN_PID" 2>/dev/null || true
    RUN_PID=""
}

# shellcheck disable=SC2329  # called by the EXIT trap
cleanup() {
    local rc=$?
    stop_run
    if [ "${KEEP:-0}" = 1 ]; then
        echo "clone kept in $CLONE"
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The app under test must use the clone's own default database, not one from this shell.
unset WORKSHOP_DATABASE_URL WORKSHOP_DATA_DIR WORKSHOP_TEST_POSTGRES_URL

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

echo "==> git clone $REPO -> $CLONE (committed work only)"
git clone --quiet "$REPO" "$CLONE"
cd "$CLONE"
echo "    at $(git log -1 --format='%h %s')"

echo "==> make run (port $PORT) until /_stcore/health answers ok"
start=$(now_ms)
# setsid: make, pip and streamlit in their own process group, stopped together below.
setsid make run PORT="$PORT" </dev/null >"$WORK/make-run.log" 2>&1 &
RUN_PID=$!
until [ "$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/_stcore/health" 2>/dev/null)" = ok ]; do
    if ! kill -0 "$RUN_PID" 2>/dev/null; then
        echo "make run exited before the app answered:" >&2
        tail -n 40 "$WORK/make-run.log" >&2
        exit 1
    fi
    if [ $(($(now_ms) - start)) -gt $((RUN_TIMEOUT * 1000)) ]; then
        echo "no answer from /_stcore/health after ${RUN_TIMEOUT} s:" >&2
        tail -n 40 "$WORK/make-run.log" >&2
        exit 1
    fi
    sleep 0.5
done
run_ms=$(($(now_ms) - start))
echo "    healthy after $(secs "$run_ms") s; stopping it"
stop_run

echo "==> make test"
start=$(now_ms)
test_rc=0
make test </dev/null || test_rc=$?
test_ms=$(($(now_ms) - start))

echo
echo "==> results ($(nproc) cores, $(git log -1 --format=%h))"
echo "    make run  -> healthy : $(secs "$run_ms") s"
echo "    make test            : $(secs "$test_ms") s (exit $test_rc)"
exit "$test_rc"
