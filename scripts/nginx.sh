#!/usr/bin/env bash
# nginx of this checkout, in front of the responders' socket (see nginx/nginx.conf.in).
#   nginx.sh start    render nginx/*.in into $VAR_DIR/nginx, check the result with
#                     nginx -t, then start nginx, or reload it when it runs already
#   nginx.sh stop     TERM, then KILL after 30 s
#   nginx.sh status   exit 0 when running
#   nginx.sh render   only render and check the configuration (the container image
#                     runs nginx itself, in the foreground)
#   nginx.sh render-lb  the same for nginx/lb.conf.in, a load balancer in front of the
#                     API hosts named by API_HOSTS (host:port)
# Settings, from the environment:
#   HTTP_ADDR, HTTP_PORT, UPLOAD_MAX_BYTES    see load_web_settings in lib.sh
#   RATE_LIMIT, RATE_LIMIT_BURST              per client address on HTTP_PORT, in
#                                             nginx's syntax (10r/s, 20)
#   UPLOADS_PER_CLIENT                        uploads one client address may have in
#                                             progress at once (2); 429 beyond
#   NGINX_STRICT_PORT                         when set, a second server on this port with
#   STRICT_RATE_LIMIT, STRICT_RATE_LIMIT_BURST  its own tight limit (1r/m, 2), for tests
#   API_TIMEOUT_S                             seconds nginx waits for a responder (60)
#   API_UPSTREAM                              the responders (unix:$API_SOCKET)
#   REAL_IP_FROM                              addresses (CIDR) of a load balancer in
#                                             front, whose X-Forwarded-For and
#                                             X-Request-Id are then trusted (none)
source "$(dirname "$0")/lib.sh"

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
NGINX_DIR=$VAR_DIR/nginx
PIDFILE=$NGINX_DIR/nginx.pid
LOG_DIR=$VAR_DIR/log

# Sets REAL_IP_DIRECTIVES and FORWARDED_REQUEST_ID from REAL_IP_FROM. Without a load
# balancer a client could set both headers itself, so they are ignored then.
real_ip_directives() {
    local cidr
    REAL_IP_DIRECTIVES=
    FORWARDED_REQUEST_ID='$request_id'
    [ -n "${REAL_IP_FROM:-}" ] || return 0
    for cidr in $REAL_IP_FROM; do
        REAL_IP_DIRECTIVES+="    set_real_ip_from $cidr;"$'\n'
    done
    REAL_IP_DIRECTIVES+="    real_ip_header X-Forwarded-For;"$'\n'"    real_ip_recursive on;"
    FORWARDED_REQUEST_ID='$http_x_request_id'
}

render_config() {
    load_web_settings
    RATE_LIMIT=${RATE_LIMIT:-10r/s}
    RATE_LIMIT_BURST=${RATE_LIMIT_BURST:-20}
    UPLOADS_PER_CLIENT=${UPLOADS_PER_CLIENT:-2}
    API_TIMEOUT_S=${API_TIMEOUT_S:-60}
    USER_DIRECTIVE=
    if [ "$(id -u)" = 0 ]; then
        USER_DIRECTIVE="user $WEB_USER;"
    fi
    mkdir -p "$NGINX_DIR/servers" "$LOG_DIR" "$WEB_DIR/nginx" "$WEB_DIR/_errors" "$WEB_DIR/static"

    API_UPSTREAM=${API_UPSTREAM:-unix:$API_SOCKET}
    real_ip_directives
    render "$ROOT/nginx/nginx.conf.in" "$NGINX_DIR/nginx.conf" \
        USER_DIRECTIVE NGINX_DIR LOG_DIR WEB_DIR CLIENT_MAX_BODY_SIZE API_UPSTREAM \
        REAL_IP_DIRECTIVES FORWARDED_REQUEST_ID
    render "$ROOT/nginx/fastcgi_params.conf.in" "$NGINX_DIR/fastcgi_params.conf" API_TIMEOUT_S

    rm -f "$NGINX_DIR"/servers/*.conf
    ZONE=cv_api PORT=$HTTP_PORT \
        render "$ROOT/nginx/server.conf.in" "$NGINX_DIR/servers/api.conf" \
        ZONE HTTP_ADDR PORT RATE_LIMIT RATE_LIMIT_BURST UPLOADS_PER_CLIENT WEB_DIR NGINX_DIR
    if [ -n "${NGINX_STRICT_PORT:-}" ]; then
        ZONE=cv_strict PORT=$NGINX_STRICT_PORT RATE_LIMIT=${STRICT_RATE_LIMIT:-1r/m} \
            RATE_LIMIT_BURST=${STRICT_RATE_LIMIT_BURST:-2} \
            render "$ROOT/nginx/server.conf.in" "$NGINX_DIR/servers/strict.conf" \
            ZONE HTTP_ADDR PORT RATE_LIMIT RATE_LIMIT_BURST UPLOADS_PER_CLIENT WEB_DIR NGINX_DIR
        state_set NGINX_STRICT_PORT "$NGINX_STRICT_PORT"
    fi

    render_error_bodies
    publish_static
}

# The workers read these files as WEB_USER, so they live in WEB_DIR, world-readable.
render_error_bodies() {
    local file name
    for file in "$ROOT"/nginx/errors/*.json; do
        name=$(basename "$file")
        render "$file" "$WEB_DIR/_errors/$name" CLIENT_MAX_BODY_SIZE UPLOAD_MAX_BYTES
        chmod 644 "$WEB_DIR/_errors/$name"
    done
}

render_lb_config() {
    load_web_settings
    RATE_LIMIT=${RATE_LIMIT:-10r/s}
    RATE_LIMIT_BURST=${RATE_LIMIT_BURST:-20}
    API_TIMEOUT_S=${API_TIMEOUT_S:-60}
    API_HOSTS=${API_HOSTS:?API_HOSTS must name the API hosts, such as api:8080}
    USER_DIRECTIVE=
    if [ "$(id -u)" = 0 ]; then
        USER_DIRECTIVE="user $WEB_USER;"
    fi
    mkdir -p "$NGINX_DIR" "$LOG_DIR" "$WEB_DIR/nginx" "$WEB_DIR/_errors"
    render "$ROOT/nginx/lb.conf.in" "$NGINX_DIR/nginx.conf" \
        USER_DIRECTIVE NGINX_DIR LOG_DIR WEB_DIR CLIENT_MAX_BODY_SIZE RATE_LIMIT \
        RATE_LIMIT_BURST API_HOSTS HTTP_ADDR HTTP_PORT API_TIMEOUT_S
    render_error_bodies
}

nginx_cmd() {
    # TZ=UTC: the access log's $time_iso8601 is in the master's time zone.
    TZ=UTC "$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log" "$@"
}

# Renders the configuration (of the load balancer when $1 is lb) and checks it with
# nginx -t.
nginx_render() {
    [ -x "$NGINX_BIN" ] || die "nginx not found at $NGINX_BIN (run scripts/deps.sh runtime)"
    if [ "${1:-}" = lb ]; then
        render_lb_config
    else
        render_config
    fi
    if ! nginx_cmd -t -q 2> "$LOG_DIR/nginx-check.log"; then
        cat "$LOG_DIR/nginx-check.log" >&2
        die "the rendered nginx configuration in $NGINX_DIR is invalid"
    fi
}

nginx_start() {
    nginx_render
    if pid_alive "$PIDFILE"; then
        nginx_cmd -s reload
        say "nginx reloaded on http://$HTTP_ADDR:$HTTP_PORT"
        return 0
    fi
    if ! nginx_cmd; then
        log_tail "$LOG_DIR/nginx-error.log"
        if grep -q 'Address already in use' "$LOG_DIR/nginx-error.log" 2>/dev/null; then
            die "a port of nginx is in use; choose another with HTTP_PORT=..."
        fi
        die "nginx did not start"
    fi
    wait_http "http://$HTTP_ADDR:$HTTP_PORT/healthz" any 10 "$PIDFILE" \
        || { log_tail "$LOG_DIR/nginx-error.log"; die "nginx does not respond on port $HTTP_PORT"; }
    say "nginx listening on http://$HTTP_ADDR:$HTTP_PORT"
}

case ${1:-} in
    start) nginx_start ;;
    stop) stop_pidfile "$PIDFILE" 30 ;;
    status) pid_alive "$PIDFILE" ;;
    render) nginx_render ;;
    render-lb) nginx_render lb ;;
    *) die "usage: nginx.sh start|stop|status|render|render-lb" ;;
esac
