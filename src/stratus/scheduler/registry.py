"""Filters and weighers by name, as ``[scheduler] enabled_filters`` / ``weighers`` list them.

A ``Registry`` maps a name to a class and refuses a second class under a name already taken
(Kubernetes' ``runtime/registry.go``), so a config name always means one thing. The default
registries hold every filter and weigher shipped with Stratus.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from stratus.common.config import ConfigError, SchedulerSection
from stratus.scheduler.filters import (
    affinity,
    aggregate_extra_specs,
    availability_zone,
    compute,
    core,
    disk,
    image_properties,
    ram,
)
from stratus.scheduler.interfaces import Filter, Weigher
from stratus.scheduler.weighers import affinity_soft, cpu
from stratus.scheduler.weighers import disk as disk_weigher
from stratus.scheduler.weighers import ram as ram_weigher

T = TypeVar("T", Filter, Weigher)


class Registry(Generic[T]):
    """name -> plug-in class; ``kind`` ("filter", "weigher") is used in error messages."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, cls: type[T]) -> type[T]:
        known = self._classes.get(cls.name)
        if known is not None and known is not cls:
            raise ValueError(
                f"duplicate scheduler {self.kind} name {cls.name!r}: "
                f"{known.__module__}.{known.__qualname__} and {cls.__module__}.{cls.__qualname__}"
            )
        self._classes[cls.name] = cls
        return cls

    def get(self, name: str) -> type[T]:
        try:
            return self._classes[name]
        except KeyError:
            known = ", ".join(sorted(self._classes))
            raise ConfigError(
                f"[scheduler]: unknown {self.kind} {name!r}; available: {known}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._classes)


FILTERS: Registry[Filter] = Registry("filter")
WEIGHERS: Registry[Weigher] = Registry("weigher")

for _filter in (
    compute.ComputeFilter,
    availability_zone.AvailabilityZoneFilter,
    ram.RamFilter,
    core.CoreFilter,
    disk.DiskFilter,
    image_properties.ImagePropertiesFilter,
    affinity.ServerGroupAffinityFilter,
    affinity.ServerGroupAntiAffinityFilter,
    aggregate_extra_specs.AggregateInstanceExtraSpecsFilter,
):
    FILTERS.register(_filter)

for _weigher in (
    ram_weigher.RAMWeigher,
    cpu.CPUWeigher,
    disk_weigher.DiskWeigher,
    affinity_soft.ServerGroupSoftAffinityWeigher,
    affinity_soft.ServerGroupSoftAntiAffinityWeigher,
):
    WEIGHERS.register(_weigher)


def _names(option: str) -> list[str]:
    return [n.strip() for n in option.split(",") if n.strip()]


def enabled_filters(section: SchedulerSection) -> list[Filter]:
    """Instances of ``[scheduler] enabled_filters``, in the configured order."""
    return [FILTERS.get(name)() for name in _names(section.enabled_filters)]


def enabled_weighers(section: SchedulerSection) -> list[Weigher]:
    """Instances of ``[scheduler] weighers`` with their configured multipliers."""
    weighers = []
    for name in _names(section.weighers):
        cls = WEIGHERS.get(name)
        weighers.append(cls(float(getattr(section, cls.multiplier_option, 1.0))))
    return weighers
