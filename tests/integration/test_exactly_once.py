"""A job gets exactly one result. Re-sending its wake-up message, with cvctl requeue or
straight to the topic with kcat, neither adds a second results row nor changes the
first. Duplicates that arrive before the job runs still make one result."""

import json
import shutil
import subprocess

from api_support import (CV_TEXT, PROJECT_TEXT, evaluate_accepted, evaluate_ok,
                         paused_worker, run_cvctl, upload_ok, wait_done, wait_for)
from harness import Skip

TOPIC = "evaluate-jobs"

SNAPSHOT_SQL = ("SELECT j.status, j.attempts, j.updated_at::text AS updated_at,"
                " r.result::text AS result, r.created_at::text AS created_at,"
                " (SELECT count(*) FROM results x WHERE x.job_id = j.id) AS results"
                " FROM jobs j LEFT JOIN results r ON r.job_id = j.id WHERE j.id = :'id'")


def completed_job(stack):
    """Evaluate a text pair; return (job id, evaluate request id)."""
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    resp = evaluate_accepted(stack.api, ids)
    job_id = resp.json()["id"]
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    return job_id, resp.request_id


def snapshot(stack, job_id):
    rows = stack.db.query(SNAPSHOT_SQL, id=job_id)
    assert len(rows) == 1, rows
    return rows[0]


def send_wake_up(stack, job_id, request_id, copies=1):
    """Produce copies of the job's wake-up message to the job topic with kcat."""
    if shutil.which("kcat") is None:
        raise Skip("kcat is not installed (scripts/deps.sh test installs it)")
    value = json.dumps({"job_id": job_id, "request_id": request_id})
    lines = "".join(f"{job_id}|{value}\n" for _ in range(copies))
    subprocess.run(["kcat", "-P", "-b", stack.state["KAFKA_BROKERS"], "-t", TOPIC, "-K", "|",
                    "-H", f"request_id={request_id}"], input=lines.encode(), check=True,
                   capture_output=True, timeout=60)


def worker_events(stack, job_id, event):
    return [line for line in stack.logs.lines("cv-worker.log", f" job_id={job_id} ")
            if f" event={event} " in line]


def test_one_result_row_per_completed_job(stack):
    stack.require("cv-api", "cv-worker")
    job_id, _ = completed_job(stack)
    row = snapshot(stack, job_id)
    assert row["results"] == 1, row
    assert row["attempts"] == 1, row


def test_requeue_of_completed_job_changes_nothing(stack):
    stack.require("cv-api", "cv-worker")
    job_id, _ = completed_job(stack)
    before = snapshot(stack, job_id)
    proc = run_cvctl(stack, "requeue", job_id)
    assert proc.returncode == 0, proc
    assert f"{job_id}: skipped, status is completed" in proc.stdout, proc.stdout
    assert snapshot(stack, job_id) == before, (before, snapshot(stack, job_id))


def test_redelivered_message_changes_nothing(stack):
    stack.require("cv-api", "cv-worker")
    job_id, request_id = completed_job(stack)
    before = snapshot(stack, job_id)
    send_wake_up(stack, job_id, request_id, copies=2)
    skips = wait_for(lambda: len(worker_events(stack, job_id, "job.skip")) >= 2 and
                     worker_events(stack, job_id, "job.skip"), timeout_s=60)
    assert skips, f"the worker did not log job.skip twice for {job_id}"
    for line in skips:
        assert " status=completed " in line, line
    assert snapshot(stack, job_id) == before, (before, snapshot(stack, job_id))
    assert len(worker_events(stack, job_id, "job.complete")) == 1, job_id


test_redelivered_message_changes_nothing.timeout_s = 300


def test_duplicates_before_run_make_one_result(stack):
    stack.require("cv-api", "cv-worker")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    with paused_worker(stack):
        resp = evaluate_accepted(stack.api, ids)
        job_id = resp.json()["id"]
        send_wake_up(stack, job_id, resp.request_id, copies=3)
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id

    # Four messages: one claim and three skips, whatever order the threads take them in.
    handled = wait_for(lambda: len(worker_events(stack, job_id, "job.claim")) +
                       len(worker_events(stack, job_id, "job.skip")) >= 4, timeout_s=60)
    assert handled, (worker_events(stack, job_id, "job.claim"),
                     worker_events(stack, job_id, "job.skip"))
    assert len(worker_events(stack, job_id, "job.claim")) == 1, job_id
    assert len(worker_events(stack, job_id, "job.complete")) == 1, job_id
    row = snapshot(stack, job_id)
    assert row["results"] == 1, row
    assert row["attempts"] == 1, row


test_duplicates_before_run_make_one_result.timeout_s = 300


def test_requeue_of_queued_job_runs_it_once(stack):
    stack.require("cv-api", "cv-worker")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    with paused_worker(stack):
        job_id = evaluate_ok(stack.api, ids)
        proc = run_cvctl(stack, "requeue", job_id)
        assert proc.returncode == 0, proc
        assert f"{job_id}: queued -> queued, wake-up sent" in proc.stdout, proc.stdout
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    # Two messages, the evaluate call's and the requeue's: one claim, then a skip (more
    # skips only if the broker delivers a message again after a rebalance).
    skipped = wait_for(lambda: worker_events(stack, job_id, "job.skip"), timeout_s=60)
    assert skipped, f"the worker did not log job.skip for {job_id}"
    assert len(worker_events(stack, job_id, "job.claim")) == 1, job_id
    row = snapshot(stack, job_id)
    assert row["results"] == 1, row
    assert row["attempts"] == 1, row


test_requeue_of_queued_job_runs_it_once.timeout_s = 300
