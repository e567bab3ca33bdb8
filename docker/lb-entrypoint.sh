#!/bin/sh
# Entry point of the lb image: renders nginx/lb.conf.in for the API hosts named by
# API_HOSTS (default api:8080), points its logs at the container's output, and runs
# nginx in the foreground.
set -eu

export API_HOSTS="${API_HOSTS:-api:8080}"
mkdir -p "$VAR_DIR/log"
ln -sf /proc/1/fd/1 "$VAR_DIR/log/nginx-access.log"
ln -sf /proc/1/fd/2 "$VAR_DIR/log/nginx-error.log"
/opt/cv-evaluator/scripts/nginx.sh render-lb
exec nginx -p "$VAR_DIR/nginx" -c "$VAR_DIR/nginx/nginx.conf" -g 'daemon off;'
