"""``/os-hypervisors`` (admin): list, ``/detail``, show, ``/statistics``, uptime, and before
2.53 ``/{pattern}/search`` and ``/{pattern}/servers``.

Microversions: ``cpu_info`` is a JSON string before 2.28 and an object from 2.28; paging
(``limit``/``marker``) from 2.33; from 2.53 ids are UUIDs, ``hypervisor_hostname_pattern`` and
``with_servers`` replace the search/servers routes; from 2.75 ``with_servers`` always yields a
``servers`` list (possibly empty).
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.api.compute.state import compute_state
from stratus.common import exceptions, ids
from stratus.db.models.compute import ComputeNode
from stratus.db.repositories.compute import hosts
from stratus.services.compute import hosts as service
from stratus.services.compute.hosts import Hypervisor

router = Router("compute")
_LIST_PARAMS = {"limit", "marker", "hypervisor_hostname_pattern", "with_servers"}


def _uuid_ids(req: ApiRequest) -> bool:
    return microversion.of(req) >= (2, 53)


def render(req: ApiRequest, hyp: Hypervisor, detail: bool, with_servers: bool) -> dict[str, Any]:
    uuid_ids = _uuid_ids(req)
    node, svc = hyp.node, hyp.service
    body: dict[str, Any] = {
        "id": node.uuid if uuid_ids else node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": svc.state,
        "status": svc.status,
    }
    if detail:
        body.update(_details(req, hyp))
    if with_servers and hyp.servers:
        body["servers"] = [{"name": s.name, "uuid": s.uuid} for s in hyp.servers]
    elif with_servers and microversion.of(req) >= (2, 75):
        body["servers"] = []
    return body


def _details(req: ApiRequest, hyp: Hypervisor) -> dict[str, Any]:
    node = hyp.node
    return {
        "hypervisor_type": node.hypervisor_type,
        "hypervisor_version": node.hypervisor_version,
        "host_ip": node.host_ip,
        "service": {
            "id": hyp.service.row.uuid if _uuid_ids(req) else hyp.service.row.id,
            "host": node.host,
            "disabled_reason": hyp.service.row.disabled_reason,
        },
        "vcpus": node.vcpus,
        "memory_mb": node.memory_mb,
        "local_gb": node.local_gb,
        "vcpus_used": hyp.vcpus_used,
        "memory_mb_used": hyp.memory_mb_used,
        "local_gb_used": hyp.local_gb_used,
        "free_ram_mb": hyp.free_ram_mb,
        "free_disk_gb": hyp.free_disk_gb,
        "current_workload": hyp.current_workload,
        "running_vms": hyp.running_vms,
        "disk_available_least": node.disk_available_least,
        "cpu_info": (node.cpu_info or {})
        if microversion.of(req) >= (2, 28)
        else hyp.cpu_info_text(),
    }


def _small_int(text: str) -> bool:
    return text.isdigit() and int(text) <= pt.MAX_INT


def _marker_id(req: ApiRequest, marker: str) -> int:
    with pt.reading(req) as session:
        if _uuid_ids(req):
            node = hosts.node_by_uuid(session, marker) if ids.is_uuid_like(marker) else None
        else:
            node = hosts.node_by_id(session, int(marker)) if _small_int(marker) else None
    if node is None:
        raise exceptions.Invalid(f"marker [{marker}] not found")
    return node.id


def _listing(req: ApiRequest, detail: bool) -> Any:
    version = microversion.of(req)
    pattern = req.query.get("hypervisor_hostname_pattern") if version >= (2, 53) else None
    with_servers = bool(pt.query_bool(req, "with_servers")) if version >= (2, 53) else False
    limit: int | None = None
    marker: str | None = None
    if version >= (2, 33):
        limit = pt.limit(req) if "limit" in req.query else None
        marker = req.query.get("marker")
        if pattern is not None and (limit is not None or marker is not None):
            raise exceptions.Invalid(
                "Paging over hypervisors with the hypervisor_hostname_pattern query parameter "
                "is not supported."
            )
    if version >= (2, 75):
        pt.reject_unknown_query(req, _LIST_PARAMS)
    marker_id = _marker_id(req, marker) if marker else None
    with pt.reading(req) as session:
        nodes = hosts.list_nodes(session, pattern, limit, marker_id)
        found = service.hypervisors(session, req.state.config, nodes)
    if pattern is not None and not found:
        raise exceptions.NotFound(f"No hypervisor matching '{pattern}' could be found.")
    body: dict[str, Any] = {"hypervisors": [render(req, h, detail, with_servers) for h in found]}
    if limit and len(nodes) == limit and found:
        last = found[-1].node
        path = "os-hypervisors/detail" if detail else "os-hypervisors"
        body["hypervisors_links"] = pt.next_link(
            req, path, last.uuid if _uuid_ids(req) else str(last.id)
        )
    return body


@router.route("GET", "/v2.1/os-hypervisors", policy="os_compute_api:os-hypervisors:list")
def list_hypervisors(req: ApiRequest) -> Any:
    """List hypervisors (id, hostname, state, status)."""
    return _listing(req, detail=False)


@router.route(
    "GET", "/v2.1/os-hypervisors/detail", policy="os_compute_api:os-hypervisors:list-detail"
)
def list_hypervisors_detail(req: ApiRequest) -> Any:
    """List hypervisors with resources and usage."""
    return _listing(req, detail=True)


@router.route(
    "GET", "/v2.1/os-hypervisors/statistics", policy="os_compute_api:os-hypervisors:statistics"
)
def hypervisor_statistics(req: ApiRequest) -> Any:
    """Totals over the hypervisors of enabled compute services."""
    with pt.reading(req) as session:
        found = service.hypervisors(session, req.state.config, hosts.list_nodes(session))
    return {"hypervisor_statistics": service.statistics(found)}


def _one(req: ApiRequest) -> Hypervisor:
    shown = req.path["hypervisor_id"]
    with pt.reading(req) as session:
        node: ComputeNode | None
        if _uuid_ids(req):
            if not ids.is_uuid_like(shown):
                raise exceptions.Invalid(f"Invalid uuid {shown}")
            node = hosts.node_by_uuid(session, shown)
        else:
            node = hosts.node_by_id(session, int(shown)) if _small_int(shown) else None
        found = service.hypervisors(session, req.state.config, [hosts.require_node(node, shown)])
    if not found:
        raise exceptions.NotFound(f"Hypervisor with ID '{shown}' could not be found.")
    return found[0]


@router.route(
    "GET", "/v2.1/os-hypervisors/{hypervisor_id}", policy="os_compute_api:os-hypervisors:show"
)
def show_hypervisor(req: ApiRequest) -> Any:
    """Show a hypervisor (``with_servers`` from 2.53)."""
    hyp = _one(req)
    with_servers = _uuid_ids(req) and bool(pt.query_bool(req, "with_servers"))
    return {"hypervisor": render(req, hyp, detail=True, with_servers=with_servers)}


@router.route(
    "GET",
    "/v2.1/os-hypervisors/{hypervisor_id}/uptime",
    policy="os_compute_api:os-hypervisors:uptime",
)
def hypervisor_uptime(req: ApiRequest) -> Any:
    """The host's uptime, asked from its compute agent."""
    hyp = _one(req)
    if hyp.service.state != "up":
        raise exceptions.Invalid(f"Compute service of {hyp.node.host} is unavailable at this time.")
    try:
        uptime = compute_state(req).compute.get_host_uptime(hyp.node.host)
    except exceptions.MessagingError:
        raise exceptions.NotImplementedYet(
            "Virt driver does not implement uptime function."
        ) from None
    body = render(req, hyp, detail=False, with_servers=False)
    body["uptime"] = uptime
    return {"hypervisor": body}


def _by_pattern(req: ApiRequest) -> list[Hypervisor]:
    if _uuid_ids(req):
        raise exceptions.NotFound("The resource could not be found.")
    pattern = req.path["pattern"]
    with pt.reading(req) as session:
        found = service.hypervisors(session, req.state.config, hosts.list_nodes(session, pattern))
    if not found:
        raise exceptions.NotFound(f"No hypervisor matching '{pattern}' could be found.")
    return found


@router.route(
    "GET", "/v2.1/os-hypervisors/{pattern}/search", policy="os_compute_api:os-hypervisors:search"
)
def search_hypervisors(req: ApiRequest) -> Any:
    """Hypervisors whose hostname contains ``pattern`` (before 2.53)."""
    found = _by_pattern(req)
    return {"hypervisors": [render(req, h, detail=False, with_servers=False) for h in found]}


@router.route(
    "GET",
    "/v2.1/os-hypervisors/{pattern}/servers",
    policy="os_compute_api:os-hypervisors:servers",
)
def hypervisor_servers(req: ApiRequest) -> Any:
    """Hypervisors matching ``pattern`` with their servers (before 2.53)."""
    found = _by_pattern(req)
    return {"hypervisors": [render(req, h, detail=False, with_servers=True) for h in found]}
