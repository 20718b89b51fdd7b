"""The policy language: roles, rules, target matches, boolean operators, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.api.common import policy
from stratus.common import exceptions
from stratus.common.context import RequestContext

RULES = {
    "admin": "role:admin",
    "owner": "project_id:%(project_id)s",
    "admin_or_owner": "rule:admin or rule:owner",
    "reader_not_member": "role:reader and not role:member",
    "nested": "(role:a or role:b) and (project_id:%(target.project.id)s)",
    "literal": "'member':%(role.name)s",
    "always": "@",
    "never": "!",
    "empty": "",
}


def ctx(project: str = "p1", *roles: str) -> RequestContext:
    return RequestContext(user_id="u", project_id=project, roles=roles)


@pytest.mark.parametrize(
    ("rule", "target", "context", "allowed"),
    [
        ("admin", {}, ctx("p1", "admin"), True),
        ("admin", {}, ctx("p1", "member"), False),
        ("owner", {"project_id": "p1"}, ctx("p1"), True),
        ("owner", {"project_id": "p2"}, ctx("p1"), False),
        ("owner", {}, ctx("p1"), False),
        ("admin_or_owner", {"project_id": "p2"}, ctx("p1", "admin"), True),
        ("reader_not_member", {}, ctx("p1", "reader"), True),
        ("reader_not_member", {}, ctx("p1", "reader", "member"), False),
        ("nested", {"target": {"project": {"id": "p1"}}}, ctx("p1", "b"), True),
        ("nested", {"target": {"project": {"id": "p1"}}}, ctx("p1", "c"), False),
        ("literal", {"role": {"name": "member"}}, ctx(), True),
        ("literal", {"role": {"name": "admin"}}, ctx(), False),
        ("always", {}, ctx(), True),
        ("never", {}, ctx("p1", "admin"), False),
        ("empty", {}, ctx(), True),
        ("unknown-rule-name", {}, ctx("p1", "admin"), False),
    ],
)
def test_rules(
    rule: str, target: dict[str, object], context: RequestContext, allowed: bool
) -> None:
    assert policy.Enforcer(RULES).check_rule(rule, target, context) is allowed


def test_authorize_raises_forbidden() -> None:
    with pytest.raises(exceptions.Forbidden):
        policy.Enforcer(RULES).authorize("admin", {}, ctx("p1", "member"))


def test_override_file(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text('"admin": "role:member"\n')
    assert policy.Enforcer(RULES, str(f)).check_rule("admin", {}, ctx("p1", "member"))


@pytest.mark.parametrize("bad", ["role:a and", "(role:a", "role:a )", "justtext"])
def test_bad_rules_fail_to_parse(bad: str) -> None:
    with pytest.raises(policy.PolicyError):
        policy.parse(bad)


@pytest.mark.parametrize(
    ("rule", "target", "allowed"),
    [
        ("field:port:device_owner=~^network:", {"device_owner": "network:dhcp"}, True),
        ("field:port:device_owner=~^network:", {"device_owner": "compute:nova"}, False),
        ("field:port:device_owner=~^network:", {"device_owner": "x-network:dhcp"}, False),
        ("field:port:device_owner=~^network:", {}, False),
        ("not field:port:device_owner=~^network:", {"device_owner": ""}, True),
        ("field:networks:shared=True", {"shared": True}, True),
        ("field:networks:shared=True", {"shared": False}, False),
    ],
)
def test_field_checks(rule: str, target: dict[str, object], allowed: bool) -> None:
    """Neutron's ``field:`` checks (``network_device`` guards ``network:*`` device owners)."""
    assert policy.parse(rule)(target, ctx(), policy.Enforcer({})) is allowed


@pytest.mark.parametrize("bad", ["field:port:device_owner", "field:port:=x", "field:p:a=~["])
def test_bad_field_checks_fail_to_parse(bad: str) -> None:
    with pytest.raises(policy.PolicyError):
        policy.parse(bad)
