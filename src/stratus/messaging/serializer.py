"""Payloads <-> JSON bytes, with versioned objects in their wire form.

A payload is a dict whose values are JSON scalars, lists, tuples, string-keyed dicts and
:class:`~stratus.objects.base.VersionedObject` instances, nested freely. Every transport, the
in-process one included, sends the JSON bytes, so a field that does not survive the trip fails in
unit tests rather than on the first RabbitMQ deployment.

Tuples arrive as lists; anything else (sets, datetimes, bytes ...) is refused on the sending side
with a ``TypeError`` naming the path to the bad value — put such values inside an object, whose
pydantic fields know how to convert them.
"""

from __future__ import annotations

import json
from typing import Any

from stratus.objects.base import VersionedObject, is_primitive_object, obj_from_primitive

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def to_primitive(value: Any, path: str = "payload") -> Any:
    """``value`` with every versioned object replaced by its wire form; checks JSON-ability."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, VersionedObject):
        return value.to_primitive()
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: dict keys must be strings, got {key!r}")
            out[key] = to_primitive(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [to_primitive(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(
        f"{path}: {type(value).__name__} cannot be sent on the message bus; "
        "use JSON types or a VersionedObject"
    )


def from_primitive(value: Any) -> Any:
    """Inverse of :func:`to_primitive`: wire forms become objects again."""
    if isinstance(value, dict):
        if is_primitive_object(value):
            return obj_from_primitive(value)
        return {key: from_primitive(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_primitive(item) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """Encode a message (already made of primitives) as compact UTF-8 JSON."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def loads(body: bytes | str) -> Any:
    """Decode a message; raises ``ValueError`` for bytes that are not JSON."""
    return json.loads(body)


__all__ = ["JSONValue", "dumps", "from_primitive", "loads", "to_primitive"]
