"""An OpenAPI 3.1 document generated from a service's routers.

The same operations that serve requests describe them, so the document cannot drift from the
code; ``api-ref/openapi/<service>.yaml`` is a checked-in copy that a test compares with this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from stratus.api.common.routing import Operation

_PARAM_RE = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _path(path: str) -> str:
    return _PARAM_RE.sub(r"{\1}", path)


def _operation(op: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": list(op.tags),
        "responses": {str(op.status): {"description": "success"}},
    }
    params = _PARAM_RE.findall(op.path)
    if params:
        doc["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ]
    if op.auth:
        doc["security"] = [{"token": []}]
    else:
        doc["security"] = []
    if op.policy:
        doc["x-policy"] = op.policy
    if op.body is not None:
        doc["requestBody"] = {
            "required": op.body_required,
            "content": {ct: {"schema": op.body} for ct in op.content_types},
        }
    elif op.stream:
        doc["requestBody"] = {
            "required": True,
            "content": {
                ct: {"schema": {"type": "string", "format": "binary"}} for ct in op.content_types
            },
        }
    return doc


def document(service: str, version: str, operations: Iterable[Operation]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(operations, key=lambda o: (o.path, o.method)):
        paths.setdefault(_path(op.path), {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"Stratus {service} API", "version": version},
        "components": {
            "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}}
        },
        "paths": paths,
    }
