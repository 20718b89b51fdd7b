"""Payload serialisation and the versioned object wire form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from stratus.messaging import serializer
from stratus.objects.base import (
    IncompatibleObjectVersionError,
    UnknownObjectError,
    VersionedObject,
    obj_from_primitive,
    parse_version,
    registered_objects,
)


class PlainModel(BaseModel):
    x: int = 1


class SerTestPort(VersionedObject):
    # Version 1.0: initial version
    VERSION = "1.0"

    id: str
    fixed_ips: list[str] = []


class SerTestServer(VersionedObject):
    # Version 1.0: initial version
    # Version 1.1: added description
    VERSION = "1.1"

    id: str
    created_at: datetime
    ports: list[SerTestPort] = []
    description: str | None = None

    def obj_make_compatible(self, data: dict[str, Any], target_version: str) -> None:
        if parse_version(target_version) < (1, 1):
            data.pop("description", None)


def round_trip(value: Any) -> Any:
    return serializer.from_primitive(
        serializer.loads(serializer.dumps(serializer.to_primitive(value)))
    )


def server(**kw: Any) -> SerTestServer:
    defaults: dict[str, Any] = {
        "id": "s1",
        "created_at": datetime(2026, 11, 23, 3, 4, 5, tzinfo=UTC),
        "ports": [SerTestPort(id="p1", fixed_ips=["10.0.0.5"])],
        "description": "web",
    }
    return SerTestServer(**(defaults | kw))


def test_objects_round_trip_nested_in_payloads() -> None:
    payload = {"server": server(), "more": [server(id="s2"), {"deep": (server(id="s3"),)}], "n": 1}
    back = round_trip(payload)
    assert back["server"] == server()
    assert isinstance(back["server"].ports[0], SerTestPort)
    assert back["more"][0].id == "s2"
    assert back["more"][1]["deep"][0].id == "s3"  # tuples arrive as lists
    assert back["n"] == 1


def test_wire_form_names_class_and_version() -> None:
    primitive = serializer.to_primitive(SerTestPort(id="p1"))
    assert primitive == {
        "stratus_object.name": "SerTestPort",
        "stratus_object.version": "1.0",
        "stratus_object.data": {"id": "p1", "fixed_ips": []},
    }


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"when": datetime(2026, 1, 1)}, "payload.when"),
        ({"ids": [1, {2, 3}]}, r"payload.ids\[1\]"),
        ({"blob": b"x"}, "payload.blob"),
        ({"bad": {1: "int key"}}, "payload.bad"),
        ({"model": PlainModel()}, "payload.model"),
    ],
)
def test_non_json_values_are_refused_with_their_path(value: Any, where: str) -> None:
    with pytest.raises(TypeError, match=where):
        serializer.to_primitive(value)


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError):
        serializer.dumps({"x": float("nan")})


def test_unknown_object_name_is_refused() -> None:
    primitive = serializer.to_primitive(SerTestPort(id="p1"))
    primitive["stratus_object.name"] = "NoSuchThing"
    with pytest.raises(UnknownObjectError, match="NoSuchThing"):
        serializer.from_primitive({"x": primitive})


def test_other_major_version_is_refused() -> None:
    primitive = serializer.to_primitive(SerTestPort(id="p1"))
    primitive["stratus_object.version"] = "2.0"
    with pytest.raises(IncompatibleObjectVersionError, match=r"SerTestPort 2\.0"):
        obj_from_primitive(primitive)


def test_newer_minor_version_is_accepted_and_unknown_fields_ignored() -> None:
    primitive = serializer.to_primitive(SerTestPort(id="p1"))
    primitive["stratus_object.version"] = "1.7"
    primitive["stratus_object.data"]["added_in_1_7"] = "x"
    assert obj_from_primitive(primitive) == SerTestPort(id="p1")


def test_downgrade_for_an_older_receiver() -> None:
    primitive = server().to_primitive(target_version="1.0")
    assert primitive["stratus_object.version"] == "1.0"
    assert "description" not in primitive["stratus_object.data"]
    assert obj_from_primitive(primitive).description is None  # type: ignore[attr-defined]
    with pytest.raises(IncompatibleObjectVersionError):
        server().to_primitive(target_version="1.2")
    with pytest.raises(IncompatibleObjectVersionError):
        server().to_primitive(target_version="0.9")


def test_from_primitive_checks_the_class() -> None:
    primitive = SerTestPort(id="p1").to_primitive()
    assert SerTestPort.from_primitive(primitive) == SerTestPort(id="p1")
    with pytest.raises(TypeError, match="expected a SerTestServer"):
        SerTestServer.from_primitive(primitive)


def test_registry_refuses_a_second_class_with_the_same_name() -> None:
    assert registered_objects()["SerTestPort"] is SerTestPort
    with pytest.raises(TypeError, match="duplicate versioned object name 'SerTestPort'"):
        type(
            "SerTestPort",
            (VersionedObject,),
            {"__module__": "elsewhere.objects", "VERSION": "1.0", "__annotations__": {}},
        )


@pytest.mark.parametrize("version", ["1", "1.0.0", "v1.0", ""])
def test_malformed_versions_are_refused(version: str) -> None:
    with pytest.raises(ValueError, match="invalid version"):
        type(
            f"SerTestBadVersion{len(version)}",
            (VersionedObject,),
            {"__module__": __name__, "VERSION": version, "__annotations__": {}},
        )


def test_intermediate_bases_without_version_are_not_registered() -> None:
    class SerTestBase(VersionedObject):
        name: str = ""

    assert "SerTestBase" not in registered_objects()
