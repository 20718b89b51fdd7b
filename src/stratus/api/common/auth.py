"""Token validation as seen by an API: a ``TokenValidator`` turns ``X-Auth-Token`` into a context.

The identity service implements it (``stratus.services.identity.tokens``); every API in the same
process uses that object directly instead of asking Keystone over HTTP, the way
keystonemiddleware would, so validation costs no network round trip.

``enforce_access_rules`` is keystonemiddleware's other half: a token from an application
credential with access rules may only make the requests those rules name, on every API.
"""

from __future__ import annotations

import functools
import re
from collections.abc import MutableMapping
from typing import Any, Protocol

from stratus.common import exceptions
from stratus.common.context import AccessRule, RequestContext

# NOTE: an ASGI scope key. A middleware that rewrites the path before routing (the compute API's
# /v2 -> /v2.1 mapping) keeps the path the client asked for here: access rules name that one.
CLIENT_PATH_KEY = "stratus.client_path"

_TEMPLATE_TOKEN = re.compile(r"\*\*|\*|\{[^}]*\}")


class TokenValidator(Protocol):
    def validate(self, token: str) -> RequestContext:
        """The caller behind ``token``; raises ``NotAuthenticated`` for bad, expired or revoked
        tokens. The returned context has no request id yet; the framework adds it."""
        ...


def www_authenticate(identity_uri: str) -> dict[str, str]:
    """The header OpenStack APIs send with a 401 so clients know where to authenticate."""
    return {"WWW-Authenticate": f'Keystone uri="{identity_uri}"'}


def client_path(scope: MutableMapping[str, Any]) -> str:
    """The request path as the client sent it, before any rewriting middleware."""
    return str(scope.get(CLIENT_PATH_KEY) or scope["path"])


@functools.lru_cache(maxsize=1024)
def _template_regex(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _TEMPLATE_TOKEN.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(".*" if match.group() == "**" else "[^/]+")
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


def path_matches(path: str, template: str) -> bool:
    """Whether ``path`` fits an access rule's path template: ``*`` and ``{name}`` match one
    non-empty path segment, ``**`` any number of segments; everything else is literal."""
    # NOTE: keystonemiddleware builds the same regex but leaves literals unescaped, so its "."
    # in "/v2.1" matches any character; here literals are literal.
    return _template_regex(template).fullmatch(path) is not None


def _allows(rule: AccessRule, service_type: str, method: str, path: str) -> bool:
    return rule.service == service_type and rule.method == method and path_matches(path, rule.path)


def enforce_access_rules(ctx: RequestContext, service_type: str, method: str, path: str) -> None:
    """Refuse (401) a request the caller's application-credential access rules do not allow.

    Called by the API framework for every authenticated operation, after the token is valid and
    before policy. ``service_type`` is the catalog type of the API the request reached, ``path``
    the request path as the client sent it (with the version prefix, e.g. ``/v2.1/servers``);
    the method must match exactly. Contexts without access rules pass unchanged.
    """
    if not ctx.access_rules:
        return
    # NOTE: as keystonemiddleware: a token may always validate itself, whatever its rules.
    if service_type == "identity" and method == "GET" and path.endswith("/v3/auth/tokens"):
        return
    if any(_allows(rule, service_type, method, path) for rule in ctx.access_rules):
        return
    raise exceptions.NotAuthenticated(
        "The access rules of this token's application credential do not allow "
        f"{method} {path} on the {service_type} service."
    )
