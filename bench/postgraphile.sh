#!/usr/bin/env bash
# Waypost against PostGraphile v4 on the same PostgreSQL data set, in one
# session, alternating: Waypost, PostGraphile, Waypost, PostGraphile (ROUNDS
# pairs), each with the same load generator, concurrency and timing, on the
# post page (b) and the home page (c). Ends with a side-by-side Markdown
# table with the ratios.
#
#   bench/postgraphile.sh [extra waypost-bench options, e.g. --concurrency 64]
#
# Environment:
#   SECONDS_PER_SCENARIO  seconds each scenario is measured (default 10)
#   ROUNDS                Waypost/PostGraphile pairs (default 2)
#   LOAD                  load generators, comma-separated: wrk, in-process (default wrk)
#   SCENARIOS             default post,home (PostGraphile has equivalents of no others)
#   WORKERS               PostGraphile processes; >1 uses --cluster-workers (default 2)
#   POOL_SIZE             PostGraphile's PostgreSQL pool size (default 16, Waypost's default)
#   PORT                  first port to try for PostGraphile on 127.0.0.1 (default 5055)
#   BENCH_DATABASE_URL    default postgres://postgres@127.0.0.1:5432/waypost_bench
#   CARGO_TARGET_DIR      where the release binaries are (default target)
#   RESULTS               the JSON-lines results file (default a new one under the target directory)
#
# PostGraphile is installed with npm into $CARGO_TARGET_DIR/postgraphile on
# first use; the release binaries are built if missing; the database is
# seeded if it does not hold the data set (`waypost-bench --seed-only`).
set -euo pipefail
cd "$(dirname "$0")/.."

POSTGRAPHILE_VERSION=4.14.1
SECONDS_PER_SCENARIO=${SECONDS_PER_SCENARIO:-10}
ROUNDS=${ROUNDS:-2}
LOAD=${LOAD:-wrk}
SCENARIOS=${SCENARIOS:-post,home}
WORKERS=${WORKERS:-2}
POOL_SIZE=${POOL_SIZE:-16}
PORT=${PORT:-5055}
export BENCH_DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/waypost_bench}

TARGET_DIR=${CARGO_TARGET_DIR:-target}
PREFIX=$TARGET_DIR/postgraphile
BENCH=$TARGET_DIR/release/waypost-bench
WAYPOST=$TARGET_DIR/release/waypost
LOG=$PREFIX/server.log
RESULTS=${RESULTS:-$PREFIX/results-$(date +%Y%m%d-%H%M%S).jsonl}

die() { echo "postgraphile.sh: $*" >&2; exit 1; }

for tool in node npm curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer, got '$WORKERS'"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer, got '$ROUNDS'"

# 1. PostGraphile, pinned, in a cache folder.
installed=$(node -p "try { require('./$PREFIX/node_modules/postgraphile/package.json').version } catch { '' }")
if [[ $installed != "$POSTGRAPHILE_VERSION" ]]; then
    echo "installing postgraphile@$POSTGRAPHILE_VERSION into $PREFIX"
    mkdir -p "$PREFIX"
    npm install --prefix "$PREFIX" --no-audit --no-fund --save-exact --loglevel=error \
        "postgraphile@$POSTGRAPHILE_VERSION"
fi

# 2. The release binaries, and the seeded database (reused when it holds
# the data set the options ask for).
if [[ ! -x $BENCH || ! -x $WAYPOST ]]; then
    echo "building waypost-bench and waypost (release)"
    cargo build --release -p waypost-bench -p waypost-gateway
fi
"$BENCH" --backend postgres --seed-only "$@"

# 3. A free port.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 50); do
    port_busy "$PORT" || break
    PORT=$((PORT + 1))
done
port_busy "$PORT" && die "no free port found"
URL="http://127.0.0.1:$PORT/graphql"

# 4. PostGraphile in its own process group, stopped whatever happens.
PGL_PID=
GROUP=false
BENCH_PID=
alive() { kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]; }
wait_gone() { # pid tenths-of-a-second
    local _
    for _ in $(seq 1 "$2"); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}
stop_postgraphile() {
    [[ -n $PGL_PID ]] || return 0
    local workers
    # With --cluster-workers, stop the workers first: the master then reaps
    # them and exits by itself. Stopping the master first would orphan them.
    workers=$(ps -o pid= --ppid "$PGL_PID" 2>/dev/null || true)
    if [[ -n $workers ]]; then
        # shellcheck disable=SC2086 # one PID per word
        kill -TERM $workers 2>/dev/null || true
        wait_gone "$PGL_PID" 100 || true
    fi
    if alive "$PGL_PID"; then
        kill -TERM "$PGL_PID" 2>/dev/null || true
        wait_gone "$PGL_PID" 50 || true
    fi
    if $GROUP; then kill -KILL -- "-$PGL_PID" 2>/dev/null || true; fi
    kill -KILL "$PGL_PID" 2>/dev/null || true
    wait "$PGL_PID" 2>/dev/null || true
    PGL_PID=
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $BENCH_PID ]]; then
        kill -TERM "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    stop_postgraphile
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

args=(
    --connection "$BENCH_DATABASE_URL"
    --schema public
    --host 127.0.0.1
    --port "$PORT"
    --max-pool-size "$POOL_SIZE"
    --disable-query-log
    --disable-graphiql
)
if ((WORKERS > 1)); then
    args+=(--cluster-workers "$WORKERS")
fi

mkdir -p "$PREFIX"
# cli.js is a node script (#!/usr/bin/env node), so $! is node's PID; setsid
# makes it a process-group leader (no fork: a background job is not one).
if command -v setsid >/dev/null 2>&1; then
    NODE_ENV=production setsid "$PREFIX/node_modules/.bin/postgraphile" "${args[@]}" >"$LOG" 2>&1 &
else
    NODE_ENV=production "$PREFIX/node_modules/.bin/postgraphile" "${args[@]}" >"$LOG" 2>&1 &
fi
PGL_PID=$!
if [[ $(ps -o pgid= -p "$PGL_PID" | tr -d ' ') == "$PGL_PID" ]]; then GROUP=true; fi

graphql_ok() {
    curl -fsS --max-time 2 -H 'content-type: application/json' \
        --data '{"query":"{__typename}"}' "$URL" 2>/dev/null | grep -q '"__typename":"Query"'
}
workers_up() { ((WORKERS == 1)) || (($(ps -o pid= --ppid "$PGL_PID" | wc -l) >= WORKERS)); }
for _ in $(seq 1 120); do
    kill -0 "$PGL_PID" 2>/dev/null || { cat "$LOG" >&2; die "PostGraphile exited during startup"; }
    graphql_ok && workers_up && break
    sleep 0.5
done
graphql_ok || { cat "$LOG" >&2; die "PostGraphile did not answer on $URL within 60s"; }
workers_up || { cat "$LOG" >&2; die "PostGraphile started fewer than $WORKERS workers"; }
echo "postgraphile@$POSTGRAPHILE_VERSION pid=$PGL_PID workers=$WORKERS pool=$POOL_SIZE url=$URL"

# 5. The measurement, alternating. Waypost's runs start and stop their own
# `waypost serve`; PostGraphile stays up, idle while Waypost is measured.
# The "server CPU" and memory of PostGraphile count the PID passed here and
# its child processes, so they cover the cluster workers too. Each run is
# started in the background so that a signal reaches the traps at once.
mkdir -p "$(dirname "$RESULTS")"
common=(--scenarios "$SCENARIOS" --load "$LOAD" --seconds "$SECONDS_PER_SCENARIO" --results "$RESULTS")
for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round of $ROUNDS: Waypost"
    "$BENCH" --backend postgres --server "$WAYPOST" --round "$round" "${common[@]}" "$@" &
    BENCH_PID=$!
    wait "$BENCH_PID"
    echo "== round $round of $ROUNDS: PostGraphile"
    "$BENCH" --external "$URL" --external-pid "$PGL_PID" --queries postgraphile \
        --label "PostGraphile, $WORKERS workers" --round "$round" "${common[@]}" "$@" &
    BENCH_PID=$!
    wait "$BENCH_PID"
    BENCH_PID=
done

echo
echo "results: $RESULTS"
echo
"$BENCH" compare "$RESULTS"
