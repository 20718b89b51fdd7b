"""Ports as the dataplane sees them: ``VIF`` objects, and telling compute hosts when what a
port allows changes.

``push_rules`` / ``push_group_rules`` are called by the port, group and server services after a
change; the hosts hear about it through ``events`` once the transaction commits and fetch the
rules from the conductor (``dataplane.port_rules``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from stratus.common.config import Config
from stratus.db.models.network import Network, Port, SecurityGroupRule
from stratus.db.repositories.network import ports as port_repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.objects.network import VIF, FixedIP, SecurityRule
from stratus.services.network import events


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


def rule_object(row: SecurityGroupRule) -> SecurityRule:
    """A stored rule as the wire object a dataplane backend enforces."""
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


def push_rules(
    session: Session, cfg: Config, port_ids: Iterable[str], old_groups: Iterable[str] = ()
) -> None:
    """After what ports allow changed (groups, addresses, port security): tell the compute
    hosts once the transaction commits (``events``). ``old_groups``: groups the ports
    just left. Call after the change, in the same transaction."""
    events.ports_changed(session, port_ids, old_groups)


def push_group_rules(session: Session, cfg: Config, sg_id: str) -> None:
    """After a group's rules changed: every port using the group (on every host)."""
    events.rules_changed(session, sg_id)
