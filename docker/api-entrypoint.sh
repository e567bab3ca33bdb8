#!/bin/bash
# Entry point of the api image: starts the responders (scripts/api.sh) and nginx
# (rendered by scripts/nginx.sh) and stays as the container's main process. SIGTERM
# stops nginx and then the responders. When nginx or a responder dies, it stops the
# rest and exits 1, so that the restart policy replaces the host as a whole.
set -euo pipefail

mkdir -p "$VAR_DIR/log" "$VAR_DIR/run"
# The logs of nginx and the responders go to the container's output, which is this
# process's. spawn-fcgi gives the responders /dev/null as stderr, so /dev/stderr would
# lose their lines; /proc/1/fd/2 is this script's.
ln -sf /proc/1/fd/1 "$VAR_DIR/log/nginx-access.log"
ln -sf /proc/1/fd/2 "$VAR_DIR/log/nginx-error.log"
ln -sf /proc/1/fd/2 "$VAR_DIR/log/cv-api.log"
# Settings come from the environment; the file is empty, and api.sh stop finds the
# responders by its name.
export CV_CONFIG_FILE=$VAR_DIR/cv.env
: > "$CV_CONFIG_FILE"
# The file through which the responders of this host sum their /metrics.
export METRICS_PATH=${METRICS_PATH:-$VAR_DIR/run/metrics}

/opt/cv-evaluator/scripts/api.sh start
/opt/cv-evaluator/scripts/nginx.sh render
nginx -p "$VAR_DIR/nginx" -c "$VAR_DIR/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!

stop() {
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    /opt/cv-evaluator/scripts/api.sh stop
}
trap 'stop; exit 0' TERM INT

# Polls once a second; bash reaps the responders, which became its children when
# spawn-fcgi exited.
while sleep 1; do
    if ! kill -0 "$nginx_pid" 2>/dev/null; then
        echo "api-entrypoint: nginx exited; stopping the responders" >&2
        stop
        exit 1
    fi
    if ! /opt/cv-evaluator/scripts/api.sh status > /dev/null; then
        echo "api-entrypoint: a responder exited; stopping this host" >&2
        stop
        exit 1
    fi
done
