#!/usr/bin/env bash
# `make stop`: stops the service of VAR_DIR (default var/), and the stacks of tests that
# an interrupted `make test` left under var/test*. Safe after a partial start and when
# nothing runs. With VAR_DIR set it stops that stack only, because the var/test* stacks
# may belong to test runs of other builds that still run in the same checkout.
given_var_dir=${VAR_DIR:-}
source "$(dirname "$0")/lib.sh"

dirs=("$VAR_DIR")
if [ -z "$given_var_dir" ]; then
    dirs+=("$ROOT"/var/test*)
fi

status=0
for dir in "${dirs[@]}"; do
    [ -f "$dir/state.env" ] || continue
    say "stopping the stack of $dir"
    VAR_DIR=$dir "$ROOT/scripts/stack.sh" stop || status=1
done
exit $status
