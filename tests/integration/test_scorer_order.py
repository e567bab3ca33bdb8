"""The built-in scorer end to end on real CVs against the default job description, which
is a backend engineering role. A backend engineer's CV must match clearly better than
the CV of an unrelated profession, and the same input must always get the same scores."""

import os

from api_support import (assert_completed_result, corpus_file, evaluate_files, evaluate_ok,
                         read, upload_ok, wait_done)

# How much higher the backend CV's cv_match_rate must be.
MIN_MARGIN = 0.15

# (backend engineer's CV, CV of an unrelated profession), as corpus paths.
PAIRS = [
    ("cv/sb2nov_sourabh_bajaj_resume.pdf", "cv/kaggle_accountant_10674770.pdf"),
    ("cv/fairyhunter13_cv.txt", "cv/kaggle_healthcare_nurse_14062078.pdf"),
    ("cv/pandoc_resume_resume.docx", "cv/kaggle_designer_14014749.pdf"),
    ("cv/froasted_sample_resume.docx", "cv/albertchoe_cv_MechanicalEngineer.pdf"),
    ("cv/awesome-cv_resume.pdf", "cv/yallabanking_sample_cv.docx"),
]

PROJECT = "report/fairyhunter13_project_repo_report.txt"


def evaluate_cv(stack, relative):
    """Evaluate one corpus CV with the same project report; return the result."""
    cv, project = corpus_file(stack, relative), corpus_file(stack, PROJECT)
    _, doc = evaluate_files(stack.api, (os.path.basename(cv), read(cv)),
                            (os.path.basename(project), read(project)))
    return assert_completed_result(doc)


def test_backend_cvs_match_better_than_unrelated(stack):
    stack.require("cv-api", "cv-worker")
    for backend, unrelated in PAIRS:
        good = evaluate_cv(stack, backend)
        other = evaluate_cv(stack, unrelated)
        margin = good["cv_match_rate"] - other["cv_match_rate"]
        assert margin >= MIN_MARGIN, (backend, good["cv_match_rate"], unrelated,
                                      other["cv_match_rate"], good["cv_scores"],
                                      other["cv_scores"])
        good_skills = good["cv_scores"]["technical_skills"]["score"]
        other_skills = other["cv_scores"]["technical_skills"]["score"]
        assert good_skills > other_skills, (backend, good["cv_scores"], unrelated,
                                            other["cv_scores"])


test_backend_cvs_match_better_than_unrelated.timeout_s = 600


def test_same_project_same_project_score(stack):
    stack.require("cv-api", "cv-worker")
    first = evaluate_cv(stack, PAIRS[0][0])
    second = evaluate_cv(stack, PAIRS[0][1])
    assert first["project_scores"] == second["project_scores"], (first, second)
    assert first["project_score"] == second["project_score"], (first, second)


test_same_project_same_project_score.timeout_s = 300


def test_same_input_same_scores(stack):
    stack.require("cv-api", "cv-worker")
    for relative in (PAIRS[0][0], PAIRS[2][1]):
        first = evaluate_cv(stack, relative)
        second = evaluate_cv(stack, relative)
        for name in ("cv_scores", "project_scores", "cv_match_rate", "project_score",
                     "cv_feedback", "project_feedback", "overall_summary",
                     "suspicious_passages"):
            assert first[name] == second[name], (relative, name, first[name], second[name])


test_same_input_same_scores.timeout_s = 300

NURSE_JOB = ("Registered nurse for an intensive care unit. We need a registered nurse (RN) with "
             "patient care experience, medication administration, wound care, electronic "
             "health records (EHR), BLS and ACLS certification, triage, patient assessment, "
             "IV therapy, infection control and care plans, who works well with physicians "
             "and families.")


def test_inline_job_description_reverses_order(stack):
    stack.require("cv-api", "cv-worker")
    project = corpus_file(stack, PROJECT)
    rates = {}
    for relative in ("cv/sb2nov_sourabh_bajaj_resume.pdf",
                     "cv/kaggle_healthcare_nurse_14062078.pdf"):
        cv = corpus_file(stack, relative)
        ids = upload_ok(stack.api, (os.path.basename(cv), read(cv)),
                        (os.path.basename(project), read(project)))
        job_id = evaluate_ok(stack.api, ids, extra={"job_title": "Registered Nurse",
                                                    "job_description": NURSE_JOB})
        rates[relative] = assert_completed_result(wait_done(stack.api, job_id))["cv_match_rate"]
    margin = rates["cv/kaggle_healthcare_nurse_14062078.pdf"] - \
        rates["cv/sb2nov_sourabh_bajaj_resume.pdf"]
    assert margin >= MIN_MARGIN, rates


test_inline_job_description_reverses_order.timeout_s = 300
