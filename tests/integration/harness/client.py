"""HTTP client for the tests: one request per connection through http.client, multipart
bodies built by hand so tests can also send broken ones, and result polling."""

import http.client
import json
import os
import time
import uuid

from harness.contract import default_contract


class Response:
    """A finished HTTP response: status, headers (case-insensitive) and the whole body."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    @property
    def request_id(self):
        return self.headers.get("X-Request-Id")

    def json(self):
        """Parse the body as JSON; AssertionError names the status and body when it is not."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise AssertionError(
                f"body of the {self.status} response is not JSON ({exc}): {self.body[:300]!r}"
            ) from exc

    def error_code(self):
        """Return the code of an API error body {"error":{"code":...,"message":...}}."""
        doc = self.json()
        assert isinstance(doc, dict) and isinstance(doc.get("error"), dict), \
            f"not an API error body: {self.body[:300]!r}"
        assert isinstance(doc["error"].get("message"), str), f"error without a message: {doc}"
        return doc["error"].get("code")

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def encode_multipart(fields, boundary=None):
    """Build a multipart/form-data body.

    fields is a list of (name, filename, content, content_type); filename and
    content_type may be None, content is bytes or str. Returns (body, content_type).
    """
    boundary = boundary or "cvtest-" + uuid.uuid4().hex
    parts = []
    for name, filename, content, content_type in fields:
        if isinstance(content, str):
            content = content.encode("utf-8")
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type is not None:
            head += f"Content-Type: {content_type}\r\n"
        parts.append(head.encode("utf-8") + b"\r\n" + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode("utf-8")
    return body, f"multipart/form-data; boundary={boundary}"


class Client:
    """Requests to one web server of the stack. Every response is checked against
    openapi.yaml (harness/contract.py), and one that breaks it raises ContractError,
    an AssertionError, in the test that made the request."""

    def __init__(self, host, port, timeout_s=120, contract=None):
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.contract = contract if contract is not None else default_contract()

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    def request(self, method, path, body=None, headers=None):
        """Send one request on a new connection and return the Response.

        A server may respond before it has read the whole body (413) and close the
        connection. The failed send is then ignored and the response read.
        """
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            headers = dict(headers or {})
            if body is not None:
                headers.setdefault("Content-Length", str(len(body)))
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if body:
                try:
                    conn.send(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
            resp = conn.getresponse()
            response = Response(resp.status, resp.reason, resp.headers, resp.read())
        finally:
            conn.close()
        if self.contract is not None:
            self.contract.check(method, path, response)
        return response

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_json(self, path, doc, headers=None):
        body = doc if isinstance(doc, (bytes, str)) else json.dumps(doc)
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        return self.request("POST", path, body=body, headers=headers)

    def post_multipart(self, path, fields, headers=None):
        body, content_type = encode_multipart(fields)
        headers = dict(headers or {})
        headers.setdefault("Content-Type", content_type)
        return self.request("POST", path, body=body, headers=headers)

    def upload(self, cv_path, project_path):
        """POST /v1/upload with the two files; return the Response."""
        fields = []
        for name, path in (("cv", cv_path), ("project", project_path)):
            with open(path, "rb") as fp:
                fields.append((name, os.path.basename(path), fp.read(),
                               "application/octet-stream"))
        return self.post_multipart("/v1/upload", fields)

    def evaluate(self, cv_path, project_path, timeout_s=240):
        """Upload two files, request their evaluation with the default job, and poll it.

        Asserts each step's response and returns the final result body as a dict.
        """
        resp = self.upload(cv_path, project_path)
        assert resp.status == 200, f"upload: {resp}"
        ids = resp.json()
        assert ids.get("cv_id"), f"upload returned {ids}"
        assert ids.get("project_id"), f"upload returned {ids}"

        resp = self.post_json("/v1/evaluate",
                              {"cv_id": ids["cv_id"], "project_id": ids["project_id"]})
        assert resp.status in (200, 202), f"evaluate: {resp}"
        job = resp.json()
        assert job.get("status") == "queued", f"evaluate returned {job}"
        assert job.get("id"), f"evaluate returned {job}"
        return self.poll_result(job["id"], timeout_s=timeout_s)

    def poll_result(self, job_id, timeout_s=180, interval_s=0.5):
        """GET /v1/result/{job_id} until its status is completed or failed.

        Returns the last body as a dict. Raises AssertionError on a status other than 200,
        or when the job is still queued or processing after timeout_s.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            resp = self.get(f"/v1/result/{job_id}")
            assert resp.status == 200, f"result of {job_id}: {resp.status} {resp.body[:300]!r}"
            doc = resp.json()
            if doc.get("status") in ("completed", "failed"):
                return doc
            if time.monotonic() >= deadline:
                raise AssertionError(f"job {job_id} still {doc.get('status')} after {timeout_s}s")
            time.sleep(interval_s)
