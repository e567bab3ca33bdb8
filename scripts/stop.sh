#!/usr/bin/env bash
# `make stop`: stops the service of VAR_DIR (default var/), and the stacks of tests that
# an interrupted `make test` left under var/test*. Safe after a partial start and when
# nothing runs.
source "$(dirname "$0")/lib.sh"

status=0
for dir in "$VAR_DIR" "$ROOT"/var/test*; do
    [ -f "$dir/state.env" ] || continue
    say "stopping the stack of $dir"
    VAR_DIR=$dir "$ROOT/scripts/stack.sh" stop || status=1
done
exit $status
