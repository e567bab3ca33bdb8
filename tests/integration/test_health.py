"""Probes and request ids through nginx."""

import re

REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def access_line(stack, request_id):
    """Return nginx's access log line of the request with this id."""
    lines = stack.logs.wait_lines("nginx-access.log", f"req_id={request_id} ")
    assert len(lines) == 1, f"expected one access log line for {request_id}, found {lines}"
    return lines[0]


def test_healthz_through_nginx(stack):
    stack.require("cv-api")
    resp = stack.api.get("/healthz")
    assert resp.status == 200, resp
    assert resp.header("Content-Type", "").startswith("application/json"), resp.headers
    resp.json()


def test_readyz_through_nginx(stack):
    stack.require("cv-api")
    resp = stack.api.get("/readyz")
    assert resp.status == 200, resp
    resp.json()


def test_request_id_header_and_access_log(stack):
    resp = stack.api.get("/healthz")
    assert REQUEST_ID.match(resp.request_id or ""), f"X-Request-Id: {resp.request_id!r}"
    assert len(resp.headers.get_all("X-Request-Id")) == 1, resp.headers
    line = access_line(stack, resp.request_id)
    assert 'path="/healthz"' in line, line
    assert f"status={resp.status}" in line, line


def test_request_id_reaches_responder_log(stack):
    stack.require("cv-api")
    resp = stack.api.get("/readyz")
    assert resp.status == 200, resp
    lines = stack.logs.wait_lines("cv-api.log", f"req_id={resp.request_id}")
    assert lines, f"no cv-api log line with req_id={resp.request_id}"


def test_unknown_path_answered_by_responder(stack):
    stack.require("cv-api")
    resp = stack.api.get("/no/such/path")
    assert resp.status == 404, resp
    assert resp.error_code() == "not_found", resp
    line = access_line(stack, resp.request_id)
    assert 'upstream_status="404"' in line, f"404 did not come from a responder: {line}"
