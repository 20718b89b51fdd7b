from tests.fixtures.compute_hosts import spec
from tests.unit.scheduler.filters.helpers import host

from stratus.scheduler.filters.availability_zone import AvailabilityZoneFilter


def test_no_zone_requested_fits_every_host() -> None:
    assert AvailabilityZoneFilter().filter(host(availability_zone="az9"), spec()).passed


def test_zone_must_match() -> None:
    f = AvailabilityZoneFilter()
    assert f.filter(host(availability_zone="az1"), spec(availability_zone="az1")).passed
    verdict = f.filter(host(availability_zone="nova"), spec(availability_zone="az1"))
    assert (verdict.passed, verdict.reason) == (False, "not in availability zone az1")
