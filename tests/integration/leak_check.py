#!/usr/bin/python3
"""Leak check of one responder. It starts a stack of a sanitizer build with no responders
of its own and runs a single cv-api in the foreground (scripts/api.sh foreground). It
sends that responder a bounded mix of requests through nginx and stops it with SIGTERM,
so that LeakSanitizer checks the heap at exit. The check then requires exit status 0
and no sanitizer report.

    tests/integration/leak_check.py [--build build-san] [--var-dir DIR] [--requests 1000]

Exit status: 0 clean, 1 leak, crash, failed request or report, 2 the stack did not start.
"""

import argparse
import collections
import os
import signal
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ folders in the checkout
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from harness import Stack  # noqa: E402  (needs the path above)
from harness.logs import point_sanitizer_logs  # noqa: E402
from harness.stack import free_port  # noqa: E402

# Seconds the responder may take to exit after SIGTERM, LeakSanitizer's scan included.
EXIT_TIMEOUT_S = 60
# Upper bound of the whole request loop, whatever the count.
LOOP_TIMEOUT_S = 600


class Mix:
    """The requests of the loop: every route, valid and invalid input, a few uploads and
    evaluations, so that both success and error paths run many times."""

    def __init__(self, client, samples):
        self.client = client
        self.samples = samples
        self.uploads = []   # (cv_id, project_id) of successful uploads
        self.jobs = []      # job ids of accepted evaluations

    def upload_text(self):
        fields = [("cv", "cv.txt", "Backend engineer: C, PostgreSQL, Kafka, REST APIs.\n", "text/plain"),
                  ("project", "report.md", "# Report\n\nA queue-based evaluator with retries.\n",
                   "text/markdown")]
        resp = self.client.post_multipart("/v1/upload", fields)
        if resp.status == 200:
            ids = resp.json()
            self.uploads.append((ids.get("cv_id"), ids.get("project_id")))
        return resp

    def upload_samples(self):
        resp = self.client.upload(*self.samples)
        if resp.status == 200:
            ids = resp.json()
            self.uploads.append((ids.get("cv_id"), ids.get("project_id")))
        return resp

    def evaluate(self):
        if not self.uploads:
            return self.upload_text()
        cv_id, project_id = self.uploads[-1]
        resp = self.client.post_json("/v1/evaluate", {"cv_id": cv_id, "project_id": project_id},
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
        if resp.status in (200, 202):
            self.jobs.append(resp.json().get("id"))
        return resp

    def result_with_etag(self):
        if not self.jobs:
            return self.client.get(f"/v1/result/{uuid.uuid4()}")
        resp = self.client.get(f"/v1/result/{self.jobs[-1]}")
        etag = resp.header("ETag")
        if etag:
            resp = self.client.get(f"/v1/result/{self.jobs[-1]}", headers={"If-None-Match": etag})
        return resp

    def requests(self):
        """Return the cycle of request functions; uploads of real documents are rarer."""
        client = self.client
        cheap = [
            lambda: client.get("/healthz"),
            lambda: client.get("/readyz"),
            lambda: client.get("/metrics"),
            lambda: client.get(f"/v1/result/{uuid.uuid4()}"),
            lambda: client.get("/v1/result/not-an-id"),
            lambda: client.get("/no/such/path"),
            lambda: client.request("DELETE", "/v1/upload"),
            lambda: client.post_json("/v1/evaluate", b"{"),
            lambda: client.post_json("/v1/evaluate", {"cv_id": str(uuid.uuid4()),
                                                      "project_id": str(uuid.uuid4())}),
            lambda: client.request("POST", "/v1/upload", body=b"--x\r\nbroken",
                                   headers={"Content-Type": "multipart/form-data; boundary=x"}),
            lambda: client.post_multipart("/v1/upload", [("cv", "empty.txt", b"", "text/plain"),
                                                         ("project", "p.txt", b"x", "text/plain")]),
            self.upload_text,
            self.result_with_etag,
        ]
        return cheap * 3 + [self.evaluate, self.upload_samples]


def send_requests(mix, count):
    """Send count requests, print how many got each status, and return a description of
    each 5xx response."""
    failures = []
    statuses = collections.Counter()
    cycle = mix.requests()
    deadline = time.monotonic() + LOOP_TIMEOUT_S
    for i in range(count):
        if time.monotonic() > deadline:
            failures.append(f"stopped after {i} requests: the loop ran past {LOOP_TIMEOUT_S}s")
            break
        resp = cycle[i % len(cycle)]()
        statuses[resp.status] += 1
        if resp.status >= 500:
            failures.append(f"request {i} ({cycle[i % len(cycle)]}): {resp}")
    print("leak check: responses by status: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())), flush=True)
    print(f"leak check: {len(mix.uploads)} uploads and {len(mix.jobs)} evaluations accepted",
          flush=True)
    return failures


def wait_ready(client, proc, timeout_s=60):
    """Wait until /readyz through nginx returns 200 or the responder exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if client.get("/readyz").status == 200:
            return True
        time.sleep(0.2)
    return False


def check_responder(stack, count):
    """Run the responder, drive it, stop it; return a list of problems found."""
    env = dict(os.environ, VAR_DIR=stack.var_dir, BUILD=stack.build,
               CV_CONFIG_FILE=os.path.join(stack.var_dir, "cv.env"))
    env.update(stack.settings)
    log_path = os.path.join(stack.var_dir, "log", "cv-api.log")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([os.path.join(ROOT, "scripts", "api.sh"), "foreground"],
                                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    problems = []
    try:
        client = stack.api
        if not wait_ready(client, proc):
            return [f"the responder did not become ready (exit status {proc.poll()}); see {log_path}"]
        started = time.monotonic()
        problems += send_requests(Mix(client, stack.samples()), count)
        print(f"leak check: {count} requests in {time.monotonic() - started:.1f}s", flush=True)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = None
    if status is None:
        problems.append(f"the responder did not exit within {EXIT_TIMEOUT_S}s of SIGTERM")
    elif status == -signal.SIGTERM:
        problems.append("the responder died of SIGTERM instead of exiting, so LeakSanitizer "
                        "never ran")
    elif status != 0:
        problems.append(f"the responder exited with status {status} (LeakSanitizer exits 23 "
                        f"on a leak); see {log_path}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build-san", help="sanitizer build folder")
    parser.add_argument("--var-dir", default="var/test-leak", help="runtime folder, emptied first")
    parser.add_argument("--requests", type=int, default=1000, help="requests to send (1000)")
    args = parser.parse_args()

    settings = {"HTTP_PORT": str(free_port()), "DB_PORT": str(free_port()),
                "WORKER_HTTP_PORT": str(free_port()), "API_RESPONDERS": "0",
                "RATE_LIMIT": "1000r/s", "RATE_LIMIT_BURST": "1000"}
    stack = Stack(ROOT, args.build, args.var_dir, settings)
    point_sanitizer_logs(stack.var_dir)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    problems = []
    status = 0
    try:
        stack.clean()
        stack.start()
        problems = check_responder(stack, args.requests)
    except RuntimeError as exc:
        print(f"leak check: {exc}", flush=True)
        status = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if stack.stop() != 0:
            problems.append("stopping the stack failed:\n" + stack.log_tail())
    for path, excerpt in stack.logs.sanitizer_reports():
        problems.append(f"sanitizer report in {path}:\n{excerpt}")
    for problem in problems:
        print(f"FAIL {problem}", flush=True)
    if problems:
        return 1
    if status == 0:
        print("leak check: the responder exited cleanly after SIGTERM with no sanitizer report")
    return status


if __name__ == "__main__":
    sys.exit(main())
