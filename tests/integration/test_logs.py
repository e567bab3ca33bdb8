"""The logs of the stack: one http.request line per request with its X-Request-Id, the
evaluate call's request id on every worker line of its job, and neither document text
nor the database password anywhere."""

import collections
import json
import os
import re
import uuid

from api_support import (CV_TEXT, PROJECT_TEXT, UNKNOWN_ID, evaluate_accepted,
                         evaluate_ok, upload, upload_ok, wait_done, wait_for)
from harness.contract import default_contract

REQUEST_LINE = re.compile(r" event=http\.request req_id=(\S+) ")
ACCESS_LINE = re.compile(r" req_id=(\S+) .* upstream=\"([^\"]*)\"")
LOGFMT_HEAD = re.compile(r"^ts=\S+ level=(debug|info|warn|error) prog=\S+ pid=\d+ ")


def request_line_counts(stack):
    """Return {request id: number of http.request lines} of cv-api.log."""
    return collections.Counter(m.group(1) for m in REQUEST_LINE.finditer(
        stack.logs.read("cv-api.log")))


def nginx_upstreams(stack):
    """Return {request id: upstream} of nginx's access log, "" when nginx responded itself."""
    upstreams = {}
    for line in stack.logs.read("nginx-access.log").splitlines():
        match = ACCESS_LINE.search(line)
        if match:
            upstreams[match.group(1)] = match.group(2)
    return upstreams


def assert_one_line_per_request(stack, request_ids, expected=None):
    """Assert the number of http.request lines in cv-api.log of each request id: 1, or
    expected[request id] when given. A responder writes the line after it sent the
    response, so a missing line is waited for."""
    expected = expected or {request_id: 1 for request_id in request_ids}

    def all_logged():
        counts = request_line_counts(stack)
        return counts if all(counts[i] >= expected[i] for i in request_ids) else None

    counts = wait_for(all_logged, timeout_s=5) or request_line_counts(stack)
    for request_id in request_ids:
        assert counts[request_id] == expected[request_id], (request_id, counts[request_id])


def test_each_request_logged_once_with_its_id(stack):
    stack.require("cv-api", "cv-worker")
    responses = []
    resp = upload(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    responses.append(resp)
    ids = resp.json()
    responses.append(stack.api.post_json("/v1/evaluate", {"cv_id": ids["cv_id"],
                                                          "project_id": ids["project_id"]}))
    job_id = responses[-1].json()["id"]
    responses.append(stack.api.get(f"/v1/result/{job_id}"))
    responses.append(stack.api.request("HEAD", f"/v1/result/{job_id}"))
    responses.append(stack.api.get(f"/v1/result/{UNKNOWN_ID}"))
    responses.append(stack.api.get("/no/such/path"))
    responses.append(stack.api.request("DELETE", "/v1/upload"))
    responses.append(stack.api.post_json("/v1/evaluate", b"{"))
    responses.append(stack.api.get("/healthz"))
    responses.append(stack.api.get("/readyz"))
    responses.append(stack.api.get("/metrics"))
    request_ids = [r.request_id for r in responses]
    assert all(request_ids), [r.headers for r in responses]
    assert len(set(request_ids)) == len(request_ids), request_ids
    assert_one_line_per_request(stack, request_ids)

    text = stack.logs.read("cv-api.log")
    for resp in responses:
        line = next(line for line in text.splitlines()
                    if f" event=http.request req_id={resp.request_id} " in line)
        assert f" status={resp.status} " in line, (resp, line)
    evaluate_line = next(line for line in text.splitlines()
                         if f" req_id={responses[1].request_id} " in line)
    assert f" job_id={job_id} " in evaluate_line, evaluate_line


def test_every_request_of_the_run_logged_once(stack):
    """Check every response that the suite has received from nginx so far. Each has one
    http.request line when a responder sent it, and none when nginx did. Responses of
    lighttpd are left out, because its access log does not say who sent them."""
    stack.require("cv-api")
    contract = default_contract()
    if contract is None or not contract.records:
        stack.api.get("/healthz")
        contract = default_contract()
    upstreams = nginx_upstreams(stack)
    expected = {r.request_id: 0 if upstreams[r.request_id] == "" else 1
                for r in contract.records if r.request_id in upstreams}
    assert expected, "no response of this run is in nginx's access log"
    assert_one_line_per_request(stack, list(expected), expected)


def test_worker_lines_carry_job_and_request_ids(stack):
    stack.require("cv-api", "cv-worker")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    resp = evaluate_accepted(stack.api, ids)
    job_id = resp.json()["id"]
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    complete = wait_for(lambda: [line for line in stack.logs.lines("cv-worker.log",
                                                                   f" job_id={job_id} ")
                                 if " event=job.complete " in line], timeout_s=5)
    assert len(complete) == 1, complete
    lines = stack.logs.lines("cv-worker.log", f" job_id={job_id} ")
    events = [re.search(r" event=(\S+) ", line).group(1) for line in lines]
    for event in ("job.claim", "job.evaluate", "job.complete"):
        assert events.count(event) == 1, (event, lines)
    for line in lines:
        assert f" req_id={resp.request_id} " in line, (resp.request_id, line)


def test_client_text_stays_in_one_line(stack):
    stack.require("cv-api")
    member = 'x\nts=2025-01-01T00:00:00.000Z level=error event=forged "q"'
    resp = stack.api.post_json("/v1/evaluate", json.dumps({member: 1}).encode())
    assert resp.status == 400, resp
    assert_one_line_per_request(stack, [resp.request_id])
    forged = [line for line in stack.logs.read("cv-api.log").splitlines()
              if line.startswith("ts=2025-01-01T00:00:00.000Z")]
    assert forged == [], forged


def test_program_logs_are_logfmt(stack):
    stack.require("cv-api", "cv-worker")
    for name in ("cv-api.log", "cv-worker.log"):
        for number, line in enumerate(stack.logs.read(name).splitlines(), 1):
            assert LOGFMT_HEAD.match(line), (name, number, line)
            # A write of at most PIPE_BUF (4096) bytes is atomic, so lines never interleave.
            assert len(line.encode()) < 4096, (name, number, line[:200])


def all_log_text(stack):
    """Return (file, text) of every file in the log folder and of stack.log."""
    found = []
    paths = [os.path.join(stack.var_dir, "stack.log")]
    for folder, _, names in os.walk(stack.logs.dir):
        paths += [os.path.join(folder, name) for name in names]
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as fp:
            found.append((path, fp.read()))
    return found


def test_no_document_text_or_password_in_logs(stack):
    stack.require("cv-api", "cv-worker")
    marker = f"zebracanvas{uuid.uuid4().hex}"
    cv = f"{CV_TEXT}Candidate reference {marker}-cv.\n"
    project = f"# Report\n\nA report that mentions {marker}-project.\n\n- [link](https://x)\n"
    ids = upload_ok(stack.api, ("cv.txt", cv), ("project.md", project))
    job_id = evaluate_ok(stack.api, ids, extra={
        "job_description": f"A backend role, reference {marker}-job."})
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    rejected = upload(stack.api, ("cv.txt", cv), ("project.txt", b"\x00" + marker.encode()))
    assert rejected.status == 415, rejected
    # The marker is in the database, so the search of the logs below can find it.
    stored = stack.db.scalar("SELECT count(*) FROM uploads WHERE text_content LIKE :'m'",
                             m=f"%{marker}%")
    assert stored == 2, stored
    wait_for(lambda: stack.logs.lines("cv-worker.log", f" job_id={job_id} "), timeout_s=5)

    with open(os.path.join(stack.var_dir, "secrets", "db_password"), encoding="utf-8") as fp:
        password = fp.read().strip()
    assert len(password) >= 16, "the test stack's password is too short to search for"
    for path, text in all_log_text(stack):
        assert marker not in text, f"document text appears in {path}"
        assert password not in text, f"the database password appears in {path}"
