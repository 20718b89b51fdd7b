"""Access-rule matching (``api.common.auth``): path templates, method, service type."""

from __future__ import annotations

import pytest

from stratus.api.common.auth import enforce_access_rules, path_matches
from stratus.common import exceptions
from stratus.common.context import AccessRule, RequestContext


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/v2.1/servers", "/v2.1/servers", True),
        ("/v2.1/servers", "/v2.1/servers/detail", False),
        ("/v2.1/servers", "/v2.1/servers/", False),
        ("/v2.1/servers/*", "/v2.1/servers/abc", True),
        ("/v2.1/servers/*", "/v2.1/servers/abc/ips", False),
        ("/v2.1/servers/*", "/v2.1/servers/", False),
        ("/v2.1/servers/*/ips", "/v2.1/servers/abc/ips", True),
        ("/v2.1/servers/{server_id}/ips", "/v2.1/servers/abc/ips", True),
        ("/v2.1/servers/{server_id}/ips", "/v2.1/servers/a/b/ips", False),
        ("/v2.1/servers/**", "/v2.1/servers/abc/ips/net", True),
        ("/v2.1/servers/**", "/v2.1/servers", False),
        ("/v2.1/**/ips", "/v2.1/servers/abc/ips", True),
        ("/v2.1/**", "/v2.1/os-keypairs", True),
        # literals are literal: "." is no wildcard, regex syntax has no meaning
        ("/v2.1/servers", "/v2x1/servers", False),
        ("/v3/(users)+", "/v3/users", False),
        ("/v3/(users)+", "/v3/(users)+", True),
    ],
)
def test_path_templates(template: str, path: str, expected: bool) -> None:
    assert path_matches(path, template) is expected


def _ctx(*rules: AccessRule) -> RequestContext:
    return RequestContext(user_id="u", application_credential_id="c", access_rules=rules)


def test_service_method_and_path_must_all_match() -> None:
    ctx = _ctx(AccessRule("compute", "GET", "/v2.1/servers"))
    enforce_access_rules(ctx, "compute", "GET", "/v2.1/servers")
    for service, method, path in [
        ("image", "GET", "/v2.1/servers"),
        ("compute", "POST", "/v2.1/servers"),
        ("compute", "HEAD", "/v2.1/servers"),
        ("compute", "GET", "/v2.1/servers/detail"),
    ]:
        with pytest.raises(exceptions.NotAuthenticated):
            enforce_access_rules(ctx, service, method, path)


def test_no_rules_means_unrestricted() -> None:
    enforce_access_rules(RequestContext(user_id="u"), "compute", "DELETE", "/v2.1/servers/x")


def test_a_token_may_always_validate_itself() -> None:
    ctx = _ctx(AccessRule("compute", "GET", "/v2.1/servers"))
    enforce_access_rules(ctx, "identity", "GET", "/v3/auth/tokens")
    with pytest.raises(exceptions.NotAuthenticated):
        enforce_access_rules(ctx, "identity", "DELETE", "/v3/auth/tokens")


def test_rules_do_not_travel_over_rpc() -> None:
    ctx = _ctx(AccessRule("compute", "GET", "/v2.1/servers"))
    wire = ctx.to_wire()
    assert "access_rules" not in wire
    assert RequestContext.from_wire({**wire, "access_rules": [["x"]]}).access_rules == ()
