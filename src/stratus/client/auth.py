"""Password authentication against the identity service, with a cached token and catalog.

``PasswordSession`` logs in with ``ServiceCredentials`` (``POST /v3/auth/tokens``, project
scope), keeps the token until a minute before it expires, and finds service endpoints in the
token's catalog (internal, else public, else admin; in the configured region). ``invalidate``
drops the token so the next call logs in again (after a 401). Thread-safe: compute agents fetch
several images at once.

``transport`` routes the requests to in-process applications in tests (an
``httpx.BaseTransport``); ``None`` means real sockets.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from stratus.common.exceptions import StratusError
from stratus.common.service_credentials import ServiceCredentials

INTERFACES = ("internal", "public", "admin")
REFRESH_BEFORE = datetime.timedelta(seconds=60)


class AuthError(StratusError):
    """The identity service refused the credentials or could not be reached."""

    message = "Authentication with the identity service failed."


def reason(response: httpx.Response) -> str:
    """The fault message from an OpenStack error body, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and "message" in value:
                return str(value["message"])
    return str(body)[:200]


def find_endpoint(
    catalog: Sequence[Mapping[str, Any]], service_type: str, region: str | None = None
) -> str | None:
    """The URL of ``service_type`` in a v3 catalog (internal, else public, else admin)."""
    found: dict[str, str] = {}
    for service in catalog:
        if service.get("type") != service_type:
            continue
        for ep in service.get("endpoints", []):
            ep_region = ep.get("region_id") or ep.get("region")
            if region and ep_region and ep_region != region:
                continue
            found.setdefault(str(ep.get("interface")), str(ep.get("url")))
    for interface in INTERFACES:
        if interface in found:
            return found[interface].rstrip("/")
    return None


def _expiry(text: str | None) -> datetime.datetime:
    if not text:
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class PasswordSession:
    """A logged-in service user: ``token()``, ``endpoint(type)``, ``client()``."""

    def __init__(
        self,
        creds: ServiceCredentials,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.creds = creds
        self.transport = transport
        self.timeout = timeout
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        self._catalog: list[dict[str, Any]] = []

    def client(self, timeout: float | None = None) -> httpx.Client:
        """A plain HTTP client on this session's transport (add ``headers()`` per request)."""
        return httpx.Client(
            transport=self.transport, timeout=self.timeout if timeout is None else timeout
        )

    def _body(self) -> dict[str, Any]:
        c = self.creds
        user = {"name": c.username, "domain": {"name": c.user_domain_name}, "password": c.password}
        return {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": user}},
                "scope": {
                    "project": {"name": c.project_name, "domain": {"name": c.project_domain_name}}
                },
            }
        }

    def _login(self) -> None:
        url = f"{self.creds.auth_url}/auth/tokens"
        try:
            with self.client() as client:
                response = client.post(url, json=self._body())
        except httpx.HTTPError as exc:
            raise AuthError(f"cannot reach the identity service at {url}: {exc}") from exc
        if response.status_code != 201:
            raise AuthError(
                f"the identity service at {url} refused user {self.creds.username!r} "
                f"(HTTP {response.status_code}: {reason(response)})"
            )
        body = response.json().get("token", {})
        self._token = response.headers.get("X-Subject-Token")
        self._expires = _expiry(body.get("expires_at"))
        self._catalog = list(body.get("catalog", []))

    def token(self) -> str:
        with self._lock:
            now = datetime.datetime.now(datetime.UTC)
            if self._token is None or now >= self._expires - REFRESH_BEFORE:
                self._login()
            assert self._token is not None
            return self._token

    def headers(self) -> dict[str, str]:
        return {"X-Auth-Token": self.token()}

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def endpoint(self, service_type: str) -> str:
        self.token()
        with self._lock:
            url = find_endpoint(self._catalog, service_type, self.creds.region_name)
        if url is None:
            raise AuthError(f"the service catalog has no {service_type} endpoint")
        return url


__all__ = ["AuthError", "PasswordSession", "find_endpoint", "reason"]
