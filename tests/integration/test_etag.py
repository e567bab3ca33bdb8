"""Strong ETags on GET and HEAD /v1/result/{id}, and If-None-Match."""

import re

from api_support import (CV_TEXT, PROJECT_TEXT, evaluate_ok, paused_worker, upload_ok,
                         wait_done)

STRONG_ETAG = re.compile(r'^"[0-9a-f]{32}"$')
OTHER_ETAG = '"00000000000000000000000000000000"'


def completed_job(stack):
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    job_id = evaluate_ok(stack.api, ids)
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    return job_id


def get_result(stack, job_id, if_none_match=None, method="GET"):
    headers = {"If-None-Match": if_none_match} if if_none_match is not None else None
    return stack.api.request(method, f"/v1/result/{job_id}", headers=headers)


def test_result_has_strong_etag(stack):
    stack.require("cv-api", "cv-worker")
    resp = get_result(stack, completed_job(stack))
    assert resp.status == 200, resp
    assert STRONG_ETAG.match(resp.header("ETag", "")), resp.headers
    assert resp.header("Cache-Control") == "no-cache", resp.headers


def test_etag_stable_while_job_unchanged(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    first, second = get_result(stack, job_id), get_result(stack, job_id)
    assert first.header("ETag") == second.header("ETag"), (first.headers, second.headers)
    assert first.body == second.body, (first, second)


def test_if_none_match_same_etag_is_304(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    etag = get_result(stack, job_id).header("ETag")
    resp = get_result(stack, job_id, etag)
    assert resp.status == 304, resp
    assert resp.body == b"", resp
    assert resp.header("ETag") == etag, resp.headers
    assert resp.header("Cache-Control") == "no-cache", resp.headers


def test_if_none_match_forms_that_match(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    etag = get_result(stack, job_id).header("ETag")
    for value in ("*", f"W/{etag}", f"{OTHER_ETAG}, {etag}", f"{OTHER_ETAG},{etag}"):
        resp = get_result(stack, job_id, value)
        assert resp.status == 304, (value, resp)


def test_if_none_match_other_etag_is_200(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    etag = get_result(stack, job_id).header("ETag")
    for value in (OTHER_ETAG, etag.strip('"'), etag[:-2] + '"'):
        resp = get_result(stack, job_id, value)
        assert resp.status == 200, (value, resp)
        assert resp.json()["status"] == "completed", resp
        assert resp.header("ETag") == etag, resp.headers


def test_etag_changes_from_queued_to_completed(stack):
    stack.require("cv-api", "cv-worker")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    with paused_worker(stack):
        job_id = evaluate_ok(stack.api, ids)
        queued = get_result(stack, job_id)
        assert queued.status == 200, queued
        assert queued.json()["status"] == "queued", queued
        queued_etag = queued.header("ETag")
        assert STRONG_ETAG.match(queued_etag or ""), queued.headers
        unchanged = get_result(stack, job_id, queued_etag)
        assert unchanged.status == 304, unchanged

    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    completed = get_result(stack, job_id, queued_etag)
    assert completed.status == 200, completed
    assert completed.json()["status"] == "completed", completed
    completed_etag = completed.header("ETag")
    assert STRONG_ETAG.match(completed_etag or ""), completed.headers
    assert completed_etag != queued_etag, (queued.headers, completed.headers)
    assert get_result(stack, job_id, completed_etag).status == 304, completed_etag


def test_head_result_matches_get(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    get = get_result(stack, job_id)
    head = get_result(stack, job_id, method="HEAD")
    assert head.status == 200, head
    assert head.body == b"", head
    assert head.header("ETag") == get.header("ETag"), (head.headers, get.headers)
    assert head.header("Content-Length") == str(len(get.body)), (head.headers, len(get.body))
    assert head.header("Content-Type") == get.header("Content-Type"), head.headers
    assert head.header("Cache-Control") == "no-cache", head.headers


def test_head_result_if_none_match_is_304(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    etag = get_result(stack, job_id).header("ETag")
    resp = get_result(stack, job_id, etag, method="HEAD")
    assert resp.status == 304, resp
    assert resp.header("ETag") == etag, resp.headers
    resp = get_result(stack, job_id, OTHER_ETAG, method="HEAD")
    assert resp.status == 200, resp


def test_upper_case_id_same_body_and_etag(stack):
    stack.require("cv-api", "cv-worker")
    job_id = completed_job(stack)
    lower = get_result(stack, job_id)
    for path in (f"/v1/result/{job_id.upper()}", f"/result/{job_id.upper()}"):
        resp = stack.api.get(path)
        assert resp.status == 200, (path, resp)
        assert resp.body == lower.body, (path, resp, lower)
        assert resp.header("ETag") == lower.header("ETag"), (path, resp.headers)
