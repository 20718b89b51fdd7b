"""Request validation with JSON Schema, and fragments the services' schemas are built from.

Errors read like Nova's: ``Invalid input for field/attribute name. Value: 1. 1 is not of type
'string'`` — always a 400, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema
from jsonschema import Draft7Validator

from stratus.common import exceptions, untrusted_json

NAME = {"type": "string", "minLength": 1, "maxLength": 255}
NAME_OR_EMPTY = {"type": "string", "maxLength": 255}
DESCRIPTION = {"type": ["string", "null"], "maxLength": 65535}
BOOLEAN = {"type": "boolean"}
ID = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_ID = {"type": ["string", "null"], "maxLength": 64}
URL = {"type": "string", "minLength": 1, "maxLength": 2048}
TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"},
    "maxItems": 80,
}


def obj(
    properties: Mapping[str, Any],
    required: tuple[str, ...] = (),
    additional: bool | Mapping[str, Any] = False,
) -> dict[str, Any]:
    """An object schema; ``additional=False`` rejects unknown fields."""
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = additional
    return schema


def wrapped(key: str, inner: Mapping[str, Any]) -> dict[str, Any]:
    """``{"<key>": inner}`` — the envelope most OpenStack request bodies use."""
    return obj({key: inner}, required=(key,))


@cache
def _validator(schema_json: str) -> Draft7Validator:
    return Draft7Validator(json.loads(schema_json), format_checker=jsonschema.FormatChecker())


def _field(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        return "/".join(path) or "body"
    return "/".join(path) or "body"


def validate(schema: Mapping[str, Any], document: Any) -> None:
    """Raise ``ValidationError`` (400) describing the first problem found in ``document``."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return
    message = error.message
    if error.validator == "maxLength":
        message = f"String is too long (maximum {error.validator_value} characters)."
    elif error.validator == "maxItems":
        message = f"Too many items (maximum {error.validator_value})."
    if len(message) > 300:
        message = message[:300] + "..."
    if error.validator in ("required", "additionalProperties"):
        raise exceptions.ValidationError(
            f"Invalid input for field/attribute {_field(error)}. {message}"
        )
    value = json.dumps(error.instance, default=str)
    if len(value) > 80:
        value = value[:80] + "..."
    raise exceptions.ValidationError(
        f"Invalid input for field/attribute {_field(error)}. Value: {value}. {message}"
    )


def parse_json(raw: bytes) -> Any:
    """Decode a JSON request body; 400 on anything that is not UTF-8 JSON, nests deeper than
    ``untrusted_json.MAX_DEPTH`` or holds an unpaired surrogate (see ``untrusted_json``)."""
    return untrusted_json.loads(raw)
