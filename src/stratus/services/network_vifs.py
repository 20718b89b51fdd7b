"""Ports as the dataplane sees them: ``VIF`` objects, and pushing security-group rules to the
backend when what a port allows changes.

``push_rules`` is called by the port, group and server services after a change; it does nothing
unless the configured backend enforces security groups (``capabilities``), so API-only
deployments (``noop``) pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from stratus.common.config import Config
from stratus.db.models.network import Network, Port, SecurityGroupRule
from stratus.db.repositories.network import ports as port_repo
from stratus.db.repositories.network import security_groups as sg_repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.objects.network import VIF, FixedIP, SecurityRule
from stratus.services.network_common import backend


def vif(session: Session, port: Port, groups: Sequence[str]) -> VIF:
    """One port as a ``VIF`` (addresses with their subnets' gateway and DNS servers)."""
    network = session.get(Network, port.network_id)
    held = port_repo.fixed_ips(session, [port.id])[port.id]
    subnets = subnet_repo.by_ids(session, [s for s, _ip in held])
    fixed = [
        FixedIP(
            address=address,
            subnet_id=sid,
            cidr=subnets[sid].cidr,
            gateway=subnets[sid].gateway_ip,
            version=subnets[sid].ip_version,
            dns_nameservers=list(subnets[sid].dns_nameservers),
        )
        for sid, address in held
    ]
    return VIF(
        port_id=port.id,
        network_id=port.network_id,
        network_name=network.name if network else "",
        mac_address=port.mac_address,
        fixed_ips=fixed,
        mtu=network.mtu if network else 1500,
        vif_type=port.binding_vif_type if port.binding_vif_type != "unbound" else "bridge",
        devname=f"tap{port.id[:11]}",
        security_group_ids=list(groups),
        port_security_enabled=port.port_security_enabled,
    )


def vifs(session: Session, ports: Sequence[Port]) -> list[VIF]:
    groups = port_repo.security_group_ids(session, [p.id for p in ports])
    return [vif(session, p, groups[p.id]) for p in ports]


def _rule(row: SecurityGroupRule) -> SecurityRule:
    return SecurityRule(
        id=row.id,
        security_group_id=row.security_group_id,
        direction=row.direction,
        ethertype=row.ethertype,
        protocol=row.protocol,
        port_range_min=row.port_range_min,
        port_range_max=row.port_range_max,
        remote_ip_prefix=row.remote_ip_prefix,
        remote_group_id=row.remote_group_id,
    )


def push_rules(session: Session, cfg: Config, port_ids: Iterable[str]) -> None:
    """Give the backend the rules of each port's groups (all of them; none without port
    security). Call after the change, in the same transaction."""
    dataplane = backend(cfg)
    if not dataplane.capabilities.enforces_security_groups:
        return
    ports = [
        p for p in (port_repo.get(session, i, port_repo.visible(None, True)) for i in port_ids) if p
    ]
    for item in vifs(session, ports):
        groups = item.security_group_ids if item.port_security_enabled else []
        rules = [r for rs in sg_repo.rules_of(session, groups).values() for r in rs]
        dataplane.apply_security_groups(item, [_rule(r) for r in rules])


def push_group_rules(session: Session, cfg: Config, sg_id: str) -> None:
    """After a group's rules changed: every port using the group."""
    if backend(cfg).capabilities.enforces_security_groups:
        push_rules(session, cfg, sg_repo.port_ids_using(session, sg_id))
