"""Evaluations polled to completion with the built-in scorer: the shape of the result,
totals recomputed from the parameter scores, and the stored rows."""

import json
import os

from api_support import (CV_TEXT, PROJECT_TEXT, assert_completed_result, corpus_file,
                         evaluate_files, read)


def assert_stored_result(stack, doc):
    """Assert the job row is completed and its one results row is the API's result."""
    rows = stack.db.query("SELECT j.status, j.error_code, r.result::text AS result"
                          " FROM jobs j LEFT JOIN results r ON r.job_id = j.id"
                          " WHERE j.id = :'id'", id=doc["id"])
    assert len(rows) == 1, rows
    assert rows[0]["status"] == "completed", rows
    assert rows[0]["error_code"] is None, rows
    assert json.loads(rows[0]["result"]) == doc["result"], (rows[0], doc["result"])


def test_sample_pdf_docx_pair_completes(stack):
    stack.require("cv-api", "cv-worker")
    samples = os.path.join(stack.root, "samples")
    ids, doc = evaluate_files(
        stack.api, ("cv.pdf", read(os.path.join(samples, "cv.pdf"))),
        ("project-report.docx", read(os.path.join(samples, "project-report.docx"))))
    assert_completed_result(doc)
    assert doc["cv_id"] == ids["cv_id"], (doc, ids)
    assert doc["project_id"] == ids["project_id"], (doc, ids)
    assert_stored_result(stack, doc)


test_sample_pdf_docx_pair_completes.timeout_s = 300


def test_text_pair_completes(stack):
    stack.require("cv-api", "cv-worker")
    _, doc = evaluate_files(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    assert_completed_result(doc)
    assert_stored_result(stack, doc)


test_text_pair_completes.timeout_s = 300


def evaluate_corpus_pair(stack, cv_relative, project_relative):
    """Evaluate two corpus documents to the end and check the result and its rows."""
    stack.require("cv-api", "cv-worker")
    cv = corpus_file(stack, cv_relative)
    project = corpus_file(stack, project_relative)
    _, doc = evaluate_files(stack.api, (os.path.basename(cv), read(cv)),
                            (os.path.basename(project), read(project)))
    assert_completed_result(doc)
    assert_stored_result(stack, doc)


def test_corpus_pdf_docx_pair_completes(stack):
    evaluate_corpus_pair(stack, "cv/awesome-cv_resume.pdf",
                         "report/rchmt_study_case_submission.docx")


test_corpus_pdf_docx_pair_completes.timeout_s = 300


def test_corpus_text_pair_completes(stack):
    evaluate_corpus_pair(stack, "cv/fairyhunter13_cv.txt",
                         "report/fairyhunter13_project_repo_report.txt")


test_corpus_text_pair_completes.timeout_s = 300


def test_builtin_scorer_provenance(stack):
    stack.require("cv-api", "cv-worker")
    _, doc = evaluate_files(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    provenance = assert_completed_result(doc)["provenance"]
    assert provenance["evaluator"] == "builtin-scorer", provenance
    assert provenance["attempt"] == 1, provenance
    assert isinstance(provenance.get("evaluate_ms"), (int, float)), provenance
    assert provenance["evaluate_ms"] >= 0, provenance
