"""Issue 7 §2: on RabbitMQ a cast is acknowledged only once handled, so a conductor that dies
(or loses the broker) mid-work has its message delivered again; the second delivery of work
already done or under way must change nothing (``conductor/tasks/build.py``,
``conductor/tasks/reschedule.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from stratus.conductor.manager import ConductorManager
from stratus.db.models.compute import Allocation, Instance, Migration
from stratus.db.models.network import Port
from stratus.db.repositories.compute import instances_conductor
from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import action, boot, show, wait_for_status


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1", "h2"))
    yield cloud


def _footprint(cloud: Cloud, uuid: str) -> tuple[object, ...]:
    with cloud.db.read() as s:
        row = s.get(Instance, uuid)
        assert row is not None
        allocs = s.scalars(
            sa.select(Allocation.compute_node_id).where(Allocation.consumer_uuid == uuid)
        )
        ports = s.scalars(sa.select(Port.id).where(Port.device_id == uuid))
        return row.host, row.node, row.scheduled_at, sorted(allocs), sorted(ports)


def test_a_build_delivered_again_does_not_build_twice(
    plane: Cloud, member: Account, image_id: str
) -> None:
    server = boot(plane, member.headers, image_id)
    wait_for_status(plane, member.headers, server["id"], "ACTIVE")
    before = _footprint(plane, server["id"])
    with plane.db.read() as s:
        spec = instances_conductor.load_request_spec(s, server["id"])
    assert spec is not None

    ConductorManager(plane.cfg, plane.db, plane.bus).build_instances([server["id"]], spec)

    assert _footprint(plane, server["id"]) == before
    assert show(plane, member.headers, server["id"])["status"] == "ACTIVE"


def test_a_build_failure_delivered_again_after_the_host_was_cleared_is_ignored(
    plane: Cloud, member: Account, image_id: str
) -> None:
    """The first delivery (or the stuck-work check) already took the host away: a repeated
    ``build_failed`` must not reschedule the instance again (a second build elsewhere)."""
    server = boot(plane, member.headers, image_id)
    wait_for_status(plane, member.headers, server["id"], "ACTIVE")
    host = _footprint(plane, server["id"])[0]
    with plane.db.write() as s:
        s.execute(
            sa.update(Instance)
            .where(Instance.uuid == server["id"])
            .values(host=None, node=None, vm_state="error")
        )
    before = _footprint(plane, server["id"])

    ConductorManager(plane.cfg, plane.db, plane.bus).build_failed(server["id"], str(host), "boom")

    assert _footprint(plane, server["id"]) == before
    assert show(plane, member.headers, server["id"])["status"] == "ERROR"


def test_a_migrate_delivered_again_does_not_move_twice(
    plane: Cloud, member: Account, image_id: str
) -> None:
    server = boot(plane, member.headers, image_id)
    wait_for_status(plane, member.headers, server["id"], "ACTIVE")
    r = action(plane, member.headers, server["id"], {"resize": {"flavorRef": "2"}})
    assert r.status_code == 202, r.text
    wait_for_status(plane, member.headers, server["id"], "VERIFY_RESIZE")
    before = _footprint(plane, server["id"]), _migrations(plane, server["id"])
    with plane.db.read() as s:
        spec = instances_conductor.load_request_spec(s, server["id"])
    assert spec is not None

    ConductorManager(plane.cfg, plane.db, plane.bus).migrate_server(
        server["id"], spec.flavor, None, spec
    )

    assert (_footprint(plane, server["id"]), _migrations(plane, server["id"])) == before
    assert show(plane, member.headers, server["id"])["status"] == "VERIFY_RESIZE"


def _migrations(cloud: Cloud, uuid: str) -> list[tuple[str, str]]:
    with cloud.db.read() as s:
        rows = s.execute(
            sa.select(Migration.uuid, Migration.status).where(Migration.instance_uuid == uuid)
        )
        return sorted((str(a), str(b)) for a, b in rows)
