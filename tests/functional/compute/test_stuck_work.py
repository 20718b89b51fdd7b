"""Issue 7 §2: work nobody does any more is found and finished by the conductor's stuck-work
check (``stratus.conductor.recovery``): builds go to ERROR with a fault, abandoned tasks are
cleared with an action event, interrupted deletes complete; work an agent still touches stays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from stratus.common import clock
from stratus.common.config import Config
from stratus.compute import periodic
from stratus.conductor import recovery
from stratus.conductor.manager import ConductorManager
from stratus.conductor.stuck import Verdict
from stratus.db.models.compute import Allocation, Instance
from stratus.db.repositories.compute import instance_actions, migrations_conductor
from stratus.objects import states
from tests.fixtures import compute_hosts
from tests.fixtures.cloud import Account, Cloud, make_config
from tests.functional.compute.servers_helpers import boot, show, wait_for_status


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str) -> Config:
    # NOTE: the tests run the check themselves, one pass at a time
    return make_config(tmp_path / "state", db_url, conductor={"recovery_interval": 0})


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1",))
    yield cloud


def _check(cloud: Cloud) -> list[tuple[str, Verdict]]:
    manager = ConductorManager(cloud.cfg, cloud.db, cloud.bus)
    return recovery.run_once(manager.services, manager)


def _age(cloud: Cloud, uuid: str, seconds: int, **values: Any) -> None:
    """Set columns and make the row look unchanged for ``seconds``."""
    past = clock.utcnow() - dt.timedelta(seconds=seconds)
    with cloud.db.write() as s:
        s.execute(
            sa.update(Instance).where(Instance.uuid == uuid).values(updated_at=past, **values)
        )


def _record_action(cloud: Cloud, uuid: str, action: str) -> str:
    request_id = f"req-{uuid}"
    with cloud.db.write() as s:
        instance_actions.record(s, uuid, action, request_id, "u1", "p1")
    return request_id


def _events(cloud: Cloud, uuid: str, request_id: str) -> list[dict[str, Any]]:
    r = cloud.compute.get(
        f"/v2.1/servers/{uuid}/os-instance-actions/{request_id}", headers=cloud.admin_headers()
    )
    assert r.status_code == 200, r.text
    return list(r.json()["instanceAction"]["events"])


def test_build_stuck_in_scheduling_goes_to_error_with_a_fault(cloud: Cloud) -> None:
    node = compute_hosts.add_host(cloud.db, "hx")
    uuid = compute_hosts.add_instance(cloud.db, host="hx")
    with cloud.db.write() as s:
        node_id = s.scalar(sa.text("select id from compute_nodes where uuid = :u"), {"u": node})
        s.add(
            Allocation(
                consumer_uuid=uuid,
                compute_node_id=node_id,
                project_id="p1",
                vcpus=1,
                memory_mb=64,
                disk_gb=1,
                created_at=clock.utcnow(),
            )
        )
    request_id = _record_action(cloud, uuid, "create")
    _age(cloud, uuid, 601)
    assert _check(cloud) == [(uuid, Verdict.FAIL_BUILD)]
    server = show(cloud, cloud.admin_headers(), uuid)
    assert (server["status"], server["OS-EXT-STS:task_state"]) == ("ERROR", None)
    assert server["fault"]["message"].startswith(
        f"Build of instance {uuid} timed out after 600 s in task state 'scheduling': "
        "no service worked on it"
    )
    with cloud.db.read() as s:
        assert s.scalars(sa.select(Allocation).where(Allocation.consumer_uuid == uuid)).all() == []
    (event,) = _events(cloud, uuid, request_id)
    assert (event["event"], event["result"]) == (recovery.EVENT, "Error")
    assert _check(cloud) == []


def test_recent_build_is_left_alone(cloud: Cloud) -> None:
    uuid = compute_hosts.add_instance(cloud.db)
    _age(cloud, uuid, 300)
    assert _check(cloud) == []
    assert show(cloud, cloud.admin_headers(), uuid)["status"] == "BUILD"


def test_two_conductors_settle_a_build_once(cloud: Cloud) -> None:
    uuid = compute_hosts.add_instance(cloud.db)
    _age(cloud, uuid, 601)
    manager = ConductorManager(cloud.cfg, cloud.db, cloud.bus)
    seen = recovery._unchanged(manager.services, clock.utcnow())
    cutoff = clock.utcnow() - dt.timedelta(seconds=600)
    assert recovery._fail_build(manager.services, seen[0], "first", cutoff)
    assert not recovery._fail_build(manager.services, seen[0], "second", cutoff)
    r = cloud.compute.get(f"/v2.1/servers/{uuid}", headers=cloud.admin_headers())
    assert r.json()["server"]["fault"]["message"] == "first"


def test_builds_from_before_an_all_in_one_restart_fail_at_once(cloud: Cloud) -> None:
    uuid = compute_hosts.add_instance(cloud.db)
    manager = ConductorManager(cloud.cfg, cloud.db, cloud.bus)
    settled = recovery.fail_interrupted_builds(manager.services, clock.utcnow())
    assert settled == [(uuid, Verdict.FAIL_BUILD)]
    fault = show(cloud, cloud.admin_headers(), uuid)["fault"]["message"]
    assert fault.startswith(f"Build of instance {uuid} interrupted: the cloud restarted")


def test_stuck_powering_off_is_cleared_with_an_action_event(
    plane: Cloud, member: Account, image_id: str
) -> None:
    sid = wait_for_status(
        plane, member.headers, boot(plane, member.headers, image_id)["id"], "ACTIVE"
    )["id"]
    request_id = _record_action(plane, sid, "stop")
    _age(plane, sid, 901, task_state=states.POWERING_OFF)
    assert _check(plane) == [(sid, Verdict.CLEAR_TASK)]
    server = show(plane, member.headers, sid)
    assert (server["status"], server["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    (event,) = _events(plane, sid, request_id)
    assert (event["event"], event["result"]) == (recovery.EVENT, "Error")
    assert "Task 'powering-off' timed out after 900 s" in event["traceback"]


def test_stuck_delete_on_a_down_host_completes(cloud: Cloud) -> None:
    compute_hosts.add_host(cloud.db, "gone", up=False)
    uuid = compute_hosts.add_instance(
        cloud.db, host="gone", vm_state=states.ACTIVE, task_state=states.DELETING
    )
    _age(cloud, uuid, 901)
    assert _check(cloud) == [(uuid, Verdict.FINISH_DELETE)]
    r = cloud.compute.get(f"/v2.1/servers/{uuid}", headers=cloud.admin_headers())
    assert r.status_code == 404, r.text


def test_stuck_delete_on_a_live_host_is_cast_again(
    plane: Cloud, member: Account, image_id: str
) -> None:
    sid = wait_for_status(
        plane, member.headers, boot(plane, member.headers, image_id)["id"], "ACTIVE"
    )["id"]
    _age(plane, sid, 901, task_state=states.DELETING)
    assert _check(plane) == [(sid, Verdict.FINISH_DELETE)]
    wait_for_status(plane, member.headers, sid, "DELETED")


def test_work_an_agent_still_touches_is_not_reaped(
    plane: Cloud, member: Account, image_id: str
) -> None:
    sid = wait_for_status(
        plane, member.headers, boot(plane, member.headers, image_id)["id"], "ACTIVE"
    )["id"]
    _age(plane, sid, 3600, task_state=states.IMAGE_UPLOADING)
    agent = next(s for s in plane.services if hasattr(s, "env"))
    with agent.env.working.on(sid):
        assert periodic.touch_working(agent.env) == 1
    assert _check(plane) == []
    assert show(plane, member.headers, sid)["OS-EXT-STS:task_state"] == states.IMAGE_UPLOADING


def _allocate(cloud: Cloud, node_uuid: str, consumer: str, memory_mb: int) -> None:
    with cloud.db.write() as s:
        node_id = s.scalar(
            sa.text("select id from compute_nodes where uuid = :u"), {"u": node_uuid}
        )
        s.add(
            Allocation(
                consumer_uuid=consumer,
                compute_node_id=node_id,
                project_id="p1",
                vcpus=1,
                memory_mb=memory_mb,
                disk_gb=1,
                created_at=clock.utcnow(),
            )
        )


def test_abandoned_resize_before_its_destination_was_recorded_frees_the_claim(
    cloud: Cloud,
) -> None:
    # the conductor died after the scheduler claimed the destination (under the instance's
    # uuid) and before it wrote dest_node on the migration: found by the fault suite, the
    # destination claim leaked and the instance held two allocations
    source = compute_hosts.add_host(cloud.db, "hsrc")
    dest = compute_hosts.add_host(cloud.db, "hdst")
    uuid = compute_hosts.add_instance(
        cloud.db, host="hsrc", vm_state=states.ACTIVE, task_state=states.RESIZE_PREP
    )
    with cloud.db.write() as s:
        migration = migrations_conductor.create(
            s, uuid, "resize", "hsrc", "hsrc", "f1", "f2", "u1", "p1"
        )
        migration_uuid = migration.uuid
    _allocate(cloud, source, migration_uuid, 64)  # the source, held by the migration
    _allocate(cloud, dest, uuid, 2048)  # the destination claim, never recorded
    _age(cloud, uuid, 901)
    assert _check(cloud) == [(uuid, Verdict.CLEAR_TASK)]
    with cloud.db.read() as s:
        held = s.execute(
            sa.select(Allocation.consumer_uuid, Allocation.memory_mb).where(
                Allocation.consumer_uuid.in_([uuid, migration_uuid])
            )
        ).all()
    assert [tuple(r) for r in held] == [(uuid, 64)]
    server = show(cloud, cloud.admin_headers(), uuid)
    assert (server["status"], server["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
