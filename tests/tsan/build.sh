#!/usr/bin/env bash
# Builds cv-worker, cvctl and the worker's unit tests with ThreadSanitizer:
#   tests/tsan/build.sh [BUILD]        (default build-tsan)
# Links tests/tsan/c11_threads.c, which routes librdkafka's C11 threads through
# pthreads so that GCC 12's TSAN runtime can follow them. Run the result with
#   TSAN_OPTIONS=suppressions=$PWD/tests/tsan/suppressions.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build-tsan}
cd "$ROOT"
mkdir -p "$BUILD"
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -fPIE -fsanitize=thread \
    -c tests/tsan/c11_threads.c -o "$BUILD/c11_threads.o"
make -j2 BUILD="$BUILD" SAN=thread LDFLAGS="$PWD/$BUILD/c11_threads.o" \
    "$BUILD/cv-worker" "$BUILD/cvctl" "$BUILD/tests/test_job" "$BUILD/tests/test_offsets"
