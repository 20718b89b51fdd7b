"""Every error Stratus raises on purpose, in one tree.

::

    StratusError                      base; ``message`` is safe to show to the API caller
    ├── Invalid                       400 the request is malformed or breaks a rule
    │   └── ValidationError           400 the body does not match the API schema
    ├── NotAuthenticated              401 no, bad, expired or revoked credentials
    ├── Forbidden                     403 policy denies the action
    │   └── QuotaExceeded             403 (compute) / 413 (image) over a project quota
    ├── NotFound                      404 no such resource, or not visible to the caller
    ├── MethodNotAllowed              405
    ├── NotAcceptable                 406 e.g. an unsupported API microversion
    ├── Conflict                      409 state or uniqueness conflict
    ├── Gone                          410
    ├── PayloadTooLarge               413 request body over the configured limit
    ├── UnsupportedMediaType          415 wrong Content-Type for the call
    ├── RangeNotSatisfiable           416
    ├── NotImplementedYet             501 part of the OpenStack API Stratus does not offer
    ├── ServiceUnavailable            503 a backend is down; retry later
    └── MessagingError                bus problems (never reach the API caller as such)
        ├── MessagingTimeout          no reply to an RPC call in time (nobody listening?)
        ├── RemoteError               the remote side raised an exception that is not a StratusError
        ├── NoSuchMethodError         (messaging.bus) the endpoint has no such @rpc_method
        └── UnsupportedVersionError   (messaging.bus) the server cannot handle the RPC version

The mapping from these classes to HTTP codes and OpenStack fault bodies lives in exactly one
module: ``stratus.api.common.faults``.
"""

from __future__ import annotations


class StratusError(Exception):
    """Base class. ``message`` is meant for the API caller; keep secrets out of it."""

    message = "An unknown error occurred."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.message
        super().__init__(self.message)


class Invalid(StratusError):
    message = "The request is invalid."


class ValidationError(Invalid):
    message = "The request body is invalid."


class NotAuthenticated(StratusError):
    message = "The request you have made requires authentication."


class Forbidden(StratusError):
    message = "You are not authorized to perform the requested action."


class QuotaExceeded(Forbidden):
    message = "Quota exceeded."


class NotFound(StratusError):
    message = "The resource could not be found."


class MethodNotAllowed(StratusError):
    message = "The method is not allowed for the requested URL."


class NotAcceptable(StratusError):
    message = "The requested representation is not available."


class Conflict(StratusError):
    message = "The request conflicts with the current state of the resource."


class Gone(StratusError):
    message = "The resource is gone."


class PayloadTooLarge(StratusError):
    message = "Request is too large."


class UnsupportedMediaType(StratusError):
    message = "The media type of the request is not supported."


class RangeNotSatisfiable(StratusError):
    message = "The requested range is not satisfiable."


class NotImplementedYet(StratusError):
    message = "This part of the API is not implemented by Stratus."


class ServiceUnavailable(StratusError):
    message = "The service is temporarily unavailable."
    # seconds a client should wait before retrying; sent as ``Retry-After`` when set
    retry_after: int | None = None


class MessagingError(StratusError):
    message = "Message bus error."


class MessagingTimeout(MessagingError):
    message = "Timed out waiting for a reply."


class RemoteError(MessagingError):
    """The remote side of an RPC call raised something unexpected."""

    def __init__(self, exc_type: str, value: str) -> None:
        self.exc_type = exc_type
        self.value = value
        super().__init__(f"Remote error: {exc_type} {value}")
