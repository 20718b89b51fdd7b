"""JSON schemas of the image API: the documents served at ``/v2/schemas/*`` and request parsing.

The served documents have Glance's shape (``name``, ``properties``, ``additionalProperties``,
``links``) because python-glanceclient builds its models from them and Tempest reads them. The
image document is also what request bodies are validated against, as in Glance: create bodies
as a whole, PATCH values one attribute at a time (``validate_attribute``).

Create bodies are checked in Glance's order: read-only link attributes (403), the schema (400),
reserved and read-only attributes (403), then Stratus' range and length limits (400).
"""

from __future__ import annotations

import copy
from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Router
from stratus.common import exceptions
from stratus.services.image.images import CONTAINER_FORMATS, DISK_FORMATS, NewImage
from stratus.services.image.members import MEMBER_STATUSES

router = Router("image")

UUID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)
MAX_INT = 2**31 - 1
MAX_PROPERTY_VALUE = 65535
DISALLOWED = ("direct_url", "self", "file", "schema", "stores")
READ_ONLY = (
    "created_at", "updated_at", "status", "checksum", "size", "virtual_size",
    "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value",
)  # fmt: skip
RESERVED = ("location", "locations", "deleted", "deleted_at")
RESERVED_PREFIX = "os_glance"


def _prop(kind: Any, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "description": description, **extra}


_NULLABLE_STRING = ["null", "string"]
IMAGE_PROPERTIES: dict[str, dict[str, Any]] = {
    "id": _prop("string", "An identifier for the image", pattern=UUID_PATTERN),
    "name": _prop(_NULLABLE_STRING, "Descriptive name for the image", maxLength=255),
    "status": _prop(
        "string",
        "Status of the image",
        readOnly=True,
        enum=[
            "queued",
            "saving",
            "active",
            "killed",
            "deleted",
            "uploading",
            "importing",
            "pending_delete",
            "deactivated",
        ],
    ),
    "visibility": _prop(
        "string", "Scope of image accessibility", enum=["community", "public", "private", "shared"]
    ),
    "protected": _prop("boolean", "If true, image will not be deletable."),
    "os_hidden": _prop("boolean", "If true, image will not appear in default image list response."),
    "checksum": _prop(_NULLABLE_STRING, "md5 hash of image contents.", readOnly=True, maxLength=32),
    "os_hash_algo": _prop(
        _NULLABLE_STRING, "Algorithm to calculate the os_hash_value", readOnly=True, maxLength=64
    ),
    "os_hash_value": _prop(
        _NULLABLE_STRING,
        "Hexdigest of the image contents using the algorithm specified by the os_hash_algo",
        readOnly=True,
        maxLength=128,
    ),
    "owner": _prop(_NULLABLE_STRING, "Owner of the image", maxLength=255),
    "size": _prop(["null", "integer"], "Size of image file in bytes", readOnly=True),
    "virtual_size": _prop(["null", "integer"], "Virtual size of image in bytes", readOnly=True),
    "container_format": _prop(
        _NULLABLE_STRING, "Format of the container", enum=[None, *CONTAINER_FORMATS]
    ),
    "disk_format": _prop(_NULLABLE_STRING, "Format of the disk", enum=[None, *DISK_FORMATS]),
    "created_at": _prop("string", "Date and time of image registration", readOnly=True),
    "updated_at": _prop("string", "Date and time of the last image modification", readOnly=True),
    "tags": _prop(
        "array", "List of strings related to the image", items={"type": "string", "maxLength": 255}
    ),
    "direct_url": _prop(
        "string", "URL to access the image file kept in external store", readOnly=True
    ),
    "min_ram": _prop("integer", "Amount of ram (in MB) required to boot image."),
    "min_disk": _prop("integer", "Amount of disk space (in GB) required to boot image."),
    "self": _prop("string", "An image self url", readOnly=True),
    "file": _prop("string", "An image file url", readOnly=True),
    "stores": _prop("string", "Store in which image data resides.", readOnly=True),
    "schema": _prop("string", "An image schema url", readOnly=True),
    "locations": _prop(
        "array",
        "A set of URLs to access the image file kept in external store",
        items={
            "type": "object",
            "properties": {
                "url": {"type": "string", "maxLength": 255},
                "metadata": {"type": "object"},
            },
            "required": ["url", "metadata"],
        },
    ),
}

IMAGE_SCHEMA: dict[str, Any] = {
    "name": "image",
    "properties": IMAGE_PROPERTIES,
    "additionalProperties": {"type": "string"},
    "links": [
        {"rel": "self", "href": "{self}"},
        {"rel": "enclosure", "href": "{file}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}

MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "properties": {
        "member_id": _prop("string", "An identifier for the image member (tenantId)"),
        "image_id": _prop("string", "An identifier for the image", pattern=UUID_PATTERN),
        "created_at": _prop("string", "Date and time of image member creation"),
        "updated_at": _prop("string", "Date and time of last modification of image member"),
        "status": _prop("string", "The status of this image member", enum=list(MEMBER_STATUSES)),
        "schema": {"type": "string", "readOnly": True},
    },
    "additionalProperties": False,
}


def collection(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """Glance's collection schema around ``item``."""
    return {
        "name": name,
        "properties": {
            name: {"type": "array", "items": copy.deepcopy(item)},
            "first": {"type": "string"},
            "next": {"type": "string"},
            "schema": {"type": "string"},
        },
        "links": [
            {"rel": "first", "href": "{first}"},
            {"rel": "next", "href": "{next}"},
            {"rel": "describedby", "href": "{schema}"},
        ],
    }


DOCUMENTS = {
    "image": IMAGE_SCHEMA,
    "images": collection("images", IMAGE_SCHEMA),
    "member": MEMBER_SCHEMA,
    "members": collection("members", MEMBER_SCHEMA),
}

# Request envelopes checked by the framework before a handler runs.
ANY_OBJECT: dict[str, Any] = {"type": "object"}
ANY_ARRAY_OR_OBJECT: dict[str, Any] = {"type": ["array", "object"]}
# NOTE: Glance ignores other keys in member bodies (openstacksdk sends the member id back).
MEMBER_CREATE = schemas.obj(
    {"member": {"type": "string", "minLength": 1, "maxLength": 255}},
    required=("member",),
    additional=True,
)
MEMBER_UPDATE = schemas.obj(
    {"status": {"type": "string", "enum": list(MEMBER_STATUSES)}},
    required=("status",),
    additional=True,
)


@router.route("GET", "/v2/schemas/{name}")
def show_schema(req: ApiRequest) -> dict[str, Any]:
    """A JSON-schema document: image, images, member or members."""
    document = DOCUMENTS.get(req.path["name"])
    if document is None:
        raise exceptions.NotFound(f"Schema {req.path['name']} could not be found.")
    return document


# ----------------------------------------------------------------------------- request parsing


def _reserved(key: str) -> bool:
    return key in RESERVED or key.startswith(RESERVED_PREFIX)


def check_property(name: str, value: object) -> None:
    """Limits Glance enforces outside its schema: key length, integer ranges, value length."""
    if len(name) > 255:
        raise exceptions.Invalid("Custom property should not be greater than 255 characters.")
    if name in ("min_ram", "min_disk") and isinstance(value, int) and not 0 <= value <= MAX_INT:
        raise exceptions.Invalid(f"Invalid value for {name}: it must be between 0 and {MAX_INT}.")
    if name not in IMAGE_PROPERTIES and isinstance(value, str) and len(value) > MAX_PROPERTY_VALUE:
        raise exceptions.Invalid(
            f"Value of property {name} is too long (maximum {MAX_PROPERTY_VALUE})."
        )


def validate_attribute(name: str, value: object) -> None:
    """400 unless ``{name: value}`` is a valid part of an image."""
    schemas.validate(IMAGE_SCHEMA, {name: value})
    check_property(name, value)


def parse_create(body: dict[str, Any]) -> NewImage:
    """A ``POST /v2/images`` body as a ``NewImage`` (403/400 as Glance answers)."""
    for key in DISALLOWED:
        if key in body:
            raise exceptions.Forbidden(f"Attribute '{key}' is read-only.")
    schemas.validate(IMAGE_SCHEMA, body)
    for key, value in body.items():
        if _reserved(key):
            raise exceptions.Forbidden(f"Attribute '{key}' is reserved.")
        if key in READ_ONLY and key != "id":
            raise exceptions.Forbidden(f"Attribute '{key}' is read-only.")
        check_property(key, value)
    base = {k: v for k, v in body.items() if k in IMAGE_PROPERTIES and k != "tags"}
    extra = {k: v for k, v in body.items() if k not in IMAGE_PROPERTIES}
    return NewImage(
        id=base.get("id"),
        name=base.get("name"),
        visibility=base.get("visibility"),
        protected=bool(base.get("protected", False)),
        os_hidden=bool(base.get("os_hidden", False)),
        disk_format=base.get("disk_format"),
        container_format=base.get("container_format"),
        min_disk=int(base.get("min_disk", 0)),
        min_ram=int(base.get("min_ram", 0)),
        owner=base.get("owner"),
        tags=tuple(body.get("tags") or ()),
        properties=extra,
    )
