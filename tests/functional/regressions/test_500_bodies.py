"""Regression: a 500 (or a bus time-out's 503) showed the caller what went wrong inside: a
remote exception's text, the message broker's address.

The body now carries a generic message and the request id (the header's), under which the
real error is logged.
"""

from __future__ import annotations

from typing import Any

import pytest

from stratus.common import exceptions
from tests.fixtures.cloud import Cloud

SECRET = "db password=hunter2 at amqp://stratus:hunter2@10.9.8.7:5672//"

# (service, path, module attribute that serves the list)
LISTS = [
    ("compute", "/v2.1/servers", "stratus.api.compute.server_filters.list_query"),
    ("identity", "/v3/projects", "stratus.db.repositories.identity.projects.list_"),
    ("image", "/v2/images", "stratus.services.image.images.ImageApi.list_images"),
    ("network", "/v2.0/networks", "stratus.services.network.networks.list_networks"),
]

FAILURES = [
    (exceptions.RemoteError("ValueError", SECRET), 500),
    (exceptions.MessagingError(f"could not send: broker {SECRET} unreachable"), 500),
    (exceptions.MessagingTimeout(f"No reply ({SECRET})"), 503),
    (RuntimeError(SECRET), 500),
]


def message(body: dict[str, Any]) -> str:
    return str(next(iter(body.values()))["message"])


@pytest.mark.parametrize(("service", "path", "target"), LISTS)
@pytest.mark.parametrize(("error", "status"), FAILURES)
def test_internal_error_text_stays_in_the_log(
    cloud: Cloud,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    service: str,
    path: str,
    target: str,
    error: Exception,
    status: int,
) -> None:
    headers = cloud.admin_headers()

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(target, fail)
    r = cloud.clients[service].get(path, headers=headers)
    assert r.status_code == status, r.text
    assert "hunter2" not in r.text and "10.9.8.7" not in r.text
    assert type(error).__name__ not in r.text
    request_id = r.headers["x-openstack-request-id"]
    assert message(r.json()).endswith(f"Request ID: {request_id}")
    assert "hunter2" in caplog.text
