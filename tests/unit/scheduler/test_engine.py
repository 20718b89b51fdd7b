"""The scheduling cycle against a real (SQLite/PostgreSQL) database with rows put in directly."""

from __future__ import annotations

import dataclasses

import pytest
from tests.fixtures.compute_hosts import (
    add_aggregate,
    add_group,
    add_host,
    add_instance,
    add_member,
    flavor,
    spec,
)

from stratus.common.config import Config
from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute.allocations import ClaimResult, GroupLimit
from stratus.db.session import Database
from stratus.objects.request_spec import RequestSpec
from stratus.rpcapi.scheduler import NoValidHost
from stratus.scheduler.claims import Claimer
from stratus.scheduler.engine import Engine, normalize
from stratus.scheduler.interfaces import HostState


def _usage(db: Database) -> dict[str, int]:
    """host -> MB allocated."""
    with db.read() as s:
        from stratus.db.repositories.compute.heartbeats import list_nodes

        usage = allocations.usage_by_node(s)
        return {n.host: usage.get(n.id, allocations.Amounts()).memory_mb for n in list_nodes(s)}


def test_normalize() -> None:
    assert normalize([1.0, 3.0, 2.0]) == [0.0, 1.0, 0.5]
    assert normalize([5.0, 5.0]) == [0.0, 0.0]
    assert normalize([]) == []


def test_spreads_by_free_ram_and_claims(cfg: Config, db: Database) -> None:
    add_host(db, "small", memory_mb=2048)
    add_host(db, "big", memory_mb=8192)
    (sel,) = Engine(cfg, db).select_destinations(spec(flavor(ram=512)), ["i1"])
    assert (sel.host, sel.node, sel.instance_uuid) == ("big", "big", "i1")
    assert _usage(db) == {"small": 0, "big": 512}


def test_negative_multiplier_stacks(cfg: Config, db: Database) -> None:
    cfg.scheduler.ram_weight_multiplier = -1.0
    cfg.scheduler.cpu_weight_multiplier = cfg.scheduler.disk_weight_multiplier = 0.0
    add_host(db, "small", memory_mb=2048)
    add_host(db, "big", memory_mb=8192)
    (sel,) = Engine(cfg, db).select_destinations(spec(flavor(ram=512)), ["i1"])
    assert sel.host == "small"


def test_no_valid_host_member_and_admin_messages(cfg: Config, db: Database) -> None:
    add_host(db, "h1", memory_mb=2048, ram_ratio=1.0)
    add_host(db, "h2", memory_mb=1024, ram_ratio=1.0)
    add_host(db, "h3", up=False)
    with pytest.raises(NoValidHost) as caught:
        Engine(cfg, db).select_destinations(spec(flavor(ram=4096)), ["i1"])
    assert caught.value.message == (
        "No valid host was found: 3 hosts; RamFilter rejected 2 "
        "(need 4096 MB, best host has 2048 MB free), ComputeFilter rejected 1 (service down)"
    )
    admin = caught.value.admin_message
    assert admin.startswith(caught.value.message.split("), ")[0])
    assert "[h1: 2048 MB free; h2: 1024 MB free]" in admin
    assert "[h3: service down]" in admin
    assert "h1" not in caught.value.message
    assert _usage(db) == {"h1": 0, "h2": 0, "h3": 0}


def test_no_hosts_at_all(cfg: Config, db: Database) -> None:
    with pytest.raises(NoValidHost, match="there are no compute hosts"):
        Engine(cfg, db).select_destinations(spec(), ["i1"])


def test_disabled_host_is_skipped(cfg: Config, db: Database) -> None:
    add_host(db, "off", disabled=True, memory_mb=65536)
    add_host(db, "on")
    (sel,) = Engine(cfg, db).select_destinations(spec(), ["i1"])
    assert sel.host == "on"


def test_force_host_bypasses_filters_but_claims(cfg: Config, db: Database) -> None:
    add_host(db, "off", disabled=True)
    add_host(db, "on", memory_mb=65536)
    (sel,) = Engine(cfg, db).select_destinations(spec(force_host="off"), ["i1"])
    assert sel.host == "off"
    assert _usage(db)["off"] == 64
    with pytest.raises(NoValidHost, match="requested host nope is not a compute host"):
        Engine(cfg, db).select_destinations(spec(force_host="nope"), ["i2"])
    with pytest.raises(NoValidHost, match=r"RamFilter rejected 1 \(need 1000000 MB"):
        Engine(cfg, db).select_destinations(spec(flavor(ram=10**6), force_host="off"), ["i3"])


def test_requested_destination_still_filtered(cfg: Config, db: Database) -> None:
    add_host(db, "off", disabled=True)
    add_host(db, "on")
    with pytest.raises(NoValidHost, match="ComputeFilter rejected 1"):
        Engine(cfg, db).select_destinations(spec(requested_destination="off"), ["i1"])
    (sel,) = Engine(cfg, db).select_destinations(spec(requested_destination="on"), ["i1"])
    assert sel.host == "on"


def test_ignore_hosts_are_counted_in_the_message(cfg: Config, db: Database) -> None:
    add_host(db, "h1")
    with pytest.raises(NoValidHost) as caught:
        Engine(cfg, db).select_destinations(spec(ignore_hosts=["h1"]), ["i1"])
    assert caught.value.message == (
        "No valid host was found: 1 host; 1 excluded (already tried, or the server's current host)"
    )
    assert "[h1]" in caught.value.admin_message


def test_multi_instance_request_is_all_or_nothing(cfg: Config, db: Database) -> None:
    add_host(db, "h1", memory_mb=1000, ram_ratio=1.0)
    engine = Engine(cfg, db)
    sels = engine.select_destinations(spec(flavor(ram=400), num_instances=2), ["a", "b"])
    assert [s.instance_uuid for s in sels] == ["a", "b"]
    with pytest.raises(NoValidHost, match="RamFilter rejected 1"):
        engine.select_destinations(spec(flavor(ram=100), num_instances=3), ["c", "d", "e"])
    assert _usage(db) == {"h1": 800}  # c and d were unclaimed again


def test_availability_zone_from_aggregate(cfg: Config, db: Database) -> None:
    add_host(db, "h1", memory_mb=65536)
    add_host(db, "h2")
    add_aggregate(db, "agg", ["h2"], availability_zone="az2")
    (sel,) = Engine(cfg, db).select_destinations(spec(availability_zone="az2"), ["i1"])
    assert sel.host == "h2"
    (sel,) = Engine(cfg, db).select_destinations(spec(availability_zone="nova"), ["i2"])
    assert sel.host == "h1"


def test_anti_affinity_spreads_a_multi_create_and_existing_members(
    cfg: Config, db: Database
) -> None:
    for name in ("h1", "h2", "h3"):
        add_host(db, name)
    group = add_group(db, "anti-affinity")
    old = add_instance(db, host="h1", group_uuid=group)
    add_member(db, group, old)
    for uuid in ("a", "b"):
        add_member(db, group, uuid)
    engine = Engine(cfg, db)
    sels = engine.select_destinations(spec(server_group_uuid=group, num_instances=2), ["a", "b"])
    assert sorted(s.host for s in sels) == ["h2", "h3"]
    add_member(db, group, "c")
    with pytest.raises(NoValidHost, match="ServerGroupAntiAffinityFilter rejected 3"):
        engine.select_destinations(spec(server_group_uuid=group), ["c"])


def test_affinity_follows_the_first_member(cfg: Config, db: Database) -> None:
    add_host(db, "h1")
    add_host(db, "h2", memory_mb=65536)
    group = add_group(db, "affinity")
    first = add_instance(db, host="h1", group_uuid=group)
    add_member(db, group, first)
    (sel,) = Engine(cfg, db).select_destinations(spec(server_group_uuid=group), ["x"])
    assert sel.host == "h1"


def test_soft_affinity_prefers_member_host_over_spreading(cfg: Config, db: Database) -> None:
    add_host(db, "h1")
    add_host(db, "h2", memory_mb=65536, vcpus=64)
    group = add_group(db, "soft-affinity")
    first = add_instance(db, host="h1", group_uuid=group)
    add_member(db, group, first)
    (sel,) = Engine(cfg, db).select_destinations(spec(server_group_uuid=group), ["x"])
    assert sel.host == "h1"


def test_soft_anti_affinity_prefers_empty_host(cfg: Config, db: Database) -> None:
    add_host(db, "h1", memory_mb=65536, vcpus=64)
    add_host(db, "h2")
    group = add_group(db, "soft-anti-affinity")
    first = add_instance(db, host="h1", group_uuid=group)
    add_member(db, group, first)
    (sel,) = Engine(cfg, db).select_destinations(spec(server_group_uuid=group), ["x"])
    assert sel.host == "h2"


@dataclasses.dataclass
class RacingClaimer(Claimer):
    """Before the first claim, another 'scheduler' fills the chosen host."""

    db: Database
    raced: bool = False

    def claim(
        self,
        host: HostState,
        spec: RequestSpec,
        consumer_uuid: str,
        group: GroupLimit | None = None,
    ) -> ClaimResult:
        if not self.raced:
            self.raced = True
            filler = spec.model_copy(update={"flavor": flavor(ram=host.free_memory_mb)})
            assert super().claim(host, filler, "someone-else").ok
        return super().claim(host, spec, consumer_uuid, group)


def test_lost_race_moves_to_next_host_and_names_the_filter(cfg: Config, db: Database) -> None:
    add_host(db, "big", memory_mb=4096, ram_ratio=1.0)
    add_host(db, "small", memory_mb=1024, ram_ratio=1.0)
    engine = Engine(cfg, db, claimer=RacingClaimer(db))
    (sel,) = engine.select_destinations(spec(flavor(ram=512)), ["i1"])
    assert sel.host == "small"
    engine = Engine(cfg, db, claimer=RacingClaimer(db))
    with pytest.raises(NoValidHost) as caught:
        engine.select_destinations(spec(flavor(ram=1024)), ["i2"])
    # "small" has 512 MB left; "big" was filled by the racer: both RamFilter
    assert "RamFilter rejected 2 (need 1024 MB, best host has 512 MB free)" in caught.value.message
