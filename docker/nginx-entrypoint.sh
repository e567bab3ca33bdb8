#!/bin/sh
# Entry point of the nginx image: renders the configuration of nginx/ for the responders
# of the api service (API_UPSTREAM, default api:9000), points its logs at the
# container's output, and runs nginx in the foreground.
set -eu

export VAR_DIR=/var/lib/cv-evaluator
export HTTP_ADDR="${HTTP_ADDR:-0.0.0.0}"
export HTTP_PORT="${HTTP_PORT:-8080}"
export API_UPSTREAM="${API_UPSTREAM:-api:9000}"

mkdir -p "$VAR_DIR/log"
ln -sf /dev/stdout "$VAR_DIR/log/nginx-access.log"
ln -sf /dev/stderr "$VAR_DIR/log/nginx-error.log"
/opt/cv-evaluator/scripts/nginx.sh render
exec nginx -p "$VAR_DIR/nginx" -c "$VAR_DIR/nginx/nginx.conf" -g 'daemon off;'
