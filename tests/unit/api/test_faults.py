"""Exception → status code and OpenStack fault body, in both envelope styles."""

from __future__ import annotations

import pytest

from stratus.api.common import faults
from stratus.common import exceptions as exc


@pytest.mark.parametrize(
    ("error", "status", "key"),
    [
        (exc.ValidationError("x"), 400, "badRequest"),
        (exc.Invalid("x"), 400, "badRequest"),
        (exc.NotAuthenticated(), 401, "unauthorized"),
        (exc.Forbidden(), 403, "forbidden"),
        (exc.QuotaExceeded(), 403, "forbidden"),
        (exc.NotFound(), 404, "itemNotFound"),
        (exc.Conflict(), 409, "conflictingRequest"),
        (exc.PayloadTooLarge(), 413, "overLimit"),
        (exc.UnsupportedMediaType(), 415, "badMediaType"),
        (exc.StratusError(), 500, "computeFault"),
    ],
)
def test_nova_style(error: exc.StratusError, status: int, key: str) -> None:
    assert faults.status_of(error) == status
    assert faults.body(status, error.message) == {key: {"code": status, "message": error.message}}


def test_keystone_style() -> None:
    assert faults.body(404, "Could not find user: x.", "keystone") == {
        "error": {"code": 404, "message": "Could not find user: x.", "title": "Not Found"}
    }
