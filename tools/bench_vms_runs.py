"""The Stratus measurements of ``tools/bench_vms.py``: sequential boots, then concurrent ones.

Each boot is timed from just before ``POST /servers``: to ACTIVE (``GET /servers/{id}`` every
0.1 s), to the start of the guest's QEMU (its ``/proc`` start time; Stratus's own work before the
guest runs), to the guest's banner on its console log, to the first ``ssh ... true`` that works
(``bench_vms_common``: the same probe the hand-booted baseline is timed with).
"""

from __future__ import annotations

import concurrent.futures as cf
import statistics
import time
from typing import Any

from bench_vms_cloud import StratusUp, VmApi, fixed_ip, stratus_rss
from bench_vms_common import (
    BenchError,
    boottime,
    started_at,
    status_mb,
    summary,
    wait_banner,
    wait_ssh,
)

BOOT_TIMEOUT = 300.0


def guest_ready(up: StratusUp, api: VmApi, uuid: str, ip: str, deadline: float) -> dict[str, Any]:
    """Wait for the banner, then SSH; monotonic times when each came, and the QEMU's start."""
    pid = up.qemu_pid(uuid)
    qemu_start = started_at(pid) if pid else None
    console = up.console_log(uuid)
    uptime = wait_banner(console, ip, deadline, lambda: up.qemu_pid(uuid) is not None)
    banner = time.monotonic()
    attempts = wait_ssh(api.netns, up.key, ip, deadline)
    return {
        "banner_at": banner,
        "ssh_at": time.monotonic(),
        "qemu_started_boottime": qemu_start,
        "guest_uptime_s": uptime,
        "ssh_attempts": attempts,
    }


def boot_one(up: StratusUp, api: VmApi, name: str) -> dict[str, Any]:
    """One server, timed from just before its POST until SSH answers."""
    t0, b0 = time.monotonic(), boottime()
    uuid = api.create_server(name)
    posted = time.monotonic()
    deadline = t0 + BOOT_TIMEOUT
    server = api.wait_active(uuid, deadline)
    active = time.monotonic()
    ready = guest_ready(up, api, uuid, fixed_ip(server), deadline)
    qemu = ready["qemu_started_boottime"]
    return {
        "uuid": uuid,
        "post_s": posted - t0,
        "active_s": active - t0,
        "qemu_start_s": None if qemu is None else qemu - b0,
        "banner_s": ready["banner_at"] - t0,
        "ssh_s": ready["ssh_at"] - t0,
        "guest_uptime_s": ready["guest_uptime_s"],
        "ssh_attempts": ready["ssh_attempts"],
    }


def sequential(up: StratusUp, api: VmApi, count: int) -> dict[str, Any]:
    """``count`` boots one after the other; each server is deleted (and gone) before the next."""
    boots = []
    for i in range(count):
        boot = boot_one(up, api, f"bench-seq-{i}")
        t = time.monotonic()
        api.delete_and_wait([boot["uuid"]])
        boot["delete_s"] = time.monotonic() - t
        boots.append(boot)
        print(
            f"  {i + 1}/{count}: POST -> ACTIVE {boot['active_s']:.2f} s, -> QEMU started "
            f"{_fmt(boot['qemu_start_s'])}, -> banner {boot['banner_s']:.1f} s, "
            f"-> SSH {boot['ssh_s']:.1f} s; delete {boot['delete_s']:.1f} s",
            flush=True,
        )
    return summarize(boots)


def summarize(boots: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-figure summaries, plus QEMU start → SSH (the guest's part as Stratus boots it)."""
    out: dict[str, Any] = {"boots": boots}
    for key in ("post_s", "active_s", "qemu_start_s", "banner_s", "ssh_s", "delete_s"):
        values = [b[key] for b in boots if b.get(key) is not None]
        out[key.removesuffix("_s")] = summary(values)
    guest = [b["ssh_s"] - b["qemu_start_s"] for b in boots if b.get("qemu_start_s") is not None]
    out["qemu_start_to_ssh"] = summary(guest)
    out["guest_uptime_at_banner"] = summary([b["guest_uptime_s"] for b in boots])
    firmware = [
        b["banner_s"] - b["qemu_start_s"] - b["guest_uptime_s"]
        for b in boots
        if b.get("qemu_start_s") is not None
    ]
    out["qemu_start_to_kernel"] = summary(firmware)
    return out


def concurrent(up: StratusUp, api: VmApi, count: int, idle: float) -> dict[str, Any]:
    """``count`` parallel POSTs; all ACTIVE, all SSH-able; RSS after ``idle`` s; delete all."""
    t0, b0 = time.monotonic(), boottime()
    with cf.ThreadPoolExecutor(count) as pool:
        uuids = list(pool.map(api.create_server, [f"bench-conc-{i}" for i in range(count)]))
        posted = time.monotonic() - t0
        active = wait_all_active(api, uuids, t0)
        all_active = time.monotonic() - t0
        print(
            f"  {count} POSTed in {posted:.2f} s, all ACTIVE after {all_active:.1f} s", flush=True
        )
        servers = api.statuses()
        jobs = [
            pool.submit(guest_ready, up, api, u, fixed_ip(servers[u]), t0 + BOOT_TIMEOUT)
            for u in uuids
        ]
        ready = [j.result() for j in jobs]
    all_ssh = max(r["ssh_at"] for r in ready) - t0
    print(f"  all {count} SSH-able after {all_ssh:.1f} s; idle {idle:.0f} s ...", flush=True)
    time.sleep(idle)
    memory = idle_memory(up, uuids)
    t = time.monotonic()
    api.delete_and_wait(uuids, timeout=300)
    qemu_starts = [r["qemu_started_boottime"] - b0 for r in ready if r["qemu_started_boottime"]]
    return {
        "count": count,
        "post_all_s": round(posted, 2),
        "all_active_s": round(all_active, 2),
        "all_banner_s": round(max(r["banner_at"] for r in ready) - t0, 2),
        "all_ssh_s": round(all_ssh, 2),
        "active": summary(list(active.values())),
        "qemu_start": summary(qemu_starts),
        "ssh": summary([r["ssh_at"] - t0 for r in ready]),
        "delete_all_s": round(time.monotonic() - t, 2),
        "memory": memory,
    }


def wait_all_active(api: VmApi, uuids: list[str], t0: float) -> dict[str, float]:
    """Poll ``GET /servers/detail`` every 0.1 s; seconds (from ``t0``) each took to ACTIVE."""
    active: dict[str, float] = {}
    while len(active) < len(uuids):
        if time.monotonic() > t0 + BOOT_TIMEOUT:
            raise BenchError(f"not all ACTIVE in time: {len(active)}/{len(uuids)}")
        for uuid, server in api.statuses().items():
            if uuid not in uuids or uuid in active:
                continue
            if server["status"] == "ERROR":
                raise BenchError(f"server {uuid} failed: {server.get('fault')}")
            if server["status"] == "ACTIVE" and not server.get("OS-EXT-STS:task_state"):
                active[uuid] = time.monotonic() - t0
        time.sleep(0.1)
    return active


def idle_memory(up: StratusUp, uuids: list[str]) -> dict[str, Any]:
    """VmRSS of every guest's QEMU (median, total) and of ``stratus up``."""
    rss = [status_mb(pid) for pid in (up.qemu_pid(u) for u in uuids) if pid is not None]
    values = [r for r in rss if r is not None]
    return {
        "qemu_rss_mb": values,
        "qemu_rss_median_mb": round(statistics.median(values), 1) if values else None,
        "qemu_rss_total_mb": round(sum(values), 1),
        "stratus_up": stratus_rss(up),
    }


def _fmt(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:.2f} s"
