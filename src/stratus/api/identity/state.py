"""What identity handlers reach through ``req.state``."""

from __future__ import annotations

import dataclasses

from stratus.api.common.app import ServiceState
from stratus.api.common.routing import ApiRequest
from stratus.services.identity.credentials_crypto import CredentialCipher
from stratus.services.identity.tokens import TokenService


@dataclasses.dataclass
class IdentityState(ServiceState):
    tokens: TokenService = dataclasses.field(default=None)  # type: ignore[assignment]
    credentials: CredentialCipher = dataclasses.field(default=None)  # type: ignore[assignment]


def identity_state(req: ApiRequest) -> IdentityState:
    state = req.state
    assert isinstance(state, IdentityState)
    return state
