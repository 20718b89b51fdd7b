"""``POST /servers/{id}/action``: one endpoint, many actions, dispatched through ``REGISTRY``.

The contract of an entry (``ServerAction``): ``name`` is the body's single key (``os-stop``);
``schema(version)`` validates the whole body (400); the server is looked up (404 for a missing
or other project's server), then ``policy`` is checked on it (403); then ``handler`` runs with
an ``ActionCall`` and returns the response (a ``Reply``; ``None`` means 202 without a body).
Handlers call one ``services.compute_*`` function, which checks lock and state (409 "Cannot
'stop' instance … while it is in vm_state stopped"), sets the task state, records the instance
action with the request id and casts to the host or the conductor.

Actions outside the version range ``[min_version, max_version]`` are unknown (400), as Nova.
``register`` refuses a second action of the same name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import server_schemas as sch
from stratus.api.compute.server_common import server_api, version
from stratus.common import exceptions
from stratus.services.compute_api import ServerApi

router = Router("compute")

Version = tuple[int, int]


@dataclasses.dataclass
class ActionCall:
    """What an action handler gets: the request, the caller's ServerApi, the server id and
    the action's arguments (``body[name]``, may be None)."""

    req: ApiRequest
    api: ServerApi
    server_id: str
    args: Any
    version: Version

    @property
    def arg_dict(self) -> dict[str, Any]:
        return dict(self.args or {})


Handler = Callable[[ActionCall], Reply | None]
SchemaFor = Callable[[Version], Mapping[str, Any]]


@dataclasses.dataclass(frozen=True)
class ServerAction:
    name: str
    policy: str
    schema: SchemaFor
    handler: Handler
    min_version: Version = (2, 1)
    max_version: Version | None = None

    def available(self, v: Version) -> bool:
        return v >= self.min_version and (self.max_version is None or v <= self.max_version)


REGISTRY: dict[str, ServerAction] = {}


def register(action: ServerAction) -> ServerAction:
    if action.name in REGISTRY:
        raise ValueError(f"server action {action.name!r} is registered twice")
    REGISTRY[action.name] = action
    return action


def action(
    name: str,
    policy: str,
    schema: SchemaFor,
    min_version: Version = (2, 1),
    max_version: Version | None = None,
) -> Callable[[Handler], Handler]:
    """Decorator form of ``register``."""

    def wrap(handler: Handler) -> Handler:
        register(ServerAction(name, policy, schema, handler, min_version, max_version))
        return handler

    return wrap


def _find(body: Any, v: Version) -> ServerAction:
    if not isinstance(body, dict) or not body:
        raise exceptions.Invalid("Malformed request body: an action is required.")
    for key in body:
        found = REGISTRY.get(key)
        if found is not None and found.available(v):
            return found
    raise exceptions.Invalid(f"There is no such action: {next(iter(body))}")


@router.route("POST", "/v2.1/servers/{server_id}/action", body={"type": "object"})
def server_action(req: ApiRequest) -> Reply | None:
    """Perform an action on a server (start, stop, reboot, resize, …)."""
    v = version(req)
    found = _find(req.body, v)
    schemas.validate(found.schema(v), {found.name: req.body[found.name]})
    server_id = req.path["server_id"]
    api = server_api(req)
    req.authorize(found.policy, api.target(server_id))
    result = found.handler(ActionCall(req, api, server_id, req.body[found.name], v))
    return result if result is not None else Reply(None, 202)


# NOTE: the handlers live in server_action_handlers (imported for their registrations).
from stratus.api.compute import server_action_handlers  # noqa: E402, F401

__all__ = ["REGISTRY", "ActionCall", "ServerAction", "action", "register", "sch"]
