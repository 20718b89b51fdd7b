"""RamFilter, CoreFilter, DiskFilter: limits are total x ratio - reserved (in HostState)."""

from tests.fixtures.compute_hosts import flavor, spec
from tests.unit.scheduler.filters.helpers import host

from stratus.scheduler.filters.core import CoreFilter
from stratus.scheduler.filters.disk import DiskFilter, disk_gb
from stratus.scheduler.filters.ram import RamFilter
from stratus.scheduler.interfaces import HostState


def test_ram_fits_exactly() -> None:
    h = host(limit_memory_mb=4096, used_memory_mb=4096 - 512)
    assert RamFilter().filter(h, spec(flavor(ram=512))).passed


def test_ram_one_mb_short_is_rejected() -> None:
    h = host(limit_memory_mb=4096, used_memory_mb=4096 - 511)
    verdict = RamFilter().filter(h, spec(flavor(ram=512)))
    assert not verdict.passed
    assert verdict.reason == "511 MB free"


def test_ram_summary_names_need_and_best_host() -> None:
    f = RamFilter()
    s = spec(flavor(ram=4096))
    hosts = [host("a", used_memory_mb=2048), host("b", used_memory_mb=3000)]
    rejected = [(h, f.filter(h, s)) for h in hosts]
    assert f.summary(s, rejected) == "need 4096 MB, best host has 2048 MB free"


def test_ram_over_committed_host_reports_zero_free() -> None:
    verdict = RamFilter().filter(host(used_memory_mb=5000), spec(flavor(ram=1)))
    assert verdict.reason == "0 MB free"


def test_core_filter() -> None:
    f = CoreFilter()
    assert f.filter(host(limit_vcpus=4, used_vcpus=2), spec(flavor(vcpus=2))).passed
    verdict = f.filter(host(limit_vcpus=4, used_vcpus=3), spec(flavor(vcpus=2)))
    assert (verdict.passed, verdict.reason) == (False, "1 vCPUs free")
    rejected: list[tuple[HostState, object]] = [(host(limit_vcpus=4, used_vcpus=3), verdict)]
    assert f.summary(spec(flavor(vcpus=2)), rejected) == "need 2 vCPUs, best host has 1 vCPUs free"  # type: ignore[arg-type]


def test_disk_counts_root_ephemeral_and_swap() -> None:
    flv = flavor(disk=10)
    flv.ephemeral_gb = 5
    flv.swap = 1025  # MB, rounds up to 2 GB
    assert disk_gb(flv) == 17
    assert DiskFilter().filter(host(limit_disk_gb=17), spec(flv)).passed
    verdict = DiskFilter().filter(host(limit_disk_gb=16), spec(flv))
    assert (verdict.passed, verdict.reason) == (False, "16 GB disk free")
