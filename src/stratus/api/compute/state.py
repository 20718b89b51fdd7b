"""What compute API handlers reach through ``req.state``."""

from __future__ import annotations

import dataclasses

from stratus.api.common.app import ServiceState
from stratus.api.common.routing import ApiRequest
from stratus.compute.rpcapi import ComputeAPI
from stratus.conductor.rpcapi import ConductorAPI


@dataclasses.dataclass
class ComputeState(ServiceState):
    """``conductor`` starts workflows (build, resize, migrate); ``compute`` talks to hosts."""

    conductor: ConductorAPI = dataclasses.field(default=None)  # type: ignore[assignment]
    compute: ComputeAPI = dataclasses.field(default=None)  # type: ignore[assignment]


def compute_state(req: ApiRequest) -> ComputeState:
    state = req.state
    assert isinstance(state, ComputeState)
    return state
