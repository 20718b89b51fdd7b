"""What compute API handlers reach through ``req.state``."""

from __future__ import annotations

import dataclasses

from stratus.api.common.app import ServiceState
from stratus.api.common.routing import ApiRequest
from stratus.api.compute.server_action_registry import ActionRegistry
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI


@dataclasses.dataclass
class ComputeState(ServiceState):
    """``conductor`` starts workflows (build, resize, migrate); ``compute`` talks to hosts;
    ``server_actions`` are what ``POST /servers/{id}/action`` offers (set by ``app.build``)."""

    conductor: ConductorAPI = dataclasses.field(default=None)  # type: ignore[assignment]
    compute: ComputeAPI = dataclasses.field(default=None)  # type: ignore[assignment]
    server_actions: ActionRegistry = dataclasses.field(default_factory=ActionRegistry)


def compute_state(req: ApiRequest) -> ComputeState:
    state = req.state
    assert isinstance(state, ComputeState)
    return state
