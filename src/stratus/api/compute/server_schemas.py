"""JSON schemas of the servers API request bodies, per microversion (Nova's ``schemas/servers``).

A field is accepted only from the microversion that introduced it (``description`` 2.19,
``tags`` 2.52, ``trusted_image_certificates`` 2.63, ``host``/``hypervisor_hostname`` 2.74 …);
before that the request is a 400, as in Nova, since every object is ``additionalProperties:
false``.
"""

from __future__ import annotations

import copy
from typing import Any

from stratus.api.common.schemas import obj

NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^\S(.*\S)?$"}
DESCRIPTION = {"type": ["string", "null"], "maxLength": 255}
BOOLEAN = {
    "type": ["boolean", "string"],
    "enum": [
        True,
        False,
        "True",
        "TRUE",
        "true",
        "1",
        "ON",
        "On",
        "on",
        "YES",
        "Yes",
        "yes",
        "False",
        "FALSE",
        "false",
        "0",
        "OFF",
        "Off",
        "off",
        "NO",
        "No",
        "no",
    ],
}
METADATA = {
    "type": "object",
    "patternProperties": {
        r"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255},
    },
    "additionalProperties": False,
}
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}
TAGS = {"type": "array", "items": TAG, "maxItems": 50}
IPV4 = {"type": "string", "format": "ipv4"}
IPV6 = {"type": "string", "format": "ipv6"}
DISK_CONFIG = {"type": "string", "enum": ["AUTO", "MANUAL"]}
# NOTE: "+", not Nova's "*": Python's "$" also matches before a final newline, so "^[0-9]*$"
# let "\n" through to int() and a 500.
COUNT = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1, "minLength": 1}
USER_DATA = {"type": "string", "maxLength": 65535}
HOSTNAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9-._]*$"}
TRUSTED_CERTS = {
    "type": ["array", "null"],
    "minItems": 1,
    "maxItems": 50,
    "uniqueItems": True,
    "items": {"type": "string", "minLength": 1},
}
NETWORK = obj(
    {
        "fixed_ip": {"type": "string", "oneOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
        "port": {"type": ["string", "null"]},
        "uuid": {"type": "string"},
        "tag": {"type": "string", "maxLength": 60},
    }
)
BDM_V2 = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
            "destination_type": {"type": "string", "enum": ["local", "volume"]},
            "uuid": {"type": "string"},
            "boot_index": {"type": ["integer", "string", "null"]},
        },
    },
}
PERSONALITY = {
    "type": "array",
    "items": obj({"path": {"type": "string"}, "contents": {"type": "string"}}),
}


def _server_properties(version: tuple[int, int]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME,
        "imageRef": {"type": "string"},
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "networks": {"type": "array", "items": NETWORK},
        "OS-DCF:diskConfig": DISK_CONFIG,
        "accessIPv4": IPV4,
        "accessIPv6": IPV6,
        "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
        "user_data": USER_DATA,
        "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
        "block_device_mapping_v2": BDM_V2,
        "block_device_mapping": {"type": "array"},
        "config_drive": {"type": ["boolean", "string"]},
        "security_groups": {"type": "array", "items": obj({"name": {"type": "string"}})},
        "min_count": COUNT,
        "max_count": COUNT,
        "return_reservation_id": BOOLEAN,
    }
    if version < (2, 57):
        props["personality"] = PERSONALITY
    if version >= (2, 19):
        props["description"] = DESCRIPTION
    if version >= (2, 37):
        props["networks"] = {
            "oneOf": [
                {"type": "array", "items": NETWORK},
                {"type": "string", "enum": ["none", "auto"]},
            ]
        }
    if version >= (2, 52):
        props["tags"] = TAGS
    if version >= (2, 63):
        props["trusted_image_certificates"] = TRUSTED_CERTS
    if version >= (2, 74):
        props["host"] = HOSTNAME
        props["hypervisor_hostname"] = HOSTNAME
    return props


def create(version: tuple[int, int]) -> dict[str, Any]:
    required = ("name", "flavorRef", "networks") if version >= (2, 37) else ("name", "flavorRef")
    hints = {"type": "object", "properties": {"group": {"type": "string", "format": "uuid"}}}
    return obj(
        {
            "server": obj(_server_properties(version), required=required),
            "os:scheduler_hints": hints,
            "OS-SCH-HNT:scheduler_hints": hints,
        },
        required=("server",),
    )


def update(version: tuple[int, int]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": NAME,
        "accessIPv4": IPV4,
        "accessIPv6": IPV6,
        "OS-DCF:diskConfig": DISK_CONFIG,
    }
    if version >= (2, 19):
        props["description"] = DESCRIPTION
    return obj({"server": obj(props)}, required=("server",))


def rebuild(version: tuple[int, int]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "imageRef": {"type": "string", "minLength": 1},
        "name": NAME,
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "accessIPv4": IPV4,
        "accessIPv6": IPV6,
        "OS-DCF:diskConfig": DISK_CONFIG,
        "preserve_ephemeral": {"type": "boolean"},
    }
    if version < (2, 57):
        props["personality"] = PERSONALITY
    if version >= (2, 19):
        props["description"] = DESCRIPTION
    if version >= (2, 54):
        props["key_name"] = {"type": ["string", "null"], "minLength": 1, "maxLength": 255}
    if version >= (2, 57):
        props["user_data"] = {"type": ["string", "null"], "maxLength": 65535}
    if version >= (2, 63):
        props["trusted_image_certificates"] = TRUSTED_CERTS
    return obj({"rebuild": obj(props, required=("imageRef",))}, required=("rebuild",))


def resize() -> dict[str, Any]:
    inner = obj(
        {
            "flavorRef": {"type": ["string", "integer"], "minLength": 1},
            "OS-DCF:diskConfig": DISK_CONFIG,
        },
        required=("flavorRef",),
    )
    return obj({"resize": inner}, required=("resize",))


def null_or_empty(name: str) -> dict[str, Any]:
    """``{"<name>": null}`` (or ``{}``), the body of argument-less actions."""
    return obj({name: {"type": ["object", "null"], "additionalProperties": False}}, (name,))


def reboot() -> dict[str, Any]:
    inner = obj(
        {"type": {"type": "string", "enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
        required=("type",),
    )
    return obj({"reboot": inner}, required=("reboot",))


def create_image() -> dict[str, Any]:
    inner = obj({"name": NAME, "metadata": METADATA}, required=("name",))
    return obj({"createImage": inner}, required=("createImage",))


def create_backup() -> dict[str, Any]:
    rotation = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0}
    inner = obj(
        {
            "name": NAME,
            "backup_type": {"type": "string"},
            "rotation": rotation,
            "metadata": METADATA,
        },
        required=("name", "backup_type", "rotation"),
    )
    return obj({"createBackup": inner}, required=("createBackup",))


def lock(version: tuple[int, int]) -> dict[str, Any]:
    if version < (2, 73):
        return null_or_empty("lock")
    reason = {
        "type": ["object", "null"],
        "properties": {"locked_reason": NAME},
        "additionalProperties": False,
    }
    return obj({"lock": reason}, required=("lock",))


def reset_state() -> dict[str, Any]:
    inner = obj({"state": {"type": "string", "enum": ["active", "error"]}}, required=("state",))
    return obj({"os-resetState": inner}, required=("os-resetState",))


def migrate(version: tuple[int, int]) -> dict[str, Any]:
    if version < (2, 56):
        return null_or_empty("migrate")
    inner = {
        "type": ["object", "null"],
        "properties": {"host": HOSTNAME},
        "additionalProperties": False,
    }
    return obj({"migrate": inner}, required=("migrate",))


def console_output() -> dict[str, Any]:
    length = {"type": ["integer", "string", "null"], "pattern": "^-?[0-9]+$"}
    inner = {
        "type": ["object", "null"],
        "properties": {"length": length},
        "additionalProperties": False,
    }
    return obj({"os-getConsoleOutput": inner}, required=("os-getConsoleOutput",))


def change_password() -> dict[str, Any]:
    inner = obj({"adminPass": {"type": "string"}}, required=("adminPass",))
    return obj({"changePassword": inner}, required=("changePassword",))


def security_group(action: str) -> dict[str, Any]:
    inner = obj({"name": {"type": "string", "minLength": 1, "maxLength": 255}}, required=("name",))
    return obj({action: inner}, required=(action,))


def vnc_console(action: str) -> dict[str, Any]:
    inner = obj({"type": {"type": "string"}}, required=("type",))
    return obj({action: inner}, required=(action,))


def remote_console() -> dict[str, Any]:
    inner = obj(
        {
            "protocol": {"type": "string", "enum": ["vnc", "spice", "rdp", "serial", "mks"]},
            "type": {"type": "string"},
        },
        required=("protocol", "type"),
    )
    return obj({"remote_console": inner}, required=("remote_console",))


def metadata_body(key: str) -> dict[str, Any]:
    return obj({key: copy.deepcopy(METADATA)}, required=(key,))
