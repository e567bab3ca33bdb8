#!/usr/bin/env bash
# Starts and stops the whole service of this checkout on loopback:
#   stack.sh start   PostgreSQL, broker, migrations, knowledge base, responders, nginx
#                    (or lighttpd), worker; each is ready before the next starts
#   stack.sh stop    everything start started, in reverse order; also after a partial
#                    start, since each part is found through its pid file
#   stack.sh status  one line per component; exit 0 when every started one runs
#   stack.sh clean   stop, then delete VAR_DIR and the folders recorded in it
# Ports come from the environment (HTTP_PORT, DB_PORT, ...) or are chosen free and
# recorded in $VAR_DIR/state.env, so two checkouts run side by side, and later starts
# reuse them. The other settings take their defaults unless given again. They are:
#   VAR_DIR           runtime state (default var/ in the checkout)
#   BUILD             folder of the binaries (default build/)
#   WEB_SERVER        nginx (default) or lighttpd, on HTTP_PORT
#   LIGHTTPD_PORT     when set with WEB_SERVER=nginx, lighttpd also serves this port
#   API_RESPONDERS    responder processes (default 4, and 0 starts none, for
#                     api.sh foreground); see scripts/api.sh
#   and the settings of scripts/nginx.sh (rate limits, body limit, strict test port).
source "$(dirname "$0")/lib.sh"

SCRIPTS=$ROOT/scripts

# Writes the service configuration that every program reads through CV_CONFIG_FILE.
write_env() {
    mkdir -p "$VAR_DIR/run"
    cat > "$CV_ENV.tmp" <<ENV
# Written by scripts/stack.sh; variables set in the environment override these lines.
DB_HOST=127.0.0.1
DB_PORT=$(state_get DB_PORT)
DB_NAME=cv_evaluator
DB_USER=cv_evaluator
DB_PASSWORD_FILE=$VAR_DIR/secrets/db_password
KAFKA_BROKERS=$(state_get KAFKA_BROKERS)
KAFKA_SESSION_TIMEOUT_MS=6000
METRICS_PATH=$VAR_DIR/run/metrics
WORKER_HTTP_PORT=$(state_get WORKER_HTTP_PORT)
UPLOAD_MAX_BYTES=$(state_get UPLOAD_MAX_BYTES)
PROMPTS_DIR=$ROOT/prompts
KB_DIR=$ROOT/kb
ENV
    mv "$CV_ENV.tmp" "$CV_ENV"
}

# Serialises start, stop and clean of one VAR_DIR. The lock is released at exit.
take_lock() {
    mkdir -p "$VAR_DIR/run"
    exec 9> "$VAR_DIR/run/stack.lock"
    flock -w 300 9 || die "timed out after 300 s waiting for $VAR_DIR/run/stack.lock, held by another stack.sh"
}

# Runs one step script. The daemons it starts must not inherit the lock's descriptor,
# or the lock would be held for as long as they run.
step() {
    local name=$1
    shift
    "$SCRIPTS/$name.sh" "$@" 9>&-
}

start_core() {
    [ -x "$BUILD/cvctl" ] || die "$BUILD/cvctl is missing; run make first"
    # Report a bad setting of the environment before anything starts.
    "$BUILD/cvctl" check-config > /dev/null || die "invalid settings in the environment (listed above)"
    step pg start
    step broker start
    if [ -n "${KAFKA_BROKERS:-}" ]; then state_set BROKER external; else state_set BROKER development; fi
    port_for WORKER_HTTP_PORT > /dev/null
    load_web_settings
    write_env
    export CV_CONFIG_FILE=$CV_ENV
    "$BUILD/cvctl" wait-ready --timeout-ms 60000
    (cd "$ROOT" && "$BUILD/cvctl" migrate)
    (cd "$ROOT" && "$BUILD/cvctl" kb-load)
}

# Starts the front web server on HTTP_PORT and, when asked, lighttpd beside nginx.
start_web() {
    local server=${WEB_SERVER:-nginx}
    case $server in
        nginx)
            step nginx start
            if [ -n "${LIGHTTPD_PORT:-}" ]; then
                step lighttpd start
            else
                # So that status does not expect the lighttpd of an earlier start.
                state_unset LIGHTTPD_PORT
            fi
            ;;
        lighttpd) LIGHTTPD_PORT=$HTTP_PORT step lighttpd start ;;
        *) die "WEB_SERVER must be nginx or lighttpd, not \"$server\"" ;;
    esac
    state_set WEB_SERVER "$server"
}

# Waits until /readyz returns 200 through the web server on port $1. That covers the
# whole path of a request: web server, responder, PostgreSQL and broker.
wait_api_ready() {
    local url=http://$HTTP_ADDR:$1/readyz
    if ! wait_http "$url" 200 60; then
        log_tail "$VAR_DIR/log/cv-api.log"
        die "$url did not return 200 within 60 s (last status: $(http_status "$url"))"
    fi
}

stack_start() {
    take_lock
    start_core

    if [ "${API_RESPONDERS:-}" = 0 ]; then
        say "API_RESPONDERS=0: not starting responders (api.sh foreground runs one)"
    else
        step api start
    fi
    start_web
    if [ "${API_RESPONDERS:-}" != 0 ]; then
        wait_api_ready "$HTTP_PORT"
        if [ "${WEB_SERVER:-nginx}" = nginx ] && [ -n "${LIGHTTPD_PORT:-}" ]; then
            wait_api_ready "$LIGHTTPD_PORT"
        fi
    fi

    step worker start
    say "service running on http://$HTTP_ADDR:$HTTP_PORT (state in $VAR_DIR)"
}

stack_stop() {
    local rc=0 name
    [ -d "$VAR_DIR" ] || return 0
    take_lock
    export CV_CONFIG_FILE=$CV_ENV
    # Reverse start order. A failing step must not keep the later ones from running.
    for name in worker lighttpd nginx api broker pg; do
        step "$name" stop || { say "stopping $name failed"; rc=1; }
    done
    return $rc
}

# Prints one status line: component, state, detail.
status_line() {
    printf '%-11s %-8s %s\n' "$1" "$2" "$3"
}

stack_status() {
    local rc=0 api pg_state broker_state brokers worker_port
    if [ ! -f "$STATE" ]; then
        say "nothing started in $VAR_DIR"
        return 3
    fi

    if "$SCRIPTS/pg.sh" status 2>/dev/null; then pg_state=running; else pg_state=stopped; rc=3; fi
    status_line postgresql "$pg_state" "127.0.0.1:$(state_get DB_PORT)"

    brokers=$(state_get KAFKA_BROKERS)
    if [ "$(state_get BROKER)" = external ]; then
        broker_state=external
    elif pid_alive "$VAR_DIR/run/broker.pid"; then
        broker_state=running
    else
        broker_state=stopped
        rc=3
    fi
    status_line broker "$broker_state" "$brokers"

    if api=$("$SCRIPTS/api.sh" status); then
        status_line responders running "$api on $(state_get API_SOCKET)"
    elif [ "${api%% *}" != 0 ]; then
        status_line responders degraded "$api on $(state_get API_SOCKET); scripts/api.sh start restarts them"
        rc=3
    else
        status_line responders stopped "$api"
        rc=3
    fi

    if "$SCRIPTS/nginx.sh" status; then
        status_line nginx running "http://$(state_get HTTP_ADDR):$(state_get HTTP_PORT)"
    elif [ "$(state_get WEB_SERVER nginx)" = nginx ]; then
        status_line nginx stopped ""
        rc=3
    fi
    if "$SCRIPTS/lighttpd.sh" status; then
        status_line lighttpd running "http://$(state_get HTTP_ADDR):$(state_get LIGHTTPD_PORT)"
    elif [ -n "$(state_get LIGHTTPD_PORT)" ]; then
        status_line lighttpd stopped ""
        rc=3
    fi

    worker_port=$(state_get WORKER_HTTP_PORT)
    if "$SCRIPTS/worker.sh" status; then
        status_line worker running "http://127.0.0.1:$worker_port/readyz answers $(http_status "http://127.0.0.1:$worker_port/readyz")"
    else
        status_line worker stopped ""
        rc=3
    fi
    return $rc
}

# Deletes what start left on disk. The PostgreSQL data and the web folder may lie
# outside VAR_DIR (see pg.sh and web_dir in lib.sh). They are removed only when they
# have the names that those functions give them.
stack_clean() {
    local pg_data web
    [ -d "$VAR_DIR" ] || return 0
    # Only a folder this script made: one with a state file, or one holding no more
    # than what the test runner writes before the first start (stack.log, log/).
    if [ ! -f "$STATE" ] && [ -n "$(ls -A "$VAR_DIR" | grep -vx -e stack.log -e log)" ]; then
        die "not deleting $VAR_DIR: it has no state.env, so stack.sh did not make it"
    fi
    stack_stop
    pg_data=$(state_get PG_DATA_DIR)
    web=$(state_get WEB_DIR)
    case $pg_data in
        /var/lib/cv-evaluator/*/data) rm -rf "$(dirname "$pg_data")" ;;
    esac
    case $web in
        /tmp/cv-web-*) rm -rf "$web" ;;
    esac
    rm -rf "$VAR_DIR"
}

case ${1:-} in
    start) stack_start ;;
    stop) stack_stop ;;
    status) stack_status ;;
    clean) stack_clean ;;
    *) die "usage: stack.sh start|stop|status|clean" ;;
esac
