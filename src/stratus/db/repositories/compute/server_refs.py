"""Lookups the servers API makes in neighbouring aggregates: flavors, keypairs, server
groups, availability zones, migrations, compute hosts and allocations.

Each is a small read the servers code needs in its own transactions; the owning APIs (flavors,
keypairs, os-server-groups …) keep their own, fuller repositories.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.compute import (
    Aggregate,
    AggregateMetadata,
    Allocation,
    ComputeNode,
    ComputeService,
    Flavor,
    FlavorExtraSpec,
    FlavorProject,
    KeyPair,
    Migration,
    ServerGroup,
    ServerGroupMember,
)
from stratus.objects.flavor import Flavor as FlavorObject
from stratus.objects.migration import MigrationRef

AZ_KEY = "availability_zone"
COMPUTE_BINARY = "stratus-compute"


def flavor(session: Session, flavorid: str) -> Flavor | None:
    return session.scalar(sa.select(Flavor).where(Flavor.flavorid == flavorid))


def flavor_accessible(session: Session, row: Flavor, project_id: str | None) -> bool:
    """Public flavors are for everyone; private ones for the projects given access."""
    if row.is_public:
        return True
    return (
        session.scalar(
            sa.select(FlavorProject.project_id).where(
                FlavorProject.flavor_id == row.id, FlavorProject.project_id == project_id
            )
        )
        is not None
    )


def flavor_object(session: Session, row: Flavor) -> FlavorObject:
    specs = session.execute(
        sa.select(FlavorExtraSpec.key, FlavorExtraSpec.value).where(
            FlavorExtraSpec.flavor_id == row.id
        )
    )
    return FlavorObject(
        flavorid=row.flavorid,
        name=row.name,
        vcpus=row.vcpus,
        memory_mb=row.memory_mb,
        root_gb=row.root_gb,
        ephemeral_gb=row.ephemeral_gb,
        swap=row.swap,
        rxtx_factor=row.rxtx_factor,
        is_public=row.is_public,
        disabled=row.disabled,
        description=row.description,
        extra_specs={k: v for k, v in specs},
    )


def keypair(session: Session, user_id: str, name: str) -> KeyPair | None:
    return session.scalar(
        sa.select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
    )


def server_group(session: Session, uuid: str) -> ServerGroup | None:
    return session.scalar(sa.select(ServerGroup).where(ServerGroup.uuid == uuid))


def server_group_members(session: Session, group_id: int) -> list[str]:
    return list(
        session.scalars(
            sa.select(ServerGroupMember.instance_uuid).where(ServerGroupMember.group_id == group_id)
        )
    )


def add_server_group_member(session: Session, group_id: int, instance_uuid: str) -> None:
    session.add(ServerGroupMember(group_id=group_id, instance_uuid=instance_uuid))


def remove_from_server_groups(session: Session, instance_uuid: str) -> None:
    session.execute(
        sa.delete(ServerGroupMember).where(ServerGroupMember.instance_uuid == instance_uuid)
    )


def aggregate_zones(session: Session) -> set[str]:
    """Availability zones named by aggregates' ``availability_zone`` metadata."""
    query = (
        sa.select(AggregateMetadata.value)
        .join(Aggregate, Aggregate.id == AggregateMetadata.aggregate_id)
        .where(AggregateMetadata.key == AZ_KEY)
    )
    return set(session.scalars(query))


def compute_service(session: Session, host: str) -> ComputeService | None:
    return session.scalar(
        sa.select(ComputeService).where(
            ComputeService.host == host, ComputeService.binary == COMPUTE_BINARY
        )
    )


def compute_services(session: Session, hosts: list[str]) -> dict[str, ComputeService]:
    if not hosts:
        return {}
    rows = session.scalars(
        sa.select(ComputeService).where(
            ComputeService.host.in_(hosts), ComputeService.binary == COMPUTE_BINARY
        )
    )
    return {r.host: r for r in rows}


def compute_node_exists(session: Session, host: str, node: str | None) -> bool:
    query = sa.select(ComputeNode.id).where(ComputeNode.host == host)
    if node:
        query = query.where(ComputeNode.hypervisor_hostname == node)
    return session.scalar(query.limit(1)) is not None


def hypervisor_type(session: Session, host: str | None) -> str | None:
    if host is None:
        return None
    return session.scalar(
        sa.select(ComputeNode.hypervisor_type).where(ComputeNode.host == host).limit(1)
    )


def latest_migration(
    session: Session, instance_uuid: str, statuses: tuple[str, ...], lock: bool = False
) -> Migration | None:
    """The newest resize/migration of the instance in one of ``statuses``."""
    query = (
        sa.select(Migration)
        .where(Migration.instance_uuid == instance_uuid, Migration.status.in_(statuses))
        .order_by(Migration.id.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def delete_allocations(session: Session, consumer_uuids: list[str]) -> None:
    session.execute(sa.delete(Allocation).where(Allocation.consumer_uuid.in_(consumer_uuids)))


def migration_ref(row: Migration) -> MigrationRef:
    """The wire form of a migration row (for casts to the hosts involved)."""
    return MigrationRef(
        uuid=row.uuid,
        instance_uuid=row.instance_uuid,
        migration_type=row.migration_type,
        status=row.status,
        source_compute=row.source_compute,
        dest_compute=row.dest_compute,
        source_node=row.source_node,
        dest_node=row.dest_node,
    )
