"""The one place that turns exceptions into HTTP status codes and OpenStack fault bodies.

Compute, image, network and volume APIs answer with Nova's envelope::

    {"itemNotFound": {"code": 404, "message": "Image abc could not be found."}}

Identity answers with Keystone's envelope, which keystoneauth and Tempest expect::

    {"error": {"code": 404, "message": "Could not find project: abc.", "title": "Not Found"}}

Networking answers with Neutron's envelope, which openstacksdk reads::

    {"NeutronError": {"type": "NotFound", "message": "Network abc could not be found.",
                      "detail": ""}}

A 5xx body never carries what went wrong inside: bus errors (``MessagingError``: broker
addresses, remote exception text; a time-out is a 503) and anything else that maps to 500
answer with a generic message and the request id, under which the real error is logged.

A database that cannot be reached (SQLAlchemy's connection-level errors, after the write
paths' own retries) is a 503 with ``Retry-After`` in every style
(``database_unavailable``), not a 500.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import exc as sa_exc
from starlette.responses import JSONResponse

from stratus.common import context
from stratus.common import exceptions as exc

FaultStyle = Literal["nova", "keystone", "neutron"]

# (status, nova envelope key, HTTP reason phrase)
_TABLE: list[tuple[type[exc.StratusError], int, str, str]] = [
    (exc.ValidationError, 400, "badRequest", "Bad Request"),
    (exc.Invalid, 400, "badRequest", "Bad Request"),
    (exc.NotAuthenticated, 401, "unauthorized", "Unauthorized"),
    (exc.QuotaExceeded, 403, "forbidden", "Forbidden"),
    (exc.Forbidden, 403, "forbidden", "Forbidden"),
    (exc.NotFound, 404, "itemNotFound", "Not Found"),
    (exc.MethodNotAllowed, 405, "badMethod", "Method Not Allowed"),
    (exc.NotAcceptable, 406, "notAcceptable", "Not Acceptable"),
    (exc.Conflict, 409, "conflictingRequest", "Conflict"),
    (exc.Gone, 410, "gone", "Gone"),
    (exc.PayloadTooLarge, 413, "overLimit", "Request Entity Too Large"),
    (exc.UnsupportedMediaType, 415, "badMediaType", "Unsupported Media Type"),
    (exc.RangeNotSatisfiable, 416, "rangeNotSatisfiable", "Requested Range Not Satisfiable"),
    (exc.NotImplementedYet, 501, "notImplemented", "Not Implemented"),
    (exc.ServiceUnavailable, 503, "serviceUnavailable", "Service Unavailable"),
    (exc.MessagingTimeout, 503, "serviceUnavailable", "Service Unavailable"),
]

_BY_STATUS = {status: (key, title) for _cls, status, key, title in _TABLE}
_BY_STATUS[500] = ("computeFault", "Internal Server Error")

INTERNAL_ERROR = "An unexpected error prevented the server from fulfilling your request."
UNAVAILABLE = "The service is temporarily unavailable; try again later."
DATABASE_UNAVAILABLE = "The database is unavailable; try again later."
DATABASE_RETRY_AFTER = 5  # seconds

# NOTE: OperationalError: connection refused/lost, "database is locked", server shutting down;
# InterfaceError: a closed or broken connection; TimeoutError: no pooled connection in time.
_DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def database_unavailable(error: BaseException) -> exc.ServiceUnavailable | None:
    """The 503 for ``error`` when it means the database cannot be used now, else None."""
    lost = isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated
    if not (lost or isinstance(error, _DATABASE_DOWN)):
        return None
    unavailable = exc.ServiceUnavailable(DATABASE_UNAVAILABLE)
    unavailable.retry_after = DATABASE_RETRY_AFTER
    return unavailable


def status_of(error: exc.StratusError) -> int:
    """The HTTP status for ``error`` (500 for anything not in the table)."""
    for cls, status, _key, _title in _TABLE:
        if isinstance(error, cls):
            return status
    return 500


def body(
    status: int, message: str, style: FaultStyle = "nova", kind: str | None = None
) -> dict[str, object]:
    key, title = _BY_STATUS.get(status, ("computeFault", "Error"))
    if style == "keystone":
        return {"error": {"code": status, "message": message, "title": title}}
    if style == "neutron":
        return {
            "NeutronError": {
                "type": kind or title.replace(" ", ""),
                "message": message,
                "detail": "",
            }
        }
    return {key: {"code": status, "message": message}}


def response(
    status: int,
    message: str,
    style: FaultStyle = "nova",
    headers: dict[str, str] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    """A JSON fault response; a 500's message gets the request id appended."""
    if status == 500:
        message = with_request_id(message)
    return JSONResponse(body(status, message, style, kind), status_code=status, headers=headers)


def from_exception(
    error: exc.StratusError, style: FaultStyle = "nova", headers: dict[str, str] | None = None
) -> JSONResponse:
    """The fault for ``error``: its own message, except for bus errors and 500s (see above);
    the caller logs the error itself."""
    status = status_of(error)
    if status == 500:
        return response(status, INTERNAL_ERROR, style, headers)
    if isinstance(error, exc.MessagingError):
        return response(status, with_request_id(UNAVAILABLE), style, headers)
    return response(status, error.message, style, headers, type(error).__name__)


def with_request_id(message: str) -> str:
    """``message`` naming the current request's id, for the operator to find in the log."""
    current = context.current()
    if current is None:
        return message
    return f"{message} Request ID: {current.request_id}"
