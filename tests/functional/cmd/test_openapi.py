"""``stratus manage openapi <service>``: a valid OpenAPI 3 document that covers every route the
service's app serves, and the checked-in copy in ``api-ref/openapi`` is up to date."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from starlette.routing import Route

from stratus.cmd import manage
from tests.fixtures.cloud import Cloud

SERVICES = ("identity", "image", "compute", "network")
API_REF = Path(__file__).resolve().parents[3] / "api-ref" / "openapi"
_CONVERTER = re.compile(r"{([^}:]+):[^}]+}")


def _served(cloud: Cloud, service: str) -> set[tuple[str, str]]:
    """(method, path) of every route in the app's route table (Starlette's implicit HEAD of a
    GET route aside)."""
    served = set()
    for route in cloud.apps[service].app.routes:
        assert isinstance(route, Route)
        methods = route.methods or set()
        for method in methods:
            if method == "HEAD" and "GET" in methods:
                continue
            served.add((method, _CONVERTER.sub(r"{\1}", route.path)))
    return served


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in item}


@pytest.mark.parametrize("service", SERVICES)
def test_document_is_valid_openapi_and_covers_every_route(cloud: Cloud, service: str) -> None:
    doc = manage.openapi_document(cloud.cfg, service)
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(doc)))
    schema.validate()
    loaded = [result.ok() for result in schema.get_all_operations()]
    served = _served(cloud, service)
    assert served, "the app serves no routes?"
    assert _documented(doc) == served
    assert len(loaded) == len(served)


@pytest.mark.parametrize("service", SERVICES)
def test_checked_in_document_is_current(cloud: Cloud, service: str) -> None:
    """``make openapi`` regenerates api-ref/openapi/*.yaml; this fails when someone forgot."""
    doc = json.loads(json.dumps(manage.openapi_document(cloud.cfg, service)))
    published = yaml.safe_load((API_REF / f"{service}.yaml").read_text())
    assert published == doc, f"api-ref/openapi/{service}.yaml is stale: run `make openapi`"


def test_errors_are_documented_as_the_services_fault(cloud: Cloud) -> None:
    doc = manage.openapi_document(cloud.cfg, "network")
    fault = doc["components"]["responses"]["Fault"]["content"]["application/json"]["schema"]
    assert fault["required"] == ["NeutronError"]
    responses = doc["paths"]["/v2.0/networks"]["get"]["responses"]
    assert set(responses) == {"200", "4XX", "5XX"}


def test_compute_documents_the_newest_microversion_bodies(cloud: Cloud) -> None:
    doc = manage.openapi_document(cloud.cfg, "compute")
    action = doc["paths"]["/v2.1/servers/{server_id}/action"]["post"]["requestBody"]
    names = {
        next(iter(s["properties"]))
        for s in action["content"]["application/json"]["schema"]["oneOf"]
    }
    assert {"os-start", "os-stop", "reboot", "resize"} <= names
    create = doc["paths"]["/v2.1/servers"]["post"]["requestBody"]
    server = create["content"]["application/json"]["schema"]["properties"]["server"]
    assert "tags" in server["properties"]  # NOTE: 2.52+
