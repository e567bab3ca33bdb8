#!/usr/bin/env bash
# Everything CI runs (`make test`), in order, stopping at the first failing stage:
#   deps             install the missing build, runtime and test packages
#   build            the binaries and unit tests into BUILD
#   docs             docs/config.md matches `cvctl config-doc`
#   unit             every unit test program of tests/unit
#   integration      tests/integration/run.py against a stack of BUILD
#   worker           tests/worker/run.sh
#   san-build        the same with SAN=address,undefined into SAN_BUILD
#   san-unit         the unit tests of the sanitizer build
#   san-integration  the integration tests against the sanitizer build
#   leak-check       1000 requests through one sanitizer-built responder, then SIGTERM
#   fuzz-smoke       `make fuzz-smoke`
# Stacks of the tests run in their own VAR_DIR (var/test* for BUILD=build, var/test-BUILD*
# otherwise) on free ports, beside a running `make run`. A table of the stages and
# their durations closes the output, then a line "tests: N passed, N failed, N skipped".
source "$(dirname "$0")/lib.sh"

MAKE=${MAKE:-make}
JOBS=$(nproc 2>/dev/null || echo 2)
PYTHON=/usr/bin/python3
BUILD_NAME=$(basename "$BUILD")
if [ "$BUILD_NAME" = build ]; then
    SAN_BUILD=$ROOT/build-san
    TEST_VAR=$ROOT/var/test
else
    SAN_BUILD=$ROOT/$BUILD_NAME-san
    TEST_VAR=$ROOT/var/test-$BUILD_NAME
fi
# Sanitizer reports of the unit tests go to their output. The test stacks set log_path.
# fast_unwind_on_malloc=0: stacks of allocations made inside libraries built without
# frame pointers (libcjson, libpq) still reach the project's own frames.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PASSED=0
FAILED=0
SKIPPED=0
SUMMARY=()
ALL_STAGES=(deps build docs unit integration worker san-build san-unit san-integration leak-check fuzz-smoke)

# Adds the test counts in output file $1 to the totals. It reads the last line
# "... N passed, N failed[, N skipped]" of the project's runners, or else the closing
# lines of Python's unittest: "Ran N tests" and "OK (skipped=N)" or "FAILED (...)".
add_counts() {
    local line p=0 f=0 s=0 ran n
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1) || line=
    if [ -n "$line" ]; then
        p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<< " $line")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<< " $line")
        if [[ $line == *skipped* ]]; then s=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<< " $line"); fi
    elif ran=$(sed -nE 's/^Ran ([0-9]+) tests? in .*/\1/p' "$1" | tail -n 1) && [ -n "$ran" ]; then
        line=$(grep -E '^(OK|FAILED)' "$1" | tail -n 1) || line=
        s=$(grep -oE 'skipped=[0-9]+' <<< "$line" | cut -d= -f2) || s=0
        for n in $(grep -oE '(failures|errors)=[0-9]+' <<< "$line" | cut -d= -f2); do
            f=$((f + n))
        done
        p=$((ran - ${s:-0} - f))
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + ${f:-0}))
    SKIPPED=$((SKIPPED + ${s:-0}))
}

print_summary() {
    local stage row
    printf '\n%-17s %-8s %s\n' stage result seconds
    for row in "${SUMMARY[@]}"; do
        printf '%s\n' "$row"
    done
    for stage in "${ALL_STAGES[@]}"; do
        printf '%s\n' "${SUMMARY[@]}" | grep -q "^$stage " || printf '%-17s %-8s\n' "$stage" "not run"
    done
    printf 'tests: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
}

# Runs stage $1 as the command "$@" after it, with its output on the console and in
# $OUT/$1.log. Records the outcome, and ends the run when the stage failed.
stage() {
    local name=$1 start status
    shift
    printf '\n=== %s\n' "$name"
    start=$SECONDS
    set +e
    "$@" 2>&1 | tee "$OUT/$name.log"
    status=${PIPESTATUS[0]}
    set -e
    add_counts "$OUT/$name.log"
    if [ "$status" = 0 ]; then
        SUMMARY+=("$(printf '%-17s %-8s %5d' "$name" ok $((SECONDS - start)))")
        return 0
    fi
    SUMMARY+=("$(printf '%-17s %-8s %5d  (exit status %s)' "$name" FAILED $((SECONDS - start)) "$status")")
    [ "$FAILED" -gt 0 ] || FAILED=1
    print_summary
    exit 1
}

# Runs the unit test program of every tests/unit/test_*.c from build folder $1.
run_unit_tests() {
    local build=$1 src bin status=0 count=0 passed=0 failed=0 n
    local -a failed_programs=()
    for src in "$ROOT"/tests/unit/test_*.c; do
        [ -e "$src" ] || continue
        bin=$build/tests/$(basename "$src" .c)
        count=$((count + 1))
        printf -- '--- %s\n' "$(basename "$bin")"
        if ! timeout 300 "$bin" > "$OUT/unit-one.log" 2>&1; then
            status=1
            failed_programs+=("$(basename "$bin")")
            # A program that died before cmocka's summary counts as one failed test.
            grep -q 'FAILED  \]' "$OUT/unit-one.log" || failed=$((failed + 1))
        fi
        cat "$OUT/unit-one.log"
        n=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$OUT/unit-one.log" | tail -n 1)
        passed=$((passed + ${n:-0}))
        n=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$OUT/unit-one.log" | tail -n 1)
        failed=$((failed + ${n:-0}))
    done
    if [ ${#failed_programs[@]} -gt 0 ]; then
        printf 'unit: failed programs (a sanitizer report fails a program that passed its tests): %s\n' \
            "${failed_programs[*]}"
    fi
    printf 'unit: %d programs, %d passed, %d failed\n' "$count" "$passed" "$failed"
    return $status
}

# Checks that docs/config.md matches the configuration table it is generated from, so a
# new or changed setting cannot ship undocumented.
check_config_doc() {
    if "$BUILD/cvctl" config-doc | diff -u "$ROOT/docs/config.md" -; then
        echo "docs: docs/config.md matches cvctl config-doc; 1 passed, 0 failed"
        return 0
    fi
    echo "docs: docs/config.md is out of date; run: $BUILD/cvctl config-doc > docs/config.md"
    echo "docs: 0 passed, 1 failed"
    return 1
}

# tests/worker/run.sh takes BUILD relative to the checkout.
run_worker_tests() {
    BUILD=${BUILD#"$ROOT"/} VAR_DIR=$TEST_VAR-worker bash "$ROOT/tests/worker/run.sh"
}

main() {
    cd "$ROOT"
    stage deps "$ROOT/scripts/deps.sh" build runtime test

    stage build "$MAKE" -j"$JOBS" BUILD="$BUILD" all unit
    stage docs check_config_doc
    stage unit run_unit_tests "$BUILD"
    stage integration "$PYTHON" tests/integration/run.py --build "$BUILD" --var-dir "$TEST_VAR"
    stage worker run_worker_tests

    stage san-build "$MAKE" -j"$JOBS" SAN=address,undefined BUILD="$SAN_BUILD" all unit
    stage san-unit run_unit_tests "$SAN_BUILD"
    stage san-integration "$PYTHON" tests/integration/run.py --build "$SAN_BUILD" \
        --var-dir "$TEST_VAR-san"
    stage leak-check "$PYTHON" tests/integration/leak_check.py --build "$SAN_BUILD" \
        --var-dir "$TEST_VAR-leak" --requests 1000
    PASSED=$((PASSED + 1))

    stage fuzz-smoke "$MAKE" fuzz-smoke
    print_summary
}

main "$@"
