"""Each kind of bad input gets its precise status and error code in the API's JSON error
shape, and leaves no upload or job row. The sections follow the statuses: 400 malformed,
404 unknown id, 405 wrong method, 409 idempotency conflict, 413 too large, 415
unsupported type, 422 no extractable text and 429 rate limited. test_not_ready.py
covers 503, because it stops parts of the stack."""

import json
import os
import uuid

from api_support import (CV_TEXT, PROJECT_TEXT, UNKNOWN_ID, assert_error, count_uploads,
                         evaluate_ok, read, upload, upload_ok)
from harness import encode_multipart

MULTIPART_HEADERS = {"Content-Type": "multipart/form-data; boundary=cvtest-boundary"}


def fixture(stack, name):
    return read(os.path.join(stack.root, "tests", "data", "extract", name))


def valid_ids(stack):
    return upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))


def count_jobs(stack):
    return stack.db.scalar("SELECT count(*) FROM jobs")


def assert_upload_error(stack, fields_or_body, status, code, field=None, headers=None):
    """Send an upload (a field list, or a raw body with headers), assert the error, and
    that no upload row was added."""
    before = count_uploads(stack)
    if isinstance(fields_or_body, list):
        resp = stack.api.post_multipart("/v1/upload", fields_or_body)
    else:
        resp = stack.api.request("POST", "/v1/upload", body=fields_or_body, headers=headers)
    assert_error(resp, status, code, field)
    assert count_uploads(stack) == before, f"an upload row was stored for {resp}"
    return resp


def assert_evaluate_error(stack, body, status, code, field=None, headers=None):
    """POST body to /v1/evaluate, assert the error, and that no job row was added."""
    before = count_jobs(stack)
    resp = stack.api.post_json("/v1/evaluate", body, headers=headers)
    assert_error(resp, status, code, field)
    assert count_jobs(stack) == before, f"a job row was stored for {resp}"
    return resp


def text_fields(cv=CV_TEXT, project=PROJECT_TEXT):
    return [("cv", "cv.txt", cv, "text/plain"), ("project", "project.txt", project, "text/plain")]


# ---- 400 ----

def test_evaluate_broken_json_is_400(stack):
    stack.require("cv-api")
    assert_evaluate_error(stack, b'{"cv_id": "', 400, "invalid_json")


def test_evaluate_json_array_is_400(stack):
    stack.require("cv-api")
    assert_evaluate_error(stack, b"[]", 400, "invalid_json")


def test_evaluate_empty_body_is_400(stack):
    stack.require("cv-api")
    assert_evaluate_error(stack, b"", 400, "invalid_json")


def test_upload_malformed_multipart_is_400(stack):
    stack.require("cv-api")
    assert_upload_error(stack, b"this is no multipart body\r\n", 400, "malformed_multipart",
                        headers=MULTIPART_HEADERS)


def test_upload_part_without_disposition_is_400(stack):
    stack.require("cv-api")
    body = (b"--cvtest-boundary\r\nContent-Type: text/plain\r\n\r\nno name\r\n"
            b"--cvtest-boundary--\r\n")
    assert_upload_error(stack, body, 400, "malformed_multipart", headers=MULTIPART_HEADERS)


def test_upload_without_boundary_is_400(stack):
    stack.require("cv-api")
    body, _ = encode_multipart(text_fields())
    assert_upload_error(stack, body, 400, "malformed_multipart",
                        headers={"Content-Type": "multipart/form-data"})


def test_upload_missing_closing_boundary_is_400(stack):
    stack.require("cv-api")
    body, content_type = encode_multipart(text_fields(), boundary="cvtest-boundary")
    cut = body[:body.rindex(b"--cvtest-boundary--")]
    assert_upload_error(stack, cut, 400, "malformed_multipart",
                        headers={"Content-Type": content_type})


def test_upload_missing_cv_field_is_400(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("project", "p.txt", PROJECT_TEXT, "text/plain")], 400,
                        "missing_field", field="cv")


def test_upload_missing_project_field_is_400(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.txt", CV_TEXT, "text/plain")], 400,
                        "missing_field", field="project")


def test_evaluate_missing_cv_id_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    assert_evaluate_error(stack, {"project_id": ids["project_id"]}, 400, "missing_field",
                          field="cv_id")


def test_evaluate_missing_project_id_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    assert_evaluate_error(stack, {"cv_id": ids["cv_id"]}, 400, "missing_field",
                          field="project_id")


def test_upload_duplicate_field_is_400(stack):
    stack.require("cv-api")
    fields = text_fields() + [("project", "again.txt", PROJECT_TEXT, "text/plain")]
    assert_upload_error(stack, fields, 400, "duplicate_field", field="project")


def test_evaluate_duplicate_member_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = ('{"cv_id":"%s","project_id":"%s","cv_id":"%s"}'
            % (ids["cv_id"], ids["project_id"], ids["cv_id"])).encode()
    assert_evaluate_error(stack, body, 400, "duplicate_field", field="cv_id")


def test_evaluate_unknown_field_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"], "priority": "high"}
    assert_evaluate_error(stack, body, 400, "unknown_field", field="priority")


def test_evaluate_wrong_field_type_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"], "job_title": 7}
    assert_evaluate_error(stack, body, 400, "invalid_field", field="job_title")


def test_evaluate_blank_text_field_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"], "job_description": " \n"}
    assert_evaluate_error(stack, body, 400, "invalid_field", field="job_description")


def test_evaluate_invalid_id_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": "cv-1", "project_id": ids["project_id"]}
    assert_evaluate_error(stack, body, 400, "invalid_id", field="cv_id")


def test_result_invalid_id_is_400(stack):
    stack.require("cv-api")
    assert_error(stack.api.get("/v1/result/not-a-uuid"), 400, "invalid_id", field="id")


def test_evaluate_cv_id_naming_project_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["project_id"], "project_id": ids["project_id"]}
    assert_evaluate_error(stack, body, 400, "wrong_upload_kind", field="cv_id")


def test_evaluate_project_id_naming_cv_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": ids["cv_id"]}
    assert_evaluate_error(stack, body, 400, "wrong_upload_kind", field="project_id")


def test_evaluate_conflicting_project_and_report_id_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    other = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"],
            "report_id": other["project_id"]}
    assert_evaluate_error(stack, body, 400, "conflicting_fields", field="report_id")


def test_path_with_control_character_is_400(stack):
    stack.require("cv-api")
    for path in ("/v1/result/%0Aevent=forged", "/healthz%0D"):
        assert_error(stack.api.get(path), 400, "bad_request")


def test_oversized_header_is_json_400(stack):
    stack.require("cv-api")
    # Past nginx's large_client_header_buffers (8 KiB a line by default).
    headers = {"Content-Type": MULTIPART_HEADERS["Content-Type"], "X-Padding": "a" * 20000}
    body, _ = encode_multipart(text_fields(), boundary="cvtest-boundary")
    assert_upload_error(stack, body, 400, "bad_request", headers=headers)


# ---- 404 ----

def test_unknown_route_is_404(stack):
    stack.require("cv-api")
    for path in ("/v2/upload", "/v1/results", "/v1/result/", f"/v1/result/{UNKNOWN_ID}/x"):
        assert_error(stack.api.get(path), 404, "not_found")


def test_unknown_job_is_404(stack):
    stack.require("cv-api")
    assert_error(stack.api.get(f"/v1/result/{UNKNOWN_ID}"), 404, "job_not_found", field="id")


def test_evaluate_unknown_cv_id_is_404(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": UNKNOWN_ID, "project_id": ids["project_id"]}
    assert_evaluate_error(stack, body, 404, "cv_not_found", field="cv_id")


def test_evaluate_unknown_project_id_is_404(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": UNKNOWN_ID}
    assert_evaluate_error(stack, body, 404, "project_not_found", field="project_id")


# ---- 405 ----

def assert_method_not_allowed(stack, method, path, allow, body=None):
    resp = stack.api.request(method, path, body=body)
    assert_error(resp, 405, "method_not_allowed")
    assert resp.header("Allow") == allow, resp.headers


def test_get_upload_is_405(stack):
    stack.require("cv-api")
    assert_method_not_allowed(stack, "GET", "/v1/upload", "POST")


def test_put_evaluate_is_405(stack):
    stack.require("cv-api")
    assert_method_not_allowed(stack, "PUT", "/v1/evaluate", "POST", body=b"{}")


def test_delete_result_is_405(stack):
    stack.require("cv-api")
    assert_method_not_allowed(stack, "DELETE", f"/v1/result/{UNKNOWN_ID}", "GET, HEAD")


def test_post_healthz_is_405(stack):
    stack.require("cv-api")
    assert_method_not_allowed(stack, "POST", "/healthz", "GET, HEAD", body=b"")


def test_post_openapi_yaml_is_405_with_allow(stack):
    resp = stack.api.request("POST", "/openapi.yaml", body=b"{}")
    assert_error(resp, 405, "method_not_allowed")
    assert resp.header("Allow") in ("GET", "GET, HEAD"), resp.headers


def test_trace_is_405_with_allow_of_the_path(stack):
    # nginx rejects TRACE itself, before the responders see it.
    for path, allow in (("/v1/evaluate", "POST"), ("/upload", "POST"),
                        (f"/v1/result/{UNKNOWN_ID}", "GET, HEAD"), ("/healthz", "GET, HEAD"),
                        ("/metrics", "GET")):
        resp = stack.api.request("TRACE", path)
        assert_error(resp, 405, "method_not_allowed")
        assert resp.header("Allow") == allow, (path, resp.headers)
        assert resp.header("Content-Type") == "application/json; charset=utf-8", resp.headers


def test_head_metrics_is_405(stack):
    stack.require("cv-api")
    resp = stack.api.request("HEAD", "/metrics")
    assert resp.status == 405, resp
    assert resp.header("Allow") == "GET", resp.headers
    assert resp.body == b"", resp


# ---- 409 ----

def test_idempotency_key_reused_is_409(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    evaluate_ok(stack.api, ids, headers=key)
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"], "job_title": "Nurse"}
    assert_evaluate_error(stack, body, 409, "idempotency_conflict", headers=key)


def test_invalid_idempotency_key_is_400(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"]}
    assert_evaluate_error(stack, body, 400, "invalid_idempotency_key",
                          headers={"Idempotency-Key": "has space"})


# ---- 413 ----

def nginx_answered(stack, resp):
    """Return True when nginx sent the response itself, without a responder."""
    lines = stack.logs.wait_lines("nginx-access.log", f"req_id={resp.request_id} ")
    assert len(lines) == 1, lines
    return 'upstream=""' in lines[0]


def test_upload_body_over_nginx_limit_is_413(stack):
    stack.require("cv-api")
    limit = 2 * int(stack.state["UPLOAD_MAX_BYTES"]) + 1048576
    body, content_type = encode_multipart(text_fields(project=b"a" * limit))
    assert len(body) > limit, len(body)
    resp = assert_upload_error(stack, body, 413, "payload_too_large",
                               headers={"Content-Type": content_type})
    assert nginx_answered(stack, resp), "nginx passed a body over client_max_body_size on"


def test_upload_file_over_upload_max_bytes_is_413(stack):
    stack.require("cv-api")
    big = b"a" * (int(stack.state["UPLOAD_MAX_BYTES"]) + 1)
    resp = assert_upload_error(stack, text_fields(cv=big), 413, "payload_too_large",
                               field="cv")
    assert not nginx_answered(stack, resp), "the per-file limit was not the responder's"
    assert str(stack.state["UPLOAD_MAX_BYTES"]) in resp.json()["error"]["message"], resp


def test_evaluate_body_over_limit_is_413(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    doc = {"cv_id": ids["cv_id"], "project_id": ids["project_id"],
           "job_description": "x" * 1048576}
    resp = assert_evaluate_error(stack, json.dumps(doc).encode(), 413, "payload_too_large")
    assert not nginx_answered(stack, resp), "the evaluate limit was not the responder's"


# ---- 415 ----

def test_upload_image_is_415(stack):
    stack.require("cv-api")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    assert_upload_error(stack, [("cv", "photo.pdf", png, "application/pdf"),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        415, "unsupported_media_type", field="cv")


def test_upload_jpeg_is_415(stack):
    stack.require("cv-api")
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
    assert_upload_error(stack, [("cv", "cv.txt", CV_TEXT, "text/plain"),
                                ("project", "scan.jpg", jpeg, "image/jpeg")],
                        415, "unsupported_media_type", field="project")


def test_upload_xlsx_is_415(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.docx", fixture(stack, "sheet.xlsx"), None),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        415, "unsupported_media_type", field="cv")


def test_upload_odt_is_415(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.txt", CV_TEXT, "text/plain"),
                                ("project", "p.odt", fixture(stack, "text.odt"), None)],
                        415, "unsupported_media_type", field="project")


def test_upload_utf16_text_is_415(stack):
    stack.require("cv-api")
    utf16 = "\ufeffBackend engineer, Go and PostgreSQL".encode("utf-16-le")
    assert_upload_error(stack, [("cv", "cv.txt", utf16, "text/plain"),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        415, "unsupported_media_type", field="cv")


def test_upload_not_multipart_is_415(stack):
    stack.require("cv-api")
    assert_upload_error(stack, json.dumps({"cv": CV_TEXT}).encode(), 415,
                        "unsupported_media_type", headers={"Content-Type": "application/json"})


def test_evaluate_not_json_is_415(stack):
    stack.require("cv-api")
    ids = valid_ids(stack)
    before = count_jobs(stack)
    body = json.dumps({"cv_id": ids["cv_id"], "project_id": ids["project_id"]}).encode()
    resp = stack.api.request("POST", "/v1/evaluate", body=body,
                             headers={"Content-Type": "text/plain"})
    assert_error(resp, 415, "unsupported_media_type")
    assert count_jobs(stack) == before, resp


# ---- 422 ----

def test_upload_empty_file_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, text_fields(cv=b""), 422, "unreadable_document", field="cv")


def test_upload_blank_text_file_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, text_fields(project=b" \r\n\t\n"), 422, "unreadable_document",
                        field="project")


def test_upload_image_only_pdf_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "scan.pdf", fixture(stack, "no_text.pdf"), None),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        422, "unreadable_document", field="cv")


def test_upload_encrypted_pdf_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.txt", CV_TEXT, "text/plain"),
                                ("project", "p.pdf", fixture(stack, "encrypted_user.pdf"), None)],
                        422, "unreadable_document", field="project")


def test_upload_damaged_pdf_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.pdf", fixture(stack, "damaged.pdf"), None),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        422, "unreadable_document", field="cv")


def test_upload_docx_with_dtd_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.txt", CV_TEXT, "text/plain"),
                                ("project", "p.docx", fixture(stack, "external_entity.docx"),
                                 None)],
                        422, "unreadable_document", field="project")


def test_upload_truncated_docx_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.docx", fixture(stack, "truncated.docx"), None),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        422, "unreadable_document", field="cv")


def test_upload_slow_pdf_is_422_timeout(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.pdf", fixture(stack, "heavy_page.pdf"), None),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        422, "extraction_timeout", field="cv")


test_upload_slow_pdf_is_422_timeout.timeout_s = 300


def test_upload_text_over_text_limit_is_422(stack):
    stack.require("cv-api")
    long_text = b"word " * (2 * 1024 * 1024 // 5 + 1)
    assert_upload_error(stack, text_fields(cv=long_text), 422, "document_limits_exceeded",
                        field="cv")


def test_upload_docx_bomb_is_422(stack):
    stack.require("cv-api")
    assert_upload_error(stack, [("cv", "cv.docx", fixture(stack, "bomb.docx"), None),
                                ("project", "p.txt", PROJECT_TEXT, "text/plain")],
                        422, "document_limits_exceeded", field="cv")


# ---- 429 ----

def test_strict_server_rate_limits_with_429(stack):
    stack.require("cv-api")
    statuses = []
    for _ in range(10):
        resp = stack.strict.get(f"/v1/result/{UNKNOWN_ID}")
        statuses.append(resp.status)
        if resp.status == 429:
            break
    assert statuses[-1] == 429, f"no 429 from the strict server: {statuses}"
    assert_error(resp, 429, "rate_limited")
    assert int(resp.header("Retry-After", "-1")) >= 0, resp.headers


def test_upload_helpers_accept_valid_pair(stack):
    """Check the helpers of this file on a valid upload, which they must accept."""
    stack.require("cv-api")
    before = count_uploads(stack)
    resp = upload(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    assert resp.status == 200, resp
    assert count_uploads(stack) == before + 2, resp
