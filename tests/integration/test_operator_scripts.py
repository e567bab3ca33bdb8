"""The operator scripts on the running test stack: api.sh start replaces responders that
died, broker.sh restarts the development broker on its recorded port, and a setting
given to one stack.sh start is not kept for the next. Each test leaves the stack
running with its usual settings and proves that with a full evaluation."""

import http.client
import os
import signal
import socket

from api_support import (CV_TEXT, PROJECT_TEXT, RECOVERY_TIMEOUT_S, assert_full_evaluation,
                         responder_pids, run_script, upload, wait_for, wait_ready)
from harness import Skip
from harness.stack import read_state

DEFAULT_UPLOAD_MAX_BYTES = 10485760
SMALL_UPLOAD_MAX_BYTES = 1000000


def expected_responders(stack):
    return int(stack.settings.get("API_RESPONDERS", "4"))


def kill_responders(stack, pids):
    """SIGKILL the responders pids and wait until none of them runs."""
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not (responder_pids(stack) & set(pids)), timeout_s=10), \
        f"responders {sorted(pids)} still run after SIGKILL"


def stack_status_line(stack, component):
    """Return the exit status of stack.sh status and its line for component."""
    proc = run_script(stack, "stack", "status")
    lines = [line for line in proc.stdout.splitlines() if line.split()[:1] == [component]]
    return proc.returncode, (lines[0] if lines else proc.stdout)


def worker_readyz_status(stack):
    """Return the status of the worker's /readyz, or 0 when it did not respond. The
    worker's health port is not part of openapi.yaml, so the contract client is not used."""
    conn = http.client.HTTPConnection("127.0.0.1", int(stack.state["WORKER_HTTP_PORT"]), timeout=5)
    try:
        conn.request("GET", "/readyz")
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()


def refresh_state(stack):
    """Reread state.env into stack.state, which the later tests read too."""
    stack.state.clear()
    stack.state.update(read_state(os.path.join(stack.var_dir, "state.env")))


def test_api_start_replaces_killed_responder(stack):
    stack.require("cv-api")
    count = expected_responders(stack)
    before = responder_pids(stack)
    assert len(before) == count, f"responders before the test: {sorted(before)}"
    killed = min(before)
    kill_responders(stack, [killed])

    status, line = stack_status_line(stack, "responders")
    assert status == 3, line
    assert "degraded" in line, line
    assert f"{count - 1} of {count}" in line, line
    api_status = run_script(stack, "api", "status")
    assert api_status.returncode != 0, api_status

    started = run_script(stack, "api", "start")
    assert started.returncode == 0, started
    assert "restarting all of them" in started.stderr, started.stderr
    after = responder_pids(stack)
    assert len(after) == count, f"responders after api.sh start: {sorted(after)}"
    assert killed not in after, sorted(after)
    api_status = run_script(stack, "api", "status")
    assert api_status.returncode == 0, api_status
    assert api_status.stdout.strip() == f"{count} of {count}", api_status
    wait_ready(stack)


def test_api_start_after_all_responders_killed(stack):
    stack.require("cv-api", "cv-worker")
    count = expected_responders(stack)
    kill_responders(stack, sorted(responder_pids(stack)))

    resp = stack.api.get("/readyz")
    assert resp.status == 502, resp
    status, line = stack_status_line(stack, "responders")
    assert status == 3, line
    assert "stopped" in line, line
    assert f"0 of {count}" in line, line

    started = run_script(stack, "api", "start")
    assert started.returncode == 0, started
    assert len(responder_pids(stack)) == count, started
    wait_ready(stack)
    assert_full_evaluation(stack)


def test_broker_restart_keeps_port(stack):
    stack.require("cv-api", "cv-worker")
    if stack.state.get("BROKER") != "development":
        raise Skip("the stack uses an external broker, which broker.sh does not restart")
    address = stack.state["KAFKA_BROKERS"]
    responders = responder_pids(stack)

    stopped = run_script(stack, "broker", "stop")
    assert stopped.returncode == 0, stopped
    assert wait_for(lambda: stack.api.get("/readyz").status == 503, timeout_s=30), \
        f"/readyz while the broker is stopped: {stack.api.get('/readyz')}"
    started = run_script(stack, "broker", "start")
    assert started.returncode == 0, started
    refresh_state(stack)

    assert stack.state["KAFKA_BROKERS"] == address, started.stderr
    assert "WARNING" not in started.stderr, started.stderr
    wait_ready(stack)
    assert wait_for(lambda: worker_readyz_status(stack) == 200, timeout_s=RECOVERY_TIMEOUT_S), \
        f"worker /readyz after the broker restart: {worker_readyz_status(stack)}"
    assert responder_pids(stack) == responders, "the responders were restarted"
    assert_full_evaluation(stack)


test_broker_restart_keeps_port.timeout_s = 300


def restart_api_and_worker(stack):
    for name in ("api", "worker"):
        for command in ("stop", "start"):
            proc = run_script(stack, name, command, timeout_s=180)
            assert proc.returncode == 0, proc


def test_broker_port_taken_moves_and_warns(stack):
    stack.require("cv-api", "cv-worker")
    if stack.state.get("BROKER") != "development":
        raise Skip("the stack uses an external broker, which broker.sh does not restart")
    old_port = int(stack.state["DEV_BROKER_PORT"])

    stopped = run_script(stack, "broker", "stop")
    assert stopped.returncode == 0, stopped
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            holder.bind(("127.0.0.1", old_port))
            holder.listen(1)
            started = run_script(stack, "broker", "start")
    finally:
        # A broker that failed above starts now on the freed port. Either way the API
        # and the worker need its address again.
        again = run_script(stack, "broker", "start")
        refresh_state(stack)
        restart_api_and_worker(stack)

    assert again.returncode == 0, again

    assert started.returncode == 0, started
    new_port = int(stack.state["DEV_BROKER_PORT"])
    assert new_port != old_port, stack.state
    assert stack.state["KAFKA_BROKERS"] == f"127.0.0.1:{new_port}", stack.state
    assert f"port {old_port} of the development broker is in use" in started.stderr, started.stderr
    with open(os.path.join(stack.var_dir, "cv.env"), encoding="utf-8") as fp:
        assert f"KAFKA_BROKERS=127.0.0.1:{new_port}\n" in fp.read(), "cv.env keeps the old port"
    wait_ready(stack)
    assert_full_evaluation(stack)


test_broker_port_taken_moves_and_warns.timeout_s = 400


def restart_stack(stack, extra):
    """Stop the whole stack, then start it with its settings plus extra."""
    status = stack.stop()
    assert status == 0, stack.log_tail()
    settings = dict(stack.settings)
    stack.settings.update(extra)
    try:
        stack.start()
    finally:
        stack.settings.clear()
        stack.settings.update(settings)


def upload_limit_in_effect(stack):
    """Return UPLOAD_MAX_BYTES as state.env and cv.env record it."""
    with open(os.path.join(stack.var_dir, "cv.env"), encoding="utf-8") as fp:
        cv_env = read_state(fp.name)
    return stack.state.get("UPLOAD_MAX_BYTES"), cv_env.get("UPLOAD_MAX_BYTES")


def test_stack_start_forgets_upload_limit(stack):
    stack.require("cv-api", "cv-worker")
    if "UPLOAD_MAX_BYTES" in os.environ or "UPLOAD_MAX_BYTES" in stack.settings:
        raise Skip("UPLOAD_MAX_BYTES is set for the whole run")
    # A text above the small limit and below the default one, so that the responders
    # reject it under the small limit only.
    body = (PROJECT_TEXT * (SMALL_UPLOAD_MAX_BYTES // len(PROJECT_TEXT) + 1)).encode()
    small = str(SMALL_UPLOAD_MAX_BYTES)
    default = str(DEFAULT_UPLOAD_MAX_BYTES)

    try:
        restart_stack(stack, {"UPLOAD_MAX_BYTES": small})
        assert upload_limit_in_effect(stack) == (small, small), stack.state
        resp = upload(stack.api, ("cv.txt", CV_TEXT), ("project.txt", body))
        assert resp.status == 413, resp
    finally:
        restart_stack(stack, {})

    assert upload_limit_in_effect(stack) == (default, default), stack.state
    resp = upload(stack.api, ("cv.txt", CV_TEXT), ("project.txt", body))
    assert resp.status == 200, resp
    wait_ready(stack)
    assert_full_evaluation(stack)


test_stack_start_forgets_upload_limit.timeout_s = 600
