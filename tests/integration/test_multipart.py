"""Multipart bodies built by hand and sent through nginx. They cover line endings,
boundary forms, preamble and epilogue, near-delimiters inside file content (stored byte
for byte), RFC 5987 file names, and fields that the upload does not use."""

import os

from api_support import CV_TEXT, PROJECT_TEXT, count_uploads, read, sha256

BOUNDARY = "cvtest-7Hq2"


def multipart(parts, boundary=BOUNDARY, eol=b"\r\n", preamble=b"", epilogue=b""):
    """Build a body from (header lines, content) pairs, with the given line ending."""
    body = preamble
    for headers, content in parts:
        body += b"--" + boundary.encode() + eol
        for line in headers:
            body += line.encode("utf-8") + eol
        body += eol + content + eol
    return body + b"--" + boundary.encode() + b"--" + eol + epilogue


def file_part(field, filename, content, content_type="application/octet-stream"):
    headers = [f'Content-Disposition: form-data; name="{field}"; filename="{filename}"']
    if content_type is not None:
        headers.append(f"Content-Type: {content_type}")
    return headers, content


def send(stack, body, content_type=None):
    content_type = content_type or f"multipart/form-data; boundary={BOUNDARY}"
    return stack.api.request("POST", "/v1/upload", body=body,
                             headers={"Content-Type": content_type})


def stored(stack, upload_id):
    """Return the row of one upload: file name, size, SHA-256 and text."""
    rows = stack.db.query("SELECT filename, size_bytes, sha256, text_content FROM uploads"
                          " WHERE id = :'id'", id=upload_id)
    assert len(rows) == 1, rows
    return rows[0]


def assert_exact(stack, resp, field, content):
    """Assert that the upload of field stored exactly content, byte for byte."""
    assert resp.status == 200, resp
    meta = resp.json()[field]
    assert meta["size_bytes"] == len(content), meta
    assert meta["sha256"] == sha256(content), meta
    row = stored(stack, resp.json()[f"{field}_id"])
    assert row["size_bytes"] == len(content), row
    assert row["sha256"] == sha256(content), row


def test_lf_only_line_endings(stack):
    stack.require("cv-api")
    cv = b"Backend engineer\nGo, PostgreSQL\n"
    project = b"Project report\nwith two lines"
    body = multipart([file_part("cv", "cv.txt", cv), file_part("project", "p.txt", project)],
                     eol=b"\n")
    assert b"\r" not in body, body
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", cv)
    assert_exact(stack, resp, "project", project)


def test_quoted_boundary(stack):
    stack.require("cv-api")
    boundary = "quoted boundary:(with) 'specials'+_,-./=?"
    body = multipart([file_part("cv", "cv.txt", CV_TEXT.encode()),
                      file_part("project", "p.txt", PROJECT_TEXT.encode())], boundary=boundary)
    resp = send(stack, body, f'multipart/form-data; boundary="{boundary}"')
    assert_exact(stack, resp, "cv", CV_TEXT.encode())


def test_media_type_and_parameters_any_case(stack):
    stack.require("cv-api")
    body = multipart([file_part("cv", "cv.txt", CV_TEXT.encode()),
                      file_part("project", "p.txt", PROJECT_TEXT.encode())])
    resp = send(stack, body, f'Multipart/Form-Data; charset=UTF-8; BOUNDARY="{BOUNDARY}"')
    assert_exact(stack, resp, "project", PROJECT_TEXT.encode())


def test_preamble_and_epilogue_ignored(stack):
    stack.require("cv-api")
    preamble = b"This is the preamble.\r\nIt mentions --" + BOUNDARY.encode() + b"x too.\r\n"
    epilogue = b"This is the epilogue, with --" + BOUNDARY.encode() + b"-- in it.\r\n"
    cv, project = CV_TEXT.encode(), PROJECT_TEXT.encode()
    body = multipart([file_part("cv", "cv.txt", cv), file_part("project", "p.txt", project)],
                     preamble=preamble, epilogue=epilogue)
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", cv)
    assert_exact(stack, resp, "project", project)


def near_delimiters():
    """Byte runs that resemble the delimiter of BOUNDARY without being one."""
    boundary = BOUNDARY.encode()
    return [
        b"\r\n--" + boundary[:-1] + b"\r\n",            # one character short
        b"\n--" + boundary + b"\n",                      # LF line end in a CRLF body
        b"\r--" + boundary + b"\r",                      # CR alone
        b"\r\n-" + boundary + b"\r\n",                   # one dash
        b"\r\n--" + boundary.upper() + b"\r\n",          # boundaries are case-sensitive
        b"text --" + boundary + b" in the middle of a line",
        b"\r\n--" + boundary[:4],                        # a prefix that ends the run
    ]


def test_near_delimiters_in_content_stored_exactly(stack):
    stack.require("cv-api")
    content = b"Backend engineer CV.\r\n" + b"".join(near_delimiters()) + b"\r\nEnd of CV.\r\n"
    body = multipart([file_part("cv", "cv.txt", content),
                      file_part("project", "p.txt", PROJECT_TEXT.encode())])
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", content)
    assert resp.json()["project"]["sha256"] == sha256(PROJECT_TEXT.encode()), resp


def test_near_delimiters_across_read_chunks(stack):
    stack.require("cv-api")
    # About 300 KiB with a near-delimiter every 997 bytes, so some straddle the edges of
    # the 64 KiB reads of the responder and of nginx's FastCGI records.
    filler = b"Go and PostgreSQL backend work. " * 31
    runs = near_delimiters()
    content = b"".join(filler[: 997 - len(runs[i % len(runs)])] + runs[i % len(runs)]
                       for i in range(300))
    body = multipart([file_part("cv", "cv.txt", content),
                      file_part("project", "p.txt", PROJECT_TEXT.encode())])
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", content)


def test_binary_pdf_stored_exactly(stack):
    stack.require("cv-api")
    pdf = read(os.path.join(stack.root, "samples", "cv.pdf"))
    docx = read(os.path.join(stack.root, "samples", "project-report.docx"))
    body = multipart([file_part("cv", "cv.pdf", pdf), file_part("project", "p.docx", docx)])
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", pdf)
    assert_exact(stack, resp, "project", docx)


def test_filename_star_decoded_and_sanitised(stack):
    stack.require("cv-api")
    disposition = ("Content-Disposition: form-data; name=\"cv\"; filename=\"fallback.txt\"; "
                   "filename*=UTF-8''..%2F..%2Fhome%2Fdana%2Fr%C3%A9sum%C3%A9%20%E2%80%94"
                   "%20final.txt")
    body = multipart([([disposition], CV_TEXT.encode()),
                      file_part("project", "p.txt", PROJECT_TEXT.encode())])
    resp = send(stack, body)
    assert resp.status == 200, resp
    expected = "résumé — final.txt"
    assert resp.json()["cv"]["filename"] == expected, resp
    assert stored(stack, resp.json()["cv_id"])["filename"] == expected, resp


def test_filename_path_components_stripped(stack):
    stack.require("cv-api")
    body = multipart([file_part("cv", "../../etc/passwd", CV_TEXT.encode()),
                      file_part("project", "C:\\\\Users\\\\dana\\\\report.md",
                                PROJECT_TEXT.encode())])
    resp = send(stack, body)
    assert resp.status == 200, resp
    assert resp.json()["cv"]["filename"] == "passwd", resp
    assert resp.json()["project"]["filename"] == "report.md", resp
    assert stored(stack, resp.json()["cv_id"])["filename"] == "passwd", resp
    assert stored(stack, resp.json()["project_id"])["filename"] == "report.md", resp


def test_filename_bidi_control_dropped(stack):
    stack.require("cv-api")
    body = multipart([file_part("cv", "cv\u202etxt.exe", CV_TEXT.encode()),
                      file_part("project", "p.txt", PROJECT_TEXT.encode())])
    resp = send(stack, body)
    assert resp.status == 200, resp
    assert resp.json()["cv"]["filename"] == "cvtxt.exe", resp


def test_unknown_fields_ignored(stack):
    stack.require("cv-api")
    cv, project = CV_TEXT.encode(), PROJECT_TEXT.encode()
    before = count_uploads(stack)
    body = multipart([
        (['Content-Disposition: form-data; name="note"'], b"please hurry"),
        file_part("cv", "cv.txt", cv),
        file_part("attachment", "photo.png", b"\x89PNG\r\n\x1a\n" + bytes(32), "image/png"),
        file_part("project", "p.txt", project),
        (['Content-Disposition: form-data; name="submit"'], b"Upload"),
    ])
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", cv)
    assert_exact(stack, resp, "project", project)
    assert count_uploads(stack) == before + 2, resp


def test_declared_part_type_ignored(stack):
    stack.require("cv-api")
    body = multipart([file_part("cv", "cv.pdf", CV_TEXT.encode(), "application/pdf"),
                      file_part("project", "p.png", PROJECT_TEXT.encode(), "image/png")])
    resp = send(stack, body)
    assert resp.status == 200, resp
    assert resp.json()["cv"]["media_type"] == "text/plain", resp
    assert resp.json()["project"]["media_type"] == "text/plain", resp


def test_project_part_before_cv_part(stack):
    stack.require("cv-api")
    cv, project = CV_TEXT.encode(), PROJECT_TEXT.encode()
    body = multipart([file_part("project", "p.txt", project), file_part("cv", "cv.txt", cv)])
    resp = send(stack, body)
    assert_exact(stack, resp, "cv", cv)
    assert_exact(stack, resp, "project", project)


def test_header_names_any_case_and_unquoted_name(stack):
    stack.require("cv-api")
    body = multipart([
        (['content-disposition: FORM-DATA; NAME=cv; FileName="cv.txt"'], CV_TEXT.encode()),
        (['CONTENT-DISPOSITION: form-data; name=project'], PROJECT_TEXT.encode()),
    ])
    resp = send(stack, body)
    assert resp.status == 200, resp
    assert resp.json()["cv"]["filename"] == "cv.txt", resp
    assert resp.json()["project"]["filename"] == "", resp
