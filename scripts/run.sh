#!/usr/bin/env bash
# `make run`: installs the missing packages, builds, starts the whole service of this
# checkout (scripts/stack.sh start), evaluates the sample documents through the HTTP
# API and prints the result JSON. The service keeps running, and the last line tells
# how to stop it, also when a step failed after something was started.
source "$(dirname "$0")/lib.sh"

MAKE=${MAKE:-make}

print_stop_hint() {
    if [ -f "$STATE" ]; then
        say ""
        say "The service is running on http://$(state_get HTTP_ADDR 127.0.0.1):$(state_get HTTP_PORT 8080) (state in $VAR_DIR); stop it with: make stop"
    fi
}

main() {
    "$ROOT/scripts/deps.sh" build runtime
    # A make of its own: the Makefile reads pkg-config when it is parsed, which must
    # happen after the -dev packages are installed.
    "$MAKE" -C "$ROOT" --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" BUILD="$BUILD" all
    trap print_stop_hint EXIT
    "$ROOT/scripts/stack.sh" start
    "$ROOT/scripts/evaluate-samples.sh"
}

main "$@"
