"""``/v2/images/{id}/file``: streamed upload (PUT) and streamed, optionally ranged, download (GET).

The upload handler is a coroutine (``stream=True``): it hands the request body to the service as
an async iterator of chunks, so the image never sits in memory. A client that goes away mid-upload
surfaces here as ``ClientDisconnect``, which becomes an error the service cleans up after.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.image.app import service
from stratus.common import exceptions
from stratus.services.image.data import DataApi

router = Router("image")

OCTET_STREAM = "application/octet-stream"
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


async def _body(req: ApiRequest) -> AsyncIterator[bytes]:
    try:
        async for chunk in req.raw.stream():
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise exceptions.Invalid(
            "The client disconnected before the upload was complete."
        ) from None


def _content_length(req: ApiRequest) -> int | None:
    raw = req.headers.get("content-length")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.Invalid("Invalid Content-Length header.") from None
    if value < 0:
        raise exceptions.Invalid("Invalid Content-Length header.")
    return value


@router.route(
    "PUT",
    "/v2/images/{image_id}/file",
    status=204,
    stream=True,
    content_types=(OCTET_STREAM,),
    body_required=False,
)
async def upload_image_data(req: ApiRequest) -> None:
    """Upload the image's data (once; the image becomes active when the data passes inspection)."""
    media = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != OCTET_STREAM:
        raise exceptions.UnsupportedMediaType(
            f"Content-Type must be {OCTET_STREAM}, not {media or 'empty'}."
        )
    length = _content_length(req)
    await service(req, DataApi).upload(req.path["image_id"], _body(req), length)


def _range(req: ApiRequest) -> tuple[int | None, int | None]:
    raw = req.headers.get("range")
    if not raw:
        return None, None
    match = _RANGE_RE.match(raw)
    if match is None or match.group(1) == match.group(2) == "":
        raise exceptions.RangeNotSatisfiable(
            f"Unsupported Range header {raw!r}; use bytes=first-last."
        )
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(2)) if match.group(2) else None
    return first, last


@router.route("GET", "/v2/images/{image_id}/file")
def download_image_data(req: ApiRequest) -> Response:
    """The image's data (204 while there is none); ``Range: bytes=a-b`` gives a 206."""
    first, last = _range(req)
    data = service(req, DataApi).download(req.path["image_id"], first, last)
    if data.chunks is None:
        return Response(status_code=204)
    headers = {"Content-Length": str(data.end - data.start + 1)}
    if data.checksum:
        headers["Content-MD5"] = data.checksum
    if data.partial:
        headers["Content-Range"] = f"bytes {data.start}-{data.end}/{data.total}"
    status = 206 if data.partial else 200
    return StreamingResponse(
        data.chunks, status_code=status, headers=headers, media_type=OCTET_STREAM
    )
