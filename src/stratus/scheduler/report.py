"""The "No valid host was found" texts: per-filter counts for members, host names for admins.

::

    No valid host was found: 3 hosts; RamFilter rejected 2 (need 4096 MB, best host has
    2048 MB free), ComputeFilter rejected 1 (service down)

The admin variant appends, per filter, which hosts and why: ``[h1: 2048 MB free; h2: …]``.
"""

from __future__ import annotations

import dataclasses

from stratus.objects.request_spec import RequestSpec
from stratus.rpcapi.scheduler import NoValidHost
from stratus.scheduler.interfaces import Filter, HostState, Verdict, default_summary

PREFIX = "No valid host was found"
MAX_HOSTS_LISTED = 20
# a claim that failed although the filters still pass (the host changed meanwhile)
CLAIM = "Claim"


@dataclasses.dataclass
class Rejections:
    """Who rejected which hosts during one placement, in first-seen filter order."""

    by_filter: dict[str, list[tuple[HostState, Verdict]]] = dataclasses.field(default_factory=dict)
    ignored: list[str] = dataclasses.field(default_factory=list)

    def add(self, name: str, host: HostState, verdict: Verdict) -> None:
        self.by_filter.setdefault(name, []).append((host, verdict))


def _hosts_part(rejected: list[tuple[HostState, Verdict]]) -> str:
    shown = [f"{h.host}: {v.reason}" if v.reason else h.host for h, v in rejected]
    extra = len(shown) - MAX_HOSTS_LISTED
    text = "; ".join(shown[:MAX_HOSTS_LISTED])
    return f" [{text}{f'; and {extra} more' if extra > 0 else ''}]"


def _summary(
    name: str,
    filters: dict[str, Filter],
    spec: RequestSpec,
    rejected: list[tuple[HostState, Verdict]],
) -> str:
    plugin = filters.get(name)
    return plugin.summary(spec, rejected) if plugin is not None else default_summary(rejected)


def no_valid_host(
    total: int, rejections: Rejections, filters: dict[str, Filter], spec: RequestSpec
) -> NoValidHost:
    """The exception for a placement that found nothing, with both texts."""
    if total == 0:
        text = f"{PREFIX}: there are no compute hosts."
        return NoValidHost(text, text)
    member = [f"{PREFIX}: {total} host{'s' if total != 1 else ''}"]
    admin = list(member)
    parts_m: list[str] = []
    parts_a: list[str] = []
    if rejections.ignored:
        n = len(rejections.ignored)
        text = f"{n} excluded (already tried, or the server's current host)"
        parts_m.append(text)
        parts_a.append(f"{text} [{'; '.join(rejections.ignored)}]")
    ordered = sorted(rejections.by_filter.items(), key=lambda item: -len(item[1]))
    for name, rejected in ordered:
        label = name if name != CLAIM else "claims failed on"
        text = f"{label} rejected {len(rejected)}" if name != CLAIM else f"{label} {len(rejected)}"
        summary = _summary(name, filters, spec, rejected)
        parts_m.append(f"{text} ({summary})")
        parts_a.append(f"{text} ({summary}){_hosts_part(rejected)}")
    member_text = f"{member[0]}; {', '.join(parts_m)}" if parts_m else member[0]
    admin_text = f"{admin[0]}; {', '.join(parts_a)}" if parts_a else admin[0]
    return NoValidHost(member_text, admin_text)


def missing_host(what: str) -> NoValidHost:
    """Forced or requested host/node that is not a compute node."""
    text = f"{PREFIX}: requested {what} is not a compute host."
    return NoValidHost(text, text)
