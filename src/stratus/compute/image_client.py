"""The compute agent's client of the image service, over HTTP with the user's token.

Compute hosts are other machines than the controller, so a snapshot goes to the image service
the way any client's upload would: the image endpoint comes from the catalog of the user's
token (``GET <auth_url>/auth/catalog``), the snapshot's real format is set on the queued image
(``PATCH``), then the file is streamed (``PUT /v2/images/{id}/file``). The image service then
inspects the data like any upload before the image becomes ``active``.

``transport`` lets tests route the requests to in-process applications (an
``httpx.BaseTransport``); in production it is ``None`` (real sockets).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx

from stratus.common.exceptions import StratusError
from stratus.virt.driver import Snapshot

LOG = logging.getLogger(__name__)

CHUNK = 64 * 1024
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
INTERFACES = ("internal", "public", "admin")


class ImageServiceError(StratusError):
    """The image service refused or could not be reached; the message says which and why."""

    message = "The image service failed."


def _reason(response: httpx.Response) -> str:
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


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


class ImageClient:
    def __init__(
        self,
        auth_url: str,
        region: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.region = region
        self.transport = transport
        self.timeout = timeout

    def _client(self, token: str) -> httpx.Client:
        return httpx.Client(
            transport=self.transport, timeout=self.timeout, headers={"X-Auth-Token": token}
        )

    def _check(self, response: httpx.Response, doing: str) -> None:
        if response.is_success:
            return
        raise ImageServiceError(f"{doing} failed: HTTP {response.status_code}: {_reason(response)}")

    def endpoint(self, client: httpx.Client) -> str:
        """The image service URL from the token's catalog (internal, else public, else admin)."""
        url = f"{self.auth_url}/auth/catalog"
        try:
            response = client.get(url)
        except httpx.HTTPError as exc:
            raise ImageServiceError(f"cannot reach the identity service at {url}: {exc}") from exc
        self._check(response, f"reading the service catalog from {url}")
        found: dict[str, str] = {}
        for service in response.json().get("catalog", []):
            if service.get("type") != "image":
                continue
            for ep in service.get("endpoints", []):
                region = ep.get("region_id") or ep.get("region")
                if self.region and region and region != self.region:
                    continue
                found.setdefault(str(ep.get("interface")), str(ep.get("url")))
        for interface in INTERFACES:
            if interface in found:
                return found[interface].rstrip("/")
        raise ImageServiceError(f"the service catalog at {url} has no image endpoint")

    def upload(self, image_id: str, token: str, snapshot: Snapshot) -> None:
        """Set the image's formats to the snapshot's and upload the file; raises
        ``ImageServiceError`` saying what the image service answered."""
        with self._client(token) as client:
            base = self.endpoint(client)
            try:
                response = client.patch(
                    f"{base}/v2/images/{image_id}",
                    headers={"Content-Type": PATCH_TYPE},
                    json=[
                        {"op": "replace", "path": "/disk_format", "value": snapshot.disk_format},
                        {
                            "op": "replace",
                            "path": "/container_format",
                            "value": snapshot.container_format,
                        },
                    ],
                )
                self._check(response, f"setting the formats of image {image_id}")
                size = snapshot.path.stat().st_size
                response = client.put(
                    f"{base}/v2/images/{image_id}/file",
                    headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(size),
                    },
                    content=_chunks(snapshot.path),
                )
            except httpx.HTTPError as exc:
                raise ImageServiceError(f"cannot reach the image service at {base}: {exc}") from exc
            self._check(response, f"uploading the snapshot into image {image_id}")
            LOG.info("uploaded %d bytes into image %s", size, image_id)

    def delete(self, image_id: str, token: str) -> None:
        """Best effort: remove an image whose snapshot failed (Nova's delete_image_on_error)."""
        try:
            with self._client(token) as client:
                response = client.delete(f"{self.endpoint(client)}/v2/images/{image_id}")
            if response.status_code not in (204, 404):
                LOG.warning("could not delete image %s: HTTP %d", image_id, response.status_code)
        except (httpx.HTTPError, ImageServiceError) as exc:
            LOG.warning("could not delete image %s: %s", image_id, exc)
