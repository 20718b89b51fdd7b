"""The scheduler's plug-in interfaces and the host view they work on.

One scheduling cycle (``engine.Engine.schedule``)::

    hosts = host_state.load(...)            # every compute node, with usage and service state
    filters: Filter.filter(host, spec)      # PASS or REJECT(reason); run per host
    weighers: Weigher.weigh(host, spec)     # raw score; the engine normalises to 0..1
    claim                                    # atomic in the database (claims.py)

Filters and weighers read only the ``HostState`` they are given, never the database. Expected
outcomes are values (``Verdict``); an exception from a filter is a bug and fails the request.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
from typing import ClassVar

from stratus.objects.request_spec import RequestSpec


@dataclasses.dataclass
class HostState:
    """One compute node as the scheduler sees it during a cycle.

    ``limit_*`` is what may be allocated in total (``total x ratio - reserved``); ``used_*`` is
    the sum of allocations. ``group_members`` counts instances of the request's server group on
    this host (grows as the engine places a multi-instance request).
    """

    host: str
    node: str
    node_uuid: str
    hypervisor_type: str = "fake"
    hypervisor_version: int = 1
    arch: str = "x86_64"
    total_vcpus: int = 0
    total_memory_mb: int = 0
    total_disk_gb: int = 0
    limit_vcpus: int = 0
    limit_memory_mb: int = 0
    limit_disk_gb: int = 0
    used_vcpus: int = 0
    used_memory_mb: int = 0
    used_disk_gb: int = 0
    service_up: bool = True
    service_disabled: bool = False
    disabled_reason: str | None = None
    availability_zone: str = "nova"
    aggregate_metadata: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    num_instances: int = 0
    group_members: int = 0

    @property
    def free_vcpus(self) -> int:
        return self.limit_vcpus - self.used_vcpus

    @property
    def free_memory_mb(self) -> int:
        return self.limit_memory_mb - self.used_memory_mb

    @property
    def free_disk_gb(self) -> int:
        return self.limit_disk_gb - self.used_disk_gb


class Code(enum.Enum):
    PASS = "pass"
    REJECT = "reject"


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A filter's answer for one host: pass, or reject with a short reason ("service down")."""

    code: Code
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.code is Code.PASS


PASS = Verdict(Code.PASS)


def reject(reason: str) -> Verdict:
    return Verdict(Code.REJECT, reason)


class Filter(abc.ABC):
    """Decides whether one host can take one instance of the request.

    Subclasses set ``name`` (the config name, e.g. ``RamFilter``) and implement ``filter``. The
    engine calls ``filter`` once per host and instance; it must be fast and side-effect free.
    ``summary`` turns the rejected hosts into the short text that ends up in the fault
    ("need 4096 MB, best host has 2048 MB free"); the default lists the distinct reasons.
    """

    name: ClassVar[str]
    run_on_rebuild: ClassVar[bool] = False

    @abc.abstractmethod
    def filter(self, host: HostState, spec: RequestSpec) -> Verdict:
        """PASS, or ``reject(reason)`` with a reason a user can act on."""

    def summary(self, spec: RequestSpec, rejected: list[tuple[HostState, Verdict]]) -> str:
        return default_summary(rejected)


def default_summary(rejected: list[tuple[HostState, Verdict]]) -> str:
    """The distinct reasons: ``service down`` or ``2 service down, 1 service disabled``."""
    reasons: dict[str, int] = {}
    for _host, verdict in rejected:
        reasons[verdict.reason] = reasons.get(verdict.reason, 0) + 1
    if len(reasons) == 1:
        return next(iter(reasons))
    return ", ".join(f"{n} {reason}" for reason, n in reasons.items())


class Weigher(abc.ABC):
    """Scores a host that passed every filter; higher wins after normalisation.

    ``weigh`` returns a raw number (free MB, a member count …); the engine normalises each
    weigher's scores over the candidate hosts to 0..1 and adds ``multiplier x score``. A
    positive multiplier spreads (prefers the larger raw value), a negative one stacks.
    """

    name: ClassVar[str]
    # the ``[scheduler]`` option holding the multiplier, and its aggregate metadata override
    multiplier_option: ClassVar[str]

    def __init__(self, multiplier: float = 1.0) -> None:
        self._multiplier = multiplier

    def multiplier(self, host: HostState) -> float:
        """The multiplier for ``host``: the aggregate metadata ``<multiplier_option>`` of the
        host (the smallest, when several aggregates set it) or else the configured one."""
        values = host.aggregate_metadata.get(self.multiplier_option)
        if values:
            try:
                return min(float(v) for v in values)
            except ValueError:
                pass  # NOTE: a garbage override must not break scheduling; use the config.
        return self._multiplier

    @abc.abstractmethod
    def weigh(self, host: HostState, spec: RequestSpec) -> float:
        """The raw score of ``host`` for ``spec``."""
