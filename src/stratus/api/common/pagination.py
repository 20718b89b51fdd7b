"""``limit`` / ``marker`` query parameters, validated the same way by every API."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from stratus.common import exceptions


def limit(query: QueryParams, default: int | None = None, maximum: int = 1000) -> int | None:
    """The ``limit`` parameter capped at ``maximum``; 400 if it is not a non-negative integer."""
    raw = query.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.Invalid(f"limit param must be an integer, got {raw!r}") from None
    if value < 0:
        raise exceptions.Invalid("limit param must be positive")
    return min(value, maximum)


def marker(query: QueryParams) -> str | None:
    return query.get("marker") or None
