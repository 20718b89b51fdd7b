"""Compute tables: services, compute nodes, allocations (claims), flavors, keypairs, instances
and what hangs off them (metadata, tags, faults, actions, console tokens), migrations,
aggregates, server groups and quotas.

Instances are soft-deleted (``deleted`` / ``deleted_at``) like Nova's, so ``changes-since``
listings can report deleted servers; everything else is deleted for real.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from stratus.db.models.base import Base, DateTime, Timestamps

UUID = sa.String(36)
HOST = sa.String(255)
NAME = sa.String(255)


class ComputeService(Base, Timestamps):
    """A running stratus-scheduler/-conductor/-compute, with its heartbeat (os-services)."""

    __tablename__ = "compute_services"
    __table_args__ = (sa.UniqueConstraint("host", "binary"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, nullable=False, unique=True)
    host: Mapped[str] = mapped_column(HOST, nullable=False)
    binary: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    topic: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    report_count: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    disabled_reason: Mapped[str | None] = mapped_column(NAME, nullable=True)
    forced_down: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    last_seen_up: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)


class ComputeNode(Base, Timestamps):
    """A hypervisor: what one compute host offers. Usage is derived from ``allocations``."""

    __tablename__ = "compute_nodes"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, nullable=False, unique=True)
    host: Mapped[str] = mapped_column(HOST, nullable=False, index=True)
    hypervisor_hostname: Mapped[str] = mapped_column(HOST, nullable=False, unique=True)
    hypervisor_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hypervisor_version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)
    host_ip: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    vcpus: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    memory_mb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    local_gb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    cpu_allocation_ratio: Mapped[float] = mapped_column(sa.Float, nullable=False)
    ram_allocation_ratio: Mapped[float] = mapped_column(sa.Float, nullable=False)
    disk_allocation_ratio: Mapped[float] = mapped_column(sa.Float, nullable=False)
    reserved_host_memory_mb: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    reserved_host_disk_mb: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    reserved_host_cpus: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    cpu_info: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)
    arch: Mapped[str] = mapped_column(sa.String(32), default="x86_64", nullable=False)
    disk_available_least: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    running_vms: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)


class Allocation(Base):
    """Resources a consumer (an instance, or a migration during resize) holds on a node."""

    __tablename__ = "allocations"
    __table_args__ = (sa.UniqueConstraint("consumer_uuid", "compute_node_id"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    consumer_uuid: Mapped[str] = mapped_column(UUID, nullable=False, index=True)
    compute_node_id: Mapped[int] = mapped_column(
        sa.Integer,
        sa.ForeignKey("compute_nodes.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    project_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    vcpus: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    memory_mb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    disk_gb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class Flavor(Base, Timestamps):
    __tablename__ = "flavors"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    flavorid: Mapped[str] = mapped_column(NAME, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False, unique=True)
    vcpus: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    memory_mb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    root_gb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    ephemeral_gb: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    swap: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    rxtx_factor: Mapped[float] = mapped_column(sa.Float, default=1.0, nullable=False)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=True, nullable=False)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class FlavorExtraSpec(Base):
    __tablename__ = "flavor_extra_specs"
    flavor_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("flavors.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(NAME, nullable=False)


class FlavorProject(Base):
    """Access to a private flavor."""

    __tablename__ = "flavor_projects"
    flavor_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("flavors.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class KeyPair(Base):
    __tablename__ = "key_pairs"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    fingerprint: Mapped[str] = mapped_column(NAME, nullable=False)
    public_key: Mapped[str] = mapped_column(sa.Text, nullable=False)
    type: Mapped[str] = mapped_column(sa.String(16), default="ssh", nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class Instance(Base, Timestamps):
    """A server. ``flavor`` is a snapshot (JSON) so later flavor changes never alter it."""

    __tablename__ = "instances"
    __table_args__ = (
        sa.Index("ix_instances_project_deleted", "project_id", "deleted"),
        sa.Index("ix_instances_host_deleted", "host", "deleted"),
        sa.Index("ix_instances_updated_at", "updated_at"),
    )
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    display_name: Mapped[str] = mapped_column(NAME, nullable=False)
    display_description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    hostname: Mapped[str] = mapped_column(NAME, nullable=False)
    project_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    reservation_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    launch_index: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    image_ref: Mapped[str] = mapped_column(sa.String(64), default="", nullable=False)
    kernel_id: Mapped[str] = mapped_column(sa.String(64), default="", nullable=False)
    ramdisk_id: Mapped[str] = mapped_column(sa.String(64), default="", nullable=False)
    flavor: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    old_flavor: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    new_flavor: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    vcpus: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    memory_mb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    root_gb: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    ephemeral_gb: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    host: Mapped[str | None] = mapped_column(HOST, nullable=True)
    node: Mapped[str | None] = mapped_column(HOST, nullable=True)
    launched_on: Mapped[str | None] = mapped_column(HOST, nullable=True)
    availability_zone: Mapped[str | None] = mapped_column(NAME, nullable=True)
    vm_state: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    task_state: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    power_state: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    launched_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    terminated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    key_name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    key_data: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    user_data: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    config_drive: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    locked: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    locked_by: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    locked_reason: Mapped[str | None] = mapped_column(NAME, nullable=True)
    access_ip_v4: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    access_ip_v6: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    progress: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    auto_disk_config: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    security_groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list, nullable=False)
    requested_networks: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    server_group_uuid: Mapped[str | None] = mapped_column(UUID, nullable=True)
    deleted: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class InstanceMetadata(Base):
    __tablename__ = "instance_metadata"
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(NAME, nullable=False)


class InstanceSystemMetadata(Base):
    """Stratus-internal facts about an instance (image properties at boot, resize state …)."""

    __tablename__ = "instance_system_metadata"
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class InstanceTag(Base):
    __tablename__ = "instance_tags"
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(sa.String(80), primary_key=True)


class InstanceFault(Base):
    __tablename__ = "instance_faults"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False, index=True
    )
    code: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    details: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    host: Mapped[str | None] = mapped_column(HOST, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class InstanceAction(Base):
    """``os-instance-actions``: one row per user request against a server."""

    __tablename__ = "instance_actions"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False, index=True
    )
    request_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    user_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    project_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    start_time: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    finish_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    message: Mapped[str | None] = mapped_column(NAME, nullable=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class InstanceActionEvent(Base):
    __tablename__ = "instance_action_events"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        sa.Integer,
        sa.ForeignKey("instance_actions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    event: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    start_time: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    finish_time: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    result: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    traceback: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    host: Mapped[str | None] = mapped_column(HOST, nullable=True)
    details: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class RequestSpecRecord(Base):
    """The scheduling request an instance was built with (a ``RequestSpec`` as JSON), kept so
    the conductor can reschedule after a failed build and for later moves (Nova request_specs)."""

    __tablename__ = "request_specs"
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True
    )
    spec: Mapped[str] = mapped_column(sa.Text, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class ConsoleAuthToken(Base):
    """A console URL's token (Nova's ``console_auth_tokens``). Only the token's SHA-256 is
    stored; it opens the console of ``instance_uuid`` on ``host`` once, until ``expires``."""

    __tablename__ = "console_auth_tokens"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False, index=True
    )
    console_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    host: Mapped[str] = mapped_column(HOST, nullable=False)
    port: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    internal_access_path: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    expires: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    used: Mapped[bool] = mapped_column(sa.Boolean, default=False, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)


class Migration(Base, Timestamps):
    """A resize or cold migration in progress or done (os-migrations)."""

    __tablename__ = "migrations"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, nullable=False, unique=True)
    instance_uuid: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False, index=True
    )
    source_compute: Mapped[str | None] = mapped_column(HOST, nullable=True)
    dest_compute: Mapped[str | None] = mapped_column(HOST, nullable=True)
    source_node: Mapped[str | None] = mapped_column(HOST, nullable=True)
    dest_node: Mapped[str | None] = mapped_column(HOST, nullable=True)
    old_flavor_id: Mapped[str | None] = mapped_column(NAME, nullable=True)
    new_flavor_id: Mapped[str | None] = mapped_column(NAME, nullable=True)
    migration_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    user_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    project_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class Aggregate(Base, Timestamps):
    __tablename__ = "aggregates"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False, unique=True)


class AggregateHost(Base):
    __tablename__ = "aggregate_hosts"
    aggregate_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("aggregates.id", ondelete="CASCADE"), primary_key=True
    )
    host: Mapped[str] = mapped_column(HOST, primary_key=True)


class AggregateMetadata(Base):
    __tablename__ = "aggregate_metadata"
    aggregate_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("aggregates.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(NAME, nullable=False)


class ServerGroup(Base, Timestamps):
    __tablename__ = "server_groups"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(UUID, nullable=False, unique=True)
    name: Mapped[str] = mapped_column(NAME, nullable=False)
    project_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    policy: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    rules: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict, nullable=False)


class ServerGroupMember(Base):
    __tablename__ = "server_group_members"
    group_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("server_groups.id", ondelete="CASCADE"), primary_key=True
    )
    instance_uuid: Mapped[str] = mapped_column(UUID, primary_key=True, index=True)


class Quota(Base):
    """A per-project limit (``project_id``) or a default (``project_id`` = ``"__default__"``)."""

    __tablename__ = "quotas"
    __table_args__ = (sa.UniqueConstraint("project_id", "resource"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    resource: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hard_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ProjectUserQuota(Base):
    """A limit for one user within a project (``os-quota-sets/{project}?user_id=``); it can
    only narrow what the project's limit allows."""

    __tablename__ = "project_user_quotas"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id", "resource"),)
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    user_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    resource: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    hard_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class ProjectLock(Base):
    """One row per project, locked (``SELECT … FOR UPDATE``) while quota is checked and used, so
    concurrent requests of one project are counted one after the other on every backend."""

    __tablename__ = "project_locks"
    project_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
