"""Server create (``POST /servers``): validate, then claim quota and insert the instances in
ONE write transaction, then ask the conductor to build them. If that request cannot be sent
the new servers are deleted again and the caller gets a 503 (``_release_unsent``).

Quota is counted from the instance rows inside that transaction, after the project lock is
taken (``quota.lock_project``), so concurrent creates of one project are counted one after the
other: with a quota of 5 instances, 20 concurrent creates give exactly 5 servers.
``min_count``/``max_count`` follow Nova: as many as fit between the two, 403 below ``min_count``.
"""

from __future__ import annotations

import dataclasses
import secrets
import string
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.db import retry
from stratus.db.models.compute import (
    Instance,
    InstanceMetadata,
    InstanceSystemMetadata,
    ServerGroup,
)
from stratus.db.models.compute import InstanceTag as TagRow
from stratus.db.repositories.compute import instances, server_refs
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.request_spec import RequestSpec
from stratus.services import quota
from stratus.services.compute import cast_guard
from stratus.services.compute import validation as check
from stratus.services.compute.servers import ServerApi
from stratus.services.image.images import ImageView
from stratus.services.network import server_ports

Networks = str | list[dict[str, str]]


@dataclasses.dataclass(frozen=True)
class BootRequest:
    """A validated ``POST /servers`` body (schema already checked by the API)."""

    name: str
    flavor_ref: str
    image_ref: str
    networks: Networks | None = None  # None: not given (< 2.37) -> "auto"
    key_name: str | None = None
    security_groups: tuple[str, ...] = ("default",)
    user_data: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    availability_zone: str | None = None
    host: str | None = None  # 2.74: a requested (not forced) destination
    hypervisor_hostname: str | None = None
    min_count: int = 1
    max_count: int = 1
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    admin_pass: str | None = None
    config_drive: bool = False
    auto_disk_config: bool = False
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)
    may_force_host: bool = False


@dataclasses.dataclass
class Created:
    """What the create response needs."""

    uuids: list[str]
    reservation_id: str
    admin_pass: str
    auto_disk_config: bool


@dataclasses.dataclass
class _Plan:
    boot: BootRequest
    flavor: Flavor
    image: ImageView | None
    networks: Any
    zone: str | None
    force_host: str | None
    force_node: str | None
    group_uuid: str | None
    key_data: str | None
    security_groups: list[str]


def generate_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def create(api: ServerApi, boot: BootRequest) -> Created:
    """Create ``min_count``..``max_count`` servers; see the module docstring."""
    plan = _validate(api, boot)
    reservation_id = f"r-{secrets.token_hex(4)}"
    with api.db.write() as session:
        count = _fit_count(api, session, plan)
        group = server_refs.server_group(session, plan.group_uuid) if plan.group_uuid else None
        rows = [_insert(api, session, plan, group, reservation_id, i, count) for i in range(count)]
        uuids = [r.uuid for r in rows]
        spec = _request_spec(session, api, plan, group, count)
    try:
        api.conductor.build_instances(uuids, spec)
    except exceptions.MessagingError as exc:
        _release_unsent(api, uuids, exc.message)
        raise cast_guard.unreachable("conductor") from exc
    return Created(
        uuids=uuids,
        reservation_id=reservation_id,
        admin_pass=boot.admin_pass or generate_password(),
        auto_disk_config=boot.auto_disk_config,
    )


def _release_unsent(api: ServerApi, uuids: list[str], details: str) -> None:
    """The build request never left: the caller gets a 503 and no server ids, so the new
    servers are deleted again (ports, allocations, group membership; quota is counted from
    live rows) rather than left in ERROR for the caller to find and delete. Compare-and-set:
    a server the conductor did get to (it has a host or another state) is left to it. The
    ``create`` action gets an ``Error`` event (admins: ``GET .../os-instance-actions`` from
    2.21 shows deleted servers' actions)."""

    def release() -> None:
        with api.db.write() as session:
            for uuid in uuids:
                row = instances.get(session, uuid, lock=True)
                if row is None:
                    continue
                unclaimed = row.host is None and row.task_state == states.SCHEDULING
                if row.vm_state == states.BUILDING and unclaimed:
                    api.local_delete(session, row)
                cast_guard.record_error(
                    session, api.ctx, uuid, "create", cast_guard.event_name("conductor"), details
                )

    retry.retry_transaction(release, what="release of unsent builds")


def _validate(api: ServerApi, boot: BootRequest) -> _Plan:
    project = api.ctx.project_id or ""
    check.user_data(boot.user_data)
    image = check.Images(api.db, api.cfg, api.ctx, api.image_policy).get(boot.image_ref)
    with api.db.read() as session:
        flavor = check.flavor(session, boot.flavor_ref, project, api.is_admin)
        check.image_fits(image, flavor)
        check.metadata_items(session, api.cfg, project, boot.metadata)
        key = check.keypair(session, api.ctx.user_id, boot.key_name)
        groups = check.security_groups(session, project, list(boot.security_groups))
        zone, host, node = check.availability_zone(
            session, api.cfg, boot.availability_zone, boot.may_force_host
        )
        if boot.host or boot.hypervisor_hostname:
            host = boot.host or host
            node = boot.hypervisor_hostname or node
            if host and not server_refs.compute_node_exists(session, host, node):
                raise exceptions.Invalid(f"Compute host {host} could not be found.")
        group_uuid = boot.hints.get("group")
        group = check.server_group(
            session,
            api.cfg,
            str(group_uuid) if group_uuid else None,
            project,
            api.is_admin,
            boot.max_count,
        )
        networks = _networks(session, project, boot)
        key_data = key.public_key if key is not None else None
        group_uuid = group.uuid if group is not None else None
    return _Plan(
        boot=boot,
        flavor=flavor,
        image=image,
        networks=networks,
        zone=zone,
        force_host=host,
        force_node=node,
        group_uuid=group_uuid,
        key_data=key_data,
        security_groups=groups,
    )


def _networks(session: Session, project_id: str, boot: BootRequest) -> Any:
    requested: Networks = boot.networks if boot.networks is not None else "auto"
    if isinstance(requested, list) and boot.max_count > 1:
        for net in requested:
            if net.get("port"):
                raise exceptions.Invalid(
                    "Unable to launch multiple instances with a single configured port ID. "
                    "Please launch your instance one by one with different ports."
                )
            if net.get("fixed_ip"):
                raise exceptions.Invalid(
                    "max_count cannot be greater than 1 if an fixed_ip is specified."
                )
    return server_ports.validate_requested_networks(session, project_id, requested)


def _fit_count(api: ServerApi, session: Session, plan: _Plan) -> int:
    """The most servers between ``min_count`` and ``max_count`` the quota allows (403 if
    not even ``min_count``), then claimed with ``quota.enforce``."""
    project, user = api.ctx.project_id or "", api.ctx.user_id
    boot, flavor = plan.boot, plan.flavor
    per = {"instances": 1, "cores": flavor.vcpus, "ram": flavor.memory_mb}
    quota.lock_project(session, project)
    caps = quota.limits(session, api.cfg, project)
    used = quota.usage(session, project, user, list(per))
    count = boot.max_count
    for name, amount in per.items():
        cap = caps.get(name, quota.UNLIMITED)
        if cap != quota.UNLIMITED and amount > 0:
            count = min(count, max(0, (cap - used.get(name, 0)) // amount))
    count = max(count, boot.min_count)
    quota.enforce(session, api.cfg, project, user, {k: v * count for k, v in per.items()})
    return count


def _insert(
    api: ServerApi,
    session: Session,
    plan: _Plan,
    group: ServerGroup | None,
    reservation_id: str,
    index: int,
    count: int,
) -> Instance:
    boot, flavor = plan.boot, plan.flavor
    uuid = ids.uuid_id()
    name = f"{boot.name}-{index + 1}" if count > 1 else boot.name
    now = clock.utcnow()
    row = Instance(
        uuid=uuid,
        display_name=name,
        display_description=boot.description,
        hostname=check.sanitize_hostname(name, f"Server-{uuid}"),
        project_id=api.ctx.project_id or "",
        user_id=api.ctx.user_id or "",
        reservation_id=reservation_id,
        launch_index=index,
        image_ref=plan.image.id if plan.image else "",
        flavor=flavor.model_dump(mode="json"),
        vcpus=flavor.vcpus,
        memory_mb=flavor.memory_mb,
        root_gb=flavor.root_gb,
        ephemeral_gb=flavor.ephemeral_gb,
        availability_zone=plan.zone,
        vm_state=states.BUILDING,
        task_state=states.SCHEDULING,
        power_state=states.NOSTATE,
        key_name=boot.key_name,
        key_data=plan.key_data,
        user_data=boot.user_data,
        config_drive=boot.config_drive,
        access_ip_v4=boot.access_ip_v4,
        access_ip_v6=boot.access_ip_v6,
        auto_disk_config=boot.auto_disk_config,
        security_groups=plan.security_groups,
        requested_networks=plan.networks,
        server_group_uuid=group.uuid if group else None,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    for key, value in boot.metadata.items():
        session.add(InstanceMetadata(instance_uuid=uuid, key=key, value=value))
    for key, value in check.system_metadata(plan.image).items():
        session.add(InstanceSystemMetadata(instance_uuid=uuid, key=key, value=value))
    for tag in sorted(set(boot.tags)):
        session.add(TagRow(instance_uuid=uuid, tag=tag))
    if group is not None:
        server_refs.add_server_group_member(session, group.id, uuid)
    api.record_action(session, uuid, "create")
    return row


def group_spec(session: Session, group: ServerGroup | None) -> dict[str, Any]:
    """The server-group fields of a ``RequestSpec``: policy, rules and the members' hosts."""
    if group is None:
        return {}
    hosts = set()
    for member in server_refs.server_group_members(session, group.id):
        row = instances.get(session, member)
        if row is not None and row.host:
            hosts.add(row.host)
    rules = {k: int(v) for k, v in (group.rules or {}).items() if str(v).lstrip("-").isdigit()}
    return {
        "server_group_uuid": group.uuid,
        "server_group_policy": group.policy,
        "server_group_hosts": sorted(hosts),
        "server_group_rules": rules,
    }


def _request_spec(
    session: Session, api: ServerApi, plan: _Plan, group: ServerGroup | None, count: int
) -> RequestSpec:
    hints = {
        k: [str(x) for x in v] if isinstance(v, list) else [str(v)]
        for k, v in plan.boot.hints.items()
    }
    requested = plan.boot.host or plan.boot.hypervisor_hostname
    return RequestSpec(
        project_id=api.ctx.project_id or "",
        user_id=api.ctx.user_id or "",
        flavor=plan.flavor,
        image=check.image_meta(plan.image) if plan.image else None,
        num_instances=count,
        availability_zone=plan.zone,
        force_host=None if requested else plan.force_host,
        force_node=None if requested else plan.force_node,
        requested_destination=plan.force_host if requested else None,
        scheduler_hints=hints,
        **group_spec(session, group),
    )
