"""The conductor as the compute agents' only way to the database (``ConductorAPI`` calls)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stratus.cmd import conductor
from stratus.common import context, exceptions
from stratus.db.models.compute import InstanceAction, InstanceActionEvent
from stratus.db.repositories.compute import heartbeats
from stratus.objects.compute_node import HostResources
from stratus.rpcapi.conductor import ConductorAPI
from tests.fixtures.cloud import Cloud
from tests.fixtures.compute_hosts import add_instance, flavor
from tests.functional.scheduler.helpers import faults, instance


@pytest.fixture
def api(cloud: Cloud) -> Iterator[ConductorAPI]:
    cloud.services.append(conductor.start(cloud.cfg, cloud.db, cloud.bus))
    yield ConductorAPI(cloud.bus, timeout=10)


def test_service_report_answers_disabled_flag(cloud: Cloud, api: ConductorAPI) -> None:
    assert api.service_report("h1", "stratus-compute", "compute") == {"disabled": False}
    with cloud.db.write() as s:
        row = heartbeats.get_service(s, "h1", "stratus-compute")
        assert row is not None and row.report_count == 1
        row.disabled = True
    assert api.service_report("h1", "stratus-compute", "compute") == {"disabled": True}
    with pytest.raises(exceptions.Invalid):
        api.service_report("h1", "nova-compute", "compute")


def test_compute_node_report_discovers_then_updates(cloud: Cloud, api: ConductorAPI) -> None:
    report = HostResources(
        host="h1",
        hypervisor_hostname="h1",
        hypervisor_type="fake",
        vcpus=4,
        memory_mb=8192,
        local_gb=100,
    )
    api.compute_node_report(report)
    api.compute_node_report(report.model_copy(update={"memory_mb": 4096, "running_vms": 2}))
    with cloud.db.read() as s:
        (node,) = heartbeats.list_nodes(s)
        assert (node.host, node.memory_mb, node.running_vms) == ("h1", 4096, 2)
        assert (node.cpu_allocation_ratio, node.ram_allocation_ratio) == (16.0, 1.5)
        assert node.reserved_host_memory_mb == cloud.cfg.compute.reserved_host_memory_mb


def test_instance_get_and_on_host(cloud: Cloud, api: ConductorAPI) -> None:
    uuid = add_instance(cloud.db, flavor(ram=128), host="h1", metadata={"k": "v"})
    add_instance(cloud.db, host="h2")
    got = api.instance_get(uuid)
    assert (got.uuid, got.flavor.memory_mb, got.metadata, got.host) == (uuid, 128, {"k": "v"}, "h1")
    assert [i.uuid for i in api.instances_on_host("h1")] == [uuid]
    with pytest.raises(exceptions.NotFound):
        api.instance_get("00000000-0000-0000-0000-000000000000")


def test_instance_update_rules(cloud: Cloud, api: ConductorAPI) -> None:
    uuid = add_instance(cloud.db, task_state="scheduling")
    with pytest.raises(exceptions.Invalid, match="may not change display_name"):
        api.instance_update(uuid, {"display_name": "x"})
    with pytest.raises(exceptions.Conflict, match="Expected task_state"):
        api.instance_update(uuid, {"task_state": "spawning"}, ["networking"])
    updated = api.instance_update(
        uuid,
        {
            "task_state": None,
            "vm_state": "active",
            "power_state": 1,
            "launched_at": "2026-11-23T04:00:00Z",
            "flavor": flavor(vcpus=2, ram=256),
        },
        ["scheduling", None],
    )
    assert (updated.vm_state, updated.task_state, updated.power_state) == ("active", None, 1)
    assert updated.launched_at is not None and updated.launched_at.hour == 4
    row = instance(cloud.db, uuid)
    assert (row["vcpus"], row["memory_mb"]) == (2, 256)


def test_fault_and_action_events(cloud: Cloud, api: ConductorAPI) -> None:
    uuid = add_instance(cloud.db)
    api.instance_fault_create(uuid, 500, "it broke", "trace", "h1")
    assert [(f.code, f.message, f.host) for f in faults(cloud.db, uuid)] == [
        (500, "it broke", "h1")
    ]
    ctx = context.RequestContext(user_id="u1", project_id="p1")
    with context.bound(ctx):
        api.action_event_start(uuid, "req-1", "compute_stop_instance", "h1")
        api.action_event_finish(uuid, "req-1", "compute_stop_instance", "Error", "tb")
    with cloud.db.read() as s:
        (action,) = s.query(InstanceAction).filter_by(instance_uuid=uuid).all()
        (event,) = s.query(InstanceActionEvent).filter_by(action_id=action.id).all()
        assert (action.request_id, action.user_id, action.message) == ("req-1", "u1", "Error")
        assert (event.event, event.result, event.traceback, event.host) == (
            "compute_stop_instance",
            "Error",
            "tb",
            "h1",
        )
        assert event.finish_time is not None


def test_migration_update_unknown_is_not_found(api: ConductorAPI) -> None:
    with pytest.raises(exceptions.NotFound):
        api.migration_update("00000000-0000-0000-0000-000000000000", "migrating")
