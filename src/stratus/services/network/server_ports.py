"""Ports for servers: what the compute API validates at create time and the conductor allocates.

Contract (callers: ``services`` of the compute API, the conductor's build/delete tasks)::

    validate_requested_networks(session, project_id, requested) -> list[dict[str, str]]
    allocate_for_instance(session, cfg, *, instance_uuid, project_id, requested_networks,
                          security_groups, host) -> list[VIF]
    deallocate_for_instance(session, instance_uuid) -> None
    network_info(session, instance_uuid) -> list[VIF]
    server_ports(session, instance_uuid, project_id=None) -> list[Port]
    add_security_group(session, instance_uuid, project_id, name) -> None
    remove_security_group(session, instance_uuid, project_id, name) -> None

``requested`` / ``requested_networks`` is Nova's ``networks``: ``"auto"``, ``"none"``, None, or a
list of ``{"uuid": net}``, ``{"port": id}``, ``{"uuid": net, "fixed_ip": ip}`` (``"tag"`` is
kept). ``"auto"`` means the project's only own non-external network, else the only shared one;
more than one candidate is 409 "Multiple possible networks found, use a Network ID to be more
specific.". Validation answers with Nova's messages: 400 for unknown networks/ports and bad
addresses, 409 for ports in use. Every function works in the caller's transaction.

Ports made here (device owner ``compute:<az>``) are deleted with the server; ports the user
passed in are only unbound (``preserve_on_delete``). A server's ports are those whose
``device_id`` is the server *and* whose project is the server's (Nova lists them by device and
the instance's project): a port of another project that names the server is never in its network
info, never bound, plugged, regrouped or deleted with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.models.compute import Instance
from stratus.db.models.network import Network, Port
from stratus.db.repositories.network import networks as net_repo
from stratus.db.repositories.network import ports as port_repo
from stratus.db.repositories.network import security_groups as sg_repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.network import ipam
from stratus.objects.network import VIF
from stratus.services.network import events, vifs
from stratus.services.network import security_groups as secgroups
from stratus.services.network.common import SYSTEM, Caller, backend
from stratus.services.network.ports import FixedIPRequest, PortInput, new_port

Requested = list[dict[str, str]] | str | None
MULTIPLE = "Multiple possible networks found, use a Network ID to be more specific."


def _caller(project_id: str) -> Caller:
    return Caller(project_id=project_id, is_admin=False, policy=SYSTEM.policy)


def _auto_network(session: Session, project_id: str) -> Network:
    own, shared = net_repo.candidates(session, project_id)
    for group in (own, shared):
        if len(group) > 1:
            raise exceptions.Conflict(MULTIPLE)
        if group:
            return group[0]
    raise exceptions.Invalid(f"Unable to automatically allocate a network for project {project_id}")


def _network(session: Session, project_id: str, network_id: str) -> Network:
    row = net_repo.get(session, network_id, net_repo.visible(project_id, False))
    if row is None:
        raise exceptions.Invalid(f"Network {network_id} could not be found.")
    return row


def _check_port(session: Session, project_id: str, port_id: str) -> Port:
    port = port_repo.get(session, port_id, port_repo.visible(project_id, False))
    if port is None or port.project_id != project_id:
        raise exceptions.Invalid(f"Port id {port_id} could not be found.")
    if port.device_id:
        raise exceptions.Conflict(f"Port {port_id} is still in use.")
    if not port_repo.fixed_ips(session, [port.id])[port.id]:
        raise exceptions.Invalid(f"Port {port_id} requires a FixedIP in order to be used.")
    return port


def _check_fixed_ip(session: Session, network: Network, address: str) -> None:
    parsed = ipam.parse_address(address, "fixed_ip")
    for subnet in subnet_repo.of_network(session, network.id):
        net = ipam.parse_cidr(subnet.cidr)
        if parsed.version == net.version and parsed in net:
            if port_repo.address_holder(session, subnet.id, str(parsed)) is not None:
                raise exceptions.Invalid(f"Fixed IP address {address} is already in use.")
            return
    raise exceptions.Invalid(f"Fixed IP address {address} is not valid on network {network.id}.")


def _normalize_entry(session: Session, project_id: str, entry: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in entry.items() if k == "tag" and v}
    if entry.get("port"):
        port = _check_port(session, project_id, entry["port"])
        return {**out, "port": port.id, "uuid": port.network_id}
    if not entry.get("uuid"):
        raise exceptions.Invalid("Bad networks format: network uuid is not in proper format.")
    network = _network(session, project_id, entry["uuid"])
    if not subnet_repo.of_network(session, network.id):
        raise exceptions.Invalid(
            f"Network {network.id} requires a subnet in order to boot instances on."
        )
    out["uuid"] = network.id
    if entry.get("fixed_ip"):
        _check_fixed_ip(session, network, entry["fixed_ip"])
        out["fixed_ip"] = str(ipam.parse_address(entry["fixed_ip"], "fixed_ip"))
    return out


def validate_requested_networks(
    session: Session, project_id: str, requested: Requested
) -> list[dict[str, str]]:
    """Check a server's ``networks`` and return them as a list (``auto`` resolved, ``none``
    and None as [])."""
    if requested is None or requested == "none":
        return []
    if requested == "auto":
        return [{"uuid": _auto_network(session, project_id).id}]
    if isinstance(requested, str):
        raise exceptions.Invalid(f"Bad networks format: {requested!r}")
    return [_normalize_entry(session, project_id, dict(e)) for e in requested]


def validate_security_groups(session: Session, project_id: str, names: Sequence[str]) -> None:
    """400 unless every name or id is a group of the project (``default`` always is)."""
    for name in names:
        if name == secgroups.DEFAULT:
            continue
        if sg_repo.get(session, name, sg_repo.visible(project_id, False)) is None and not (
            sg_repo.by_name(session, project_id, name)
        ):
            raise exceptions.Invalid(f"Unable to find security_group with name or id '{name}'")


def server_ports(session: Session, instance_uuid: str, project_id: str | None = None) -> list[Port]:
    """The server's ports in the order they were attached: those naming it as device that
    belong to ``project_id`` (default: the server's project; none for an unknown server).

    NOTE: ``device_id`` is written by the port's owner, so it alone proves nothing: without the
    project check a member could graft a port onto another project's server (its addresses,
    its guest's NICs, its metadata)."""
    if project_id is None:
        instance = session.get(Instance, instance_uuid)
        if instance is None:
            return []
        project_id = instance.project_id
    return [p for p in port_repo.of_device(session, instance_uuid) if p.project_id == project_id]


def network_info(session: Session, instance_uuid: str) -> list[VIF]:
    """The VIFs of a server's ports, in the order they were attached."""
    return vifs.vifs(session, server_ports(session, instance_uuid))


def _bind_existing(
    session: Session, cfg: Config, port: Port, instance_uuid: str, owner: str, host: str | None
) -> None:
    port.device_id = instance_uuid
    port.device_owner = owner
    port.preserve_on_delete = True
    port.binding_host_id = host or ""
    port.binding_vif_type = backend(cfg).capabilities.vif_type if host else "unbound"
    port.status = "ACTIVE" if host else "DOWN"
    port.revision_number += 1


def _groups_for(network: Network, security_groups: Sequence[str]) -> tuple[str, ...] | None:
    wanted = tuple(security_groups) or (secgroups.DEFAULT,)
    if not network.port_security_enabled:
        if any(g != secgroups.DEFAULT for g in wanted):
            raise exceptions.Invalid(
                "Network requires port_security_enabled and subnet associated in order to apply "
                "security groups."
            )
        return None
    return wanted


def allocate_for_instance(
    session: Session,
    cfg: Config,
    *,
    instance_uuid: str,
    project_id: str,
    requested_networks: Requested,
    security_groups: list[str],
    host: str | None,
) -> list[VIF]:
    """Create (or bind) the server's ports on ``host`` and return their VIFs. Calling it again
    for a server that already has ports rebinds them to ``host`` (rescheduling)."""
    existing = server_ports(session, instance_uuid, project_id)
    if existing:
        for port in existing:
            port.binding_host_id = host or ""
            port.status = "ACTIVE" if host else "DOWN"
        session.flush()
        return network_info(session, instance_uuid)
    instance = session.get(Instance, instance_uuid)
    zone = (
        instance.availability_zone if instance else None
    ) or cfg.compute.default_availability_zone
    owner = f"compute:{zone}"
    caller = _caller(project_id)
    for entry in validate_requested_networks(session, project_id, requested_networks):
        if "port" in entry:
            port = _check_port(session, project_id, entry["port"])
            _bind_existing(session, cfg, port, instance_uuid, owner, host)
            continue
        network = _network(session, project_id, entry["uuid"])
        fixed = (FixedIPRequest(ip_address=entry["fixed_ip"]),) if "fixed_ip" in entry else None
        spec = PortInput(
            given=frozenset(),
            network_id=network.id,
            project_id=project_id,
            device_id=instance_uuid,
            device_owner=owner,
            host_id=host or "",
            fixed_ips=fixed,
            security_groups=_groups_for(network, security_groups),
        )
        new_port(session, cfg, caller, network, spec)
    session.flush()
    ports = server_ports(session, instance_uuid, project_id)
    vifs.push_rules(session, cfg, [p.id for p in ports])
    return vifs.vifs(session, ports)


def deallocate_for_instance(session: Session, instance_uuid: str) -> None:
    """Delete the ports made for the server and unbind the ones the user brought; idempotent.
    Ports of other projects that name the server are left alone."""
    ports = server_ports(session, instance_uuid)
    events.ports_changed(session, [p.id for p in ports])
    for port in ports:
        if not port.preserve_on_delete:
            port_repo.delete(session, port)
            continue
        port.device_id = ""
        port.device_owner = ""
        port.binding_host_id = ""
        port.binding_vif_type = "unbound"
        port.status = "DOWN"
        port.preserve_on_delete = False
        port.revision_number += 1
    session.flush()


def _group(session: Session, project_id: str, name: str) -> str:
    return secgroups.resolve(session, project_id, [name])[0]


def _instance_ports(session: Session, instance_uuid: str, project_id: str) -> list[Port]:
    ports = server_ports(session, instance_uuid, project_id)
    if not ports:
        raise exceptions.NotFound(
            f"instance_id {instance_uuid} could not be found as device id on any ports"
        )
    return ports


def _record_names(session: Session, instance_uuid: str) -> None:
    """Keep ``instances.security_groups`` (names shown by the compute API) in step."""
    instance = session.get(Instance, instance_uuid)
    if instance is None:
        return
    ports = server_ports(session, instance_uuid, instance.project_id)
    ids_ = {
        g
        for gs in port_repo.security_group_ids(session, [p.id for p in ports]).values()
        for g in gs
    }
    names = sorted({g.name for g in sg_repo.by_ids(session, ids_).values()})
    instance.security_groups = names


def add_security_group(
    session: Session, instance_uuid: str, project_id: str, name: str, *, cfg: Config | None = None
) -> None:
    """Nova's ``addSecurityGroup``: add the group to every port of the server. 404 for an unknown
    group or a server without ports, 400 when a port has port security off."""
    sg_id = _group(session, project_id, name)
    ports = _instance_ports(session, instance_uuid, project_id)
    groups = port_repo.security_group_ids(session, [p.id for p in ports])
    for port in ports:
        if not port.port_security_enabled or not port_repo.fixed_ips(session, [port.id])[port.id]:
            raise exceptions.Invalid(
                "Network requires port_security_enabled and subnet associated in order to apply "
                "security groups."
            )
    for port in ports:
        if sg_id not in groups[port.id]:
            port_repo.set_security_groups(session, port.id, [*groups[port.id], sg_id])
            port.revision_number += 1
    _record_names(session, instance_uuid)
    session.flush()
    events.ports_changed(session, [p.id for p in ports])


def remove_security_group(
    session: Session, instance_uuid: str, project_id: str, name: str, *, cfg: Config | None = None
) -> None:
    """Nova's ``removeSecurityGroup``: 400 when no port of the server has the group."""
    sg_id = _group(session, project_id, name)
    ports = _instance_ports(session, instance_uuid, project_id)
    groups = port_repo.security_group_ids(session, [p.id for p in ports])
    if not any(sg_id in groups[p.id] for p in ports):
        raise exceptions.Invalid(
            f"Security group {name} not associated with the instance {instance_uuid}"
        )
    for port in ports:
        if sg_id in groups[port.id]:
            port_repo.set_security_groups(
                session, port.id, [g for g in groups[port.id] if g != sg_id]
            )
            port.revision_number += 1
    _record_names(session, instance_uuid)
    session.flush()
    events.ports_changed(session, [p.id for p in ports], old_groups=[sg_id])


def instance_group_ids(session: Session, instance_uuid: str) -> list[str]:
    """The groups on any port of the server (Nova's ``os-security-groups`` of a server)."""
    ports = server_ports(session, instance_uuid)
    found = port_repo.security_group_ids(session, [p.id for p in ports])
    return sorted({g for gs in found.values() for g in gs})
