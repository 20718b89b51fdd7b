"""Reserve / unreserve: the scheduler's claims, atomic in the database.

``Claimer.claim`` runs one short write transaction per attempt (see
``db.repositories.compute.allocations.claim``: lock the node row, sum, check, insert), so any
number of scheduler processes can claim concurrently without over-committing a host. A lost race
comes back as a failed ``ClaimResult`` with the node's fresh usage; the engine re-checks its
filters with it and moves on to the next host. ``unclaim`` is idempotent and safe to call
without a prior claim (Kubernetes' ``Unreserve`` rule).
"""

from __future__ import annotations

from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute.allocations import ClaimResult, GroupLimit
from stratus.db.session import Database
from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.interfaces import HostState


class Claimer:
    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self,
        host: HostState,
        spec: RequestSpec,
        consumer_uuid: str,
        group: GroupLimit | None = None,
    ) -> ClaimResult:
        """Allocate one instance of ``spec.flavor`` on ``host`` for ``consumer_uuid``."""
        want = allocations.flavor_amounts(spec.flavor)
        with self.db.write() as session:
            return allocations.claim(
                session, host.node_uuid, consumer_uuid, spec.project_id, want, group
            )

    def unclaim(self, consumer_uuid: str, node_uuid: str | None = None) -> None:
        """Drop the consumer's allocation on one node (or everywhere). Idempotent."""
        with self.db.write() as session:
            node_id = None
            if node_uuid is not None:
                node_id = allocations.node_id_of(session, node_uuid)
                if node_id is None:
                    return
            allocations.unclaim(session, consumer_uuid, node_id)
