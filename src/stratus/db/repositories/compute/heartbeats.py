"""Service records (``compute_services``) and compute node rows, as written by heartbeats.

Every stratus-scheduler, -conductor and -compute process refreshes its service row every
``report_interval``; compute agents also report their hypervisor's resources, which creates the
compute node row the first time (automatic host discovery). Both are upserts that tolerate two
processes racing to create the same row.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock, ids
from stratus.db.models.compute import ComputeNode, ComputeService


def get_service(session: Session, host: str, binary: str) -> ComputeService | None:
    return session.scalars(
        sa.select(ComputeService).where(
            ComputeService.host == host, ComputeService.binary == binary
        )
    ).one_or_none()


def list_services(
    session: Session, binary: str | None = None, host: str | None = None
) -> list[ComputeService]:
    """Service rows, optionally of one binary and/or host, ordered by id."""
    query = sa.select(ComputeService).order_by(ComputeService.id)
    if binary:
        query = query.where(ComputeService.binary == binary)
    if host:
        query = query.where(ComputeService.host == host)
    return list(session.scalars(query))


def touch_service(session: Session, host: str, binary: str, topic: str) -> ComputeService:
    """Create the row or record a heartbeat: ``last_seen_up`` = now, ``report_count`` + 1."""
    now = clock.utcnow()
    row = get_service(session, host, binary)
    if row is None:
        try:
            with session.begin_nested():
                row = ComputeService(
                    uuid=ids.uuid_id(),
                    host=host,
                    binary=binary,
                    topic=topic,
                    report_count=1,
                    last_seen_up=now,
                    created_at=now,
                )
                session.add(row)
            return row
        except sa.exc.IntegrityError:
            # NOTE: another process of the same host and binary registered first; heartbeat it.
            row = get_service(session, host, binary)
            assert row is not None
    row.report_count += 1
    row.last_seen_up = now
    row.updated_at = now
    row.topic = topic
    session.flush()
    return row


def get_node(session: Session, hypervisor_hostname: str) -> ComputeNode | None:
    return session.scalars(
        sa.select(ComputeNode).where(ComputeNode.hypervisor_hostname == hypervisor_hostname)
    ).one_or_none()


def list_nodes(session: Session, host: str | None = None) -> list[ComputeNode]:
    query = sa.select(ComputeNode).order_by(ComputeNode.id)
    if host:
        query = query.where(ComputeNode.host == host)
    return list(session.scalars(query))


def upsert_node(
    session: Session, hypervisor_hostname: str, values: dict[str, object]
) -> tuple[ComputeNode, bool]:
    """Create or update the node named ``hypervisor_hostname``; returns ``(row, created)``."""
    row = get_node(session, hypervisor_hostname)
    if row is None:
        try:
            with session.begin_nested():
                row = ComputeNode(
                    uuid=ids.uuid_id(), hypervisor_hostname=hypervisor_hostname, **values
                )
                session.add(row)
            return row, True
        except sa.exc.IntegrityError:
            row = get_node(session, hypervisor_hostname)
            assert row is not None
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    session.flush()
    return row, False
