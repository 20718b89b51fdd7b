"""Atomic claims: the capacity check and the insert happen under the node lock."""

from __future__ import annotations

import threading

from tests.fixtures.compute_hosts import add_host, flavor, spec

from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute.allocations import Amounts, GroupLimit
from stratus.db.session import Database
from stratus.scheduler.claims import Claimer
from stratus.scheduler.interfaces import HostState


def _host(node_uuid: str) -> HostState:
    return HostState(host="h1", node="h1", node_uuid=node_uuid)


def _used(db: Database, node_uuid: str) -> Amounts:
    with db.read() as s:
        node_id = allocations.node_id_of(s, node_uuid)
        assert node_id is not None
        return allocations.usage(s, node_id)


def test_limit_is_total_times_ratio_minus_reserved(db: Database) -> None:
    node = add_host(db, "h1", vcpus=2, memory_mb=1024, local_gb=100, reserved_memory_mb=256)
    claimer = Claimer(db)
    # 1024 x 1.5 - 256 = 1280 MB: exactly 20 instances of 64 MB
    results = [claimer.claim(_host(node), spec(flavor(ram=64)), f"i{n}") for n in range(21)]
    assert [r.ok for r in results] == [True] * 20 + [False]
    assert results[-1].failed == "memory"
    assert results[-1].used == Amounts(20, 1280, 20)
    assert results[-1].limit == Amounts(32, 1280, 100)
    assert _used(db, node) == Amounts(20, 1280, 20)


def test_disk_and_vcpu_limits(db: Database) -> None:
    node = add_host(db, "h1", vcpus=1, cpu_ratio=2.0, local_gb=3)
    claimer = Claimer(db)
    assert claimer.claim(_host(node), spec(flavor(vcpus=2, disk=1)), "a").ok
    result = claimer.claim(_host(node), spec(flavor(vcpus=1, disk=1)), "b")
    assert (result.ok, result.failed) == (False, "vcpus")
    result = claimer.claim(_host(node), spec(flavor(vcpus=0, disk=3)), "c")
    assert (result.ok, result.failed) == (False, "disk")


def test_claim_is_idempotent_per_consumer_and_node(db: Database) -> None:
    node = add_host(db, "h1", memory_mb=100, ram_ratio=1.0)
    claimer = Claimer(db)
    assert claimer.claim(_host(node), spec(flavor(ram=60)), "a").ok
    # same consumer again: replaces its own amounts instead of adding
    assert claimer.claim(_host(node), spec(flavor(ram=80)), "a").ok
    assert _used(db, node).memory_mb == 80


def test_unclaim_is_idempotent_and_safe_without_claim(db: Database) -> None:
    node = add_host(db, "h1")
    claimer = Claimer(db)
    claimer.unclaim("never-claimed", node)
    claimer.unclaim("never-claimed")
    claimer.unclaim("x", "no-such-node")
    assert claimer.claim(_host(node), spec(), "a").ok
    claimer.unclaim("a", node)
    claimer.unclaim("a", node)
    assert _used(db, node) == Amounts()


def test_move_hands_allocation_to_other_consumer(db: Database) -> None:
    node = add_host(db, "h1")
    assert Claimer(db).claim(_host(node), spec(flavor(ram=128)), "inst").ok
    with db.write() as s:
        node_id = allocations.node_id_of(s, node)
        assert node_id is not None
        assert allocations.move(s, "inst", "migration", node_id)
        assert not allocations.move(s, "inst", "migration", node_id)
        assert [a.consumer_uuid for a in allocations.of_consumer(s, "migration")] == ["migration"]
        assert allocations.of_consumer(s, "inst") == []


def test_group_limit_is_checked_under_the_lock(db: Database) -> None:
    node = add_host(db, "h1")
    claimer = Claimer(db)
    assert claimer.claim(_host(node), spec(), "m1").ok
    result = claimer.claim(_host(node), spec(), "m2", GroupLimit(("m1",), 1))
    assert (result.ok, result.failed) == (False, "group")
    assert claimer.claim(_host(node), spec(), "m2", GroupLimit(("m1",), 2)).ok


def test_claim_on_deleted_node_fails_cleanly(db: Database) -> None:
    result = Claimer(db).claim(_host("gone"), spec(), "a")
    assert (result.ok, result.failed) == (False, "gone")


def test_concurrent_claims_never_overcommit(db: Database) -> None:
    node = add_host(db, "h1", memory_mb=640, ram_ratio=1.0)
    claimer = Claimer(db)
    results: list[bool] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        ok = claimer.claim(_host(node), spec(flavor(ram=64)), f"i{n}").ok
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 10
    assert _used(db, node).memory_mb == 640
