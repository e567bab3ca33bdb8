#!/usr/bin/env bash
# Runs the cv-worker integration tests against a private PostgreSQL and development
# broker on loopback, started by the tests and stopped here at the end.
#   VAR_DIR=...   runtime folder of the private stack (default var/worker-test)
#   BUILD=...     build folder holding cv-worker and cvctl (default build)
#   KEEP_STACK=1  leave PostgreSQL and the broker running afterwards
# Extra arguments name tests to run, e.g. WorkerTest.test_full_pool_pauses_partitions
# Needs the Debian packages kcat and python3-psycopg2.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export VAR_DIR=${VAR_DIR:-$ROOT/var/worker-test}
export BUILD=${BUILD:-build}
command -v kcat > /dev/null || { echo "error: kcat is missing (apt-get install kcat)" >&2; exit 1; }
/usr/bin/python3 -c 'import psycopg2' 2> /dev/null \
    || { echo "error: python3-psycopg2 is missing (apt-get install python3-psycopg2)" >&2; exit 1; }
for program in cv-worker cvctl; do
    [ -x "$ROOT/$BUILD/$program" ] || { echo "error: $BUILD/$program is missing; run make" >&2; exit 1; }
done

# Used by ThreadSanitizer builds (tests/tsan/build.sh); other builds ignore it.
export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$ROOT/tests/tsan/suppressions.txt}

stop_stack() {
    if [ "${KEEP_STACK:-0}" != 1 ]; then
        "$ROOT/scripts/broker.sh" stop || true
        "$ROOT/scripts/pg.sh" stop || true
    fi
}
trap stop_stack EXIT
cd "$ROOT/tests/worker"
/usr/bin/python3 test_worker.py "$@"
