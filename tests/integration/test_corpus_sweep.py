"""Every real document of the corpus (folders cv/, report/ and tricky/), uploaded as the
CV beside a small valid project report. Each gets 200 or the 4xx of its row in EXPECTED,
and never a 5xx, a hang or a crashed responder. Each expected outcome follows from what
the document is, such as a scanned page, an encrypted or damaged PDF, a lock file or a
352-page book."""

import os
import re

from api_support import (DOCX_TYPE, PROJECT_TEXT, corpus_dir, count_uploads, read,
                         responder_pids, sha256, upload)
from harness import Client

PDF, DOCX, TEXT, MARKDOWN = "application/pdf", DOCX_TYPE, "text/plain", "text/markdown"

# Seconds one upload may take: EXTRACT_TIMEOUT_MS (15 s) plus room for a sanitizer build.
REQUEST_TIMEOUT_S = 60

# The outcome of each file: the media type of a 200, or (status, error code).
EXPECTED = {
    "cv/albertchoe_cv_MechanicalEngineer.pdf": PDF,
    "cv/albertchoe_cv_ProjectManager.pdf": PDF,
    "cv/albertchoe_cv_SoftwareEngineer.pdf": PDF,
    "cv/altacv_sample.pdf": PDF,
    "cv/awesome-cv_cv.pdf": PDF,
    "cv/awesome-cv_resume-zh.pdf": PDF,
    "cv/awesome-cv_resume.pdf": PDF,
    "cv/bewerbung_max_mustermann_de.pdf": PDF,
    "cv/billryan_resume-zh_CN.pdf": PDF,
    "cv/devlog_mon-cv_fr.md": MARKDOWN,
    "cv/edwinjordan_CV_Sample.pdf": PDF,
    # Markdown saved with a .txt name, because the type comes from the content.
    "cv/edwinjordan_CV_Sample.txt": MARKDOWN,
    "cv/fairyhunter13_cv.txt": TEXT,
    "cv/fairyhunter13_cv_01.txt": TEXT,
    "cv/fairyhunter13_cv_02.txt": TEXT,
    "cv/fairyhunter13_cv_03.txt": TEXT,
    "cv/fairyhunter13_cv_04.txt": TEXT,
    "cv/fairyhunter13_cv_05.txt": TEXT,
    "cv/fairyhunter13_cv_06.txt": TEXT,
    "cv/fairyhunter13_cv_07.txt": TEXT,
    "cv/fairyhunter13_cv_08.txt": TEXT,
    "cv/fairyhunter13_cv_09.txt": TEXT,
    "cv/fairyhunter13_cv_10.txt": TEXT,
    "cv/fairyhunter13_cv_11.txt": TEXT,
    "cv/fairyhunter13_cv_noisy.txt": TEXT,
    "cv/froasted_sample_resume.docx": DOCX,
    "cv/irwanadw_andi_wijaya_cv_id.pdf": PDF,
    "cv/kaggle_accountant_10674770.pdf": PDF,
    "cv/kaggle_designer_14014749.pdf": PDF,
    "cv/kaggle_healthcare_nurse_14062078.pdf": PDF,
    "cv/kzulfazriawan_shortened_cv.pdf": PDF,
    "cv/moderncv_classic_green.pdf": PDF,
    "cv/pandoc_resume_resume.docx": DOCX,
    "cv/pandoc_resume_resume.md": MARKDOWN,
    "cv/presume_sample_resume.docx": DOCX,
    "cv/sb2nov_sourabh_bajaj_resume.pdf": PDF,
    "cv/sudrajad02_ahmad_cv_dummy.txt": TEXT,
    "cv/twentyseconds_cv.pdf": PDF,
    "cv/yallabanking_sample_cv.docx": DOCX,
    "report/akmalrafidiara_project_report.pdf": PDF,
    "report/edwinjordan_project_report_sample.pdf": PDF,
    "report/fairyhunter13_project.txt": TEXT,
    "report/fairyhunter13_project_02.txt": TEXT,
    "report/fairyhunter13_project_03.txt": TEXT,
    "report/fairyhunter13_project_04.txt": TEXT,
    "report/fairyhunter13_project_10.txt": TEXT,
    "report/fairyhunter13_project_11.txt": TEXT,
    "report/fairyhunter13_project_repo_report.txt": TEXT,
    "report/gnafhan_laporan_solusi_id.md": MARKDOWN,
    "report/harundarat_project_report.pdf": PDF,
    "report/ibnuzaman_README.md": MARKDOWN,
    "report/irvan0703_backend_solution.pdf": PDF,
    "report/irwanadw_project_notes.txt": TEXT,
    "report/jccode288_README.md": MARKDOWN,
    "report/kzulfazriawan_project_report.pdf": PDF,
    "report/lil-id_README_id.md": MARKDOWN,
    "report/rchmt_study_case_submission.docx": DOCX,
    "report/spacetimist_project_report_id.pdf": PDF,
    "report/sudrajad02_ahmad_project_dummy.txt": TEXT,
    # A text file that only claims to be a PDF in its first line, with no objects or trailer.
    "tricky/edwinjordan_fake_pdf_31403b86.pdf": (422, "unreadable_document"),
    # Its one page uses a font it never defines, so no text comes out.
    "tricky/edwinjordan_minimal_pdf_026f325a.pdf": (422, "unreadable_document"),
    "tricky/fairyhunter13_cv_empty.txt": (422, "unreadable_document"),
    "tricky/fairyhunter13_project_noisy.txt": TEXT,
    "tricky/mammoth_strict-format.docx": DOCX,
    "tricky/pdfjs_ArabicCIDTrueType.pdf": PDF,
    # One blank page whose only content is a print script.
    "tricky/pdfjs_autoprint_javascript.pdf": (422, "unreadable_document"),
    # PDF objects without the %PDF- header are rejected by type detection.
    "tricky/pdfjs_bug1606566_no_header.pdf": (415, "unsupported_media_type"),
    # 352 pages, above EXTRACT_MAX_PAGES (100).
    "tricky/pdfjs_freeculture_352pages.pdf": (422, "document_limits_exceeded"),
    # Needs the user password "abc".
    "tricky/pdfjs_issue6010_1_encrypted_pw_abc.pdf": (422, "unreadable_document"),
    # One raster image of a page, which would need OCR.
    "tricky/pdfjs_issue7200_image_only.pdf": (422, "unreadable_document"),
    "tricky/pdfjs_issue918_type3_fonts.pdf": PDF,
    # Encrypted with an empty user password, so it opens.
    "tricky/pdfjs_issue9972-1_aes_owner_only.pdf": PDF,
    # A fuzzed page tree that claims 213,804,087 pages and has none poppler can load.
    "tricky/pdfjs_poppler-85140-0_bogus_pagecount.pdf": (422, "unreadable_document"),
    "tricky/pdfjs_rotation.pdf": PDF,
    "tricky/pdfjs_vertical_japanese_cid.pdf": PDF,
    # The cross-reference table lacks its keyword; poppler reconstructs it.
    "tricky/pdfjs_xref_command_missing.pdf": PDF,
    "tricky/prakashiiit_sample1_cv_textboxes.docx": DOCX,
    # A Word owner lock file ("~$" file) with a .docx name.
    "tricky/rchmt_word_lockfile.docx": (415, "unsupported_media_type"),
    "tricky/shevasatrian_report_image_heavy.pdf": PDF,
}

SIZE_AND_HASH = re.compile(r"(\d+) bytes; sha256 ([0-9a-f]{64})")
PDFTOTEXT_PAGES = re.compile(r"pdftotext: \d+ non-space chars, (\d+) pages")

# nginx error log lines that mean a responder died or dropped a request.
CRASH_SIGNS = ("upstream prematurely closed", "recv() failed", "Connection reset by peer",
               "connect() to unix")


def manifest(corpus):
    """Return {relative path: notes} of the corpus's MANIFEST.tsv, or {} without one."""
    path = os.path.join(corpus, "MANIFEST.tsv")
    if not os.path.isfile(path):
        return {}
    notes = {}
    with open(path, encoding="utf-8") as fp:
        for line in fp.read().splitlines()[1:]:
            columns = line.split("\t")
            if len(columns) >= 8:
                notes[columns[0]] = columns[7]
    return notes


def corpus_files(corpus):
    files = []
    for folder in ("cv", "report", "tricky"):
        for name in sorted(os.listdir(os.path.join(corpus, folder))):
            if os.path.isfile(os.path.join(corpus, folder, name)):
                files.append(f"{folder}/{name}")
    return files


def check_accepted(relative, data, expected_type, resp, notes):
    """Return the problems of an accepted upload, compared with EXPECTED and the manifest."""
    meta = resp.json()["cv"]
    problems = []
    if meta["media_type"] != expected_type:
        problems.append(f"media type {meta['media_type']}, expected {expected_type}")
    if meta["sha256"] != sha256(data) or meta["size_bytes"] != len(data):
        problems.append(f"size or SHA-256 differ from the file's: {meta}")
    declared = SIZE_AND_HASH.search(notes.get(relative, ""))
    if declared and (int(declared.group(1)), declared.group(2)) != (len(data), sha256(data)):
        problems.append(f"the file differs from the manifest: {declared.group(0)}")
    pages = PDFTOTEXT_PAGES.search(notes.get(relative, ""))
    if expected_type == PDF and pages and meta["page_count"] != int(pages.group(1)):
        problems.append(f"page_count {meta['page_count']}, pdftotext counts {pages.group(1)}")
    if expected_type != PDF and meta["page_count"] is not None:
        problems.append(f"page_count {meta['page_count']} for a {expected_type}")
    return problems


def crash_lines(stack, offset):
    """Return the nginx error log lines after byte offset that show a crash."""
    text = stack.logs.read("nginx-error.log")[offset:]
    return [line for line in text.splitlines() if any(s in line for s in CRASH_SIGNS)]


def test_corpus_upload_outcomes(stack):
    stack.require("cv-api")
    corpus = corpus_dir(stack)
    notes = manifest(corpus)
    files = corpus_files(corpus)
    unlisted = [f for f in files if f not in EXPECTED]
    assert not unlisted, f"corpus files without an expected outcome: {unlisted}"
    missing = [f for f in EXPECTED if f not in files]
    assert not missing, f"expected corpus files not found in {corpus}: {missing}"

    client = Client(stack.api.host, stack.api.port, timeout_s=REQUEST_TIMEOUT_S)
    pids_before = responder_pids(stack)
    error_log_offset = len(stack.logs.read("nginx-error.log"))
    uploads_before = count_uploads(stack)
    accepted = 0
    failures = []
    for relative in files:
        data = read(os.path.join(corpus, relative))
        resp = upload(client, (os.path.basename(relative), data), ("project.txt", PROJECT_TEXT))
        expected = EXPECTED[relative]
        if resp.status >= 500:
            failures.append(f"{relative}: server error {resp}")
        elif isinstance(expected, tuple):
            code = resp.json().get("error", {}).get("code") if resp.status != 200 else None
            if (resp.status, code) != expected:
                failures.append(f"{relative}: expected {expected}, got {resp}")
            elif resp.json()["error"].get("field") != "cv":
                failures.append(f"{relative}: error names field "
                                f"{resp.json()['error'].get('field')!r}, not cv: {resp}")
        elif resp.status != 200:
            failures.append(f"{relative}: expected 200 {expected}, got {resp}")
        else:
            accepted += 1
            failures += [f"{relative}: {p}" for p in check_accepted(relative, data, expected,
                                                                    resp, notes)]

    assert not failures, "\n".join(failures)
    uploads_after = count_uploads(stack)
    assert uploads_after == uploads_before + 2 * accepted, (uploads_before, uploads_after,
                                                            accepted)
    assert responder_pids(stack) == pids_before, (pids_before, responder_pids(stack))
    crashes = crash_lines(stack, error_log_offset)
    assert not crashes, crashes


test_corpus_upload_outcomes.timeout_s = 900


def test_corpus_documents_as_project(stack):
    stack.require("cv-api")
    corpus = corpus_dir(stack)
    client = Client(stack.api.host, stack.api.port, timeout_s=REQUEST_TIMEOUT_S)
    failures = []
    for relative in corpus_files(corpus):
        if not relative.startswith("report/"):
            continue
        data = read(os.path.join(corpus, relative))
        resp = upload(client, ("cv.txt", "Backend engineer, Go and PostgreSQL."),
                      (os.path.basename(relative), data))
        if resp.status != 200:
            failures.append(f"{relative}: {resp}")
        elif resp.json()["project"]["media_type"] != EXPECTED[relative]:
            failures.append(f"{relative}: media type {resp.json()['project']['media_type']}")
    assert not failures, "\n".join(failures)


test_corpus_documents_as_project.timeout_s = 600
