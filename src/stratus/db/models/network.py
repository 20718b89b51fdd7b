"""Network tables (Neutron's data model): networks, subnets, ports with their IP allocations,
security groups and rules.

An address can be allocated once per subnet: ``ip_allocations`` has a unique key on
(subnet, address), so two ports can never get the same fixed IP, whatever the concurrency.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db.models.base import Base, Timestamps

UUID = sa.String(36)
NAME = sa.String(255)
PROJECT = sa.String(64)


class Network(Base, Timestamps):
    __tablename__ = "networks"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    project_id: Mapped[str] = mapped_column(PROJECT, nullable=False, index=True)
    description: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="ACTIVE", nullable=False)
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    external: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    mtu: Mapped[int] = mapped_column(sa.Integer, default=1500, nullable=False)
    port_security_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    provider_network_type: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    provider_physical_network: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    provider_segmentation_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    availability_zone_hints: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, nullable=False
    )
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    revision_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)


class Subnet(Base, Timestamps):
    __tablename__ = "subnets"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    network_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    project_id: Mapped[str] = mapped_column(PROJECT, nullable=False)
    description: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    ip_version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    cidr: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    gateway_ip: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    enable_dhcp: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    allocation_pools: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, nullable=False
    )
    dns_nameservers: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    host_routes: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list, nullable=False)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    ipv6_address_mode: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    subnetpool_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    revision_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)


class Port(Base, Timestamps):
    __tablename__ = "ports"
    __table_args__ = (sa.UniqueConstraint("network_id", "mac_address"),)
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    network_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    project_id: Mapped[str] = mapped_column(PROJECT, nullable=False, index=True)
    description: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    mac_address: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="DOWN", nullable=False)
    device_id: Mapped[str] = mapped_column(NAME, default="", nullable=False, index=True)
    device_owner: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    binding_host_id: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    binding_vif_type: Mapped[str] = mapped_column(sa.String(64), default="unbound", nullable=False)
    binding_vnic_type: Mapped[str] = mapped_column(sa.String(64), default="normal", nullable=False)
    binding_profile: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    binding_vif_details: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, nullable=False
    )
    port_security_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    allowed_address_pairs: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, nullable=False
    )
    extra_dhcp_opts: Mapped[list[dict[str, Any]]] = mapped_column(
        sa.JSON, default=list, nullable=False
    )
    dns_name: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    revision_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    # NOTE: True for ports a user created and then gave to a server; deleting the server only
    # unbinds them (Nova's preserve_on_delete). Ports made for a server are deleted with it.
    preserve_on_delete: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)


class IPAllocation(Base):
    __tablename__ = "ip_allocations"
    __table_args__ = (sa.UniqueConstraint("subnet_id", "ip_address"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    port_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("ports.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subnet_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("subnets.id", ondelete="CASCADE"), nullable=False
    )
    network_id: Mapped[str] = mapped_column(UUID, nullable=False)
    ip_address: Mapped[str] = mapped_column(sa.String(64), nullable=False)


class SecurityGroup(Base, Timestamps):
    __tablename__ = "security_groups"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    project_id: Mapped[str] = mapped_column(PROJECT, nullable=False, index=True)
    description: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    stateful: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    revision_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)


class SecurityGroupRule(Base, Timestamps):
    __tablename__ = "security_group_rules"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("security_groups.id", ondelete="CASCADE"), nullable=False, index=True
    )
    project_id: Mapped[str] = mapped_column(PROJECT, nullable=False)
    direction: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    ethertype: Mapped[str] = mapped_column(sa.String(8), default="IPv4", nullable=False)
    protocol: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    port_range_min: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    port_range_max: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    remote_ip_prefix: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    remote_group_id: Mapped[str | None] = mapped_column(
        UUID, sa.ForeignKey("security_groups.id", ondelete="CASCADE"), nullable=True
    )
    description: Mapped[str] = mapped_column(NAME, default="", nullable=False)
    revision_number: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)


class PortSecurityGroup(Base):
    __tablename__ = "port_security_groups"
    port_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    security_group_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("security_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
