"""Compute API microversions (``X-OpenStack-Nova-API-Version`` / ``OpenStack-API-Version``).

A request without a version header gets the minimum (2.1); ``latest`` means the maximum this
cloud implements (``[compute] max_microversion``); anything outside the range is 406 and a
malformed value is 400. Every response says which version was used and ``Vary`` on the headers.

Handlers ask ``microversion.of(req) >= (2, 47)`` to choose a response shape.
"""

from __future__ import annotations

import functools
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus.api.common import faults
from stratus.api.common.routing import ApiRequest

MIN_VERSION = (2, 1)
_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")
STATE_KEY = "microversion"


@functools.total_ordering
class APIVersion:
    def __init__(self, major: int, minor: int) -> None:
        self.major = major
        self.minor = minor

    @classmethod
    def parse(cls, text: str) -> APIVersion:
        m = _RE.match(text.strip())
        if not m:
            raise ValueError(f"Invalid API version format {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    def _key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return self._key() == other
        return isinstance(other, APIVersion) and self._key() == other._key()

    def __lt__(self, other: object) -> bool:
        if isinstance(other, tuple):
            return self._key() < other
        if isinstance(other, APIVersion):
            return self._key() < other._key()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __repr__(self) -> str:
        return f"APIVersion({self})"


def _requested(headers: list[tuple[bytes, bytes]]) -> str | None:
    legacy = None
    for key, value in headers:
        if key == b"openstack-api-version":
            text = value.decode("latin-1").strip()
            service, _, version = text.partition(" ")
            if service.lower() == "compute" and version.strip():
                return version.strip()
        elif key == b"x-openstack-nova-api-version":
            legacy = value.decode("latin-1").strip()
    return legacy


def negotiate(requested: str | None, maximum: APIVersion) -> APIVersion:
    """The version to serve; ``ValueError`` (400) for bad syntax, ``LookupError`` (406) if out
    of range."""
    minimum = APIVersion(*MIN_VERSION)
    if requested is None:
        return minimum
    if requested.lower() == "latest":
        return maximum
    version = APIVersion.parse(requested)
    if version < minimum or version > maximum:
        raise LookupError(
            f"Version {version} is not supported by the API. "
            f"Minimum is {minimum} and maximum is {maximum}."
        )
    return version


class MicroversionMiddleware:
    """Negotiates the version for each request and stamps it on the response."""

    def __init__(self, app: ASGIApp, maximum: str) -> None:
        self.app = app
        self.maximum = APIVersion.parse(maximum)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            version = negotiate(_requested(scope["headers"]), self.maximum)
        except LookupError as exc:
            await faults.response(406, str(exc))(scope, receive, send)
            return
        except ValueError as exc:
            await faults.response(400, str(exc))(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = version
        stamp = [
            (b"openstack-api-version", f"compute {version}".encode()),
            (b"x-openstack-nova-api-version", str(version).encode()),
            (b"vary", b"OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
        ]

        async def send_stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + stamp)
            await send(message)

        await self.app(scope, receive, send_stamped)


def of(req: ApiRequest) -> APIVersion:
    """The negotiated version of this request (2.1 outside the compute app)."""
    state = req.raw.scope.get("state") or {}
    version = state.get(STATE_KEY)
    return version if isinstance(version, APIVersion) else APIVersion(*MIN_VERSION)


def require(req: ApiRequest, minimum: tuple[int, int]) -> None:
    """404 for an operation added in a later microversion than the request's (Nova's rule)."""
    from stratus.common import exceptions

    if of(req) < minimum:
        raise exceptions.NotFound("The resource could not be found.")
