# Shared helpers for the run and test scripts. Source it; it sets:
#   ROOT     the checkout
#   VAR_DIR  runtime state: data, sockets, logs, pid files (default $ROOT/var)
#   BUILD    the build folder holding cv-api, cv-worker and cvctl (default build)
#   STATE    $VAR_DIR/state.env, the ports and paths chosen by `stack.sh start`, which
#            later starts reuse, and the settings in effect, which they do not reuse
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

# Removes KEY from the state file.
state_unset() {
    [ -f "$STATE" ] || return 0
    grep -v "^$1=" "$STATE" > "$STATE.tmp" || true
    mv "$STATE.tmp" "$STATE"
}

# Prints a state value, or $2 when it is unset.
state_get() {
    local key=$1 default=${2-}
    local line
    line=$(grep "^$key=" "$STATE" 2>/dev/null | tail -n 1) || true
    if [ -n "$line" ]; then printf '%s\n' "${line#*=}"; else printf '%s\n' "$default"; fi
}

# Prints a free loopback TCP port. cvctl runs without the caller's environment, so that
# a bad setting meant for a service cannot stop it from choosing a port.
free_port() {
    env -i "$BUILD/cvctl" free-port
}

# Prints the value of KEY: the environment first, then the state file, then a fresh
# free port, which is recorded. Used for every port so that two checkouts coexist.
port_for() {
    local key=$1 value
    value=${!key:-}
    [ -n "$value" ] || value=$(state_get "$key")
    [ -n "$value" ] || value=$(free_port)
    [ -n "$value" ] || die "could not choose a free port for $key"
    state_set "$key" "$value"
    printf '%s\n' "$value"
}

# True when process $1 exists and has not exited. kill -0 also succeeds on an exited
# child that its parent has not reaped yet (a zombie), so the state comes from /proc.
proc_running() {
    local pid=$1 stat
    kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# True when the pid in file $1 names a live process.
pid_alive() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(head -n 1 "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && proc_running "$pid"
}

# Sends TERM to the process in pid file $1, waits up to $2 seconds (default 30),
# then KILL. Removes the pid file.
stop_pidfile() {
    local file=$1 wait_s=${2:-30} pid i
    if pid_alive "$file"; then
        pid=$(cat "$file")
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < wait_s * 10; i++)); do
            proc_running "$pid" || break
            sleep 0.1
        done
        if proc_running "$pid"; then
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

# Prints the last lines of log file $1, indented, on stderr, for failure messages.
log_tail() {
    [ -s "$1" ] || return 0
    say "last lines of $1:"
    tail -n "${2:-15}" "$1" | sed 's/^/    /' >&2
}

# Starts "$@" in a session of its own, stdin from /dev/null and output appended to log
# file $2, and records its pid in file $1. The process outlives the calling shell.
spawn_daemon() {
    local pidfile=$1 log=$2
    shift 2
    mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")"
    setsid "$@" >> "$log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
}

# Prints the HTTP status of GET $1, or 000 when no response came within $2 seconds.
http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-2}" "$1" 2>/dev/null || true
}

# Waits up to $3 seconds until GET $1 returns status $2 ("any" accepts every status).
# Returns 1 on timeout, or as soon as the process in pid file $4 (optional) has exited.
wait_http() {
    local url=$1 want=$2 wait_s=$3 pidfile=${4:-} status i
    for ((i = 0; i < wait_s * 5; i++)); do
        status=$(http_status "$url" 1)
        if [ "$status" = "$want" ] || { [ "$want" = any ] && [ "$status" != 000 ]; }; then
            return 0
        fi
        if [ -n "$pidfile" ] && ! pid_alive "$pidfile"; then
            return 1
        fi
        sleep 0.2
    done
    return 1
}

# The account nginx and lighttpd workers run as when started by root.
WEB_USER=${WEB_USER:-www-data}

# True when the web servers' workers can open paths below folder $1.
web_user_reaches() {
    [ "$(id -u)" != 0 ] || runuser -u "$WEB_USER" -- test -x "$1" 2>/dev/null
}

# Prints the folder shared with the web servers: the responders' socket, the web
# servers' temp folders, the error bodies and the static files. It is $VAR_DIR/web when
# the workers can reach it and a socket path there fits the 107-byte limit of Unix
# sockets. Otherwise it is a folder under /tmp named after VAR_DIR. The state file
# records the choice.
web_dir() {
    local dir
    dir=$(state_get WEB_DIR)
    if [ -z "$dir" ]; then
        dir=$VAR_DIR/web
        mkdir -p "$VAR_DIR"
        if [ ${#dir} -gt 80 ] || ! web_user_reaches "$VAR_DIR"; then
            dir=/tmp/cv-web-$(printf '%s' "$VAR_DIR" | sha256sum | cut -c1-12)
        fi
        state_set WEB_DIR "$dir"
    fi
    if [ ! -d "$dir" ]; then
        mkdir -p -m 755 "$dir"
    fi
    # A folder under /tmp could have been made by another user to catch our files.
    [ -O "$dir" ] && [ ! -L "$dir" ] || die "$dir is not owned by $(id -un); remove it or set VAR_DIR"
    printf '%s\n' "$dir"
}

# Copies template $1 to $2, replacing each @NAME@ by the value of the shell variable
# NAME for every NAME given after them. Fails when a placeholder is left over.
render() {
    local template=$1 out=$2 name text left
    shift 2
    text=$(< "$template")
    for name in "$@"; do
        # Quoted, so that an & in the value stays literal under bash 5.2's
        # patsub_replacement.
        text=${text//"@$name@"/"${!name}"}
    done
    left=$(printf '%s\n' "$text" | grep -o '@[A-Z_]*@' | sort -u | tr '\n' ' ') || true
    [ -z "$left" ] || die "$template: no value for $left"
    printf '%s\n' "$text" > "$out.tmp"
    mv "$out.tmp" "$out"
}

# Sets WEB_DIR and API_SOCKET, all that the responders' script needs. It records no
# setting, so that api.sh run alone leaves the values of the last stack start in place.
load_web_paths() {
    WEB_DIR=$(web_dir)
    API_SOCKET=$WEB_DIR/api.sock
    state_set API_SOCKET "$API_SOCKET"
}

# Sets the values the web servers and the responders share and records them for the
# other scripts and the tests. HTTP_PORT comes from the environment, else from the state
# file, else from its default, so a restart keeps the port of the last start like every
# other port. The settings come from the environment, else from their defaults: the
# state file records them only as the values in effect, and a start without them goes
# back to the defaults.
#   HTTP_PORT              public listen port (8080)
#   HTTP_ADDR              public listen address (127.0.0.1)
#   UPLOAD_MAX_BYTES       largest file per multipart field (10485760); the body limit
#                          of the web servers follows from it
#   API_SOCKET             the responders' Unix socket, in web_dir
load_web_settings() {
    load_web_paths
    HTTP_ADDR=${HTTP_ADDR:-127.0.0.1}
    HTTP_PORT=${HTTP_PORT:-$(state_get HTTP_PORT 8080)}
    UPLOAD_MAX_BYTES=${UPLOAD_MAX_BYTES:-10485760}
    case $HTTP_PORT$UPLOAD_MAX_BYTES in
        *[!0-9]*) die "HTTP_PORT and UPLOAD_MAX_BYTES must be whole numbers" ;;
    esac
    CLIENT_MAX_BODY_SIZE=$((2 * UPLOAD_MAX_BYTES + 1048576))
    state_set HTTP_ADDR "$HTTP_ADDR"
    state_set HTTP_PORT "$HTTP_PORT"
    state_set UPLOAD_MAX_BYTES "$UPLOAD_MAX_BYTES"
}

# Publishes the repository's openapi.yaml in $WEB_DIR/static for the web servers. When
# their workers can reach the checkout it is a link, so edits are served at once.
# Otherwise (a checkout under /root, say) it is a copy taken now.
publish_static() {
    local target=$WEB_DIR/static/openapi.yaml
    mkdir -p "$WEB_DIR/static"
    rm -f "$target"
    if web_user_reaches "$ROOT"; then
        ln -s "$ROOT/openapi.yaml" "$target"
    elif [ -f "$ROOT/openapi.yaml" ]; then
        install -m 644 "$ROOT/openapi.yaml" "$target"
    fi
}
