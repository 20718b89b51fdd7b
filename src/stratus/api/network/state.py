"""What network API handlers reach through ``req.state``."""

from __future__ import annotations

import dataclasses

from stratus.api.common.app import ServiceState
from stratus.api.common.routing import ApiRequest


@dataclasses.dataclass
class NetworkState(ServiceState):
    pass


def network_state(req: ApiRequest) -> NetworkState:
    state = req.state
    assert isinstance(state, NetworkState)
    return state
