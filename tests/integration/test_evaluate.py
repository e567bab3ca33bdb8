"""The whole path of an evaluation through nginx: upload, evaluate, poll, database."""


def test_samples_evaluated_to_completion(stack):
    stack.require("cv-api", "cv-worker")
    doc = stack.api.evaluate(*stack.samples())
    assert doc["status"] == "completed", doc
    result = doc.get("result") or {}
    assert 0 <= result.get("cv_match_rate", -1) <= 1, result
    assert 1 <= result.get("project_score", 0) <= 5, result
    assert isinstance(result.get("overall_summary"), str), result
    assert result["overall_summary"].strip(), result

    rows = stack.db.query("SELECT j.status, r.job_id IS NOT NULL AS has_result"
                          " FROM jobs j LEFT JOIN results r ON r.job_id = j.id"
                          " WHERE j.id = :'id'", id=doc["id"])
    assert rows == [{"status": "completed", "has_result": True}], rows


test_samples_evaluated_to_completion.timeout_s = 300
