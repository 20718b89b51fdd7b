"""``PATCH /v2/images/{id}`` bodies: Glance's JSON-patch dialects parsed into ``Change`` commands.

Two media types are accepted, as in Glance::

    application/openstack-images-v2.1-json-patch  [{"op": "replace", "path": "/name", "value": 1}]
    application/openstack-images-v2.0-json-patch  [{"replace": "/name", "value": 1}]

Paths are one-level JSON pointers to an attribute or custom property (``~1`` is ``/``, ``~0`` is
``~``). Read-only attributes and reserved names are 403; malformed operations are 400; every
value is checked against the image schema here, before the service sees it.
"""

from __future__ import annotations

import re
from typing import Any, Literal, cast

from stratus.api.image import schemas
from stratus.common import exceptions
from stratus.services.image.images import Change

PATCH_V21 = "application/openstack-images-v2.1-json-patch"
PATCH_V20 = "application/openstack-images-v2.0-json-patch"
MEDIA_TYPES = (PATCH_V21, PATCH_V20)
OPERATIONS = ("add", "remove", "replace")
_OPS_TEXT = ", ".join(OPERATIONS)


def media_type_error() -> exceptions.UnsupportedMediaType:
    return exceptions.UnsupportedMediaType(
        f"Unsupported Content-Type for PATCH; use one of: {', '.join(sorted(MEDIA_TYPES))}."
    )


def _operation(raw: dict[str, Any], draft4: bool) -> tuple[str, object]:
    if draft4:
        found = [k for k in OPERATIONS if k in raw]
        if len(found) != 1:
            raise exceptions.Invalid(
                "Operation objects must contain exactly one member named "
                '"add", "remove", or "replace".'
            )
        return found[0], raw[found[0]]
    op = raw.get("op")
    if op is None:
        raise exceptions.Invalid(
            "Unable to find `op` in JSON Schema change. "
            f"It must be one of the following: {_OPS_TEXT}."
        )
    if op not in OPERATIONS:
        raise exceptions.Invalid(
            f"Invalid operation: `{op}`. It must be one of the following: {_OPS_TEXT}."
        )
    if "path" not in raw:
        raise exceptions.Invalid("Unable to find 'path' in JSON Schema change")
    return str(op), raw["path"]


def decode_pointer(pointer: object) -> list[str]:
    """The parts of a JSON pointer, validated the way Glance does."""
    if not isinstance(pointer, str):
        raise exceptions.Invalid("Invalid JSON pointer: the path must be a string.")
    if not pointer.startswith("/"):
        raise exceptions.Invalid(f'Pointer `{pointer}` does not start with "/".')
    if re.search(r"/\s*?/", pointer[1:]):
        raise exceptions.Invalid(f'Pointer `{pointer}` contains adjacent "/".')
    if len(pointer) > 1 and pointer.endswith("/"):
        raise exceptions.Invalid(f'Pointer `{pointer}` end with "/".')
    if pointer[1:].strip() in ("", "/"):
        raise exceptions.Invalid(f"Pointer `{pointer}` does not contains valid token.")
    if re.search("~[^01]", pointer) or pointer.endswith("~"):
        raise exceptions.Invalid(
            f'Pointer `{pointer}` contains "~" not part of a recognized escape sequence.'
        )
    return [part.replace("~1", "/").replace("~0", "~").strip() for part in pointer[1:].split("/")]


def _check_path(op: str, path: list[str], raw: dict[str, Any]) -> str:
    root = path[0]
    if root == "locations":
        raise exceptions.Forbidden(
            "It's not allowed to update locations if locations are invisible."
        )
    if len(path) != 1:
        raise exceptions.Invalid(f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
    if root in schemas.READ_ONLY:
        raise exceptions.Forbidden(f"Attribute '{root}' is read-only.")
    if root in schemas.RESERVED or root.startswith(schemas.RESERVED_PREFIX):
        raise exceptions.Forbidden(f"Attribute '{root}' is reserved.")
    if op != "remove" and "value" not in raw:
        raise exceptions.Invalid(f'Operation "{op}" requires a member named "value".')
    return root


def parse(body: object, media_type: str) -> list[Change]:
    """The changes of a PATCH body sent as ``media_type`` (415 for any other media type)."""
    if media_type not in MEDIA_TYPES:
        raise media_type_error()
    if not isinstance(body, list):
        raise exceptions.Invalid("Request body must be a JSON array of operation objects.")
    draft4 = media_type == PATCH_V20
    changes: list[Change] = []
    for raw in body:
        if not isinstance(raw, dict):
            raise exceptions.Invalid("Operations must be JSON objects.")
        op, pointer = _operation(raw, draft4)
        name = _check_path(op, decode_pointer(pointer), raw)
        value = raw.get("value")
        if op != "remove":
            schemas.validate_attribute(name, value)
        kind = cast(Literal["add", "remove", "replace"], op)
        changes.append(Change(kind, name, value if op != "remove" else None, strict_add=draft4))
    return changes
