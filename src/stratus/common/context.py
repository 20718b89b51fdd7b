"""The request context: who is calling and which request a log line belongs to.

A ``RequestContext`` is created by the API's auth middleware (or by an RPC server for a message)
and kept in a context variable, so every log line and every outgoing RPC message carries the
request id without threading it through every call.
"""

from __future__ import annotations

import contextvars
import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def new_request_id() -> str:
    """A request id in OpenStack's form: ``req-`` followed by a UUID."""
    return f"req-{uuid.uuid4()}"


@dataclasses.dataclass(frozen=True)
class AccessRule:
    """One request an application credential allows: a catalog service type, an HTTP method and
    a path template (``*`` or ``{name}`` stands for one path segment, ``**`` for any number)."""

    service: str
    method: str
    path: str


@dataclasses.dataclass
class RequestContext:
    """Identity of the caller plus request ids. ``roles`` holds lower-case role names.

    ``access_rules`` are those of the application credential behind the token; empty means the
    token is not restricted to particular requests (as Keystone omits an empty list).
    """

    request_id: str = dataclasses.field(default_factory=new_request_id)
    global_request_id: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    system_scope: str | None = None
    roles: tuple[str, ...] = ()
    auth_token: str | None = None
    audit_ids: tuple[str, ...] = ()
    expires_at: str | None = None
    application_credential_id: str | None = None
    access_rules: tuple[AccessRule, ...] = ()

    @property
    def is_admin(self) -> bool:
        """Cloud admin: the admin role on any project or the system (as Nova and Glance see it)."""
        return "admin" in self.roles

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def to_wire(self) -> dict[str, object]:
        """The part that travels with RPC messages (no token, no access rules)."""
        data = dataclasses.asdict(self)
        data.pop("auth_token", None)
        # NOTE: access rules are enforced where a request enters an API; the services behind
        # the bus act on what the API already let through.
        data.pop("access_rules", None)
        data["roles"] = list(self.roles)
        data["audit_ids"] = list(self.audit_ids)
        return data

    @classmethod
    def from_wire(cls, data: dict[str, object]) -> RequestContext:
        names = {f.name for f in dataclasses.fields(cls)} - {"access_rules"}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["roles"] = tuple(kwargs.get("roles") or ())  # type: ignore[arg-type]
        kwargs["audit_ids"] = tuple(kwargs.get("audit_ids") or ())  # type: ignore[arg-type]
        return cls(**kwargs)  # type: ignore[arg-type]


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "stratus_request_context", default=None
)


def current() -> RequestContext | None:
    """The context of the request being served in this thread/task, if any."""
    return _current.get()


def set_current(ctx: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    """Make ``ctx`` current for the duration of a ``with`` block."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
