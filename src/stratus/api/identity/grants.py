"""Role grants: ``/v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role_id}]``,
``/v3/system/{users|groups}/{id}/roles[/{role_id}]`` and the OS-INHERIT domain variants.

PUT grants (204), HEAD/GET check (204 or 404), DELETE revokes (204), GET on ``.../roles`` lists.
The routes are generated: the twelve URL shapes differ only in actor and target kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.identity import views
from stratus.api.identity.state import identity_state
from stratus.services.identity.role_admin import (
    GrantRef,
    check_grant,
    create_grant,
    list_grants,
    revoke_grant,
)

router = Router("identity")

_ACTORS = (("users", "user"), ("groups", "group"))


def _ref(req: ApiRequest, actor: str, target: str, inherited: bool) -> GrantRef:
    target_id = "system" if target == "system" else req.path[f"{target}_id"]
    return GrantRef(actor, req.path[f"{actor}_id"], target, target_id, inherited)


def _policy(target: str, actor: str, verb: str) -> str:
    if target != "system":
        return f"identity:{verb}_grant" if verb != "list" else "identity:list_grants"
    names = {"create": "create", "check": "check", "revoke": "revoke", "list": "list"}
    noun = "grants" if verb == "list" else "grant"
    return f"identity:{names[verb]}_system_{noun}_for_{actor}"


def _named(fn: Callable[[ApiRequest], Any], name: str, doc: str) -> Callable[[ApiRequest], Any]:
    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _register(prefix: str, target: str, actor_path: str, actor: str, inherited: bool) -> None:
    base = f"{prefix}/{actor_path}/{{{actor}_id}}/roles"
    suffix = "/inherited_to_projects" if inherited else ""
    tag = f"{target}_{actor}{'_inherited' if inherited else ''}"

    def put(req: ApiRequest) -> None:
        state = identity_state(req)
        with req.state.db.write() as session:
            create_grant(
                session, state.tokens, _ref(req, actor, target, inherited), req.path["role_id"]
            )
        state.tokens.forget_all()

    def check(req: ApiRequest) -> Reply:
        with req.state.db.read() as session:
            check_grant(session, _ref(req, actor, target, inherited), req.path["role_id"])
        return Reply(None, status=204)

    def delete(req: ApiRequest) -> None:
        state = identity_state(req)
        with req.state.db.write() as session:
            revoke_grant(
                session, state.tokens, _ref(req, actor, target, inherited), req.path["role_id"]
            )
        state.tokens.forget_all()

    def listing(req: ApiRequest) -> dict[str, Any]:
        with req.state.db.read() as session:
            rows = list_grants(session, _ref(req, actor, target, inherited))
            return views.collection(req, "roles", [views.role(req, r) for r in rows])

    one = f"{base}/{{role_id}}{suffix}"
    router.route(
        "PUT", one, policy=_policy(target, actor, "create"), status=204, body_required=False
    )(_named(put, f"grant_{tag}", f"Grant a role to a {actor} on a {target}."))
    router.route("HEAD", one, policy=_policy(target, actor, "check"))(
        _named(check, f"check_{tag}", f"Check a role of a {actor} on a {target}.")
    )
    router.route("GET", one, policy=_policy(target, actor, "check"))(
        _named(
            lambda req: check(req), f"check_{tag}_get", f"Check a role of a {actor} on a {target}."
        )
    )
    router.route("DELETE", one, policy=_policy(target, actor, "revoke"), status=204)(
        _named(delete, f"revoke_{tag}", f"Revoke a role of a {actor} on a {target}.")
    )
    router.route("GET", f"{base}{suffix}", policy=_policy(target, actor, "list"))(
        _named(listing, f"list_{tag}", f"List the roles of a {actor} on a {target}.")
    )


for _actor_path, _actor in _ACTORS:
    _register("/v3/projects/{project_id}", "project", _actor_path, _actor, False)
    _register("/v3/domains/{domain_id}", "domain", _actor_path, _actor, False)
    _register("/v3/OS-INHERIT/domains/{domain_id}", "domain", _actor_path, _actor, True)
    _register("/v3/OS-INHERIT/projects/{project_id}", "project", _actor_path, _actor, True)
    _register("/v3/system", "system", _actor_path, _actor, False)
