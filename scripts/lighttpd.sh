#!/usr/bin/env bash
# lighttpd of this checkout, the alternative to nginx (see nginx/lighttpd.conf.in).
#   lighttpd.sh start    render the configuration, check it, start lighttpd in the
#                        foreground of its own session on LIGHTTPD_PORT (HTTP_PORT when
#                        unset)
#   lighttpd.sh stop     TERM, then KILL after 30 s
#   lighttpd.sh status   exit 0 when running
source "$(dirname "$0")/lib.sh"

LIGHTTPD_BIN=${LIGHTTPD_BIN:-/usr/sbin/lighttpd}
CONF_DIR=$VAR_DIR/lighttpd
PIDFILE=$VAR_DIR/run/lighttpd.pid
LOG_DIR=$VAR_DIR/log

render_config() {
    local file name

    load_web_settings
    PORT=${LIGHTTPD_PORT:-$HTTP_PORT}
    MAX_REQUEST_KIB=$(((CLIENT_MAX_BODY_SIZE + 1023) / 1024))
    USER_DIRECTIVE=
    if [ "$(id -u)" = 0 ]; then
        USER_DIRECTIVE="server.username = \"$WEB_USER\"
server.groupname = \"$(id -gn "$WEB_USER")\""
    fi
    mkdir -p "$CONF_DIR" "$LOG_DIR" "$WEB_DIR/lighttpd" "$WEB_DIR/_errors_lighttpd" "$WEB_DIR/static"
    # lighttpd opens its logs and upload folder after it has switched to WEB_USER.
    touch "$LOG_DIR/lighttpd-error.log" "$LOG_DIR/lighttpd-access.log"
    if [ "$(id -u)" = 0 ]; then
        chown "$WEB_USER" "$WEB_DIR/lighttpd" "$LOG_DIR/lighttpd-error.log" "$LOG_DIR/lighttpd-access.log"
    fi

    render "$ROOT/nginx/lighttpd.conf.in" "$CONF_DIR/lighttpd.conf" \
        HTTP_ADDR PORT WEB_DIR LOG_DIR USER_DIRECTIVE MAX_REQUEST_KIB API_SOCKET
    # lighttpd reads the script as WEB_USER at the first request.
    install -m 644 "$ROOT/nginx/lighttpd-request-id.lua" "$WEB_DIR/lighttpd-request-id.lua"
    for file in "$ROOT"/nginx/errors/*.json; do
        name=$(basename "$file" .json)
        render "$file" "$WEB_DIR/_errors_lighttpd/$name.html" CLIENT_MAX_BODY_SIZE UPLOAD_MAX_BYTES
        chmod 644 "$WEB_DIR/_errors_lighttpd/$name.html"
    done
    publish_static
}

lighttpd_start() {
    [ -x "$LIGHTTPD_BIN" ] || die "lighttpd not found at $LIGHTTPD_BIN (run scripts/deps.sh runtime)"
    if pid_alive "$PIDFILE"; then
        say "lighttpd already running"
        return 0
    fi
    render_config
    if ! "$LIGHTTPD_BIN" -tt -f "$CONF_DIR/lighttpd.conf" > "$LOG_DIR/lighttpd-check.log" 2>&1; then
        cat "$LOG_DIR/lighttpd-check.log" >&2
        die "the rendered lighttpd configuration in $CONF_DIR is invalid"
    fi
    spawn_daemon "$PIDFILE" "$LOG_DIR/lighttpd-stderr.log" "$LIGHTTPD_BIN" -D -f "$CONF_DIR/lighttpd.conf"
    wait_http "http://$HTTP_ADDR:$PORT/healthz" any 10 "$PIDFILE" \
        || { log_tail "$LOG_DIR/lighttpd-error.log"; die "lighttpd does not respond on port $PORT"; }
    state_set LIGHTTPD_PORT "$PORT"
    say "lighttpd listening on http://$HTTP_ADDR:$PORT"
}

case ${1:-} in
    start) lighttpd_start ;;
    stop) stop_pidfile "$PIDFILE" 30 ;;
    status) pid_alive "$PIDFILE" ;;
    *) die "usage: lighttpd.sh start|stop|status" ;;
esac
