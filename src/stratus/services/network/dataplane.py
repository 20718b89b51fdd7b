"""What a compute host's dataplane needs to know, read for the conductor (hosts have no DB).

Contract (caller: ``conductor/network.py`` on behalf of compute agents)::

    for_host(session, host, network_ids) -> list[NetworkDataplane]
    port_rules(session, port_ids) -> dict[port id, list[SecurityRule]]

``for_host`` answers with every network that has a port bound to ``host`` plus those of
``network_ids`` that still exist (a requested network that is absent from the answer has been
deleted). Each comes with its subnets and the ports bound to ``host``; ports of instances being
deleted are left out, so a host resynchronising during a delete does not bring them back.

``port_rules`` gives each port the rules of all its groups (none without port security), with
every remote-group rule replaced by one rule per address of the group's members
(``remote_ip_prefix`` = that address, ``remote_group_id`` kept): a group without members
allows nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from sqlalchemy.orm import Session

from stratus.db.models.compute import Instance
from stratus.db.models.network import Network, Port, SecurityGroupRule
from stratus.db.repositories.network import ports as port_repo
from stratus.db.repositories.network import security_groups as sg_repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.objects import states
from stratus.objects.network import DhcpSubnet, NetworkDataplane, SecurityRule
from stratus.services.network import vifs


def _live(session: Session, port: Port) -> tuple[bool, str]:
    """Whether the port's device is not being deleted, and the host name DHCP gives it."""
    instance = session.get(Instance, port.device_id)
    if instance is None or instance.project_id != port.project_id:
        return True, port.dns_name  # no server, or another project's: not that server's NIC
    gone = instance.deleted or instance.task_state == states.DELETING
    return not gone, port.dns_name or instance.hostname


def _subnets(session: Session, network_id: str) -> list[DhcpSubnet]:
    return [
        DhcpSubnet(
            id=s.id,
            cidr=s.cidr,
            ip_version=s.ip_version,
            gateway_ip=s.gateway_ip,
            enable_dhcp=s.enable_dhcp,
            dns_nameservers=list(s.dns_nameservers),
            host_routes=[dict(r) for r in s.host_routes],
        )
        for s in subnet_repo.of_network(session, network_id)
    ]


def for_host(session: Session, host: str, network_ids: Sequence[str]) -> list[NetworkDataplane]:
    bound: dict[str, list[Port]] = {}
    hostnames: dict[str, str] = {}
    for port in port_repo.bound_to_host(session, host):
        live, name = _live(session, port)
        if live:
            bound.setdefault(port.network_id, []).append(port)
            hostnames[port.id] = name
    found = []
    for network_id in sorted(set(bound) | set(network_ids)):
        network = session.get(Network, network_id)
        if network is None:
            continue
        ports = bound.get(network_id, [])
        found.append(
            NetworkDataplane(
                id=network.id,
                name=network.name,
                mtu=network.mtu,
                subnets=_subnets(session, network.id),
                ports=vifs.vifs(session, ports),
                hostnames={p.id: hostnames[p.id] for p in ports},
            )
        )
    return found


def _member_addresses(session: Session, group_ids: set[str]) -> dict[str, list[str]]:
    members = sg_repo.member_port_ids(session, group_ids)
    held = port_repo.fixed_ips(session, {p for ps in members.values() for p in ps})
    return {g: [ip for p in ps for _subnet, ip in held[p]] for g, ps in members.items()}


def _expand(rule: SecurityGroupRule, members: dict[str, list[str]]) -> list[SecurityRule]:
    base = vifs.rule_object(rule)
    if rule.remote_group_id is None:
        return [base]
    version = 6 if rule.ethertype == "IPv6" else 4
    addresses = [a for a in members.get(rule.remote_group_id, []) if _version(a) == version]
    suffix = "/128" if version == 6 else "/32"
    return [base.model_copy(update={"remote_ip_prefix": a + suffix}) for a in addresses]


def _version(address: str) -> int:
    return ipaddress.ip_address(address).version


def port_rules(session: Session, port_ids: Sequence[str]) -> dict[str, list[SecurityRule]]:
    ports = {p.id: p for p in (session.get(Port, i) for i in port_ids) if p is not None}
    groups = port_repo.security_group_ids(session, list(ports))
    wanted = {g for p, gs in groups.items() if ports[p].port_security_enabled for g in gs}
    rules = sg_repo.rules_of(session, wanted)
    remote = {r.remote_group_id for rs in rules.values() for r in rs if r.remote_group_id}
    members = _member_addresses(session, remote)
    answer: dict[str, list[SecurityRule]] = {i: [] for i in port_ids}
    for port_id, port in ports.items():
        if not port.port_security_enabled:
            continue
        answer[port_id] = [
            expanded
            for group in groups[port_id]
            for rule in rules[group]
            for expanded in _expand(rule, members)
        ]
    return answer
