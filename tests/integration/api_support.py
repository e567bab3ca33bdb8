"""Helpers shared by the HTTP API tests. They upload in-memory documents, poll jobs to
an end and check what every completed result must carry. They also find the corpus of
real documents and pause the worker, so that a job stays queued while a test looks."""

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import time
import uuid

from harness import Skip

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# A job id that no job has: version 4 and variant bits set, so it is a valid UUID.
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Parameter weights of the scoring rubric, as fractions of their group.
CV_WEIGHTS = {"technical_skills": 0.40, "experience_level": 0.25,
              "relevant_achievements": 0.20, "cultural_fit": 0.15}
PROJECT_WEIGHTS = {"correctness": 0.30, "code_quality": 0.25, "resilience": 0.20,
                   "documentation": 0.15, "creativity": 0.10}

# A short plain-text CV and project report that every upload accepts.
CV_TEXT = ("Backend engineer with six years of Go, Python and PostgreSQL. Built REST APIs,\n"
           "Kafka consumers with retries and backoff, and LLM features with embeddings.\n")
PROJECT_TEXT = ("Project report: an asynchronous CV evaluation API with upload, evaluate and\n"
                "result endpoints, a job queue, retries, tests and a README.\n")

# Seconds a job of the built-in scorer may take from evaluate to completed, on a loaded
# two-core machine with the sanitizer build.
JOB_TIMEOUT_S = 120


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, "rb") as fp:
        return fp.read()


def upload(client, cv, project, path="/v1/upload"):
    """POST two files; cv and project are (filename, bytes or str). Returns the Response."""
    return client.post_multipart(path, [
        ("cv", cv[0], cv[1], "application/octet-stream"),
        ("project", project[0], project[1], "application/octet-stream"),
    ])


def upload_ok(client, cv, project, path="/v1/upload"):
    """Upload two files, assert 200 and return the response body."""
    resp = upload(client, cv, project, path)
    assert resp.status == 200, f"upload of {cv[0]} and {project[0]}: {resp}"
    return resp.json()


def unique_text(label="cv"):
    """Return a plain text that no other upload has, so its SHA-256 finds its row."""
    return f"{CV_TEXT}Reference {label}-{uuid.uuid4().hex}.\n"


def evaluate_accepted(client, ids, extra=None, headers=None, path="/v1/evaluate"):
    """Request an evaluation of an upload's ids, assert 202 and return the Response."""
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"]}
    body.update(extra or {})
    resp = client.post_json(path, body, headers=headers)
    assert resp.status == 202, f"evaluate: {resp}"
    assert resp.json()["status"] == "queued", resp
    return resp


def evaluate_ok(client, ids, extra=None, headers=None, path="/v1/evaluate"):
    """Request an evaluation of an upload's ids, assert 202 and return the job id."""
    return evaluate_accepted(client, ids, extra, headers, path).json()["id"]


def wait_done(client, job_id, timeout_s=JOB_TIMEOUT_S):
    """Poll the job until it is completed or failed; return the last body."""
    return client.poll_result(job_id, timeout_s=timeout_s, interval_s=0.2)


def evaluate_files(client, cv, project, timeout_s=JOB_TIMEOUT_S):
    """Upload, evaluate and poll to the end. Returns (upload body, final job body)."""
    ids = upload_ok(client, cv, project)
    job_id = evaluate_ok(client, ids)
    return ids, wait_done(client, job_id, timeout_s)


def count_uploads(stack):
    return stack.db.scalar("SELECT count(*) FROM uploads")


def assert_error(resp, status, code, field=None):
    """Assert the status, the error code and the shape of an API error response."""
    assert resp.status == status, resp
    assert resp.header("Content-Type", "").startswith("application/json"), resp.headers
    assert resp.request_id, resp.headers
    doc = resp.json()
    assert isinstance(doc, dict), resp
    assert set(doc) == {"error"}, resp
    error = doc["error"]
    assert isinstance(error, dict), resp
    assert set(error) <= {"code", "message", "field"}, resp
    assert error.get("code") == code, resp
    assert isinstance(error.get("message"), str), resp
    assert error["message"].strip(), resp
    if field is not None:
        assert error.get("field") == field, resp


def weighted(scores, weights):
    return sum(scores[name]["score"] * weight for name, weight in weights.items())


def assert_completed_result(doc):
    """Assert everything a completed job's body must carry; return its result."""
    assert doc["status"] == "completed", doc
    result = doc["result"]

    for group, weights in (("cv_scores", CV_WEIGHTS), ("project_scores", PROJECT_WEIGHTS)):
        scores = result[group]
        assert set(scores) == set(weights), (group, scores)
        for name, weight in weights.items():
            entry = scores[name]
            assert isinstance(entry["score"], int), (name, entry)
            assert not isinstance(entry["score"], bool), (name, entry)
            assert 1 <= entry["score"] <= 5, (name, entry)
            assert isinstance(entry["reason"], str), (name, entry)
            assert entry["reason"].strip(), (name, entry)
            assert abs(entry["weight"] - weight) < 1e-9, (name, entry)

    # The service rounds cv_match_rate to 3 decimals and project_score to 2.
    rate = result["cv_match_rate"]
    assert 0 <= rate <= 1, result
    expected_rate = weighted(result["cv_scores"], CV_WEIGHTS) / 5
    assert abs(rate - expected_rate) <= 0.0005, (rate, expected_rate, result["cv_scores"])
    score = result["project_score"]
    assert 1 <= score <= 5, result
    expected_score = weighted(result["project_scores"], PROJECT_WEIGHTS)
    assert abs(score - expected_score) <= 0.005, (score, expected_score,
                                                  result["project_scores"])

    for name in ("cv_feedback", "project_feedback", "overall_summary"):
        assert isinstance(result[name], str), (name, result)
        assert result[name].strip(), (name, result)

    provenance = result["provenance"]
    assert isinstance(provenance, dict), result
    assert provenance.get("evaluator"), provenance
    assert isinstance(provenance.get("attempt"), int), provenance
    assert provenance["attempt"] >= 1, provenance
    assert provenance.get("worker_id"), provenance
    return result


def corpus_dir(stack):
    """Return the corpus of real documents: CORPUS_DIR (relative to the checkout when
    not absolute), else the shared corpus beside the checkout. Without it, fail when
    REQUIRE_CORPUS=1 and skip otherwise."""
    configured = os.environ.get("CORPUS_DIR")
    if configured:
        path = os.path.normpath(os.path.join(stack.root, configured))
    else:
        path = os.path.normpath(os.path.join(stack.root, "..", "shared", "corpus"))
    if os.path.isdir(os.path.join(path, "cv")):
        return path
    message = f"no corpus of real documents at {path} (set CORPUS_DIR)"
    if os.environ.get("REQUIRE_CORPUS") == "1":
        raise AssertionError(message + ", and REQUIRE_CORPUS=1")
    raise Skip(message)


def corpus_file(stack, relative):
    return os.path.join(corpus_dir(stack), relative)


def worker_pid(stack):
    with open(os.path.join(stack.var_dir, "run", "worker.pid"), encoding="ascii") as fp:
        return int(fp.read().split()[0])


@contextlib.contextmanager
def paused_worker(stack):
    """Stop the worker with SIGSTOP for the body of the with block, then SIGCONT it, so a
    job stays queued while the test looks at it. Keep the pause short, because the
    worker's Kafka session lapses after KAFKA_SESSION_TIMEOUT_MS (6 s in the test stack)
    and a lapse costs a consumer group rebalance, though never a job."""
    stack.require("cv-api", "cv-worker")
    pid = worker_pid(stack)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGCONT)


def responder_pids(stack):
    """Return the set of pids of the running cv-api responders of the stack."""
    pids = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="ascii") as fp:
                if fp.read().strip() != "cv-api":
                    continue
            with open(f"/proc/{entry}/environ", "rb") as fp:
                environ = fp.read().split(b"\0")
        except OSError:
            continue
        if f"CV_CONFIG_FILE={stack.var_dir}/cv.env".encode() in environ:
            pids.add(int(entry))
    return pids


def script_env(stack):
    env = dict(os.environ)
    env.update(stack.settings)
    env["VAR_DIR"] = stack.var_dir
    env["BUILD"] = stack.build
    env["CV_CONFIG_FILE"] = os.path.join(stack.var_dir, "cv.env")
    return env


def run_script(stack, name, command, timeout_s=120):
    """Run scripts/NAME.sh COMMAND for the test stack; return the CompletedProcess."""
    return subprocess.run([os.path.join(stack.root, "scripts", f"{name}.sh"), command],
                          env=script_env(stack), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout_s, check=False)


def run_cvctl(stack, *args, timeout_s=60):
    """Run the build's cvctl with the stack's configuration; return the CompletedProcess."""
    return subprocess.run([os.path.join(stack.build, "cvctl"), *args], env=script_env(stack),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout_s, check=False)


def wait_for(condition, timeout_s, interval_s=0.2):
    """Call condition() until it returns a true value or timeout_s passes; return the
    last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)


# Seconds the service may take to return 200 from /readyz again after an outage.
RECOVERY_TIMEOUT_S = 90

# Consecutive 200s from /readyz that count as recovered. It is more than the number of
# responders, so that with least_conn every responder has handled at least one.
READY_STREAK = 8


def wait_ready(stack):
    """Wait until /readyz returns 200 READY_STREAK times in a row; assert it did."""
    streak = {"count": 0}

    def ready():
        streak["count"] = streak["count"] + 1 if stack.api.get("/readyz").status == 200 else 0
        return streak["count"] >= READY_STREAK

    assert wait_for(ready, timeout_s=RECOVERY_TIMEOUT_S, interval_s=0.1), \
        f"/readyz did not return 200 {READY_STREAK} times in a row within " \
        f"{RECOVERY_TIMEOUT_S}s: {stack.api.get('/readyz')}"


def assert_full_evaluation(stack):
    """Upload, evaluate and poll a text pair to completion."""
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    assert_completed_result(wait_done(stack.api, evaluate_ok(stack.api, ids)))
