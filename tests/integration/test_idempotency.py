"""Idempotency-Key on POST /v1/evaluate: replays, conflicts and invalid keys."""

import json
import threading
import uuid

from api_support import (CV_TEXT, PROJECT_TEXT, assert_error, evaluate_ok, upload_ok,
                         wait_done)


def fresh_ids(stack):
    return upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))


def jobs_of(stack, ids):
    return stack.db.scalar("SELECT count(*) FROM jobs WHERE cv_id = :'cv'", cv=ids["cv_id"])


def test_same_key_same_body_replays_job(stack):
    stack.require("cv-api")
    ids = fresh_ids(stack)
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"]}
    first = stack.api.post_json("/v1/evaluate", body, headers=key)
    assert first.status == 202, first
    assert first.header("Idempotent-Replayed") is None, first.headers
    job_id = first.json()["id"]

    second = stack.api.post_json("/v1/evaluate", body, headers=key)
    assert second.status == 200, second
    assert second.json()["id"] == job_id, (first, second)
    assert second.header("Idempotent-Replayed") == "true", second.headers
    assert second.header("Location") == f"/v1/result/{job_id}", second.headers
    assert jobs_of(stack, ids) == 1, "a replay created a second job"


def test_replay_ignores_formatting_and_alias(stack):
    stack.require("cv-api")
    ids = fresh_ids(stack)
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    job_id = evaluate_ok(stack.api, ids, headers=key)
    same = ('{ "report_id" : "%s",\n  "cv_id":"%s", "job_title": null }'
            % (ids["project_id"].upper(), ids["cv_id"]))
    resp = stack.api.post_json("/v1/evaluate", same.encode(), headers=key)
    assert resp.status == 200, resp
    assert resp.json()["id"] == job_id, resp
    assert resp.header("Idempotent-Replayed") == "true", resp.headers


def test_replay_after_completion_returns_status(stack):
    stack.require("cv-api", "cv-worker")
    ids = fresh_ids(stack)
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    job_id = evaluate_ok(stack.api, ids, headers=key)
    assert wait_done(stack.api, job_id)["status"] == "completed", job_id
    resp = stack.api.post_json("/v1/evaluate", {"cv_id": ids["cv_id"],
                                                "project_id": ids["project_id"]}, headers=key)
    assert resp.status == 200, resp
    assert resp.json() == {"id": job_id, "status": "completed"}, resp
    assert resp.header("Idempotent-Replayed") == "true", resp.headers


def test_same_key_other_body_conflicts(stack):
    stack.require("cv-api")
    ids = fresh_ids(stack)
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    evaluate_ok(stack.api, ids, headers=key)
    other = {"cv_id": ids["cv_id"], "project_id": ids["project_id"], "job_title": "Designer"}
    resp = stack.api.post_json("/v1/evaluate", other, headers=key)
    assert_error(resp, 409, "idempotency_conflict")
    assert resp.header("Idempotent-Replayed") is None, resp.headers
    assert jobs_of(stack, ids) == 1, "a conflicting request created a job"


def test_same_key_other_upload_conflicts(stack):
    stack.require("cv-api")
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    evaluate_ok(stack.api, fresh_ids(stack), headers=key)
    other = fresh_ids(stack)
    resp = stack.api.post_json("/v1/evaluate", {"cv_id": other["cv_id"],
                                                "project_id": other["project_id"]}, headers=key)
    assert_error(resp, 409, "idempotency_conflict")
    assert jobs_of(stack, other) == 0, "a conflicting request created a job"


def test_invalid_keys_rejected(stack):
    stack.require("cv-api")
    ids = fresh_ids(stack)
    body = json.dumps({"cv_id": ids["cv_id"], "project_id": ids["project_id"]}).encode()
    for key in ("", "two words", "k" * 256, "ключ".encode("utf-8")):
        resp = stack.api.post_json("/v1/evaluate", body, headers={"Idempotency-Key": key})
        assert_error(resp, 400, "invalid_idempotency_key")
    assert jobs_of(stack, ids) == 0, "a request with an invalid key created a job"


def test_longest_valid_key_accepted(stack):
    stack.require("cv-api")
    key = {"Idempotency-Key": "k" * 221 + uuid.uuid4().hex + "~!"}
    assert len(key["Idempotency-Key"]) == 255, key
    ids = fresh_ids(stack)
    job_id = evaluate_ok(stack.api, ids, headers=key)
    resp = stack.api.post_json("/v1/evaluate", {"cv_id": ids["cv_id"],
                                                "project_id": ids["project_id"]}, headers=key)
    assert resp.status == 200, resp
    assert resp.json()["id"] == job_id, resp


def test_concurrent_same_key_one_job(stack):
    stack.require("cv-api")
    ids = fresh_ids(stack)
    key = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
    body = {"cv_id": ids["cv_id"], "project_id": ids["project_id"]}
    responses = []
    start = threading.Barrier(3)

    def send():
        start.wait(timeout=30)
        responses.append(stack.api.post_json("/v1/evaluate", body, headers=key))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == 3, responses
    statuses = sorted(resp.status for resp in responses)
    assert statuses == [200, 200, 202], responses
    assert len({resp.json()["id"] for resp in responses}) == 1, responses
    assert jobs_of(stack, ids) == 1, "concurrent requests with one key created several jobs"
