"""Token validation as seen by an API: a ``TokenValidator`` turns ``X-Auth-Token`` into a context.

The identity service implements it (``stratus.services.identity.tokens``); every API in the same
process uses that object directly instead of asking Keystone over HTTP, the way
keystonemiddleware would, so validation costs no network round trip.
"""

from __future__ import annotations

from typing import Protocol

from stratus.common.context import RequestContext


class TokenValidator(Protocol):
    def validate(self, token: str) -> RequestContext:
        """The caller behind ``token``; raises ``NotAuthenticated`` for bad, expired or revoked
        tokens. The returned context has no request id yet; the framework adds it."""
        ...


def www_authenticate(identity_uri: str) -> dict[str, str]:
    """The header OpenStack APIs send with a 401 so clients know where to authenticate."""
    return {"WWW-Authenticate": f'Keystone uri="{identity_uri}"'}
