"""Limits that nginx enforces itself, with responses in the API's JSON error format."""

import http.client
import json
import select
import socket
import time
import uuid

LIMIT_HEADERS = {"Content-Type": "application/octet-stream"}


def body_limit(stack):
    """Return nginx's client_max_body_size: 2 x UPLOAD_MAX_BYTES + 1 MiB."""
    return 2 * int(stack.state["UPLOAD_MAX_BYTES"]) + 1048576


def test_body_over_limit_is_413_json(stack):
    resp = stack.api.request("POST", "/v1/upload", body=b"x" * (body_limit(stack) + 1),
                             headers=LIMIT_HEADERS)
    assert resp.status == 413, resp
    assert resp.header("Content-Type", "").startswith("application/json"), resp.headers
    assert resp.error_code() == "payload_too_large", resp
    assert resp.request_id, resp.headers


def test_body_at_limit_passes_nginx(stack):
    resp = stack.api.request("POST", "/v1/upload", body=b"x" * body_limit(stack),
                             headers=LIMIT_HEADERS)
    lines = stack.logs.wait_lines("nginx-access.log", f"req_id={resp.request_id} ")
    assert len(lines) == 1, lines
    assert 'upstream=""' not in lines[0], f"nginx answered {resp.status} itself: {lines[0]}"


def test_rate_limit_is_429_json(stack):
    path = f"/v1/result/{uuid.uuid4()}"
    statuses = []
    for _ in range(10):
        resp = stack.strict.get(path)
        statuses.append(resp.status)
        if resp.status == 429:
            break
    assert statuses[-1] == 429, f"no 429 from the strict server: {statuses}"
    assert resp.header("Content-Type", "").startswith("application/json"), resp.headers
    assert resp.error_code() == "rate_limited", resp
    assert resp.header("Retry-After") == "1", resp.headers
    assert resp.request_id, resp.headers


def test_probes_are_not_rate_limited(stack):
    statuses = [stack.strict.get("/healthz").status for _ in range(10)]
    assert 429 not in statuses, statuses


def hold_upload(client):
    """Start an upload whose body never arrives, so it stays in progress in nginx.
    Returns the socket, which the caller closes."""
    sock = socket.create_connection((client.host, client.port), timeout=10)
    sock.sendall(b"POST /v1/upload HTTP/1.1\r\nHost: test\r\n"
                 b"Content-Type: multipart/form-data; boundary=held\r\n"
                 b"Content-Length: 100000\r\n\r\n--held\r\n")
    return sock


def rejection(sock, wait_s):
    """Return nginx's response on sock if one arrives within wait_s, else None."""
    readable, _, _ = select.select([sock], [], [], wait_s)
    if not readable:
        return None
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def test_uploads_per_client_bounded(stack):
    limit = int(stack.settings["UPLOADS_PER_CLIENT"])
    cv, project = stack.samples()
    open_uploads = []
    rejected = None
    try:
        # Uploads of earlier tests may still count while nginx closes their connections
        # (lingering close), so the first rejection may come before the limit: never
        # after it.
        for _ in range(limit + 1):
            sock = hold_upload(stack.api)
            rejected = rejection(sock, 0.5)
            if rejected is not None:
                sock.close()
                break
            open_uploads.append(sock)
        assert rejected is not None, f"{len(open_uploads)} uploads in progress, none rejected"
        assert 1 <= len(open_uploads) <= limit, len(open_uploads)
        status, headers, body = rejected
        assert status == 429, rejected
        assert headers["content-type"].startswith("application/json"), headers
        doc = json.loads(body)
        assert doc["error"]["code"] == "rate_limited", doc
        assert "uploads in progress" in doc["error"]["message"], doc
        assert headers.get("retry-after") == "1", headers
        assert headers.get("x-request-id"), headers
        # Other requests of the same client still pass.
        assert stack.api.get("/healthz").status == 200
    finally:
        for sock in open_uploads:
            sock.close()
    deadline = time.monotonic() + 10
    resp = stack.api.upload(cv, project)
    while resp.status == 429 and time.monotonic() < deadline:
        time.sleep(0.1)
        resp = stack.api.upload(cv, project)
    assert resp.status == 200, resp
