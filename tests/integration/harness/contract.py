"""The OpenAPI contract as a response checker, which Client.request calls for every
response. A response must have a status that openapi.yaml documents for its path and
method, the required headers with values that match their schemas, and a JSON body that
matches its schema. Schemas are checked with jsonschema's draft 4 validator, because it
has the exclusiveMinimum form of OpenAPI 3.0."""

import collections
import json
import os
import re

import jsonschema
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

# Statuses that the contract's description allows on any request, beside those each
# operation lists, with the error code each carries. 404 applies only to a path that
# the document does not list, and 405 only to a method that the path does not accept.
GENERAL_ERRORS = {
    400: ("bad_request", None),
    404: ("not_found", None),
    405: ("method_not_allowed", "#/components/responses/MethodNotAllowed"),
    414: ("uri_too_long", None),
    429: ("rate_limited", "#/components/responses/RateLimited"),
    502: ("service_unavailable", "#/components/responses/BadGateway"),
    503: ("service_unavailable", "#/components/responses/ServiceUnavailable"),
    504: ("service_unavailable", "#/components/responses/GatewayTimeout"),
}


# A response checked: the request's method and target, the contract operation it
# matched, the status, X-Request-Id (None when absent) and the problems found.
Record = collections.namedtuple("Record", "method target label status request_id problems")


def error_code_of(resp):
    """Return the error code of a JSON error body, or None."""
    try:
        doc = json.loads(resp.body.decode("utf-8"))
        return doc["error"]["code"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None


class ContractError(AssertionError):
    """A response that the contract does not allow."""


def to_json_schema(node):
    """Return a copy of an OpenAPI 3.0 document in which every schema with nullable:
    true also accepts null, the one keyword draft 4 lacks."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value) for key, value in node.items()
           if not (key == "nullable" and isinstance(value, bool))}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def media_type(value):
    """Return the media type of a Content-Type value, lower case and without parameters."""
    return (value or "").split(";", 1)[0].strip().lower()


class Contract:
    """openapi.yaml, loaded once, with a record of every response checked."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as fp:
            self.doc = to_json_schema(yaml.safe_load(fp))
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.templates = []
        for template in self.doc.get("paths", {}):
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            self.templates.append((re.compile(f"^{pattern}$"), template))
        # One Record per response checked, in order.
        self.records = []

    def resolve(self, node):
        """Follow a local $ref ("#/components/...") until a node without one."""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local references are supported, not {ref!r}")
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def match(self, path):
        """Return the document's path template that path matches, or None."""
        for pattern, template in self.templates:
            if pattern.match(path):
                return template
        return None

    def general_response(self, status):
        """Return the response object of a status allowed on any request."""
        code, ref = GENERAL_ERRORS[status]
        if ref is not None:
            return self.resolve({"$ref": ref})
        return {
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"allOf": [
                {"$ref": "#/components/schemas/Error"},
                {"properties": {"error": {"properties": {"code": {"enum": [code]}}}}},
            ]}}},
        }

    def expected_response(self, method, path):
        """Return (label, {status: response object}) for a request."""
        template = self.match(path)
        if template is None:
            allowed = {s: None for s in GENERAL_ERRORS if s != 405}
            return f"{method} {path[:80]} (not in the contract)", allowed
        operation = self.doc["paths"][template].get(method.lower())
        if operation is None:
            allowed = {s: None for s in GENERAL_ERRORS if s != 404}
            return f"{method} {template} (method not in the contract)", allowed
        allowed = {int(s): self.resolve(r) for s, r in operation.get("responses", {}).items()}
        for status in GENERAL_ERRORS:
            if status != 404:
                allowed.setdefault(status, None)
        return f"{method} {template}", allowed

    def problems(self, method, path, resp):
        """Return (problems, label): the ways in which resp breaks the contract, and the
        operation it was checked against."""
        label, allowed = self.expected_response(method, path)
        if resp.status not in allowed:
            return [f"{label}: status {resp.status} is not documented "
                    f"(documented: {sorted(allowed)})"], label
        response = allowed[resp.status]
        if response is not None and resp.status in GENERAL_ERRORS and \
                error_code_of(resp) == GENERAL_ERRORS[resp.status][0]:
            # An operation's own 400 lists its field codes; bad_request may come on top.
            response = None
        response = response or self.general_response(resp.status)
        found = []
        found += self.header_problems(response, resp)
        found += self.body_problems(method, response, resp)
        return [f"{label} -> {resp.status}: {p}" for p in found], label

    def header_problems(self, response, resp):
        found = []
        for name, header in response.get("headers", {}).items():
            header = self.resolve(header)
            value = resp.headers.get(name)
            if value is None:
                if header.get("required"):
                    found.append(f"required header {name} is missing")
                continue
            schema = header.get("schema", {})
            instance = value
            if schema.get("type") == "integer":
                if not re.fullmatch(r"-?[0-9]+", value):
                    found.append(f"header {name}: {value!r} is not an integer")
                    continue
                instance = int(value)
            error = self.first_error(schema, instance)
            if error:
                found.append(f"header {name}: {value!r}: {error}")
        return found

    def body_problems(self, method, response, resp):
        content = response.get("content")
        if method == "HEAD" or resp.status == 304 or not content:
            if resp.body:
                return [f"a body of {len(resp.body)} bytes where the contract has none"]
            return []
        declared = media_type(resp.headers.get("Content-Type"))
        by_type = {media_type(key): value for key, value in content.items()}
        if declared not in by_type:
            return [f"Content-Type {declared!r} is not one of {sorted(by_type)}"]
        if declared != "application/json":
            return []
        try:
            instance = json.loads(resp.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return [f"body is not JSON ({exc})"]
        error = self.first_error(by_type[declared].get("schema", {}), instance)
        return [f"body does not match the schema: {error}"] if error else []

    def first_error(self, schema, instance):
        """Return a one-line description of the best validation error, or None."""
        validator = jsonschema.Draft4Validator(schema, resolver=self.resolver)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return f"at {where}: {error.message[:300]}"

    def check(self, method, target, resp):
        """Record resp and raise ContractError when it breaks the contract."""
        # nginx merges repeated slashes (merge_slashes on), so the responders see //a as /a.
        path = re.sub(r"/{2,}", "/", target.split("?", 1)[0])
        found, label = self.problems(method, path, resp)
        self.records.append(Record(method, target, label, resp.status,
                                   resp.headers.get("X-Request-Id"), found))
        if found:
            raise ContractError("response breaks openapi.yaml: " + "; ".join(found)
                                + f"; response {resp!r}, headers {dict(resp.headers)}")


_default = {}


def default_contract():
    """Return the Contract of the repository's openapi.yaml, or None when there is none."""
    if "contract" not in _default:
        path = os.path.join(REPO_ROOT, "openapi.yaml")
        _default["contract"] = Contract(path) if os.path.isfile(path) else None
    return _default["contract"]
