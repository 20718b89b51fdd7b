import pytest

from stratus.common.config import ConfigError, SchedulerSection
from stratus.objects.request_spec import RequestSpec
from stratus.scheduler import registry
from stratus.scheduler.filters.ram import RamFilter
from stratus.scheduler.interfaces import PASS, Filter, HostState, Verdict


def test_defaults_build_every_configured_plugin() -> None:
    section = SchedulerSection()
    names = [f.name for f in registry.enabled_filters(section)]
    assert names[:3] == ["ComputeFilter", "AvailabilityZoneFilter", "RamFilter"]
    weighers = registry.enabled_weighers(section)
    assert [w.name for w in weighers][:3] == ["RAMWeigher", "CPUWeigher", "DiskWeigher"]


def test_multiplier_from_config() -> None:
    section = SchedulerSection(weighers="RAMWeigher", ram_weight_multiplier=-2.0)
    (weigher,) = registry.enabled_weighers(section)
    assert weigher._multiplier == -2.0


def test_unknown_name_is_a_config_error_listing_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown filter 'RamFiltr'.*RamFilter"):
        registry.enabled_filters(SchedulerSection(enabled_filters="RamFiltr"))


def test_duplicate_name_is_refused() -> None:
    class OtherRam(Filter):
        name = "RamFilter"

        def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
            return PASS

    reg: registry.Registry[Filter] = registry.Registry("filter")
    reg.register(RamFilter)
    reg.register(RamFilter)  # the same class again is fine
    with pytest.raises(ValueError, match="duplicate scheduler filter name 'RamFilter'"):
        reg.register(OtherRam)
