"""Shared pytest set-up. Fixture modules live in tests/fixtures/ (one per concern)."""

from __future__ import annotations

import pytest

from tests.fixtures.waiting import timeout_scale

pytest_plugins = [
    "pytester",
    "tests.fixtures.database",
    "tests.fixtures.cloud",
    "tests.fixtures.rabbit",
    "tests.fixtures.postgres",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Stretch every pytest-timeout limit (per-test markers and the ini default) by
    ``$STRATUS_TEST_TIMEOUT_SCALE``, as tests/fixtures/waiting.py does for every poll deadline."""
    scale = timeout_scale()
    if scale == 1:
        return
    default = float(config.getini("timeout") or 0)
    for item in items:
        limit = default
        marker = item.get_closest_marker("timeout")
        if marker is not None:
            value = marker.kwargs.get("timeout", marker.args[0] if marker.args else None)
            limit = default if value is None else float(value)
        if limit > 0:
            item.add_marker(pytest.mark.timeout(limit * scale), append=False)
