#!/usr/bin/env bash
# The cv-api responders of this checkout, spawned by spawn-fcgi on one Unix socket.
#   api.sh start        spawn-fcgi -F $API_RESPONDERS (default 4) on $API_SOCKET. When
#                       some responders run but not API_RESPONDERS of them, it stops
#                       them and starts the whole set again, because spawn-fcgi neither
#                       replaces a responder that died nor adds one to a live socket
#   api.sh stop         TERM every responder, KILL those still running after 15 s
#   api.sh status       prints "RUNNING of STARTED"; exit 0 when all that the last start
#                       started still run
#   api.sh foreground   one responder on the same socket, in the foreground: spawn-fcgi
#                       -n binds the socket and execs cv-api in its own process, so the
#                       caller gets cv-api's exit status (the leak check needs it)
# The responders read the service configuration through CV_CONFIG_FILE (default
# $VAR_DIR/cv.env, which stack.sh writes) and append their stderr, one logfmt line per
# event, to $VAR_DIR/log/cv-api.log. When root starts them, the socket belongs to the web
# servers' group (WEB_USER's) with mode 0660, so nginx and lighttpd workers can connect;
# otherwise it is 0600 and the web servers run as the same user.
source "$(dirname "$0")/lib.sh"

SPAWN_FCGI=${SPAWN_FCGI:-/usr/bin/spawn-fcgi}
export CV_CONFIG_FILE=${CV_CONFIG_FILE:-$CV_ENV}
PIDFILE=$VAR_DIR/run/api.pids
LOG=$VAR_DIR/log/cv-api.log

# True when process $1 runs cv-api. A rebuilt binary shows as "PATH (deleted)" for the
# processes that still run it.
is_cv_api() {
    local comm
    # The name in /proc/PID/comm is read without a fork; most processes fail here.
    { read -r comm < "/proc/$1/comm"; } 2>/dev/null && [ "$comm" = cv-api ] || return 1
    case $(readlink "/proc/$1/exe" 2>/dev/null) in
        */cv-api | */cv-api" (deleted)") return 0 ;;
    esac
    return 1
}

# Prints the pids of the running responders of this VAR_DIR: those of the pid file
# that still run cv-api (a pid file from before a reboot may name another program), and
# every cv-api whose CV_CONFIG_FILE is this VAR_DIR's. The second set also finds the
# responders of a start that was killed before spawn-fcgi wrote the pid file, and the
# one that api.sh foreground runs.
running_pids() {
    local pid dir
    {
        if [ -f "$PIDFILE" ]; then
            while read -r pid || [ -n "$pid" ]; do
                [ -n "$pid" ] && proc_running "$pid" && is_cv_api "$pid" && printf '%s\n' "$pid"
            done < "$PIDFILE"
        fi
        for dir in /proc/[0-9]*; do
            pid=${dir#/proc/}
            is_cv_api "$pid" && proc_running "$pid" || continue
            if { tr '\0' '\n' < "$dir/environ"; } 2>/dev/null | grep -qxF "CV_CONFIG_FILE=$CV_ENV"; then
                printf '%s\n' "$pid"
            fi
        done
    } | sort -un
}

# Sets SOCKET_OPTS, spawn-fcgi's options for the socket's mode and group.
socket_options() {
    if [ "$(id -u)" = 0 ]; then
        SOCKET_OPTS=(-M 0660 -G "$(id -gn "$WEB_USER")")
    else
        SOCKET_OPTS=(-M 0600)
    fi
}

api_start() {
    local count=${API_RESPONDERS:-4} bin=$BUILD/cv-api i
    local -a pids

    [ -x "$SPAWN_FCGI" ] || die "spawn-fcgi not found at $SPAWN_FCGI (run scripts/deps.sh runtime)"
    [ -x "$bin" ] || die "$bin is missing; run make first"
    case $count in ''|*[!0-9]*|0) die "API_RESPONDERS must be a whole number above 0" ;; esac
    load_web_paths
    mkdir -p "$VAR_DIR/run" "$VAR_DIR/log"

    mapfile -t pids < <(running_pids)
    if [ ${#pids[@]} -eq "$count" ]; then
        say "responders already running ($count) on $API_SOCKET"
        return 0
    fi
    if [ ${#pids[@]} -gt 0 ]; then
        say "${#pids[@]} responders run on $API_SOCKET instead of $count; restarting all of them"
        api_stop
    fi
    socket_options

    # spawn-fcgi points the children's stderr at /dev/null. The sh in between reopens it
    # on the log and then execs cv-api, so each pid in the pid file is a responder.
    CV_API_LOG=$LOG "$SPAWN_FCGI" -F "$count" -s "$API_SOCKET" "${SOCKET_OPTS[@]}" -P "$PIDFILE" \
        -- /bin/sh -c 'exec "$0" "$@" 2>> "$CV_API_LOG"' "$bin" \
        >> "$VAR_DIR/log/spawn-fcgi.log" 2>&1 \
        || { log_tail "$VAR_DIR/log/spawn-fcgi.log"; die "spawn-fcgi could not start the responders"; }

    # A responder with a bad configuration exits at once: catch that here.
    for ((i = 0; i < 5; i++)); do
        sleep 0.1
        mapfile -t pids < <(running_pids)
        if [ ${#pids[@]} -lt "$count" ]; then
            log_tail "$LOG"
            api_stop
            die "only ${#pids[@]} of $count responders kept running; see $LOG"
        fi
    done
    state_set API_RESPONDERS "$count"
    say "$count responders listening on $API_SOCKET"
}

api_foreground() {
    [ -x "$BUILD/cv-api" ] || die "$BUILD/cv-api is missing; run make first"
    [ -z "$(running_pids)" ] || die "responders are running on the socket; run api.sh stop first"
    load_web_paths
    socket_options
    exec "$SPAWN_FCGI" -n -s "$API_SOCKET" "${SOCKET_OPTS[@]}" -- "$BUILD/cv-api"
}

api_stop() {
    local -a pids
    local pid deadline

    mapfile -t pids < <(running_pids)
    if [ ${#pids[@]} -gt 0 ]; then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        deadline=$((SECONDS + 15))
        while [ $SECONDS -lt $deadline ]; do
            mapfile -t pids < <(running_pids)
            [ ${#pids[@]} -gt 0 ] || break
            sleep 0.1
        done
        for pid in "${pids[@]}"; do
            say "responder $pid did not stop within 15 s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    rm -f "$PIDFILE" "$(state_get API_SOCKET)"
}

api_status() {
    local -a pids
    mapfile -t pids < <(running_pids)
    printf '%s of %s\n' "${#pids[@]}" "$(state_get API_RESPONDERS 0)"
    [ ${#pids[@]} -gt 0 ] && [ ${#pids[@]} -ge "$(state_get API_RESPONDERS 0)" ]
}

case ${1:-} in
    start) api_start ;;
    stop) api_stop ;;
    status) api_status ;;
    foreground) api_foreground ;;
    *) die "usage: api.sh start|stop|status|foreground" ;;
esac
