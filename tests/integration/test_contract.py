"""The OpenAPI checker that the harness client applies to every response. It must reject
responses that break openapi.yaml, or the other tests would prove nothing about the
contract. The responses here are made up, except in the last test."""

import email.message
import json
import os

from harness import Response, Skip
from harness.contract import Contract, ContractError

JOB_ID = "123e4567-e89b-42d3-a456-426614174000"
REQUEST_ID = "0123456789abcdef0123456789abcdef"
TIMESTAMP = "2025-06-01T10:00:00.123Z"


def contract(stack):
    path = os.path.join(stack.root, "openapi.yaml")
    if not os.path.isfile(path):
        raise Skip("openapi.yaml is not written yet")
    return Contract(path)


def response(status, body=b"", content_type="application/json; charset=utf-8", **headers):
    """Make a Response with X-Request-Id and the given headers (underscores for dashes)."""
    message = email.message.Message()
    message["X-Request-Id"] = REQUEST_ID
    if content_type is not None:
        message["Content-Type"] = content_type
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return Response(status, "", message, body)


def error_body(code, message="it failed"):
    return {"error": {"code": code, "message": message}}


def pending_job():
    return {"id": JOB_ID, "status": "queued", "cv_id": JOB_ID, "project_id": JOB_ID,
            "created_at": TIMESTAMP, "updated_at": TIMESTAMP}


def assert_rejected(checker, method, target, resp, reason):
    try:
        checker.check(method, target, resp)
    except ContractError as exc:
        assert reason in str(exc), (reason, str(exc))
        return
    raise AssertionError(f"the checker accepted {method} {target} -> {resp!r}")


def test_contract_accepts_valid_responses(stack):
    checker = contract(stack)
    etag = '"' + "a" * 32 + '"'
    checker.check("GET", "/healthz", response(200, {"status": "ok"}))
    checker.check("GET", f"/v1/result/{JOB_ID}",
                  response(200, pending_job(), ETag=etag, Cache_Control="no-cache"))
    checker.check("GET", f"/result/{JOB_ID}?x=1",
                  response(304, content_type=None, ETag=etag, Cache_Control="no-cache"))
    checker.check("DELETE", "/v1/upload",
                  response(405, error_body("method_not_allowed"), Allow="POST"))
    checker.check("GET", "/nowhere", response(404, error_body("not_found")))
    assert [r.status for r in checker.records] == [200, 200, 304, 405, 404], checker.records


def test_contract_rejects_undocumented_status(stack):
    assert_rejected(contract(stack), "GET", "/healthz", response(201, {"status": "ok"}),
                    "status 201 is not documented")


def test_contract_rejects_missing_request_id(stack):
    resp = response(200, {"status": "ok"})
    del resp.headers["X-Request-Id"]
    assert_rejected(contract(stack), "GET", "/healthz", resp,
                    "required header X-Request-Id is missing")


def test_contract_rejects_body_against_schema(stack):
    checker = contract(stack)
    assert_rejected(checker, "GET", "/healthz", response(200, {"status": "fine"}),
                    "body does not match the schema")
    assert_rejected(checker, "POST", "/v1/evaluate",
                    response(202, {"id": JOB_ID, "status": "queued", "extra": 1},
                             Location=f"/v1/result/{JOB_ID}"),
                    "body does not match the schema")
    assert_rejected(checker, "POST", "/v1/upload", response(400, error_body("invalid_json")),
                    "body does not match the schema")


def test_contract_rejects_wrong_error_code_for_status(stack):
    assert_rejected(contract(stack), "GET", f"/v1/result/{JOB_ID}",
                    response(404, error_body("cv_not_found")), "body does not match")


def test_contract_rejects_missing_allow_on_405(stack):
    assert_rejected(contract(stack), "POST", "/healthz",
                    response(405, error_body("method_not_allowed")),
                    "required header Allow is missing")


def test_contract_rejects_bad_etag_header(stack):
    assert_rejected(contract(stack), "GET", f"/v1/result/{JOB_ID}",
                    response(200, pending_job(), ETag='W/"abc"', Cache_Control="no-cache"),
                    "header ETag")


def test_contract_rejects_body_on_304(stack):
    etag = '"' + "b" * 32 + '"'
    assert_rejected(contract(stack), "GET", f"/v1/result/{JOB_ID}",
                    response(304, b"{}", ETag=etag, Cache_Control="no-cache"),
                    "a body of 2 bytes")


def test_contract_rejects_wrong_content_type(stack):
    assert_rejected(contract(stack), "GET", "/healthz",
                    response(200, b'{"status":"ok"}', content_type="text/html"),
                    "Content-Type 'text/html'")


def test_contract_rejects_non_integer_retry_after(stack):
    assert_rejected(contract(stack), "GET", "/healthz",
                    response(429, error_body("rate_limited"), Retry_After="soon"),
                    "header Retry-After")


def test_openapi_yaml_head_documented(stack):
    """nginx serves HEAD for the static contract file, so the contract must list it."""
    resp = stack.api.request("HEAD", "/openapi.yaml")
    assert resp.status == 200, resp
    assert resp.body == b"", resp


def test_contract_checks_real_responses(stack):
    stack.require("cv-api")
    resp = stack.api.get("/healthz")
    assert resp.status == 200, resp
    checker = stack.api.contract
    assert checker is not None, "the client checks no responses: openapi.yaml is missing"
    record = checker.records[-1]
    assert record.request_id == resp.request_id, record
    assert record.problems == [], record
