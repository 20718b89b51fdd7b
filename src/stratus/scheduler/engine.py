"""One scheduling cycle: prefilter → filter → weigh → select → claim, per instance.

``Engine.select_destinations`` loads the host states once per request, then for each instance:

1. prefilter — ``force_host``/``force_node`` (admin ``zone:host``) or ``requested_destination``
   narrow the candidates; hosts in ``ignore_hosts`` (earlier failed attempts) drop out;
2. filter — every enabled filter in order; a host is rejected by the first that says no
   (forced hosts skip this step but are still claimed on);
3. weigh — each weigher's raw scores normalised to 0..1 over the passing hosts, summed with
   their multipliers; best first (``host_subset_size`` > 1 picks randomly among the best N);
4. claim — atomic in the database; a lost race re-checks that host's filters with the usage seen
   under the lock and tries the next host.

A request of several instances is all-or-nothing, like Nova: when one cannot be placed, the
claims already made for the others are dropped and ``NoValidHost`` says why.
"""

from __future__ import annotations

import logging
import random

from stratus.common.config import Config
from stratus.db.repositories.compute import allocations
from stratus.db.repositories.compute.allocations import ClaimResult, GroupLimit
from stratus.db.session import Database
from stratus.objects.request_spec import RequestSpec, Selection
from stratus.rpcapi.scheduler import NoValidHost
from stratus.scheduler import claims, host_state, registry, report
from stratus.scheduler.filters.affinity import ServerGroupAntiAffinityFilter, max_per_host
from stratus.scheduler.filters.core import CoreFilter
from stratus.scheduler.filters.disk import DiskFilter
from stratus.scheduler.filters.ram import RamFilter
from stratus.scheduler.host_state import Snapshot
from stratus.scheduler.interfaces import Filter, HostState, Verdict, Weigher, reject
from stratus.scheduler.report import Rejections

LOG = logging.getLogger(__name__)
CLAIM_TRIES_PER_HOST = 2
# which filter explains a claim that failed on a resource (``ClaimResult.failed``)
RESOURCE_FILTERS = {
    "memory": RamFilter.name,
    "vcpus": CoreFilter.name,
    "disk": DiskFilter.name,
}


def normalize(values: list[float]) -> list[float]:
    """Scale to 0..1 (all 0 when every value is the same), as Nova's ``weights.normalize``."""
    low, high = min(values, default=0.0), max(values, default=0.0)
    if high == low:
        return [0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


class Engine:
    def __init__(
        self,
        cfg: Config,
        db: Database,
        filters: list[Filter] | None = None,
        weighers: list[Weigher] | None = None,
        claimer: claims.Claimer | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.db = db
        self.filters = registry.enabled_filters(cfg.scheduler) if filters is None else filters
        self.weighers = registry.enabled_weighers(cfg.scheduler) if weighers is None else weighers
        self.claimer = claimer or claims.Claimer(db)
        self.rng = rng or random.Random()
        # NOTE: the resource filters explain failed claims even when not enabled as filters.
        resource_filters: list[Filter] = [RamFilter(), CoreFilter(), DiskFilter()]
        self._by_name = {f.name: f for f in [*resource_filters, *self.filters]}

    def select_destinations(self, spec: RequestSpec, instance_uuids: list[str]) -> list[Selection]:
        """A claimed host per instance, or ``NoValidHost`` (and no claims left behind)."""
        spec = spec.model_copy(deep=True)
        with self.db.read() as session:
            snapshot = host_state.load(session, self.cfg, spec, instance_uuids)
        chosen: list[Selection] = []
        try:
            for uuid in instance_uuids:
                chosen.append(self._place(spec, uuid, snapshot, chosen))
        except NoValidHost:
            for selection in chosen:
                self.claimer.unclaim(selection.instance_uuid, selection.compute_node_uuid)
            raise
        return chosen

    # -- one instance ---------------------------------------------------------------------
    def _place(
        self, spec: RequestSpec, uuid: str, snapshot: Snapshot, placed: list[Selection]
    ) -> Selection:
        rejections = Rejections()
        candidates, forced = self._prefilter(spec, snapshot.hosts, rejections)
        passing = candidates if forced else self._filter(spec, candidates, rejections)
        group = self._group_limit(spec, snapshot, placed)
        for host in self._weigh(spec, passing):
            if self._claim(spec, uuid, host, group, rejections):
                self._consume(spec, host)
                LOG.info("instance %s: claimed on %s (%s)", uuid, host.host, host.node)
                return Selection(
                    instance_uuid=uuid,
                    host=host.host,
                    node=host.node,
                    compute_node_uuid=host.node_uuid,
                )
        error = report.no_valid_host(len(snapshot.hosts), rejections, self._by_name, spec)
        LOG.info("instance %s: %s", uuid, error.admin_message)
        raise error

    def _prefilter(
        self, spec: RequestSpec, hosts: list[HostState], rejections: Rejections
    ) -> tuple[list[HostState], bool]:
        """Candidates and whether they were forced (filters skipped)."""
        if spec.force_host or spec.force_node:
            found = [
                h
                for h in hosts
                if (not spec.force_host or h.host == spec.force_host)
                and (not spec.force_node or h.node == spec.force_node)
            ]
            if not found:
                raise report.missing_host(_describe(spec.force_host, spec.force_node))
            return found, True
        if spec.requested_destination:
            hosts = [h for h in hosts if h.host == spec.requested_destination]
            if not hosts:
                raise report.missing_host(_describe(spec.requested_destination, None))
        ignored = set(spec.ignore_hosts)
        rejections.ignored = sorted({h.host for h in hosts if h.host in ignored})
        return [h for h in hosts if h.host not in ignored], False

    def _filter(
        self, spec: RequestSpec, hosts: list[HostState], rejections: Rejections
    ) -> list[HostState]:
        passing = []
        for host in hosts:
            failed = self._first_rejection(spec, host)
            if failed is None:
                passing.append(host)
            else:
                rejections.add(failed[0], host, failed[1])
        return passing

    def _first_rejection(self, spec: RequestSpec, host: HostState) -> tuple[str, Verdict] | None:
        for plugin in self.filters:
            verdict = plugin.filter(host, spec)
            if not verdict.passed:
                return plugin.name, verdict
        return None

    def _weigh(self, spec: RequestSpec, hosts: list[HostState]) -> list[HostState]:
        if len(hosts) <= 1:
            return list(hosts)
        totals = [0.0 for _ in hosts]
        for weigher in self.weighers:
            scores = normalize([weigher.weigh(h, spec) for h in hosts])
            for i, host in enumerate(hosts):
                totals[i] += weigher.multiplier(host) * scores[i]
        ranked = [
            h for _t, _i, h in sorted(zip(totals, range(len(hosts)), hosts, strict=True), key=_rank)
        ]
        subset = max(1, min(self.cfg.scheduler.host_subset_size, len(ranked)))
        if subset > 1:
            first = ranked.pop(self.rng.randrange(subset))
            ranked.insert(0, first)
        return ranked

    def _group_limit(
        self, spec: RequestSpec, snapshot: Snapshot, placed: list[Selection]
    ) -> GroupLimit | None:
        """The anti-affinity rule the claim re-checks under the node lock (other members,
        including instances of this request placed already)."""
        if spec.server_group_policy != "anti-affinity" or snapshot.group is None:
            return None
        members = (*snapshot.group.members, *(s.instance_uuid for s in placed))
        return GroupLimit(members, max_per_host(spec))

    def _claim(
        self,
        spec: RequestSpec,
        uuid: str,
        host: HostState,
        group: GroupLimit | None,
        rejections: Rejections,
    ) -> bool:
        failed_on = ""
        for _ in range(CLAIM_TRIES_PER_HOST):
            result = self.claimer.claim(host, spec, uuid, group)
            if result.ok:
                return True
            failed_on = result.failed
            _refresh(host, result)
            if failed_on == "group":
                verdict = reject("already runs a member of the anti-affinity group")
                rejections.add(ServerGroupAntiAffinityFilter.name, host, verdict)
                return False
            if failed_on not in RESOURCE_FILTERS:
                break
            plugin = self._by_name[RESOURCE_FILTERS[failed_on]]
            verdict = plugin.filter(host, spec)
            if not verdict.passed:
                rejections.add(plugin.name, host, verdict)
                return False
            # NOTE: with the usage seen under the lock it fits again (something was freed
            # meanwhile): try once more.
        reason = "host is gone" if failed_on == "gone" else f"not enough {failed_on}"
        rejections.add(report.CLAIM, host, reject(reason))
        return False

    def _consume(self, spec: RequestSpec, host: HostState) -> None:
        """Account for the instance just placed so the next one of the request sees it."""
        want = allocations.flavor_amounts(spec.flavor)
        host.used_vcpus += want.vcpus
        host.used_memory_mb += want.memory_mb
        host.used_disk_gb += want.disk_gb
        host.num_instances += 1
        if spec.server_group_uuid:
            host.group_members += 1
            if host.host not in spec.server_group_hosts:
                spec.server_group_hosts.append(host.host)


def _rank(item: tuple[float, int, HostState]) -> tuple[float, int]:
    return (-item[0], item[1])


def _refresh(host: HostState, result: ClaimResult) -> None:
    """Update a host state with what the failed claim saw under the node lock."""
    if result.failed == "gone":
        host.limit_vcpus = host.limit_memory_mb = host.limit_disk_gb = 0
        return
    host.used_vcpus, host.used_memory_mb, host.used_disk_gb = (
        result.used.vcpus,
        result.used.memory_mb,
        result.used.disk_gb,
    )
    host.limit_vcpus, host.limit_memory_mb, host.limit_disk_gb = (
        result.limit.vcpus,
        result.limit.memory_mb,
        result.limit.disk_gb,
    )


def _describe(host: str | None, node: str | None) -> str:
    if host and node:
        return f"host {host} node {node}"
    return f"host {host}" if host else f"node {node}"
