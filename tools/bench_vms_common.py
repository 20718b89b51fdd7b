"""Shared by ``tools/bench_vms.py``: the guest's banner, the SSH probe, process memory, summaries.

Both the hand-booted baseline and the Stratus guests are timed the same way, so that their
difference is Stratus's own: the serial console log (a file on the host) is polled every 0.1 s
for the guest's ``STRATUS-GUEST-READY ip=<ip>`` banner, which the test image prints after
``dropbear`` has started, then ``ssh ... true`` is retried (``ConnectTimeout=2``, 0.2 s apart)
from inside the guest network's namespace until it succeeds.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
_BANNER = re.compile(r"STRATUS-GUEST-READY ip=(\S+) uptime=([0-9.]+)")


class BenchError(RuntimeError):
    """A step of the benchmark failed (guest did not boot, API error, timeout)."""


def ssh_command(netns: str, key: Path, ip: str, *command: str) -> list[str]:
    """``ssh cirros@ip`` run inside ``netns`` with ``key``; never prompts, never trusts."""
    return [
        "ip", "netns", "exec", netns, "ssh", "-i", str(key),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-o", "LogLevel=ERROR",
        f"cirros@{ip}", *(command or ("true",)),
    ]  # fmt: skip


def wait_ssh(netns: str, key: Path, ip: str, deadline: float) -> int:
    """Retry ``ssh ... true`` until it succeeds; returns the number of attempts."""
    attempts = 0
    last = ""
    while time.monotonic() < deadline:
        attempts += 1
        try:
            done = subprocess.run(
                ssh_command(netns, key, ip), capture_output=True, text=True, timeout=10
            )
        except subprocess.TimeoutExpired:
            continue
        if done.returncode == 0:
            return attempts
        last = done.stderr.strip()
        time.sleep(0.2)
    raise BenchError(f"no SSH to {ip} in {netns} after {attempts} attempts: {last}")


def wait_banner(console: Path, ip: str, deadline: float, alive: Callable[[], bool]) -> float:
    """Poll ``console`` until the guest's ready banner shows; returns the uptime it printed.

    A banner with another address than ``ip`` (``ip=none``: DHCP failed) is a BenchError.
    """
    while time.monotonic() < deadline:
        text = console.read_text(errors="replace") if console.exists() else ""
        match = _BANNER.search(text)
        if match and match.group(1) == ip:
            return float(match.group(2))
        if match:
            raise BenchError(
                f"the guest came up with ip={match.group(1)}, not {ip}:\n{text[-1500:]}"
            )
        if not alive():
            raise BenchError(f"the guest's QEMU exited before its banner:\n{text[-2000:]}")
        time.sleep(0.1)
    tail = console.read_text(errors="replace")[-2000:] if console.exists() else "(no console)"
    raise BenchError(f"no ready banner on {console} in time:\n{tail}")


def boottime() -> float:
    """Seconds since boot on the clock ``/proc/<pid>/stat`` start times are counted on."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def started_at(pid: int) -> float | None:
    """When process ``pid`` started, in :func:`boottime` seconds (1/CLK_TCK resolution)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19]) / TICK


def status_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A ``/proc/<pid>/status`` memory field (VmRSS, VmHWM) in MiB; None if the pid is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def summary(seconds: list[float]) -> dict[str, Any]:
    """Median / min / max (seconds, 2 decimals) and the raw values."""
    if not seconds:
        return {"n": 0}
    return {
        "median": round(statistics.median(seconds), 2),
        "min": round(min(seconds), 2),
        "max": round(max(seconds), 2),
        "n": len(seconds),
        "values": [round(s, 2) for s in seconds],
    }


def load1() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])
