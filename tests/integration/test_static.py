"""Files nginx serves itself."""

import os

import yaml

from harness import Skip


def test_openapi_yaml_served(stack):
    path = os.path.join(stack.root, "openapi.yaml")
    if not os.path.isfile(path):
        raise Skip("openapi.yaml is not written yet")
    with open(path, "rb") as fp:
        expected = fp.read()
    resp = stack.api.get("/openapi.yaml")
    assert resp.status == 200, resp
    assert resp.header("Content-Type", "").startswith("application/yaml"), resp.headers
    assert resp.body == expected, "served openapi.yaml differs from the repository's"
    doc = yaml.safe_load(resp.body)
    assert str(doc.get("openapi", "")).startswith("3."), f"openapi: {doc.get('openapi')!r}"
    assert "/v1/upload" in doc.get("paths", {}), sorted(doc.get("paths", {}))


def test_error_bodies_not_reachable_directly(stack):
    resp = stack.api.get("/_errors/413.json")
    assert resp.status == 404, resp
    assert resp.error_code() == "not_found", resp
