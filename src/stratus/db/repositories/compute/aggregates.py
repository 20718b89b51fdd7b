"""Host aggregates with their hosts and metadata (``availability_zone`` is one metadata key)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import Aggregate, AggregateHost, AggregateMetadata

AZ_KEY = "availability_zone"


@dataclasses.dataclass
class AggregateView:
    """An aggregate row with its hosts (sorted) and metadata."""

    row: Aggregate
    hosts: list[str]
    metadata: dict[str, str]

    @property
    def availability_zone(self) -> str | None:
        return self.metadata.get(AZ_KEY)


def get_row(session: Session, aggregate_id: int) -> Aggregate:
    row = session.get(Aggregate, aggregate_id)
    if row is None:
        raise exceptions.NotFound(f"Aggregate {aggregate_id} could not be found.")
    return row


def name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    query = sa.select(Aggregate.id).where(Aggregate.name == name)
    if except_id is not None:
        query = query.where(Aggregate.id != except_id)
    return session.scalar(query) is not None


def _hosts(session: Session, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ids}
    query = (
        sa.select(AggregateHost)
        .where(AggregateHost.aggregate_id.in_(ids))
        .order_by(AggregateHost.host)
    )
    for row in session.scalars(query):
        found[row.aggregate_id].append(row.host)
    return found


def _metadata(session: Session, ids: list[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    query = sa.select(AggregateMetadata).where(AggregateMetadata.aggregate_id.in_(ids))
    for row in session.scalars(query):
        found[row.aggregate_id][row.key] = row.value
    return found


def views(session: Session, rows: Iterable[Aggregate]) -> list[AggregateView]:
    chosen = list(rows)
    ids = [r.id for r in chosen]
    hosts = _hosts(session, ids)
    metadata = _metadata(session, ids)
    return [AggregateView(r, hosts[r.id], metadata[r.id]) for r in chosen]


def get(session: Session, aggregate_id: int) -> AggregateView:
    return views(session, [get_row(session, aggregate_id)])[0]


def list_(session: Session) -> list[AggregateView]:
    return views(session, session.scalars(sa.select(Aggregate).order_by(Aggregate.id)))


def zones_of_host(session: Session, host: str, except_aggregate: int | None = None) -> set[str]:
    """Availability zones of the aggregates ``host`` belongs to (optionally ignoring one)."""
    query = (
        sa.select(AggregateMetadata.value)
        .join(AggregateHost, AggregateHost.aggregate_id == AggregateMetadata.aggregate_id)
        .where(AggregateHost.host == host, AggregateMetadata.key == AZ_KEY)
    )
    if except_aggregate is not None:
        query = query.where(AggregateHost.aggregate_id != except_aggregate)
    return set(session.scalars(query))


def add_host(session: Session, aggregate_id: int, host: str) -> bool:
    if session.get(AggregateHost, (aggregate_id, host)) is not None:
        return False
    session.add(AggregateHost(aggregate_id=aggregate_id, host=host))
    session.flush()
    return True


def remove_host(session: Session, aggregate_id: int, host: str) -> bool:
    row = session.get(AggregateHost, (aggregate_id, host))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def remove_host_everywhere(session: Session, host: str) -> None:
    session.execute(sa.delete(AggregateHost).where(AggregateHost.host == host))


def update_metadata(session: Session, aggregate_id: int, changes: dict[str, str | None]) -> None:
    """Set keys to values; a ``None`` value deletes the key."""
    for key, value in changes.items():
        row = session.get(AggregateMetadata, (aggregate_id, key))
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(AggregateMetadata(aggregate_id=aggregate_id, key=key, value=value))
        else:
            row.value = value
    session.flush()


def delete(session: Session, row: Aggregate) -> None:
    session.execute(sa.delete(AggregateMetadata).where(AggregateMetadata.aggregate_id == row.id))
    session.execute(sa.delete(AggregateHost).where(AggregateHost.aggregate_id == row.id))
    session.delete(row)
    session.flush()
