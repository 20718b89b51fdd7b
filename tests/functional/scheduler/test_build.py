"""Builds through the conductor with real compute agents (fake virt driver): placement,
ports, faults a user can act on, and rescheduling after a failed build."""

from __future__ import annotations

import sqlalchemy as sa

from stratus.common import clock
from stratus.conductor.tasks.base import Services
from stratus.conductor.tasks.build import LaunchTask
from stratus.db.models.network import Port
from stratus.db.repositories.compute import instances_conductor
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.rpcapi.scheduler import SchedulerAPI
from tests.fixtures.cloud import Cloud
from tests.fixtures.compute_hosts import add_instance, flavor, spec
from tests.functional.scheduler.helpers import (
    faults,
    instance,
    settled,
    usage_by_host,
    wait_for,
)


def _boot(cloud: Cloud, uuid: str, **spec_kw: object) -> dict[str, str]:
    flv = flavor(**{k: v for k, v in spec_kw.items() if k in ("vcpus", "ram", "disk")})  # type: ignore[arg-type]
    other = {k: v for k, v in spec_kw.items() if k not in ("vcpus", "ram", "disk")}
    ConductorAPI(cloud.bus).build_instances([uuid], spec(flv, **other))
    return wait_for(lambda: settled(cloud.db, [uuid]), what=f"build of {uuid}")


def _ports(cloud: Cloud, uuid: str) -> list[tuple[str, str]]:
    with cloud.db.read() as s:
        rows = s.scalars(sa.select(Port).where(Port.device_id == uuid))
        return [(p.binding_host_id, p.mac_address) for p in rows]


def _up(cloud: Cloud, hosts: tuple[str, ...]) -> None:
    cloud.start_control_plane(hosts=hosts)
    wait_for(lambda: len(usage_by_host(cloud.db)) == len(hosts), what="compute nodes")


def test_build_goes_active_on_a_host_with_ports(cloud: Cloud) -> None:
    _up(cloud, ("h1",))
    uuid = add_instance(cloud.db, requested_networks="auto")
    assert _boot(cloud, uuid) == {uuid: "active"}
    row = instance(cloud.db, uuid)
    assert (row["host"], row["node"], row["power_state"]) == ("h1", "h1", 1)
    assert row["availability_zone"] == "nova"  # the host's zone, none was requested
    ports = _ports(cloud, uuid)
    assert len(ports) == 1 and ports[0][0] == "h1"
    assert ports[0][1].startswith("fa:16:3e:")
    with cloud.db.read() as s:
        spec_saved = instances_conductor.load_request_spec(s, uuid)
        assert spec_saved is not None and spec_saved.attempt == 1
    assert usage_by_host(cloud.db)["h1"] == (1, 1, 64, 1)


def test_no_valid_host_puts_instance_in_error_with_actionable_fault(cloud: Cloud) -> None:
    _up(cloud, ("h1", "h2"))
    uuid = add_instance(cloud.db, flavor(ram=10**6))
    assert _boot(cloud, uuid, ram=10**6) == {uuid: "error"}
    (fault,) = faults(cloud.db, uuid)
    assert fault.code == 500
    assert fault.message.startswith("No valid host was found: 2 hosts; RamFilter rejected 2 ")
    assert "need 1000000 MB, best host has" in fault.message
    assert "h1" not in fault.message and "h2" not in fault.message
    assert "[h1: " in fault.details and "h2: " in fault.details
    row = instance(cloud.db, uuid)
    assert (row["host"], row["task_state"]) == (None, None)
    assert usage_by_host(cloud.db)["h1"][0] == 0


def test_failed_build_is_rescheduled_to_another_host(cloud: Cloud) -> None:
    _up(cloud, ("h1", "h2"))
    uuid = add_instance(cloud.db, metadata={"fake:fail_build": "h1"}, requested_networks="auto")
    # h1 has more free RAM, so it is tried first
    with cloud.db.write() as s:
        from stratus.db.models.compute import ComputeNode

        node = s.scalars(sa.select(ComputeNode).where(ComputeNode.host == "h2")).one()
        node.memory_mb = 1024
    assert _boot(cloud, uuid) == {uuid: "active"}
    row = instance(cloud.db, uuid)
    assert row["host"] == "h2"
    assert faults(cloud.db, uuid) == []
    usage = usage_by_host(cloud.db)
    assert (usage["h1"][0], usage["h2"][0]) == (0, 1)
    assert [h for h, _mac in _ports(cloud, uuid)] == ["h2"]
    with cloud.db.read() as s:
        saved = instances_conductor.load_request_spec(s, uuid)
        assert saved is not None and (saved.attempt, saved.ignore_hosts) == (2, ["h1"])


def test_every_host_failing_ends_in_error_with_the_last_reason(cloud: Cloud) -> None:
    _up(cloud, ("h1", "h2"))
    uuid = add_instance(cloud.db, metadata={"fake:fail_build": "*"}, requested_networks="auto")
    assert _boot(cloud, uuid) == {uuid: "error"}
    (fault,) = faults(cloud.db, uuid)
    assert fault.message.startswith(
        "No valid host was found: 2 hosts; 2 excluded (already tried, or the server's current "
        "host). Last build failure:"
    )
    assert "build failure injected" in fault.message
    assert usage_by_host(cloud.db) == {"h1": (0, 0, 0, 0), "h2": (0, 0, 0, 0)}
    assert _ports(cloud, uuid) == []


def test_max_attempts_then_error(cloud: Cloud) -> None:
    cloud.cfg.scheduler.max_attempts = 2
    _up(cloud, ("h1", "h2", "h3"))
    uuid = add_instance(cloud.db, metadata={"fake:fail_build": "*"})
    assert _boot(cloud, uuid) == {uuid: "error"}
    (fault,) = faults(cloud.db, uuid)
    assert fault.message.startswith(
        "Exceeded maximum number of retries (2 of 2 attempts). Last build failure: "
    )
    assert fault.details.startswith("Build failed on: ")
    assert sum(n for n, *_ in usage_by_host(cloud.db).values()) == 0


def test_forced_host_is_not_rescheduled(cloud: Cloud) -> None:
    _up(cloud, ("h1", "h2"))
    uuid = add_instance(cloud.db, metadata={"fake:fail_build": "h1"})
    assert _boot(cloud, uuid, force_host="h1") == {uuid: "error"}
    (fault,) = faults(cloud.db, uuid)
    assert fault.message.startswith("Exceeded maximum number of retries (1 of 3 attempts).")


def test_instance_deleted_while_scheduling_is_cleaned_up(cloud: Cloud) -> None:
    _up(cloud, ("h1",))
    uuid = add_instance(cloud.db)
    (selection,) = SchedulerAPI(cloud.bus).select_destinations(spec(), [uuid])
    assert usage_by_host(cloud.db)["h1"][0] == 1
    with cloud.db.write() as s:
        instances_conductor.get(s, uuid).task_state = "deleting"  # the user deleted it
    services = Services(cloud.cfg, cloud.db, SchedulerAPI(cloud.bus), ComputeAPI(cloud.bus))
    LaunchTask(services, selection, spec()).execute()
    row = instance(cloud.db, uuid)
    assert (row["host"], row["vm_state"], row["task_state"]) == (None, "building", "deleting")
    assert usage_by_host(cloud.db)["h1"][0] == 0
    assert faults(cloud.db, uuid) == []


def test_terminate_frees_allocations_ports_and_soft_deletes(cloud: Cloud) -> None:
    _up(cloud, ("h1",))
    uuid = add_instance(cloud.db, requested_networks="auto")
    _boot(cloud, uuid)
    conductor = ConductorAPI(cloud.bus)
    ComputeAPI(cloud.bus).terminate_instance("h1", conductor.instance_get(uuid))
    wait_for(lambda: instance(cloud.db, uuid)["deleted"], what="soft delete")
    row = instance(cloud.db, uuid)
    assert (row["vm_state"], row["task_state"]) == ("deleted", None)
    assert row["deleted_at"] is not None and row["deleted_at"] <= clock.utcnow()
    assert usage_by_host(cloud.db)["h1"] == (0, 0, 0, 0)
    assert _ports(cloud, uuid) == []
    conductor.instance_destroyed(uuid, "h1")  # idempotent
