"""The ASGI application factory every Stratus API is built with.

``build_app`` turns routers into a Starlette app and wraps each operation so that, in order:

1. a request id (``req-<uuid>``) is made, logged and returned as ``x-openstack-request-id``;
2. ``X-Auth-Token`` is validated (unless the operation is public) into a ``RequestContext``,
   and the token's application-credential access rules must allow the request;
3. the operation's policy rule is enforced;
4. the body is size-limited, parsed as JSON and validated against the operation's schema;
5. the handler runs in a worker thread; its result becomes a JSON response;
6. any ``StratusError`` becomes an OpenStack fault; a database that cannot be reached a 503
   with ``Retry-After``; anything else is logged and becomes a 500 fault that leaks no
   internals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus.api.common import faults, schemas
from stratus.api.common.auth import (
    TokenValidator,
    client_path,
    enforce_access_rules,
    www_authenticate,
)
from stratus.api.common.policy import Enforcer
from stratus.api.common.routing import ApiRequest, Operation, Reply, Router
from stratus.common import clock, context, exceptions
from stratus.common.config import Config
from stratus.common.context import RequestContext
from stratus.db.session import Database

LOG = logging.getLogger("stratus.api")

_REQ_ID_RE = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
JSON_TYPE = "application/json"


@dataclasses.dataclass
class ServiceState:
    """What every handler of one service can reach through ``req.state``.

    ``name`` is the service's type in the catalog (``compute``, ``image``, …): application
    credential access rules are matched against it.
    """

    name: str
    config: Config
    db: Database
    enforcer: Enforcer
    validator: TokenValidator
    fault_style: faults.FaultStyle = "nova"
    identity_uri: str = ""


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return clock.isotime(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def render_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(data, default=_json_default, separators=(",", ":")).encode()
    return Response(payload, status_code=status, headers=headers, media_type=JSON_TYPE)


class RequestIdMiddleware:
    """Gives each request an id, logs one line per request, strips trailing slashes."""

    def __init__(self, app: ASGIApp, service: str, extra_header: str | None = None) -> None:
        self.app = app
        self.service = service
        self.extra_header = extra_header.encode() if extra_header else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # NOTE: only version roots ("/v3/", "/v2.1/") are reached with a trailing slash by clients
        # following "self" links; elsewhere "/v2/images/" must stay distinct from "/v2/images".
        if len(path) > 1 and path.endswith("/") and path.count("/") == 2:
            scope = dict(scope, path=path.rstrip("/"))
        ctx = RequestContext()
        for key, value in scope["headers"]:
            if key == b"x-openstack-request-id":
                candidate = value.decode("latin-1")
                if _REQ_ID_RE.match(candidate):
                    ctx.global_request_id = candidate
        token = context.set_current(ctx)
        started = time.monotonic()
        status_holder = [500]
        rid = ctx.request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-openstack-request-id", rid))
                if self.extra_header:
                    headers.append((self.extra_header, rid))
                message = dict(message, headers=headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            LOG.info(
                '%s "%s %s" status: %d time: %.4f',
                scope.get("client", ("-",))[0] if scope.get("client") else "-",
                scope["method"],
                scope["path"]
                + (("?" + scope["query_string"].decode()) if scope["query_string"] else ""),
                status_holder[0],
                time.monotonic() - started,
            )
            context.reset(token)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise exceptions.PayloadTooLarge(f"Request is too large (over {limit} bytes).")
        except ValueError:
            raise exceptions.Invalid("Invalid Content-Length header.") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise exceptions.PayloadTooLarge(f"Request is too large (over {limit} bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _parse_body(request: Request, op: Operation, limit: int) -> Any:
    if request.method in ("GET", "HEAD", "DELETE") or (op.body is None and not op.body_required):
        return None
    raw = await _read_body(request, limit)
    if not raw.strip():
        if op.body is not None and op.body_required:
            raise exceptions.Invalid("The request body is missing; a JSON document is required.")
        return None
    media = _media_type(request)
    if (
        media
        and media not in op.content_types
        and not (media.endswith("+json") and JSON_TYPE in op.content_types)
    ):
        raise exceptions.UnsupportedMediaType(
            f"Content-Type {media} is not supported here; use {', '.join(op.content_types)}."
        )
    document = schemas.parse_json(raw)
    if op.body is not None:
        schemas.validate(op.body, document)
    return document


def _to_response(result: Any, op: Operation) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        if result.body is None:
            return Response(status_code=result.status, headers=result.headers)
        return render_json(result.body, result.status, result.headers)
    if result is None:
        return Response(status_code=op.status)
    return render_json(result, op.status)


def _authenticate(request: Request, state: ServiceState) -> RequestContext:
    base = context.current() or RequestContext()
    token = request.headers.get("x-auth-token")
    if not token:
        raise exceptions.NotAuthenticated("The request you have made requires authentication.")
    who = state.validator.validate(token)
    enforce_access_rules(who, state.name, request.method, client_path(request.scope))
    return dataclasses.replace(
        who, request_id=base.request_id, global_request_id=base.global_request_id
    )


def _endpoint(op: Operation, state: ServiceState) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if op.auth:
                ctx = _authenticate(request, state)
            else:
                ctx = context.current() or RequestContext()
                token = request.headers.get("x-auth-token")
                ctx = dataclasses.replace(ctx, auth_token=token)
            context.set_current(ctx)
            if op.policy:
                state.enforcer.authorize(op.policy, dict(request.path_params), ctx)
            body = await _parse_body(request, op, state.config.api.max_request_body_size)
            req = ApiRequest(request, ctx, state, op, body)
            if op.stream:
                result = await op.handler(req)
            else:
                # NOTE: anyio copies the context variables (request id, caller) into the thread.
                result = await run_in_threadpool(op.handler, req)
            return _to_response(result, op)
        except exceptions.StratusError as error:
            return error_response(error, state)
        except Exception as error:
            unavailable = faults.database_unavailable(error)
            if unavailable is not None:
                LOG.error("database unavailable in %s %s: %s",
                          request.method, request.url.path, error)  # fmt: skip
                return error_response(unavailable, state)
            LOG.exception("unexpected error in %s %s", request.method, request.url.path)
            return faults.response(
                500,
                "An unexpected error prevented the server from fulfilling your request.",
                state.fault_style,
            )

    endpoint.__name__ = op.name
    return endpoint


def error_response(error: exceptions.StratusError, state: ServiceState) -> Response:
    headers = None
    if isinstance(error, exceptions.NotAuthenticated) and state.identity_uri:
        headers = www_authenticate(state.identity_uri)
    if isinstance(error, exceptions.ServiceUnavailable) and error.retry_after is not None:
        headers = {"Retry-After": str(error.retry_after)}
    status = faults.status_of(error)
    if status >= 500:
        LOG.error("%s: %s", type(error).__name__, error.message)
    else:
        LOG.info("%s: %s", type(error).__name__, error.message)
    return faults.from_exception(error, state.fault_style, headers)


def build_app(
    state: ServiceState,
    routers: Iterable[Router],
    extra_header: str | None = None,
) -> Starlette:
    """A Starlette app serving every operation of ``routers`` with the framework's guarantees."""
    operations = [op for r in routers for op in r.operations]
    # NOTE: Starlette adds HEAD to GET routes; explicit HEAD operations must come first to win.
    operations.sort(key=lambda op: 0 if op.method == "HEAD" else 1)
    routes = [Route(op.path, _endpoint(op, state), methods=[op.method]) for op in operations]

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return faults.response(404, "The resource could not be found.", state.fault_style)
        if error.status_code == 405:
            return faults.response(
                405, "The method is not allowed for this resource.", state.fault_style
            )
        return faults.response(error.status_code, str(error.detail), state.fault_style)

    async def crash(request: Request, error: Exception) -> Response:
        unavailable = faults.database_unavailable(error)
        if unavailable is not None:
            LOG.error("database unavailable: %s", error)
            return error_response(unavailable, state)
        LOG.exception("unhandled error", exc_info=error)
        return faults.response(500, "An unexpected error occurred.", state.fault_style)

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: crash},
    )
    # NOTE: OpenStack APIs answer "/v2/images/" with 404, not a redirect to "/v2/images".
    app.router.redirect_slashes = False
    app.state.stratus = state
    app.state.operations = operations
    app.add_middleware(RequestIdMiddleware, service=state.name, extra_header=extra_header)
    return app
