"""A user session from the ``OS_*`` environment (as the openstack CLI reads it) and JSON GETs.

:func:`from_environ` reads ``OS_AUTH_URL``, ``OS_USERNAME``, ``OS_PASSWORD``,
``OS_PROJECT_NAME``, ``OS_USER_DOMAIN_NAME``, ``OS_PROJECT_DOMAIN_NAME`` (both default
``Default``) and ``OS_REGION_NAME`` — what ``stratus up`` writes into its openrc files — and
logs in with :class:`~stratus.client.auth.PasswordSession`. :class:`Cloud` sends authenticated
requests to a service's endpoint from the token's catalog and turns OpenStack error bodies into
:class:`ApiError` with the service's own message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from stratus.client.auth import AuthError, PasswordSession, reason
from stratus.common.exceptions import StratusError
from stratus.common.service_credentials import ServiceCredentials

REQUIRED = ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME")


class ApiError(StratusError):
    """A service answered with an error status; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MissingCredentials(StratusError):
    message = "Set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME (source an openrc)."


def credentials(environ: Mapping[str, str]) -> ServiceCredentials:
    """The credentials in ``environ``; ``MissingCredentials`` naming what is missing."""
    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise MissingCredentials(
            f"missing {', '.join(missing)} in the environment (source an openrc file, e.g. "
            f"<data dir>/openrc.admin)"
        )
    return ServiceCredentials(
        auth_url=environ["OS_AUTH_URL"].rstrip("/"),
        username=environ["OS_USERNAME"],
        password=environ["OS_PASSWORD"],
        project_name=environ["OS_PROJECT_NAME"],
        user_domain_name=environ.get("OS_USER_DOMAIN_NAME") or "Default",
        project_domain_name=environ.get("OS_PROJECT_DOMAIN_NAME") or "Default",
        region_name=environ.get("OS_REGION_NAME") or None,
    )


class Cloud:
    """Authenticated JSON requests to the services in the catalog."""

    def __init__(self, session: PasswordSession) -> None:
        self.session = session

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], transport: httpx.BaseTransport | None = None
    ) -> Cloud:
        return cls(PasswordSession(credentials(environ), transport=transport, timeout=30.0))

    def get(self, service_type: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        """``GET <endpoint><path>``: the decoded JSON body; ``ApiError`` for error statuses."""
        url = self.session.endpoint(service_type) + path
        try:
            with self.session.client() as client:
                response = client.get(url, params=params, headers=self.session.headers())
        except httpx.HTTPError as exc:
            raise ApiError(f"cannot reach the {service_type} service at {url}: {exc}", 0) from exc
        if response.status_code >= 400:
            raise ApiError(reason(response), response.status_code)
        return response.json()


__all__ = ["ApiError", "AuthError", "Cloud", "MissingCredentials", "credentials"]
