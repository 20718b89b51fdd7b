"""Version discovery and the JSON-schema documents at /v2/schemas/*."""

from __future__ import annotations

import jsonschema
import pytest

from tests.functional.image.conftest import ImageCloud


def test_root_lists_versions_with_300(images: ImageCloud) -> None:
    r = images.client.get("/")
    assert r.status_code == 300
    assert r.headers["x-openstack-request-id"].startswith("req-")
    versions = r.json()["versions"]
    assert versions[0] == {
        "id": "v2.7",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": "http://image.test:9292/v2/"}],
    }
    assert versions[-1]["id"] == "v2.0"
    assert {v["status"] for v in versions[1:]} == {"SUPPORTED"}


@pytest.mark.parametrize("path", ["/versions", "/v2", "/v2/"])
def test_explicit_version_documents(images: ImageCloud, path: str) -> None:
    r = images.client.get(path)
    assert r.status_code == 200
    assert r.json() == images.client.get("/").json()


def test_links_follow_the_request_host(images: ImageCloud) -> None:
    r = images.client.get("/versions", headers={"Host": "cloud.example:9292"})
    assert r.json()["versions"][0]["links"][0]["href"] == "http://cloud.example:9292/v2/"


@pytest.mark.parametrize("name", ["image", "images", "member", "members"])
def test_schemas_are_valid_json_schema_documents(images: ImageCloud, name: str) -> None:
    r = images.client.get(f"/v2/schemas/{name}", headers=images.headers("a-reader"))
    assert r.status_code == 200
    document = r.json()
    assert document["name"] == name
    jsonschema.Draft4Validator.check_schema(document)
    jsonschema.Draft7Validator.check_schema(document)


def test_image_schema_validates_a_real_image(images: ImageCloud) -> None:
    image = images.create(name="n", hw_disk_bus="scsi")
    schema = images.client.get("/v2/schemas/image", headers=images.headers("a-member")).json()
    jsonschema.validate(image, schema)
    listing = images.client.get("/v2/images", headers=images.headers("a-member")).json()
    jsonschema.validate(
        listing, images.client.get("/v2/schemas/images", headers=images.headers("a-member")).json()
    )
    assert {"id", "name", "status", "visibility", "tags", "self", "file", "schema"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] == {"type": "string"}


def test_unknown_schema_and_auth(images: ImageCloud) -> None:
    assert (
        images.client.get("/v2/schemas/task", headers=images.headers("a-member")).status_code == 404
    )
    r = images.client.get("/v2/schemas/image")
    assert r.status_code == 401
    r = images.client.get("/v2/images", headers=images.headers("bogus"))
    assert r.status_code == 401
    assert "unauthorized" in r.json()
