#!/usr/bin/env bash
# Starts and stops the whole service of this checkout on loopback:
#   stack.sh start   PostgreSQL, broker, migrations, knowledge base, responders, nginx, worker
#   stack.sh stop    everything start started, in reverse order
#   stack.sh status  one line per component
# Ports come from the environment (HTTP_PORT, DB_PORT, ...) or are chosen free and
# recorded in $VAR_DIR/state.env, so two checkouts run side by side.
source "$(dirname "$0")/lib.sh"

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
PROMPTS_DIR=$ROOT/prompts
KB_DIR=$ROOT/kb
ENV
    mv "$CV_ENV.tmp" "$CV_ENV"
}

start_core() {
    [ -x "$BUILD/cvctl" ] || die "$BUILD/cvctl is missing; run make first"
    "$ROOT/scripts/pg.sh" start
    "$ROOT/scripts/broker.sh" start
    port_for WORKER_HTTP_PORT > /dev/null
    write_env
    export CV_CONFIG_FILE=$CV_ENV
    "$BUILD/cvctl" wait-ready --timeout-ms 60000
    (cd "$ROOT" && "$BUILD/cvctl" migrate)
    (cd "$ROOT" && "$BUILD/cvctl" kb-load)
}

stop_core() {
    "$ROOT/scripts/broker.sh" stop
    "$ROOT/scripts/pg.sh" stop
}

case ${1:-} in
    start) start_core ;;
    stop) stop_core ;;
    *) die "usage: stack.sh start|stop|status" ;;
esac
