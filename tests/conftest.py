"""Shared pytest set-up. Fixture modules live in tests/fixtures/ (one per concern)."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.cloud",
    "tests.fixtures.rabbit",
    "tests.fixtures.postgres",
]
