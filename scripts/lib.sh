# Shared helpers for the run and test scripts. Source it; it sets:
#   ROOT     the checkout
#   VAR_DIR  runtime state: data, sockets, logs, pid files (default $ROOT/var)
#   BUILD    the build folder holding cv-api, cv-worker and cvctl (default build)
#   STATE    $VAR_DIR/state.env, the ports and paths chosen by `stack.sh start`
#   CV_ENV   $VAR_DIR/cv.env, the service configuration file (EnvironmentFile format)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR_DIR=${VAR_DIR:-$ROOT/var}
case $VAR_DIR in /*) ;; *) VAR_DIR=$ROOT/$VAR_DIR ;; esac
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STATE=$VAR_DIR/state.env
CV_ENV=$VAR_DIR/cv.env
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Records KEY=value in the state file, replacing an earlier value.
state_set() {
    local key=$1 value=$2
    mkdir -p "$VAR_DIR"
    touch "$STATE"
    grep -v "^$key=" "$STATE" > "$STATE.tmp" || true
    printf '%s=%s\n' "$key" "$value" >> "$STATE.tmp"
    mv "$STATE.tmp" "$STATE"
}

# Prints a state value, or $2 when it is unset.
state_get() {
    local key=$1 default=${2-}
    local line
    line=$(grep "^$key=" "$STATE" 2>/dev/null | tail -n 1) || true
    if [ -n "$line" ]; then printf '%s\n' "${line#*=}"; else printf '%s\n' "$default"; fi
}

# Prints a free loopback TCP port.
free_port() {
    "$BUILD/cvctl" free-port
}

# Prints the value of KEY: the environment first, then the state file, then a fresh
# free port, which is recorded. Used for every port so that two checkouts coexist.
port_for() {
    local key=$1 value
    value=${!key:-}
    [ -n "$value" ] || value=$(state_get "$key")
    [ -n "$value" ] || value=$(free_port)
    state_set "$key" "$value"
    printf '%s\n' "$value"
}

# True when the pid in file $1 names a live process.
pid_alive() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Sends TERM to the process in pid file $1, waits up to $2 seconds (default 30),
# then KILL. Removes the pid file.
stop_pidfile() {
    local file=$1 wait_s=${2:-30} pid i
    if pid_alive "$file"; then
        pid=$(cat "$file")
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < wait_s * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "process $pid did not stop within ${wait_s}s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

# Runs a command as the PostgreSQL owner: the postgres user when we are root, since
# the server refuses to run as root; ourselves otherwise.
as_pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
