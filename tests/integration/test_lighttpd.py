"""The same smoke test through lighttpd, which serves the responders' socket beside nginx."""

import os
import re

from harness import Skip


def test_lighttpd_probes(stack):
    stack.require("cv-api")
    for path in ("/healthz", "/readyz"):
        resp = stack.lighttpd.get(path)
        assert resp.status == 200, (path, resp)
        resp.json()


def test_lighttpd_request_id_reaches_responder(stack):
    stack.require("cv-api")
    resp = stack.lighttpd.get("/readyz")
    assert resp.status == 200, resp
    assert len(resp.headers.get_all("X-Request-Id")) == 1, resp.headers
    assert re.match(r"^[0-9a-f]{32}$", resp.request_id or ""), resp.headers
    lines = stack.logs.wait_lines("cv-api.log", f"req_id={resp.request_id}")
    assert lines, f"no cv-api log line with req_id={resp.request_id}"


def test_lighttpd_unknown_path_from_responder(stack):
    stack.require("cv-api")
    resp = stack.lighttpd.get("/no/such/path")
    assert resp.status == 404, resp
    assert resp.error_code() == "not_found", resp


def test_lighttpd_openapi_yaml(stack):
    path = os.path.join(stack.root, "openapi.yaml")
    if not os.path.isfile(path):
        raise Skip("openapi.yaml is not written yet")
    resp = stack.lighttpd.get("/openapi.yaml")
    assert resp.status == 200, resp
    with open(path, "rb") as fp:
        assert resp.body == fp.read(), "served openapi.yaml differs from the repository's"


def test_lighttpd_body_over_limit_is_413_json(stack):
    limit_kib = (2 * int(stack.state["UPLOAD_MAX_BYTES"]) + 1048576 + 1023) // 1024
    resp = stack.lighttpd.request("POST", "/v1/upload", body=b"x" * (limit_kib * 1024 + 1),
                                  headers={"Content-Type": "application/octet-stream"})
    assert resp.status == 413, resp
    assert resp.error_code() == "payload_too_large", resp
    assert resp.request_id, resp.headers


def test_lighttpd_samples_evaluated(stack):
    stack.require("cv-api", "cv-worker")
    doc = stack.lighttpd.evaluate(*stack.samples())
    assert doc["status"] == "completed", doc


test_lighttpd_samples_evaluated.timeout_s = 300
