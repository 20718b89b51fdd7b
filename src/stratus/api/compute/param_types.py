"""JSON-schema fragments and query helpers shared by the compute API's admin resources
(flavors, keypairs, quotas, aggregates, server groups, services, hypervisors, migrations), and
:func:`reading`, the read transaction their handlers use.

The fragments mirror Nova's ``parameter_types`` so the same inputs are accepted and rejected:
numbers may come as JSON numbers or digit strings, booleans as JSON booleans or the usual words.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from stratus.api.common import pagination
from stratus.api.common.routing import ApiRequest
from stratus.common import exceptions

MAX_INT = 2147483647

# A name: 1-255 printable characters without leading or trailing whitespace.
NAME: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^(?!\s)[^\x00-\x1f\x7f]*(?<!\s)$",
}
DESCRIPTION: dict[str, Any] = {
    "type": ["string", "null"],
    "minLength": 0,
    "maxLength": 65535,
    "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
}
_TRUE = ("True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t")
_FALSE = ("False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f")
BOOLEAN: dict[str, Any] = {"type": ["boolean", "string"], "enum": [True, False, *_TRUE, *_FALSE]}
POSITIVE_INT: dict[str, Any] = {
    "type": ["integer", "string"],
    "pattern": "^[0-9]*$",
    "minimum": 1,
    "maximum": MAX_INT,
    "minLength": 1,
}
NON_NEGATIVE_INT: dict[str, Any] = {
    "type": ["integer", "string"],
    "pattern": "^[0-9]*$",
    "minimum": 0,
    "maximum": MAX_INT,
    "minLength": 1,
}
QUOTA_LIMIT: dict[str, Any] = {
    "type": ["integer", "string"],
    "pattern": "^-?[0-9]+$",
    "minimum": -1,
    "maximum": MAX_INT,
}
HOST: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 255}


def to_bool(value: Any) -> bool:
    """A value the ``BOOLEAN`` schema accepted, as a bool."""
    if isinstance(value, bool):
        return value
    return str(value) in _TRUE


def to_int(value: Any, field: str, minimum: int, maximum: int = MAX_INT) -> int:
    """A value an integer-or-digits schema accepted, as an int within range; 400 otherwise."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exceptions.ValidationError(f"Invalid input for field/attribute {field}.") from None
    if number < minimum or number > maximum:
        raise exceptions.ValidationError(
            f"Invalid input for field/attribute {field}. Value: {value}. "
            f"It must be between {minimum} and {maximum}."
        )
    return number


def query_bool(req: ApiRequest, name: str) -> bool | None:
    """Nova's strict boolean query parameter (``true``/``false``/``1``/``0``/``yes``/``no`` …)."""
    raw = req.query.get(name)
    if raw is None:
        return None
    low = raw.strip().lower()
    if low in ("1", "t", "true", "on", "y", "yes"):
        return True
    if low in ("0", "f", "false", "off", "n", "no"):
        return False
    raise exceptions.Invalid(f"Invalid value '{raw}' for query parameter {name}.")


def query_int(req: ApiRequest, name: str, minimum: int = 0) -> int | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.Invalid(f"Invalid input for query parameter {name}: {raw!r}.") from None
    if value < minimum:
        raise exceptions.Invalid(f"Invalid input for query parameter {name}: {raw!r}.")
    return value


def limit(req: ApiRequest) -> int:
    """``limit`` capped at 1000 (Nova's ``[api] max_limit``)."""
    value = pagination.limit(req.query, default=1000, maximum=1000)
    assert value is not None
    return value


def reject_unknown_query(req: ApiRequest, allowed: set[str]) -> None:
    """From microversion 2.75 Nova rejects query parameters it does not know."""
    unknown = sorted(set(req.query.keys()) - allowed)
    if unknown:
        raise exceptions.Invalid(
            f"Invalid input for query parameters {', '.join(unknown)}. "
            "Additional properties are not allowed."
        )


def links(req: ApiRequest, collection: str, identifier: str) -> list[dict[str, str]]:
    """``self`` (versioned) and ``bookmark`` (unversioned) links to one resource."""
    return [
        {"rel": "self", "href": f"{req.base_url}/v2.1/{collection}/{identifier}"},
        {"rel": "bookmark", "href": f"{req.base_url}/{collection}/{identifier}"},
    ]


def next_link(req: ApiRequest, collection: str, marker: str) -> list[dict[str, str]]:
    """The ``*_links`` entry pointing at the next page (the request's query, new marker)."""
    params = {k: v for k, v in sorted(req.query.items()) if k != "marker"}
    params["marker"] = marker
    return [{"rel": "next", "href": f"{req.base_url}/v2.1/{collection}?{urlencode(params)}"}]


@contextmanager
def reading(req: ApiRequest) -> Iterator[Session]:
    """A read transaction whose rows stay usable afterwards: they are detached before the
    rollback that ends it (which would otherwise expire them), so views render after it."""
    with req.state.db.read() as session:
        yield session
        session.expunge_all()
