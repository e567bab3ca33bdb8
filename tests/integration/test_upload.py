"""POST /v1/upload through nginx: each accepted type, the stored rows and their metadata,
and that both files are stored together or not at all."""

import os
import threading

from api_support import (DOCX_TYPE, UUID, CV_TEXT, PROJECT_TEXT, assert_error,
                         corpus_file, count_uploads, read, sha256, unique_text, upload,
                         upload_ok)

ROW_SQL = ("SELECT kind, filename, media_type, size_bytes, page_count, sha256,"
           " octet_length(text_content) AS text_bytes, request_id"
           " FROM uploads WHERE id = :'id'")


def assert_stored(stack, resp, field, filename, data, media_type, page_count):
    """Assert the response metadata of one field and its row in uploads."""
    doc = resp.json()
    upload_id = doc[f"{field}_id"]
    meta = doc[field]
    assert UUID.match(upload_id), doc
    assert meta["id"] == upload_id, doc
    assert meta["filename"] == filename, meta
    assert meta["media_type"] == media_type, meta
    assert meta["size_bytes"] == len(data), meta
    assert meta["page_count"] == page_count, meta
    assert meta["sha256"] == sha256(data), meta
    assert meta["text_bytes"] > 0, meta

    rows = stack.db.query(ROW_SQL, id=upload_id)
    assert len(rows) == 1, rows
    row = rows[0]
    assert row["kind"] == field, row
    assert row["filename"] == filename, row
    assert row["media_type"] == media_type, row
    assert row["size_bytes"] == len(data), row
    assert row["page_count"] == page_count, row
    assert row["sha256"] == sha256(data), row
    assert row["text_bytes"] == meta["text_bytes"], (row, meta)
    assert row["request_id"] == resp.request_id, (row, resp.request_id)


def upload_and_check(stack, cv, project):
    """Upload cv and project, given as (path, media type, page count), and check both."""
    (cv_path, cv_type, cv_pages), (project_path, project_type, project_pages) = cv, project
    cv_data, project_data = read(cv_path), read(project_path)
    resp = upload(stack.api, (os.path.basename(cv_path), cv_data),
                  (os.path.basename(project_path), project_data))
    assert resp.status == 200, resp
    assert resp.json()["cv_id"] != resp.json()["project_id"], resp
    assert_stored(stack, resp, "cv", os.path.basename(cv_path), cv_data, cv_type, cv_pages)
    assert_stored(stack, resp, "project", os.path.basename(project_path), project_data,
                  project_type, project_pages)


def test_upload_sample_pdf_and_docx(stack):
    stack.require("cv-api")
    samples = os.path.join(stack.root, "samples")
    upload_and_check(stack, (os.path.join(samples, "cv.pdf"), "application/pdf", 1),
                     (os.path.join(samples, "project-report.docx"), DOCX_TYPE, None))


def test_upload_sample_markdown_sources(stack):
    stack.require("cv-api")
    sources = os.path.join(stack.root, "samples", "src")
    upload_and_check(stack, (os.path.join(sources, "cv.md"), "text/markdown", None),
                     (os.path.join(sources, "project-report.md"), "text/markdown", None))


def test_upload_fixture_pdf_and_docx(stack):
    stack.require("cv-api")
    fixtures = os.path.join(stack.root, "tests", "data", "extract")
    upload_and_check(stack, (os.path.join(fixtures, "text.pdf"), "application/pdf", 2),
                     (os.path.join(fixtures, "structure.docx"), DOCX_TYPE, None))


def test_upload_plain_text(stack):
    stack.require("cv-api")
    cv, project = CV_TEXT.encode(), PROJECT_TEXT.encode()
    resp = upload(stack.api, ("cv.txt", cv), ("project.txt", project))
    assert resp.status == 200, resp
    assert_stored(stack, resp, "cv", "cv.txt", cv, "text/plain", None)
    assert_stored(stack, resp, "project", "project.txt", project, "text/plain", None)


def test_upload_corpus_pdf_and_docx(stack):
    stack.require("cv-api")
    upload_and_check(
        stack,
        (corpus_file(stack, "cv/sb2nov_sourabh_bajaj_resume.pdf"), "application/pdf", 1),
        (corpus_file(stack, "report/rchmt_study_case_submission.docx"), DOCX_TYPE, None))


def test_upload_corpus_long_pdf_and_docx(stack):
    stack.require("cv-api")
    upload_and_check(
        stack,
        (corpus_file(stack, "cv/pandoc_resume_resume.docx"), DOCX_TYPE, None),
        (corpus_file(stack, "report/harundarat_project_report.pdf"), "application/pdf", 16))


def test_upload_corpus_text_and_markdown(stack):
    stack.require("cv-api")
    upload_and_check(
        stack,
        (corpus_file(stack, "cv/fairyhunter13_cv.txt"), "text/plain", None),
        (corpus_file(stack, "report/jccode288_README.md"), "text/markdown", None))


def test_upload_type_from_content(stack):
    stack.require("cv-api")
    pdf = read(os.path.join(stack.root, "samples", "cv.pdf"))
    resp = upload(stack.api, ("cv.txt", pdf), ("report.pdf", PROJECT_TEXT))
    assert resp.status == 200, resp
    assert resp.json()["cv"]["media_type"] == "application/pdf", resp
    assert resp.json()["project"]["media_type"] == "text/plain", resp


def test_upload_twice_gets_new_ids(stack):
    stack.require("cv-api")
    first = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    second = upload_ok(stack.api, ("cv.txt", CV_TEXT), ("project.txt", PROJECT_TEXT))
    assert first["cv_id"] != second["cv_id"], (first, second)
    assert first["cv"]["sha256"] == second["cv"]["sha256"], (first, second)


def test_parallel_uploads_all_stored(stack):
    stack.require("cv-api")
    pdf = read(os.path.join(stack.root, "samples", "cv.pdf"))
    results = []

    def send(index):
        project = f"{PROJECT_TEXT}Upload {index} of a parallel batch.\n".encode()
        resp = upload(stack.api, ("cv.pdf", pdf), ("project.txt", project))
        results.append((index, project, resp))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 8, results
    for index, project, resp in results:
        assert resp.status == 200, (index, resp)
        assert resp.json()["project"]["sha256"] == sha256(project), (index, resp)
    cv_ids = {resp.json()["cv_id"] for _, _, resp in results}
    assert len(cv_ids) == 8, cv_ids


def assert_pair_not_stored(stack, project, status, code):
    """Upload a valid CV that no earlier upload has with a project that fails; assert
    the error and that neither file left a row."""
    cv = unique_text("atomic").encode()
    before = count_uploads(stack)
    resp = upload(stack.api, ("cv.txt", cv), project)
    assert_error(resp, status, code, field="project")
    after = count_uploads(stack)
    assert after == before, f"uploads went from {before} to {after} rows after {resp}"
    rows = stack.db.query("SELECT id FROM uploads WHERE sha256 = :'sha'", sha=sha256(cv))
    assert rows == [], f"the CV of a rejected upload was stored: {rows}"


def test_upload_unsupported_project_stores_no_cv(stack):
    stack.require("cv-api")
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    assert_pair_not_stored(stack, ("project.png", png), 415, "unsupported_media_type")


def test_upload_empty_project_stores_no_cv(stack):
    stack.require("cv-api")
    assert_pair_not_stored(stack, ("project.txt", b""), 422, "unreadable_document")


def test_upload_unreadable_project_stores_no_cv(stack):
    stack.require("cv-api")
    pdf = read(os.path.join(stack.root, "tests", "data", "extract", "damaged.pdf"))
    assert_pair_not_stored(stack, ("project.pdf", pdf), 422, "unreadable_document")


def test_upload_oversized_project_stores_no_cv(stack):
    stack.require("cv-api")
    big = b"a" * (int(stack.state["UPLOAD_MAX_BYTES"]) + 1)
    assert_pair_not_stored(stack, ("project.txt", big), 413, "payload_too_large")


def test_upload_missing_project_stores_no_cv(stack):
    stack.require("cv-api")
    cv = unique_text("alone").encode()
    before = count_uploads(stack)
    resp = stack.api.post_multipart("/v1/upload", [("cv", "cv.txt", cv, "text/plain")])
    assert_error(resp, 400, "missing_field", field="project")
    assert count_uploads(stack) == before, resp
