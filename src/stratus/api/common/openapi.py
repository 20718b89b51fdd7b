"""An OpenAPI 3.1 document generated from a service's routers.

The same operations that serve requests describe them, so the document cannot drift from the
code; ``api-ref/openapi/<service>.yaml`` is a checked-in copy that a test compares with this.

Each operation documents its success status and, for every 4xx and 5xx, the service's
OpenStack fault envelope (``faults.py``): the fuzz suite (``tests/fuzz``) checks every answer
against it. Request bodies are the schemas the framework validates; an operation that
validates its body itself (by microversion, by action name) can be given its documented body
through ``bodies`` (operation id -> schema), and success bodies are documented where a service
gives them (``results``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from stratus.api.common.faults import FaultStyle
from stratus.api.common.routing import Operation

_PARAM_RE = re.compile(r"{([^}:]+)(?::[^}]+)?}")

_FAULT_FIELDS: dict[FaultStyle, dict[str, Any]] = {
    "nova": {"code": {"type": "integer"}, "message": {"type": "string"}},
    "keystone": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "title": {"type": "string"},
    },
    "neutron": {
        "type": {"type": "string"},
        "message": {"type": "string"},
        "detail": {"type": "string"},
    },
}
_FAULT_KEY: dict[FaultStyle, str | None] = {
    "nova": None,  # NOTE: Nova's key names the fault (itemNotFound, badRequest, ...)
    "keystone": "error",
    "neutron": "NeutronError",
}


def fault_schema(style: FaultStyle) -> dict[str, Any]:
    """The JSON schema of an error body in ``style`` (see ``faults.body``)."""
    fields = _FAULT_FIELDS[style]
    inner = {"type": "object", "required": sorted(fields), "properties": fields}
    key = _FAULT_KEY[style]
    if key is None:
        return {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": inner,
        }
    return {"type": "object", "required": [key], "properties": {key: inner}}


def _path(path: str) -> str:
    return _PARAM_RE.sub(r"{\1}", path)


def _responses(op: Operation, success: Mapping[str, Any] | None) -> dict[str, Any]:
    fault = {"$ref": "#/components/responses/Fault"}
    ok: dict[str, Any] = {"description": "success"}
    if success is not None:
        ok["content"] = {"application/json": {"schema": dict(success)}}
    return {str(op.status): ok, "4XX": fault, "5XX": fault}


def _request_body(op: Operation, body: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if body is not None:
        return {
            "required": op.body_required,
            "content": {ct: {"schema": dict(body)} for ct in op.content_types},
        }
    if op.stream:
        return {
            "required": True,
            "content": {
                ct: {"schema": {"type": "string", "format": "binary"}} for ct in op.content_types
            },
        }
    return None


def _operation(
    op: Operation, body: Mapping[str, Any] | None, success: Mapping[str, Any] | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": list(op.tags),
        "responses": _responses(op, success),
    }
    params = _PARAM_RE.findall(op.path)
    if params:
        doc["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ]
    doc["security"] = [{"token": []}] if op.auth else []
    if op.policy:
        doc["x-policy"] = op.policy
    request_body = _request_body(op, body)
    if request_body is not None:
        doc["requestBody"] = request_body
    return doc


def document(
    service: str,
    version: str,
    operations: Iterable[Operation],
    *,
    fault_style: FaultStyle = "nova",
    bodies: Mapping[str, Mapping[str, Any]] | None = None,
    results: Mapping[str, Mapping[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """The OpenAPI document of ``operations``; ``bodies`` overrides request bodies by
    operation id (for operations that validate their body themselves), ``results`` gives
    success response bodies by operation id."""
    bodies = bodies or {}
    results = results or {}
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(operations, key=lambda o: (o.path, o.method)):
        body = bodies.get(op.name, op.body)
        paths.setdefault(_path(op.path), {})[op.method.lower()] = _operation(
            op, body, results.get(op.name)
        )
    info: dict[str, Any] = {"title": f"Stratus {service} API", "version": version}
    if description:
        info["description"] = description
    return {
        "openapi": "3.1.0",
        "info": info,
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}
            },
            "responses": {
                "Fault": {
                    "description": "an OpenStack fault",
                    "content": {"application/json": {"schema": fault_schema(fault_style)}},
                }
            },
        },
        "paths": paths,
    }
