"""The services prepare their statements once per connection. A migration that changes
a column's type makes those plans stale; the next call must prepare them again instead
of failing the request."""

from api_support import CV_TEXT, PROJECT_TEXT, evaluate_ok, upload_ok

# More requests than responders, so that with least_conn each responder serves some.
REQUESTS = 12


def result_statuses(stack, job_id):
    return [stack.api.get(f"/v1/result/{job_id}").status for _ in range(REQUESTS)]


def test_result_survives_column_type_change(stack):
    stack.require("cv-api")
    ids = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    job_id = evaluate_ok(stack.api, ids)
    assert result_statuses(stack, job_id) == [200] * REQUESTS

    # GET /v1/result reads jobs.error_message, so its prepared plan has that type.
    stack.db.execute("ALTER TABLE jobs ALTER COLUMN error_message TYPE varchar(4000)")
    try:
        assert result_statuses(stack, job_id) == [200] * REQUESTS
    finally:
        stack.db.execute("ALTER TABLE jobs ALTER COLUMN error_message TYPE text")
    assert result_statuses(stack, job_id) == [200] * REQUESTS
    assert stack.db.scalar("SELECT data_type FROM information_schema.columns "
                           "WHERE table_name = 'jobs' AND column_name = 'error_message'") \
        == "text"
