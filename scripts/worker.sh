#!/usr/bin/env bash
# The cv-worker of this checkout.
#   worker.sh start    start it in a session of its own, then wait up to 60 s for its
#                      /readyz on WORKER_HTTP_PORT
#   worker.sh stop     TERM, which lets running jobs finish for WORKER_DRAIN_TIMEOUT_MS,
#                      then KILL 10 s after that
#   worker.sh status   exit 0 when running
# The configuration comes through CV_CONFIG_FILE (default $VAR_DIR/cv.env, which
# stack.sh writes); output goes to $VAR_DIR/log/cv-worker.log.
source "$(dirname "$0")/lib.sh"

PIDFILE=$VAR_DIR/run/worker.pid
LOG=$VAR_DIR/log/cv-worker.log
export CV_CONFIG_FILE=${CV_CONFIG_FILE:-$CV_ENV}

worker_start() {
    local port url
    [ -x "$BUILD/cv-worker" ] || die "$BUILD/cv-worker is missing; run make first"
    port=$(state_get WORKER_HTTP_PORT)
    [ -n "$port" ] || die "WORKER_HTTP_PORT is not recorded; start the worker through stack.sh"
    url=http://127.0.0.1:$port/readyz
    if pid_alive "$PIDFILE"; then
        say "worker already running"
        return 0
    fi
    spawn_daemon "$PIDFILE" "$LOG" "$BUILD/cv-worker"
    if ! wait_http "$url" 200 60 "$PIDFILE"; then
        log_tail "$LOG"
        if pid_alive "$PIDFILE"; then
            die "the worker is not ready after 60 s ($url returns $(http_status "$url"))"
        fi
        die "the worker exited during start; see $LOG"
    fi
    say "worker ready, health on http://127.0.0.1:$port"
}

worker_stop() {
    local drain_ms=${WORKER_DRAIN_TIMEOUT_MS:-30000}
    stop_pidfile "$PIDFILE" $((drain_ms / 1000 + 10))
}

case ${1:-} in
    start) worker_start ;;
    stop) worker_stop ;;
    status) pid_alive "$PIDFILE" ;;
    *) die "usage: worker.sh start|stop|status" ;;
esac
