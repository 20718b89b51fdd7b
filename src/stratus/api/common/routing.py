"""Declaring API operations: a ``Router`` collects ``Operation``s, handlers get an ``ApiRequest``.

::

    router = Router("identity")

    @router.route("PATCH", "/v3/projects/{project_id}", policy="identity:update_project",
                  body=schemas.UPDATE_PROJECT)
    def update_project(req: ApiRequest) -> dict[str, object]:
        ...

A handler is a plain function run in a worker thread; it returns a JSON-able value (sent with the
operation's ``status``), a ``Reply`` (own status/headers) or a Starlette ``Response``. Handlers of
``stream=True`` operations are coroutines that read ``req.raw`` themselves (uploads).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams
from starlette.requests import Request

from stratus.common import exceptions
from stratus.common.context import RequestContext

if TYPE_CHECKING:
    from stratus.api.common.app import ServiceState

Handler = Callable[["ApiRequest"], Any]


@dataclasses.dataclass(frozen=True)
class Operation:
    """One method on one path, with what the framework checks before calling the handler."""

    method: str
    path: str
    handler: Handler
    policy: str | None = None
    body: Mapping[str, Any] | None = None
    status: int = 200
    auth: bool = True
    stream: bool = False
    content_types: tuple[str, ...] = ("application/json",)
    body_required: bool = True
    summary: str = ""
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.handler.__name__


@dataclasses.dataclass
class Reply:
    """A handler result with its own status code and headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] | None = None


class Router:
    """Collects the operations of one service (or one part of it)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        policy: str | None = None,
        body: Mapping[str, Any] | None = None,
        status: int = 200,
        auth: bool = True,
        stream: bool = False,
        content_types: tuple[str, ...] = ("application/json",),
        body_required: bool = True,
        tags: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            doc = (handler.__doc__ or "").strip().splitlines()
            self.operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    handler=handler,
                    policy=policy,
                    body=body,
                    status=status,
                    auth=auth,
                    stream=stream,
                    content_types=content_types,
                    body_required=body_required,
                    summary=doc[0] if doc else handler.__name__.replace("_", " "),
                    tags=tags or (self.service,),
                )
            )
            return handler

        return register


class ApiRequest:
    """What a handler sees: caller context, path/query parameters, validated body, service state."""

    def __init__(
        self,
        raw: Request,
        ctx: RequestContext,
        state: ServiceState,
        operation: Operation,
        body: Any = None,
    ) -> None:
        self.raw = raw
        self.ctx = ctx
        self.state = state
        self.operation = operation
        self.body = body
        self.path: dict[str, str] = dict(raw.path_params)

    @property
    def query(self) -> QueryParams:
        return self.raw.query_params

    @property
    def headers(self) -> Mapping[str, str]:
        return self.raw.headers

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` the client used, for links in responses."""
        return str(self.raw.base_url).rstrip("/")

    def authorize(self, rule: str, target: Mapping[str, Any] | None = None) -> None:
        """Raise ``Forbidden`` unless policy ``rule`` allows the caller on ``target``."""
        self.state.enforcer.authorize(rule, target or {}, self.ctx)

    def allowed(self, rule: str, target: Mapping[str, Any] | None = None) -> bool:
        return self.state.enforcer.check_rule(rule, target or {}, self.ctx)

    def query_bool(self, name: str, default: bool | None = None) -> bool | None:
        """A boolean query parameter; 400 on anything but true/false/1/0/yes/no."""
        raw = self.query.get(name)
        if raw is None:
            return default
        low = raw.lower()
        if low in ("true", "1", "yes", "on", ""):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise exceptions.Invalid(f"Invalid value {raw!r} for boolean query parameter {name}.")
