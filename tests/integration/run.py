#!/usr/bin/python3
"""Integration test runner. It starts a dedicated stack of this checkout, with its own
VAR_DIR, free ports, a second nginx server with a tight rate limit, and lighttpd beside
nginx. Then it runs every test_*(stack) function of tests/integration/test_*.py, prints
one line per test and a summary, and always stops the stack, also after a failure or
Ctrl-C.

    tests/integration/run.py [--build DIR] [--var-dir DIR] [-k SUBSTRING] [--list]

Exit status: 0 when no test failed, 1 otherwise, 2 when the stack did not start.
See README.md beside this file for how to add a test.
"""

import argparse
import importlib.util
import os
import signal
import sys
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ folders in the checkout
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from harness import Skip, Stack  # noqa: E402  (needs the path above)
from harness.logs import point_sanitizer_logs  # noqa: E402
from harness.stack import free_port  # noqa: E402

# Seconds one test may run unless it sets its own with the timeout_s attribute.
DEFAULT_TEST_TIMEOUT_S = 180


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived, so the runner stops the stack and exits. A
    BaseException, like KeyboardInterrupt, so that a test's failure handling does not
    catch it and the remaining tests do not run."""


def on_stop_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def on_alarm(signum, frame):
    raise TimeoutError("the test ran past its time limit")


def discover(pattern):
    """Return (file name, function name, function) of every test, in file and source order."""
    tests = []
    for name in sorted(os.listdir(HERE)):
        if not (name.startswith("test_") and name.endswith(".py")):
            continue
        spec = importlib.util.spec_from_file_location(name[:-3], os.path.join(HERE, name))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        functions = [(getattr(fn, "__code__").co_firstlineno, attr, fn)
                     for attr, fn in vars(module).items()
                     if attr.startswith("test_") and callable(fn)
                     and getattr(fn, "__module__", None) == module.__name__]
        for _, attr, fn in sorted(functions):
            test_id = f"{name}::{attr}"
            if pattern is None or pattern in test_id:
                tests.append((test_id, fn))
    return tests


def stack_settings():
    """Return the environment for stack.sh: free ports and limits for the tests."""
    return {
        "HTTP_ADDR": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "NGINX_STRICT_PORT": str(free_port()),
        "LIGHTTPD_PORT": str(free_port()),
        "WORKER_HTTP_PORT": str(free_port()),
        "DB_PORT": str(free_port()),
        "WEB_SERVER": "nginx",
        "API_RESPONDERS": os.environ.get("API_RESPONDERS", "3"),
        # High enough that no suite is limited on the main port. The 429 tests use the
        # strict server, which allows one request per minute after a burst of two.
        "RATE_LIMIT": "1000r/s",
        "RATE_LIMIT_BURST": "1000",
        "STRICT_RATE_LIMIT": "1r/m",
        "STRICT_RATE_LIMIT_BURST": "2",
        # test_upload.py sends 8 uploads at once, and test_limits.py keeps this many open.
        "UPLOADS_PER_CLIENT": "8",
    }


def run_tests(stack, tests):
    """Run each test; return the counts of passed, failed and skipped tests."""
    passed = failed = skipped = 0
    for test_id, fn in tests:
        start = time.monotonic()
        signal.alarm(int(getattr(fn, "timeout_s", DEFAULT_TEST_TIMEOUT_S)))
        try:
            fn(stack)
            outcome, detail = "PASS", ""
            passed += 1
        except Skip as exc:
            outcome, detail = "SKIP", f": {exc}"
            skipped += 1
        except Exception:  # a test may fail in any way; report it and go on
            outcome, detail = "FAIL", "\n" + traceback.format_exc().rstrip()
            failed += 1
        finally:
            signal.alarm(0)
        print(f"{outcome} {test_id} ({time.monotonic() - start:.2f}s){detail}", flush=True)
    return passed, failed, skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.environ.get("BUILD", "build"),
                        help="folder of cv-api, cv-worker and cvctl (default: build)")
    parser.add_argument("--var-dir", default="var/test",
                        help="runtime folder of the test stack, emptied first (default: var/test)")
    parser.add_argument("-k", dest="pattern", help="run only tests whose id contains this")
    parser.add_argument("--list", action="store_true", help="list the tests and exit")
    args = parser.parse_args()

    tests = discover(args.pattern)
    if args.list:
        for test_id, _ in tests:
            print(test_id)
        return 0

    signal.signal(signal.SIGTERM, on_stop_signal)
    signal.signal(signal.SIGHUP, on_stop_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    stack = Stack(ROOT, args.build, args.var_dir, stack_settings())
    point_sanitizer_logs(stack.var_dir)
    passed = failed = skipped = 0
    status = 0
    try:
        stack.clean()
        print(f"integration: starting the stack in {stack.var_dir}", flush=True)
        started = time.monotonic()
        stack.start()
        print(f"integration: stack ready in {time.monotonic() - started:.1f}s "
              f"(http://127.0.0.1:{stack.state['HTTP_PORT']}), {len(tests)} tests", flush=True)
        passed, failed, skipped = run_tests(stack, tests)
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"integration: interrupted ({exc or 'SIGINT'}); stopping the stack", flush=True)
        status = 1
    except Exception as exc:  # the stack did not start: report and stop what did
        print(f"integration: {exc}", flush=True)
        status = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack.stop() != 0:
            print("integration: stopping the stack failed:\n" + stack.log_tail(), flush=True)
            status = status or 1

    # Sanitizer reports, LeakSanitizer's included, are complete once every program exited.
    reports = stack.logs.sanitizer_reports()
    for path, excerpt in reports:
        print(f"FAIL sanitizer report in {path}:\n{excerpt}", flush=True)
    failed += len(reports)
    print(f"integration: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    if status == 0 and failed:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
