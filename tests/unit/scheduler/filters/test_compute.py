from tests.fixtures.compute_hosts import spec
from tests.unit.scheduler.filters.helpers import host

from stratus.scheduler.filters.compute import ComputeFilter


def test_up_and_enabled_passes() -> None:
    assert ComputeFilter().filter(host(), spec()).passed


def test_down_is_rejected_with_reason() -> None:
    verdict = ComputeFilter().filter(host(service_up=False), spec())
    assert not verdict.passed
    assert verdict.reason == "service down"


def test_disabled_is_rejected() -> None:
    verdict = ComputeFilter().filter(host(service_disabled=True), spec())
    assert (verdict.passed, verdict.reason) == (False, "service disabled")


def test_summary_counts_distinct_reasons() -> None:
    f = ComputeFilter()
    a, b, c = host("a", service_up=False), host("b", service_up=False), host("c")
    c.service_disabled = True
    rejected = [(h, f.filter(h, spec())) for h in (a, b, c)]
    assert f.summary(spec(), rejected) == "2 service down, 1 service disabled"
