"""Support for the LLM scenario tests. The fake provider of tests/fakes/fake_llm.py runs
as a subprocess with its control API. A context manager runs the stack's worker with an
LLM configuration for the length of one test and then puts the usual worker back."""

import contextlib
import json
import os
import subprocess
import time
import urllib.request

from harness.stack import free_port

# The key the tests configure; no log line or error message may ever contain it.
FAKE_KEY = "sk-fake-test-key-4e1d"

# Settings every LLM test starts from: short backoff so retries take little time, and
# one run per job so a failure shows the evaluator's own error code. A worker started
# for one test joins the consumer group anew, and the rebalance takes seconds. So the
# sweeper picks up a queued job after one second instead, and both paths run the same
# job code.
BASE_SETTINGS = {
    "JOB_REQUEUE_AFTER_MS": "1000",
    "JOB_SWEEP_INTERVAL_MS": "200",
    "EVALUATOR": "llm",
    "LLM_TEMPERATURE_MILLI": "100",
    "LLM_MAX_TOKENS": "800",
    "LLM_CONNECT_TIMEOUT_MS": "1000",
    "LLM_TIMEOUT_MS": "5000",
    "LLM_MAX_RETRIES": "2",
    "LLM_BACKOFF_BASE_MS": "50",
    "LLM_BACKOFF_MAX_MS": "2000",
    "LLM_BREAKER_FAILURES": "20",
    "LLM_BREAKER_COOLDOWN_MS": "60000",
    "JOB_MAX_ATTEMPTS": "1",
    "CONSUMER_MAX_CONCURRENCY": "4",
}


class FakeProvider:
    """One fake provider process on a free loopback port."""

    def __init__(self, root, log_dir, name="fake", latency_ms=0):
        self.name = name
        self.port_file = os.path.join(log_dir, f"fake-{name}.port")
        self.log_path = os.path.join(log_dir, f"fake-{name}.log")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                ["/usr/bin/python3", os.path.join(root, "tests", "fakes", "fake_llm.py"),
                 "--port-file", self.port_file, "--latency-ms", str(latency_ms)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fake provider did not start; see {self.log_path}")
            time.sleep(0.05)
        with open(self.port_file, encoding="ascii") as fp:
            self.port = int(fp.read())

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/v1"

    def _call(self, method, path, doc=None):
        data = json.dumps(doc).encode() if doc is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def script(self, actions=(), default=None):
        """Replace the script: actions in order, then default for every later request."""
        spec = {"actions": list(actions)}
        if default is not None:
            spec["default"] = default
        self._call("POST", "/_fake/reset", {})
        self._call("POST", "/_fake/script", spec)

    def requests(self):
        """Return the chat requests received since the last script() call."""
        return self._call("GET", "/_fake/requests")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def closed_port_url():
    """Return a provider URL on a loopback port where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/v1"


def provider_settings(slot, name, base_url, model="fake-model", key=FAKE_KEY):
    return {
        f"LLM_{slot}_NAME": name,
        f"LLM_{slot}_BASE_URL": base_url,
        f"LLM_{slot}_MODEL": model,
        f"LLM_{slot}_API_KEY": key,
    }


def _worker_script(stack, command, env_extra):
    env = dict(os.environ)
    env.update(stack.settings)
    env.update(env_extra)
    env["VAR_DIR"] = stack.var_dir
    env["BUILD"] = stack.build
    env["CV_CONFIG_FILE"] = os.path.join(stack.var_dir, "cv.env")
    return subprocess.run([os.path.join(stack.root, "scripts", "worker.sh"), command],
                          env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, check=False)


@contextlib.contextmanager
def llm_worker(stack, settings):
    """Run the stack's worker with BASE_SETTINGS plus settings, then restore the usual one.

    Fails the test when cv-api or cv-worker is not running, or when the worker does not
    start with these settings.
    """
    stack.require("cv-api", "cv-worker")
    was_running = _worker_script(stack, "status", {}).returncode == 0
    _worker_script(stack, "stop", {})
    env = dict(BASE_SETTINGS)
    env.update(settings)
    started = _worker_script(stack, "start", env)
    if started.returncode != 0:
        output = started.stdout + started.stderr
        if was_running:
            _worker_script(stack, "start", {})
        raise AssertionError("the worker did not start with the test settings:\n" + output)
    try:
        yield
    finally:
        _worker_script(stack, "stop", {})
        if was_running:
            restored = _worker_script(stack, "start", {})
            if restored.returncode != 0:
                raise AssertionError("the usual worker did not start again:\n"
                                     + restored.stdout + restored.stderr)


@contextlib.contextmanager
def fakes(stack, *names, latency_ms=0):
    """Start one fake provider per name in the stack's log folder; stop them afterwards."""
    stack.require("cv-api", "cv-worker")
    started = []
    try:
        for name in names:
            started.append(FakeProvider(stack.root, stack.logs.dir, name, latency_ms))
        yield started if len(started) > 1 else started[0]
    finally:
        for fake in started:
            fake.stop()


def submit(stack, cv_text, project_text, extra=None):
    """Upload two plain-text documents, request their evaluation; return the job id."""
    resp = stack.api.post_multipart("/v1/upload", [
        ("cv", "cv.txt", cv_text, "text/plain"),
        ("project", "project.txt", project_text, "text/plain"),
    ])
    assert resp.status == 200, f"upload: {resp}"
    ids = resp.json()
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"]}
    body.update(extra or {})
    resp = stack.api.post_json("/v1/evaluate", body)
    assert resp.status in (200, 202), f"evaluate: {resp}"
    return resp.json()["id"]


def evaluate(stack, cv_text, project_text, extra=None, timeout_s=90):
    """Submit and poll until the job completes or fails; return (job id, final body)."""
    job_id = submit(stack, cv_text, project_text, extra)
    return job_id, stack.api.poll_result(job_id, timeout_s=timeout_s, interval_s=0.2)


def worker_lines(stack, job_id, event):
    """Return the worker's log lines of one event for one job."""
    return [line for line in stack.logs.lines("cv-worker.log", f"job_id={job_id}")
            if f"event={event} " in line]


def assert_key_never_logged(stack):
    for name in ("cv-worker.log", "cv-api.log"):
        assert FAKE_KEY not in stack.logs.read(name), f"the provider key appears in {name}"
