"""Time in one place so tests can move it (Nova's N310 rule: no bare ``datetime.now``)."""

from __future__ import annotations

import datetime as _dt

_offset = _dt.timedelta(0)


def utcnow() -> _dt.datetime:
    """Current UTC time as a naive datetime (the database stores naive UTC)."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None) + _offset


def advance(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += _dt.timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = _dt.timedelta(0)


def isotime(value: _dt.datetime | None, subsecond: bool = False) -> str | None:
    """``2026-11-23T03:42:48Z`` (or with microseconds), the way OpenStack APIs print times."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    if subsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_isotime(text: str) -> _dt.datetime:
    """Parse an ISO 8601 time; result is naive UTC. Raises ``ValueError`` on bad input."""
    value = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    return value
