"""The compute agent's side of the network dataplane: what the backend must build, from the
conductor (the agent has no database).

Callers:

* :func:`prepare` — ``AgentEnv.plug``, before a guest starts (build, start, hard reboot, resize):
  set up the networks of the instance's ports (namespace, bridge, DHCP entries of the ports bound
  here) and load the ports' security-group rules, so the guest gets its address and is filtered
  from its first packet;
* :func:`release` — ``AgentEnv.unplug``, after a guest is gone: drop its DHCP entries and rules;
* :func:`refresh_security_groups`, :func:`refresh_networks` — the fanouts the network services
  publish after a change (``security_groups_changed``, ``networks_changed``);
* :func:`resync` — periodically (``[network] resync_interval``) and at start: everything from
  scratch, so a lost message or a host reboot is repaired.

With a backend that builds nothing on hosts (``noop``: no DHCP, no security groups) every
function returns at once, without a round trip to the conductor. Network namespaces also get
their metadata server (``env.metadata``) as soon as they exist.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stratus.common.exceptions import StratusError
from stratus.objects.network import VIF, NetworkDataplane

if TYPE_CHECKING:
    from stratus.compute.ops.common import AgentEnv

LOG = logging.getLogger(__name__)

# NOTE: one dataplane change at a time in this process. A resync reads the conductor's view and
# applies it; a build that ran in between would otherwise see its new port pruned by the
# resync's older view until the next pass.
_LOCK = threading.RLock()


def active(env: AgentEnv) -> bool:
    """Whether this host's backend builds anything (DHCP or security groups)."""
    caps = env.network.capabilities
    return caps.dhcp or caps.enforces_security_groups


def _setup(env: AgentEnv, net: NetworkDataplane) -> None:
    env.network.setup_network(net)
    if env.metadata is not None:
        env.metadata.ensure(net.id)


def _teardown(env: AgentEnv, network_id: str) -> None:
    if env.metadata is not None:
        env.metadata.forget(network_id)
    env.network.teardown_network(network_id)


def _apply_rules(env: AgentEnv, vifs: Sequence[VIF]) -> None:
    if not vifs:
        return
    rules = env.conductor.port_security_rules([v.port_id for v in vifs])
    for vif in vifs:
        env.network.apply_security_groups(vif, rules.get(vif.port_id, []))


def prepare(env: AgentEnv, vifs: Sequence[VIF]) -> None:
    """Before a guest with ``vifs`` starts here. Raises when the dataplane cannot be built."""
    if not vifs or not active(env):
        return
    wanted = sorted({v.network_id for v in vifs})
    with _LOCK:
        for net in env.conductor.network_dataplane(env.host, wanted):
            if net.id in wanted:
                _setup(env, net)
        _apply_rules(env, vifs)


def release(env: AgentEnv, vifs: Sequence[VIF]) -> None:
    """After the guest with ``vifs`` is gone from this host. Idempotent."""
    if not vifs or not active(env):
        return
    with _LOCK:
        for vif in vifs:
            env.network.unplug(env.host, vif)


def refresh_security_groups(
    env: AgentEnv, security_group_ids: Sequence[str], port_ids: Sequence[str]
) -> None:
    """Re-render the rules of this host's ports in ``security_group_ids`` or ``port_ids``."""
    if not active(env):
        return
    local = set(env.network.host_network_ids())
    if not local:
        return
    groups, ports = set(security_group_ids), set(port_ids)
    with _LOCK:
        nets = env.conductor.network_dataplane(env.host, [])
        vifs = [
            p
            for n in nets
            if n.id in local
            for p in n.ports
            if p.port_id in ports or groups.intersection(p.security_group_ids)
        ]
        _apply_rules(env, vifs)


def refresh_networks(env: AgentEnv, network_ids: Sequence[str]) -> None:
    """Re-read these networks if they are set up here; remove those that were deleted."""
    if not active(env):
        return
    wanted = sorted(set(network_ids).intersection(env.network.host_network_ids()))
    if not wanted:
        return
    with _LOCK:
        found = {n.id: n for n in env.conductor.network_dataplane(env.host, wanted)}
        for network_id in wanted:
            if network_id in found:
                _setup(env, found[network_id])
            else:
                _teardown(env, network_id)


def resync(env: AgentEnv) -> None:
    """Make the whole dataplane of this host match the database (periodic task)."""
    if not active(env):
        return
    with _LOCK:
        local = env.network.host_network_ids()
        nets = env.conductor.network_dataplane(env.host, local)
        for net in nets:
            try:
                _setup(env, net)
            except StratusError as exc:
                LOG.warning("dataplane resync of network %s failed: %s", net.id, exc)
        for gone in sorted(set(local) - {n.id for n in nets}):
            LOG.info("network %s was deleted: removing it from this host", gone)
            _teardown(env, gone)
        _apply_rules(env, [p for n in nets for p in n.ports])
