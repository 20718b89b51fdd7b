"""Parsing of image API requests: list queries, JSON patches, create bodies, policy rules."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import QueryParams

from stratus.api.common.policy import Enforcer
from stratus.api.image import filters, patch, policies, schemas
from stratus.common import exceptions
from stratus.common.context import RequestContext

V21 = patch.PATCH_V21


def q(text: str) -> QueryParams:
    return QueryParams(text)


# ------------------------------------------------------------------------------------ sorting


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [("created_at", "desc")]),
        ("sort_key=name", [("name", "desc")]),
        ("sort_key=name&sort_dir=asc", [("name", "asc")]),
        ("sort_key=name&sort_key=size&sort_dir=asc", [("name", "asc"), ("size", "asc")]),
        (
            "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc",
            [("name", "asc"), ("size", "desc")],
        ),
        ("sort=name:asc,created_at", [("name", "asc"), ("created_at", "desc")]),
    ],
)
def test_sorting(query: str, expected: list[tuple[str, str]]) -> None:
    assert filters.sorting(q(query)) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort_key=owner", "Invalid sort key: owner"),
        ("sort_dir=up", "Invalid sort direction: up"),
        ("sort=name:sideways", "Invalid sort direction"),
        ("sort=name&sort_key=size", "cannot be combined"),
        ("sort_key=name&sort_dir=asc&sort_dir=desc&sort_dir=asc", "does not match"),
    ],
)
def test_bad_sorting(query: str, message: str) -> None:
    with pytest.raises(exceptions.Invalid, match=message):
        filters.sorting(q(query))


# ------------------------------------------------------------------------------------ filters


def test_filters() -> None:
    f = filters.image_filters(
        q(
            "name=in:a,b&status=active&tag=x&tag=y&visibility=all&member_status=all&size_min=1"
            "&protected=true&os_hidden=false&min_ram=512&owner=p&hw_disk_bus=scsi"
            "&created_at=gte:2026-01-01T00:00:00Z&limit=3&marker=m&sort_key=name"
        )
    )
    assert f.names == ["a", "b"] and f.statuses == ["active"] and f.tags == ["x", "y"]
    assert f.visibility == "all" and f.member_status == "all" and f.size_min == 1
    assert f.equals == {"protected": True, "min_ram": 512, "owner": "p"}
    assert f.os_hidden is False
    assert f.properties == {"hw_disk_bus": "scsi"}
    assert [op for op, _when in f.created_at] == ["gte"]


@pytest.mark.parametrize(
    "query",
    [
        "visibility=everyone",
        "member_status=maybe",
        "size_min=big",
        "protected=perhaps",
        "os_hidden=2",
        "created_at=gt:yesterday",
        "changes-since=2020-01-01",
        "min_ram=lots",
    ],
)
def test_bad_filters(query: str) -> None:
    with pytest.raises(exceptions.Invalid):
        filters.image_filters(q(query))


@pytest.mark.parametrize("query", ["limit=-1", "limit=x"])
def test_bad_limit(query: str) -> None:
    with pytest.raises(exceptions.Invalid, match="limit param must be"):
        filters.page(q(query))


def test_page_defaults_and_cap() -> None:
    assert filters.page(q("")).limit == 25
    assert filters.page(q("limit=5000")).limit == 1000


def test_links_keep_repeated_parameters_and_replace_the_marker() -> None:
    links = filters.links(q("tag=a&tag=b&marker=old&limit=2"), "new")
    assert links["first"] == "/v2/images?tag=a&tag=b&limit=2"
    assert links["next"] == "/v2/images?tag=a&tag=b&limit=2&marker=new"
    assert filters.links(q(""), None) == {"first": "/v2/images"}


# -------------------------------------------------------------------------------------- patch


def test_patch_v21_and_v20() -> None:
    changes = patch.parse(
        [
            {"op": "replace", "path": "/name", "value": "n"},
            {"op": "add", "path": "/a~1b~0c", "value": "v"},
            {"op": "remove", "path": "/foo"},
        ],
        V21,
    )
    assert [(c.op, c.name, c.value) for c in changes] == [
        ("replace", "name", "n"),
        ("add", "a/b~c", "v"),
        ("remove", "foo", None),
    ]
    (old,) = patch.parse([{"add": "/min_ram", "value": 5}], patch.PATCH_V20)
    assert (old.op, old.name, old.value, old.strict_add) == ("add", "min_ram", 5, True)


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        ({"op": "replace"}, exceptions.Invalid, "JSON array"),
        (["replace"], exceptions.Invalid, "JSON objects"),
        ([{"path": "/name", "value": "x"}], exceptions.Invalid, "Unable to find `op`"),
        ([{"op": "move", "path": "/name", "value": "x"}], exceptions.Invalid, "Invalid operation"),
        ([{"op": "add", "value": "x"}], exceptions.Invalid, "Unable to find 'path'"),
        ([{"op": "add", "path": "name", "value": "x"}], exceptions.Invalid, "does not start"),
        ([{"op": "add", "path": "/a//b", "value": "x"}], exceptions.Invalid, "adjacent"),
        ([{"op": "add", "path": "/a/b", "value": "x"}], exceptions.Invalid, "Invalid JSON pointer"),
        ([{"op": "add", "path": "/a~2", "value": "x"}], exceptions.Invalid, "escape"),
        ([{"op": "add", "path": "/name"}], exceptions.Invalid, 'requires a member named "value"'),
        (
            [{"op": "replace", "path": "/status", "value": "active"}],
            exceptions.Forbidden,
            "read-only",
        ),
        ([{"op": "replace", "path": "/id", "value": "x"}], exceptions.Forbidden, "read-only"),
        ([{"op": "add", "path": "/deleted", "value": "x"}], exceptions.Forbidden, "reserved"),
        ([{"op": "add", "path": "/os_glance_x", "value": "x"}], exceptions.Forbidden, "reserved"),
        ([{"op": "add", "path": "/locations/-", "value": {}}], exceptions.Forbidden, "locations"),
        ([{"op": "replace", "path": "/min_ram", "value": -1}], exceptions.Invalid, "min_ram"),
        (
            [{"op": "replace", "path": "/min_ram", "value": "1"}],
            exceptions.ValidationError,
            "integer",
        ),
        (
            [{"op": "replace", "path": "/visibility", "value": "x"}],
            exceptions.ValidationError,
            "visibility",
        ),
        ([{"op": "add", "path": "/custom", "value": 1}], exceptions.ValidationError, "string"),
        (
            [{"op": "replace", "path": "/name", "value": "n" * 256}],
            exceptions.ValidationError,
            "too long",
        ),
        ([{"op": "add", "path": "/tags", "value": "x"}], exceptions.ValidationError, "array"),
    ],
)
def test_bad_patches(body: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        patch.parse(body, V21)


def test_patch_media_type() -> None:
    with pytest.raises(exceptions.UnsupportedMediaType):
        patch.parse([], "application/json")


# ------------------------------------------------------------------------------------- create


def test_parse_create_splits_base_and_custom_properties() -> None:
    new = schemas.parse_create(
        {"name": "n", "min_ram": 5, "tags": ["a", "a"], "hw_disk_bus": "scsi", "protected": True}
    )
    assert new.name == "n" and new.min_ram == 5 and new.protected is True
    assert new.tags == ("a", "a")
    assert new.properties == {"hw_disk_bus": "scsi"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"self": "/x"}, exceptions.Forbidden),
        ({"status": "active"}, exceptions.Forbidden),
        ({"size": 5}, exceptions.Forbidden),
        ({"locations": []}, exceptions.Forbidden),
        ({"os_glance_import_task": "x"}, exceptions.Forbidden),
        ({"status": "bogus"}, exceptions.ValidationError),
        ({"size": "five"}, exceptions.ValidationError),
        ({"k" * 256: "v"}, exceptions.Invalid),
        ({"custom": "v" * 70000}, exceptions.Invalid),
        ({"min_disk": 2**31}, exceptions.Invalid),
    ],
)
def test_parse_create_rejects(body: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        schemas.parse_create(body)


# ------------------------------------------------------------------------------------- policy


def _ctx(project: str, *roles: str) -> RequestContext:
    return RequestContext(user_id="u", project_id=project, roles=roles)


def test_default_rules_parse_and_mean_what_they_say() -> None:
    enforcer = Enforcer(policies.RULES)
    mine = {"project_id": "p1", "owner": "p1", "visibility": "private", "member_id": None}
    shared = {"project_id": "p1", "owner": "p1", "visibility": "shared", "member_id": "p2"}
    assert enforcer.check_rule("modify_image", mine, _ctx("p1", "member"))
    assert not enforcer.check_rule("modify_image", mine, _ctx("p1", "reader"))
    assert not enforcer.check_rule("modify_image", mine, _ctx("p2", "member"))
    assert enforcer.check_rule("modify_image", mine, _ctx("p9", "admin"))
    assert enforcer.check_rule("download_image", mine, _ctx("p1", "reader"))
    assert not enforcer.check_rule("publicize_image", mine, _ctx("p1", "member"))
    assert enforcer.check_rule("modify_member", shared, _ctx("p2", "member"))
    assert not enforcer.check_rule("modify_member", shared, _ctx("p1", "member"))
    assert enforcer.check_rule("get_members", shared, _ctx("p2", "reader"))
    assert not enforcer.check_rule("get_images", {"project_id": "p1"}, _ctx("p1"))
