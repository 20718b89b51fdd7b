"""What a server action is (``ServerAction``), what its handler gets (``ActionCall``), and the
table of actions one compute app serves (``ActionRegistry``).

The contract of an entry: ``name`` is the body's single key (``os-stop``); ``schema(version)``
validates the whole body (400); the server is looked up (404 for a missing or other project's
server), then ``policy`` is checked on it (403); then ``handler`` runs with an ``ActionCall`` and
returns the response (a ``Reply``; ``None`` means 202 without a body). Actions outside the
version range ``[min_version, max_version]`` are unknown (400), as Nova.

The handlers (``server_action_handlers``) declare themselves into their module's registry; the
app builder (``app.build``) hands that registry to the endpoint (``server_actions``) through the
compute state, so neither of those two modules imports the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from stratus.api.common.routing import ApiRequest, Reply
from stratus.common import exceptions
from stratus.services.compute.servers import ServerApi

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


class ActionRegistry(Mapping[str, ServerAction]):
    """Action name -> ``ServerAction``; ``register`` refuses a second action of the same name."""

    def __init__(self) -> None:
        self._actions: dict[str, ServerAction] = {}

    def __getitem__(self, name: str) -> ServerAction:
        return self._actions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def register(self, action: ServerAction) -> ServerAction:
        if action.name in self._actions:
            raise ValueError(f"server action {action.name!r} is registered twice")
        self._actions[action.name] = action
        return action

    def action(
        self,
        name: str,
        policy: str,
        schema: SchemaFor,
        min_version: Version = (2, 1),
        max_version: Version | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of ``register``."""

        def wrap(handler: Handler) -> Handler:
            self.register(ServerAction(name, policy, schema, handler, min_version, max_version))
            return handler

        return wrap

    def find(self, body: Any, v: Version) -> ServerAction:
        """The action a request body asks for at microversion ``v``; ``Invalid`` (400) when
        the body names none, or only actions unknown at ``v``."""
        if not isinstance(body, dict) or not body:
            raise exceptions.Invalid("Malformed request body: an action is required.")
        for key in body:
            found = self._actions.get(key)
            if found is not None and found.available(v):
                return found
        raise exceptions.Invalid(f"There is no such action: {next(iter(body))}")


__all__ = ["ActionCall", "ActionRegistry", "Handler", "SchemaFor", "ServerAction", "Version"]
