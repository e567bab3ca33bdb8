"""503 while a dependency is down, and recovery once it is back. PostgreSQL is stopped
and started again with scripts/pg.sh (same port and data). The development broker is
frozen with SIGSTOP and thawed with SIGCONT, so that it keeps the messages that a
restart would lose. Each test leaves the stack as it found it and proves that with a full
evaluation, so the tests that run after it are unaffected."""

import contextlib
import os
import signal

from api_support import (CV_TEXT, PROJECT_TEXT, READY_STREAK, assert_completed_result,
                         assert_error, assert_full_evaluation, evaluate_ok, paused_worker,
                         run_script, upload, upload_ok, wait_done, wait_for, wait_ready)
from harness import Skip

# Seconds a job queued after an outage may take. In the worst case it goes the sweeper's
# way (JOB_REQUEUE_AFTER_MS, then JOB_SWEEP_INTERVAL_MS) once per pool thread whose
# connection the outage broke.
RECOVERY_JOB_TIMEOUT_S = 400

# Jobs queued at once to put every pool thread to work. It equals the default of
# CONSUMER_MAX_CONCURRENCY, which the test stack keeps.
POOL_JOBS = 24


def readyz_failed_checks(stack):
    """Return /readyz's status and the names of its failed checks."""
    resp = stack.api.get("/readyz")
    checks = resp.json().get("checks", {})
    return resp, sorted(name for name, state in checks.items() if state != "ok")


@contextlib.contextmanager
def database_stopped(stack):
    """Stop the stack's PostgreSQL for the body of the with block, then start it again."""
    stopped = run_script(stack, "pg", "stop")
    assert stopped.returncode == 0, stopped
    try:
        yield
    finally:
        started = run_script(stack, "pg", "start")
        assert started.returncode == 0, started


@contextlib.contextmanager
def broker_frozen(stack):
    """Freeze the development broker with SIGSTOP for the with block, then SIGCONT it."""
    if stack.state.get("BROKER") != "development":
        raise Skip("the stack uses an external broker, which this test does not freeze")
    with open(os.path.join(stack.var_dir, "run", "broker.pid"), encoding="ascii") as fp:
        pid = int(fp.read().split()[0])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def worker_log_offset(stack):
    return len(stack.logs.read("cv-worker.log"))


def failed_claims_since(stack, offset):
    """Return the worker's job.claim lines after offset that report a failure."""
    return [line for line in stack.logs.read("cv-worker.log")[offset:].splitlines()
            if " event=job.claim " in line and " err=" in line]


def restart_worker(stack):
    for command in ("stop", "start"):
        proc = run_script(stack, "worker", command, timeout_s=180)
        assert proc.returncode == 0, proc


def test_database_down_is_503_then_recovers(stack):
    stack.require("cv-api", "cv-worker")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    job_id = evaluate_ok(stack.api, ids)
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id

    with database_stopped(stack):
        for _ in range(READY_STREAK):
            resp, failed = readyz_failed_checks(stack)
            assert_error_not_ready(resp)
            assert failed == ["database"], resp
            assert int(resp.header("Retry-After", "-1")) > 0, resp.headers
        head = stack.api.request("HEAD", "/readyz")
        assert head.status == 503, head
        assert head.body == b"", head

        unavailable = [
            upload(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT)),
            stack.api.post_json("/v1/evaluate", {"cv_id": ids["cv_id"],
                                                 "project_id": ids["project_id"]}),
            stack.api.get(f"/v1/result/{job_id}"),
        ]
        for resp in unavailable:
            assert_error(resp, 503, "service_unavailable")
            assert int(resp.header("Retry-After", "-1")) > 0, resp.headers
        assert stack.api.get("/healthz").status == 200, "liveness must not check the database"
        offset = worker_log_offset(stack)

    wait_ready(stack)
    resp = stack.api.get(f"/v1/result/{job_id}")
    assert resp.status == 200, resp
    # The outage broke the connections of idle pool threads too. A claim that fails on
    # one leaves the job to the sweeper, so the worker is restarted to give every thread
    # a new connection. The next test pins that defect.
    later = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    later_job = evaluate_ok(stack.api, later)
    first_claim = wait_for(lambda: [line for line in stack.logs.read("cv-worker.log")[offset:]
                                     .splitlines()
                                     if " event=job.claim " in line
                                     and f" job_id={later_job} " in line], timeout_s=60)
    assert first_claim, f"no worker claimed {later_job} after the database was back"
    if failed_claims_since(stack, offset):
        restart_worker(stack)
    assert_completed_result(wait_done(stack.api, later_job))
    assert_full_evaluation(stack)


test_database_down_is_503_then_recovers.timeout_s = 600


def run_side_by_side(stack, jobs):
    """Queue jobs while the worker is paused, so that the pool runs them side by side on
    as many threads as it has. Returns their final bodies."""
    ids = [upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
           for _ in range(jobs)]
    with paused_worker(stack):
        job_ids = [evaluate_ok(stack.api, pair) for pair in ids]
    return [wait_done(stack.api, job_id, timeout_s=RECOVERY_JOB_TIMEOUT_S)
            for job_id in job_ids]


def test_database_restart_while_idle_is_transparent(stack):
    """PostgreSQL restarts while nothing uses it. The first statement of each process
    and thread afterwards runs on a connection that the restart closed. The service must
    notice that before the statement and connect again, instead of failing the request
    or the job claim."""
    stack.require("cv-api", "cv-worker")
    wait_ready(stack)
    run_side_by_side(stack, POOL_JOBS)
    offset = worker_log_offset(stack)
    with database_stopped(stack):
        pass

    first = upload(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    wait_ready(stack)
    finals = run_side_by_side(stack, POOL_JOBS)
    failed_claims = failed_claims_since(stack, offset)
    if failed_claims:
        restart_worker(stack)
    assert_full_evaluation(stack)

    assert [doc["status"] for doc in finals] == ["completed"] * POOL_JOBS, finals
    assert first.status == 200, f"first upload after the database restart: {first}"
    assert not failed_claims, "job claims failed after the database restart:\n" + \
        "\n".join(failed_claims)


test_database_restart_while_idle_is_transparent.timeout_s = 900


def assert_error_not_ready(resp):
    """Assert a 503 not_ready body: the error object beside the checks."""
    assert resp.status == 503, resp
    doc = resp.json()
    assert set(doc) == {"error", "checks"}, resp
    assert doc["error"]["code"] == "not_ready", resp
    assert doc["error"]["message"].strip(), resp
    assert resp.request_id, resp.headers


def test_broker_down_is_503_and_jobs_survive(stack):
    stack.require("cv-api", "cv-worker")
    with broker_frozen(stack):
        for _ in range(3):
            resp, failed = readyz_failed_checks(stack)
            assert_error_not_ready(resp)
            assert failed == ["broker"], resp
        # The job row is the promise, so the job is accepted without the broker.
        ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
        job_id = evaluate_ok(stack.api, ids)

    assert_completed_result(wait_done(stack.api, job_id, timeout_s=180))
    wait_ready(stack)
    assert_full_evaluation(stack)


test_broker_down_is_503_and_jobs_survive.timeout_s = 400
