"""Pure helpers about the host machine, shared by drivers (no hypervisor calls here)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def format_uptime(now: dt.datetime, seconds: float, loads: tuple[float, float, float]) -> str:
    """An ``uptime(1)``-style line: `` 08:32:11 up 93 days, 18:25,  load average: 0.20, ...``.

    (Without the user count, which needs utmp; Nova's API passes the line through as text.)
    """
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    parts.append(f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min")
    load = ", ".join(f"{x:.2f}" for x in loads)
    return f" {now:%H:%M:%S} up {', '.join(parts)},  load average: {load}"


def host_uptime(proc: Path = Path("/proc")) -> str:
    """This machine's uptime line, read from ``/proc/uptime`` and ``/proc/loadavg``."""
    seconds = float((proc / "uptime").read_text().split()[0])
    fields = (proc / "loadavg").read_text().split()
    loads = (float(fields[0]), float(fields[1]), float(fields[2]))
    return format_uptime(dt.datetime.now(), seconds, loads)
