#!/bin/sh
# Entry point of the api image: spawn-fcgi forks API_RESPONDERS cv-api processes that
# accept on TCP port 9000, then this script stays as the container's main process. It
# passes SIGTERM on to every responder, and exits when one of them dies, so that the
# container's restart policy replaces the set.
set -eu

pids_file=/tmp/cv-api.pids
spawn-fcgi -F "${API_RESPONDERS:-4}" -a 0.0.0.0 -p 9000 -P "$pids_file" -- /usr/local/bin/cv-api
pids=$(cat "$pids_file")

stop() {
    # shellcheck disable=SC2086 # one argument per pid
    kill -TERM $pids 2>/dev/null || true
    for pid in $pids; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    done
    exit 0
}
trap stop TERM INT

while :; do
    for pid in $pids; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "api-entrypoint: responder $pid exited; stopping the others" >&2
            stop
        fi
    done
    sleep 1
done
