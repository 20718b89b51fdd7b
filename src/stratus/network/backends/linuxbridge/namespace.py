"""Network namespaces of the dataplane (``ip netns``) and running commands, idempotently.

Every command goes through :func:`run`, which raises ``DataplaneError`` carrying the command's
own error message. Creating something that exists and deleting something that does not are
both fine (the agent may have been restarted half-way through either).
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from stratus.network.backend import DataplaneError

LOG = logging.getLogger(__name__)

NETNS_DIR = Path("/run/netns")
PREFIX = "qdhcp-"
COMMAND_TIMEOUT = 30.0

Runner = Callable[..., str]

# NOTE: set in every namespace we create. The values are per network namespace, so this does
# not change how the host's own bridges are filtered. With ``br_netfilter`` bridged IP traffic
# goes through the namespace's ``inet`` hooks, where conntrack makes security groups stateful.
SYSCTLS = (
    "net.bridge.bridge-nf-call-iptables=1",
    "net.bridge.bridge-nf-call-ip6tables=1",
    "net.ipv4.ip_forward=0",
    "net.ipv6.conf.all.forwarding=0",
)


def namespace_name(network_id: str) -> str:
    """``qdhcp-<network id>``, Neutron's name (``stratus ssh`` relies on it)."""
    return f"{PREFIX}{network_id}"


def run(argv: Sequence[str], *, stdin: str | None = None, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run a command; its stdout, or ``DataplaneError`` with its stderr when it fails."""
    try:
        proc = subprocess.run(
            list(argv), input=stdin, capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataplaneError(f"{argv[0]} failed: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
        raise DataplaneError(f"{' '.join(argv)}: {detail}")
    return proc.stdout


def exists(name: str, netns_dir: Path = NETNS_DIR) -> bool:
    return (netns_dir / name).exists()


def exec_argv(name: str, *argv: str) -> list[str]:
    """``argv`` run inside namespace ``name``."""
    return ["ip", "netns", "exec", name, *argv]


def ensure(name: str, runner: Runner = run) -> bool:
    """Create namespace ``name`` (loopback up, our sysctls) unless it exists; True if created."""
    if exists(name):
        return False
    try:
        runner(["ip", "netns", "add", name])
    except DataplaneError as exc:
        if "File exists" not in exc.message:
            raise
        return False
    try:
        runner(["ip", "-n", name, "link", "set", "lo", "up"])
        runner(exec_argv(name, "sysctl", "-q", "-w", *SYSCTLS))
    except DataplaneError as exc:
        delete(name, runner)
        hint = ""
        if "bridge-nf-call" in exc.message:
            hint = (
                " (security groups need the br_netfilter kernel module: modprobe br_netfilter;"
                " Stratus does not load kernel modules itself)"
            )
        raise DataplaneError(f"cannot set up namespace {name}: {exc.message}{hint}") from exc
    LOG.info("created network namespace %s", name)
    return True


def delete(name: str, runner: Runner = run) -> None:
    """Delete namespace ``name`` (and with it every device in it). Idempotent."""
    if not exists(name):
        return
    try:
        runner(["ip", "netns", "del", name])
    except DataplaneError as exc:
        if "No such file" not in exc.message:
            raise
    LOG.info("deleted network namespace %s", name)


def pids(name: str, runner: Runner = run) -> list[int]:
    """The processes running in namespace ``name`` (none when it does not exist)."""
    if not exists(name):
        return []
    return [int(p) for p in runner(["ip", "netns", "pids", name]).split()]


def namespaces(netns_dir: Path = NETNS_DIR) -> list[str]:
    """The ``qdhcp-*`` namespaces of this host (of every deployment on it)."""
    try:
        return sorted(p.name for p in netns_dir.iterdir() if p.name.startswith(PREFIX))
    except FileNotFoundError:
        return []
