#!/usr/bin/env python3
"""`make bench`, real VMs (issue 4): what Stratus adds on top of the guest's own boot.

1. Baseline: the test image (tools/build-test-image.sh, cached in ``var/test-image``) booted by
   hand with ``qemu-system-x86_64`` under TCG in a private network namespace with a bridge,
   dnsmasq and a metadata responder (``tests/e2e/guest_lab.py``): QEMU start → banner and → SSH
   answers, median of ``--baseline-runs`` (``tools/bench_vms_baseline.py``).
2. Stratus: ``stratus up`` (qemu driver, the default) on free loopback ports; as admin a flavor
   m1.nano (1 vCPU, 128 MiB, 1 GiB), a keypair and tcp/22 on ``default``; then through the compute
   API (``tools/bench_vms_runs.py``): ``--count`` boots one after the other (POST → ACTIVE, →
   SSH-able; each deleted before the next), and ``--concurrent`` boots at once (all ACTIVE, all
   SSH-able, RSS of each idle QEMU and of ``stratus up`` after ``--idle`` seconds).

Overhead = median(POST → SSH) - median(baseline QEMU start → SSH); the goal is under 1 s (TCG),
and POST → SSH under 3 s where KVM works. Prints one table and writes artifacts/bench-vms.json.
Timings are only printed, never asserted. Everything started is stopped and every temp dir
removed, also on Ctrl-C or a failure (``stratus up`` gets SIGINT; guests, ``qdhcp-*`` namespaces
and dnsmasq it leaves are removed by its own pidfiles and state dirs). Needs root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_compute_procs import LoadWatch
from bench_vms_baseline import run_baseline
from bench_vms_cloud import StratusUp, ssh_keypair, stratus_rss
from bench_vms_common import ROOT, BenchError
from bench_vms_report import print_table
from bench_vms_runs import concurrent, sequential

sys.path.insert(0, str(ROOT))
from tests.e2e.guest_lab import build_test_image, ensure_lab_tools
from tests.e2e.qemu_cloud import image_cache_dir


def measure_stratus(args: argparse.Namespace, work: Path, watch: LoadWatch) -> dict[str, Any]:
    """Start ``stratus up``, boot the servers, stop it and clean up (also on failure)."""
    up = StratusUp(work)
    res: dict[str, Any] = {}
    try:
        res["startup_s"] = round(up.wait_ready(), 1)
        api = up.api()
        api.prepare_vms(ssh_keypair(up.key))
        res["hypervisor_type"] = api.hypervisor_type()
        res["stratus_up_idle"] = stratus_rss(up)
        print(
            f"  ready after {res['startup_s']} s; hypervisor {res['hypervisor_type']}", flush=True
        )
        watch.phase("stratus sequential")
        print(f"  {args.count} boots one after the other ...", flush=True)
        res["sequential"] = sequential(up, api, args.count)
        watch.phase("stratus concurrent")
        print(f"  {args.concurrent} boots at once ...", flush=True)
        res["concurrent"] = concurrent(up, api, args.concurrent, args.idle)
        res["stratus_up_end"] = stratus_rss(up)
    finally:
        # NOTE: a second Ctrl-C must not cut the clean-up short (guests, namespaces).
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            res["exit_code"] = up.close()
        finally:
            signal.signal(signal.SIGINT, previous)
    return res


def guarded(name: str, fn: Callable[..., dict[str, Any]], *fargs: Any) -> dict[str, Any]:
    """Run one part; a failure is reported (and the other part still runs)."""
    try:
        return fn(*fargs)
    except (BenchError, RuntimeError, OSError, ValueError) as exc:
        print(f"\n{name} FAILED: {exc}", flush=True)
        return {"error": str(exc)[-3000:]}


def interrupted(_signum: int, _frame: object) -> None:
    """SIGTERM stops the benchmark like Ctrl-C: everything started is stopped and removed."""
    raise KeyboardInterrupt


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10, help="sequential boots (median of)")
    parser.add_argument("--concurrent", type=int, default=10, help="servers booted at once")
    parser.add_argument("--baseline-runs", type=int, default=3, help="hand boots (median of)")
    parser.add_argument("--idle", type=float, default=20, help="seconds idle before RSS is read")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    parser.add_argument("--out", default=str(ROOT / "artifacts" / "bench-vms.json"))
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench_vms.py needs root (network namespaces, taps, QEMU)")
    signal.signal(signal.SIGTERM, interrupted)
    ensure_lab_tools()
    build_test_image()  # cached: returns at once when var/test-image is current
    work = Path(tempfile.mkdtemp(prefix="stratus-bench-vms-", dir="/tmp"))
    watch = LoadWatch()
    watch.start()
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    result: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "args": vars(args)}
    try:
        watch.phase("baseline")
        print(f"\n[1/2] baseline: the test image booted by hand ({args.baseline_runs} runs)")
        (work / "lab").mkdir()
        result["baseline"] = guarded(
            "baseline",
            run_baseline,
            Path(image_cache_dir()),
            work / "lab",
            args.baseline_runs,
            args.idle,
        )
        print("\n[2/2] stratus up (qemu driver)", flush=True)
        (work / "stratus").mkdir()
        result["stratus"] = guarded("stratus", measure_stratus, args, work / "stratus", watch)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        watch.stop()
        print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}", flush=True)
        if args.keep:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    result["load"] = watch.summary()
    result["table"] = print_table(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: the processes started were stopped and the temp dir removed")
        sys.exit(130)
