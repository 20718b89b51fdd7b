"""Network information handed to compute hosts: one ``VIF`` per port of an instance."""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject


class FixedIP(VersionedObject):
    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    address: str
    subnet_id: str
    cidr: str
    gateway: str | None = None
    version: int = 4
    dns_nameservers: list[str] = []


class VIF(VersionedObject):
    """A virtual interface: the port, its MAC and addresses, and where to plug it."""

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    port_id: str
    network_id: str
    network_name: str = ""
    mac_address: str
    fixed_ips: list[FixedIP] = []
    mtu: int = 1500
    vif_type: str = "bridge"
    devname: str = ""
    security_group_ids: list[str] = []
    port_security_enabled: bool = True


class SecurityRule(VersionedObject):
    """One security-group rule as a dataplane backend enforces it on a port."""

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    id: str
    security_group_id: str
    direction: str
    ethertype: str = "IPv4"
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None


class DhcpSubnet(VersionedObject):
    """A subnet as a compute host's bridge and DHCP server need it.

    ``host_routes`` are Neutron's ``[{"destination": cidr, "nexthop": ip}]``.
    """

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    id: str
    cidr: str
    ip_version: int = 4
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    dns_nameservers: list[str] = []
    host_routes: list[dict[str, str]] = []


class NetworkDataplane(VersionedObject):
    """One network as the dataplane of one compute host needs it.

    The network with its subnets and the ports bound to that host (``ports``, with the host
    name DHCP hands each of them out in ``hostnames``: port id -> name).
    """

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    id: str
    name: str = ""
    mtu: int = 1500
    subnets: list[DhcpSubnet] = []
    ports: list[VIF] = []
    hostnames: dict[str, str] = {}
