"""The table of ``tools/bench_vms.py``: figure, goal, Stratus (text on stdout; rows in the JSON)."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str]


def _s(summary: dict[str, Any] | None) -> str:
    """'median s (min-max, n=N)' of a ``bench_vms_common.summary``."""
    if not summary or not summary.get("n"):
        return "-"
    return (
        f"{summary['median']:.2f} s ({summary['min']:.2f}-{summary['max']:.2f}, n={summary['n']})"
    )


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def baseline_rows(base: dict[str, Any]) -> list[Row]:
    shipped = base.get("shipped_image") or {}
    return [
        ("by hand: QEMU start -> banner", "-", _s(base.get("qemu_start_to_banner"))),
        ("by hand: QEMU start -> SSH answers", "-", _s(base.get("qemu_start_to_ssh"))),
        (
            "by hand: QEMU start -> kernel (banner - uptime)",
            "-",
            _s(base.get("qemu_start_to_kernel")),
        ),
        ("by hand: guest uptime at banner", "-", _s(base.get("guest_uptime_at_banner"))),
        ("by hand: QEMU VmRSS, idle", "-", f"{base.get('idle_rss_mb')} MiB"),
        ("by hand, compressed image: QEMU start -> SSH", "-", _s(shipped.get("qemu_start_to_ssh"))),
    ]


def overhead_row(base: dict[str, Any], seq: dict[str, Any], tcg: bool) -> Row:
    hand = _get(base, "qemu_start_to_ssh", "median")
    ours = _get(seq, "ssh", "median")
    goal = "< 1 s (TCG)"
    if hand is None or ours is None:
        return ("overhead: create -> SSH minus by-hand QEMU start -> SSH", goal, "-")
    overhead = ours - hand
    verdict = ("met" if overhead < 1 else "NOT met") if tcg else "(not TCG)"
    return (
        "overhead: create -> SSH minus by-hand QEMU start -> SSH",
        goal,
        f"{overhead:+.2f} s ({ours:.2f} - {hand:.2f}): {verdict}",
    )


def sequential_rows(seq: dict[str, Any], tcg: bool) -> list[Row]:
    ssh_goal = "< 3 s (KVM)" + (": n/a under TCG" if tcg else "")
    return [
        ("create -> ACTIVE (POST until ACTIVE, 0.1 s poll)", "-", _s(seq.get("active"))),
        ("create -> QEMU process started", "-", _s(seq.get("qemu_start"))),
        ("create -> banner on the console", "-", _s(seq.get("banner"))),
        ("create -> SSH-able", ssh_goal, _s(seq.get("ssh"))),
        ("under Stratus: QEMU start -> SSH", "-", _s(seq.get("qemu_start_to_ssh"))),
        ("under Stratus: QEMU start -> kernel", "-", _s(seq.get("qemu_start_to_kernel"))),
        ("under Stratus: guest uptime at banner", "-", _s(seq.get("guest_uptime_at_banner"))),
        ("delete -> gone", "-", _s(seq.get("delete"))),
    ]


def concurrent_rows(conc: dict[str, Any]) -> list[Row]:
    n = conc.get("count", "?")
    mem = conc.get("memory", {})
    up = mem.get("stratus_up", {})
    return [
        (f"{n} at once: all ACTIVE", "-", f"{conc.get('all_active_s', '-')} s"),
        (f"{n} at once: all SSH-able", "-", f"{conc.get('all_ssh_s', '-')} s"),
        (f"{n} at once: deleted, all gone", "-", f"{conc.get('delete_all_s', '-')} s"),
        (
            "RSS per idle instance (QEMU VmRSS)",
            "-",
            f"median {mem.get('qemu_rss_median_mb')} MiB, total {mem.get('qemu_rss_total_mb')} MiB",
        ),
        (
            f"stratus up RSS with {n} guests (peak)",
            "-",
            f"{up.get('rss_mb')} MiB ({up.get('peak_rss_mb')} MiB)",
        ),
    ]


def rows(result: dict[str, Any]) -> list[Row]:
    base = result.get("baseline") or {}
    stratus = result.get("stratus") or {}
    seq = stratus.get("sequential") or {}
    hyp = stratus.get("hypervisor_type")
    tcg = hyp == "QEMU"
    out = baseline_rows(base)
    out.append(("hypervisor_type (accelerator)", "-", f"{hyp} ({'TCG' if tcg else 'KVM'})"))
    out.append(("stratus up: start -> 'Stratus is ready'", "-", f"{stratus.get('startup_s')} s"))
    idle = stratus.get("stratus_up_idle") or {}
    out.append(("stratus up RSS, no guests", "-", f"{idle.get('rss_mb')} MiB"))
    out += sequential_rows(seq, tcg)
    out.append(overhead_row(base, seq, tcg))
    out += concurrent_rows(stratus.get("concurrent") or {})
    load = result.get("load") or {}
    out.append(
        ("load average (1 min) start / end", "-", f"{load.get('start')} / {load.get('end')}")
    )
    for part in ("baseline", "stratus"):
        if (result.get(part) or {}).get("error"):
            out.append((f"{part} FAILED", "-", str(result[part]["error"]).splitlines()[0][:80]))
    return out


def print_table(result: dict[str, Any]) -> list[Row]:
    """Print the table; returns its rows (for the JSON)."""
    table = rows(result)
    head = ("figure", "goal", "Stratus")
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(3)]
    print("\nReal VMs (issue 4), this machine:")
    for row in [head, tuple("-" * w for w in widths), *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return table
