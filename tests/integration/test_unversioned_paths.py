"""The paths of the original case-study brief (/upload, /evaluate, /result/{id}) reach
the same handlers as the /v1 paths."""

import uuid

from api_support import (CV_TEXT, PROJECT_TEXT, UNKNOWN_ID, assert_completed_result,
                         assert_error, evaluate_ok, upload, upload_ok, wait_done)


def test_unversioned_upload_evaluate_result(stack):
    stack.require("cv-api", "cv-worker")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT),
                    path="/upload")
    rows = stack.db.query("SELECT kind FROM uploads WHERE id IN (:'cv', :'project')"
                          " ORDER BY kind", cv=ids["cv_id"], project=ids["project_id"])
    assert rows == [{"kind": "cv"}, {"kind": "project"}], rows

    job_id = evaluate_ok(stack.api, ids, path="/evaluate")
    final = wait_done(stack.api, job_id)
    assert_completed_result(final)
    resp = stack.api.get(f"/result/{job_id}")
    assert resp.status == 200, resp
    versioned = stack.api.get(f"/v1/result/{job_id}")
    assert resp.body == versioned.body, (resp, versioned)
    assert resp.header("ETag") == versioned.header("ETag"), (resp.headers, versioned.headers)


def test_unversioned_evaluate_sends_location_of_v1(stack):
    stack.require("cv-api")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    resp = stack.api.post_json("/evaluate", {"cv_id": ids["cv_id"],
                                             "project_id": ids["project_id"]})
    assert resp.status == 202, resp
    assert resp.header("Location") == f"/v1/result/{resp.json()['id']}", resp.headers


def test_unversioned_paths_share_validation(stack):
    stack.require("cv-api")
    resp = stack.api.post_multipart("/upload", [("cv", "cv.txt", CV_TEXT, "text/plain")])
    assert_error(resp, 400, "missing_field", field="project")
    assert_error(stack.api.post_json("/evaluate", b"{"), 400, "invalid_json")
    assert_error(stack.api.get("/result/not-a-uuid"), 400, "invalid_id", field="id")
    assert_error(stack.api.get(f"/result/{UNKNOWN_ID}"), 404, "job_not_found", field="id")


def test_unversioned_paths_share_methods(stack):
    stack.require("cv-api")
    for path, allow in (("/upload", "POST"), ("/evaluate", "POST"),
                        (f"/result/{UNKNOWN_ID}", "GET, HEAD")):
        resp = stack.api.request("DELETE", path)
        assert_error(resp, 405, "method_not_allowed")
        assert resp.header("Allow") == allow, (path, resp.headers)


def test_unversioned_idempotency_shared_with_v1(stack):
    stack.require("cv-api")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    job_id = evaluate_ok(stack.api, ids, headers=key)
    resp = stack.api.post_json("/evaluate", {"cv_id": ids["cv_id"],
                                             "project_id": ids["project_id"]}, headers=key)
    assert resp.status == 200, resp
    assert resp.json()["id"] == job_id, resp


def test_unversioned_upload_unsupported_type(stack):
    stack.require("cv-api")
    resp = upload(stack.api, ("cv.png", b"\x89PNG\r\n\x1a\n" + bytes(40)),
                  ("p.txt", PROJECT_TEXT), path="/upload")
    assert_error(resp, 415, "unsupported_media_type", field="cv")
