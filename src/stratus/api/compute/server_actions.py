"""``POST /servers/{id}/action``: one endpoint, many actions, dispatched through the compute
app's ``ActionRegistry`` (``server_action_registry``; the actions themselves are in
``server_action_handlers``, handed to the app in ``app.build``).

Handlers call one ``services.compute`` function, which checks lock and state (409 "Cannot
'stop' instance … while it is in vm_state stopped"), sets the task state, records the instance
action with the request id and casts to the host or the conductor.
"""

from __future__ import annotations

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute.server_action_registry import ActionCall
from stratus.api.compute.server_common import server_api, version
from stratus.api.compute.state import compute_state

router = Router("compute")


@router.route("POST", "/v2.1/servers/{server_id}/action", body={"type": "object"})
def server_action(req: ApiRequest) -> Reply | None:
    """Perform an action on a server (start, stop, reboot, resize, …)."""
    v = version(req)
    found = compute_state(req).server_actions.find(req.body, v)
    schemas.validate(found.schema(v), {found.name: req.body[found.name]})
    server_id = req.path["server_id"]
    api = server_api(req)
    req.authorize(found.policy, api.target(server_id))
    result = found.handler(ActionCall(req, api, server_id, req.body[found.name], v))
    return result if result is not None else Reply(None, 202)
