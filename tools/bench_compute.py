#!/usr/bin/env python3
"""`make bench`, compute control plane: Stratus measured the way Nova was (fake virt driver).

Runs OpenStack's reference script ``bench_openstack.py`` (``../shared/reference``, used as is)
against two deployments, each started and stopped here:

1. all-in-one: ``stratus up --virt fake`` (SQLite, in-process bus); afterwards 2,000 servers are
   created and ``GET /servers/detail`` is timed with them present;
2. separate processes over a throwaway RabbitMQ and PostgreSQL (``tools/rabbitmq.sh``,
   ``tools/postgres.sh``): ``stratus api``, ``conductor``, ``scheduler`` and two
   ``stratus compute --virt fake`` agents.

Also: start-up time, POST → ACTIVE with a 10 ms poll (the reference polls every 0.1 s), peak
RSS (VmHWM) of every process, the load average while running, and scheduler decision time with
1,000 hosts (``tools/bench_scheduler.py``, on SQLite and on the PostgreSQL server). Prints one
table (Nova's figure, the 10x goal, Stratus) and writes artifacts/bench-compute.json and .md.
Timings are only printed, never asserted. Temp dirs and processes are removed even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bench_compute_report as report
from bench_compute_client import Cloud, create_many, fine_poll_latency, listings
from bench_compute_procs import (
    ROOT,
    LoadWatch,
    Proc,
    free_port,
    infra_memory_mb,
    read_openrc,
    run_scheduler_bench,
    start_infra,
    until,
)
from bench_compute_profile import profiling
from bench_compute_profile import report as profile_report

FAKE_HOST = {
    "STRATUS_FAKE_DRIVER__VCPUS": "256",
    "STRATUS_FAKE_DRIVER__MEMORY_MB": "262144",
    "STRATUS_FAKE_DRIVER__LOCAL_GB": "4096",
}


def reference_script() -> Path:
    """bench_openstack.py: ``$STRATUS_SHARED_DIR`` or ``<repo>/../shared``."""
    candidates = [
        os.environ.get("STRATUS_SHARED_DIR", ""),
        str(ROOT.parent / "shared"),
    ]
    for c in candidates:
        path = Path(c) / "reference" / "bench_openstack.py"
        if c and path.is_file():
            return path
    raise SystemExit(f"bench_openstack.py not found under {candidates}; set STRATUS_SHARED_DIR")


def base_env(ports: dict[str, int]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(FAKE_HOST)
    env.update(
        STRATUS_MY_IP="127.0.0.1",
        STRATUS_API__BIND_HOST="127.0.0.1",
        STRATUS_IDENTITY__PORT=str(ports["identity"]),
        STRATUS_IMAGE__PORT=str(ports["image"]),
        STRATUS_COMPUTE__API_PORT=str(ports["compute"]),
        STRATUS_NETWORK__API_PORT=str(ports["network"]),
        PYTHONUNBUFFERED="1",
    )
    return env


def api_answers(ports: dict[str, int]) -> bool:
    import httpx

    base = "http://127.0.0.1:{}"
    identity = httpx.get(base.format(ports["identity"]) + "/v3", timeout=2)
    compute = httpx.get(base.format(ports["compute"]) + "/v2.1", timeout=2)
    return identity.status_code == 200 and compute.status_code == 200


def run_reference(args: argparse.Namespace, work: Path, auth_url: str, password: str) -> Any:
    """bench_openstack.py with the reference method; its JSON result."""
    out = work / "reference.json"
    cmd = [
        sys.executable,
        str(reference_script()),
        "--no-restart",
        "--pidfile",
        str(work / "pids"),
        "--list-poll",
        "0.05",
        "--flavor",
        "m1.nano",
        "--image",
        "cirros-fake",
        "--auth-url",
        auth_url,
        "--user",
        "admin",
        "--password",
        password,
        "--project",
        "admin",
        "--n",
        str(args.n),
        "--out",
        str(out),
    ]
    print(f"  bench_openstack.py (n={args.n}, concurrency 10, list poll 0.05 s) ...", flush=True)
    with open(work / "reference.log", "wb") as log:
        proc = Proc.spawn("bench_openstack", cmd, dict(os.environ), log, own_session=False)
        try:
            code = proc.popen.wait()
        finally:
            proc.stop(signal.SIGINT)
    if code != 0 or not out.is_file():
        tail = (work / "reference.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"bench_openstack.py exited {code}:\n{tail}")
    return json.loads(out.read_text())


def write_pidfile(work: Path, procs: dict[str, Proc]) -> None:
    lines = [f"{name} {proc.popen.pid}\n" for name, proc in procs.items()]
    (work / "pids").write_text("".join(lines))


def measure(
    args: argparse.Namespace, work: Path, cloud: Cloud, password: str, procs: dict[str, Proc]
) -> dict[str, Any]:
    """The figures common to both deployments (the cloud is up; flavor and image exist)."""
    res: dict[str, Any] = {}
    write_pidfile(work, procs)
    res["fine_poll"] = fine_poll_latency(cloud, args.single)
    with profiled(args, procs, work.name + "-reference", res):
        res["reference"] = run_reference(args, work, cloud.auth_url, password)
    return res


@contextlib.contextmanager
def profiled(
    args: argparse.Namespace, procs: dict[str, Proc], label: str, res: dict[str, Any]
) -> Iterator[None]:
    """With ``--profile``: py-spy on ``procs`` for the block; hot spots in ``res["profile"]``."""
    if not args.profile:
        yield
        return
    outdir = ROOT / "artifacts" / "profile" / label
    shutil.rmtree(outdir, ignore_errors=True)
    with profiling(procs, outdir):
        yield
    res.setdefault("profile", {})[label] = profile_report(outdir)


def all_in_one(args: argparse.Namespace, work: Path, watch: LoadWatch) -> dict[str, Any]:
    ports = {n: free_port() for n in ("identity", "image", "compute", "network")}
    env = base_env(ports)
    data = work / "var"
    print("\n[1/2] all-in-one: stratus up --virt fake (SQLite, in-process bus)", flush=True)
    watch.phase("all-in-one")
    started = time.monotonic()
    cmd = [str(Proc.STRATUS), "up", "--virt", "fake", "--data-dir", str(data)]
    procs = {"stratus": Proc.start("stratus", cmd, env, work / "stratus.log")}
    with contextlib.ExitStack() as stack:
        stack.callback(procs["stratus"].stop, signal.SIGINT)
        until(lambda: api_answers(ports), 120, "stratus up", procs)
        res: dict[str, Any] = {"startup_s": round(time.monotonic() - started, 2)}
        password = read_openrc(data / "admin-openrc")["OS_PASSWORD"]
        cloud = Cloud(f"http://127.0.0.1:{ports['identity']}/v3", password)
        until(cloud.services_up, 60, "os-services all up", procs)
        res["startup_os_services_up_s"] = round(time.monotonic() - started, 2)
        res["services"] = cloud.services()
        cloud.prepare()
        res.update(measure(args, work, cloud, password, procs))
        print(f"  {args.many:,} servers, then GET /servers/detail ...", flush=True)
        res["many"] = {"create": create_many(cloud, args.many)}
        with profiled(args, procs, "aio-detail-many", res):
            res["many"].update(listings(cloud, args.detail_many, procs["stratus"].popen.pid))
        res["peak_rss_mb"] = {n: p.peak_rss_mb() for n, p in procs.items()}
    return res


def separate(args: argparse.Namespace, work: Path, watch: LoadWatch) -> dict[str, Any]:
    print("\n[2/2] separate processes over RabbitMQ + PostgreSQL", flush=True)
    watch.phase("separate: starting RabbitMQ + PostgreSQL")
    with contextlib.ExitStack() as stack:
        infra = start_infra(work, stack)
        ports = {n: free_port() for n in ("identity", "image", "compute", "network")}
        env = base_env(ports)
        env.update(
            STRATUS_TRANSPORT_URL=infra["rabbit_url"],
            STRATUS_DATABASE__CONNECTION=infra["db_url"],
            STRATUS_HOST="controller",
        )
        data = ["--data-dir", str(work / "var")]
        watch.phase("separate processes")
        procs: dict[str, Proc] = {}
        # NOTE: stop in reverse start order: agents first, the API last.
        stack.callback(lambda: [p.stop(signal.SIGTERM) for p in reversed(procs.values())])
        started = time.monotonic()
        procs["api"] = Proc.start("api", [str(Proc.STRATUS), *data, "api"], env, work / "api.log")
        until(lambda: api_answers(ports), 120, "stratus api", procs)
        res: dict[str, Any] = {"startup_api_s": round(time.monotonic() - started, 2)}
        for name in ("conductor", "scheduler"):
            procs[name] = Proc.start(
                name, [str(Proc.STRATUS), *data, name], env, work / f"{name}.log"
            )
        for host in ("h1", "h2"):
            cmd = [str(Proc.STRATUS), *data, "compute", "--host", host, "--virt", "fake"]
            procs[f"compute-{host}"] = Proc.start(f"compute-{host}", cmd, env, work / f"{host}.log")
        password = read_openrc(work / "var" / "admin-openrc")["OS_PASSWORD"]
        cloud = Cloud(f"http://127.0.0.1:{ports['identity']}/v3", password)
        until(lambda: cloud.services_up(expect_computes=2), 120, "os-services all up", procs)
        res["startup_s"] = round(time.monotonic() - started, 2)
        res["services"] = cloud.services()
        res["infra_startup_s"] = infra["startup_s"]
        cloud.prepare()
        res.update(measure(args, work, cloud, password, procs))
        res["peak_rss_mb"] = {n: p.peak_rss_mb() for n, p in procs.items()}
        res["infra_memory"] = infra_memory_mb(work)
        for proc in reversed(procs.values()):
            proc.stop(signal.SIGTERM)
        res["exit_codes"] = {n: p.popen.returncode for n, p in procs.items()}
        res["scheduler"] = run_scheduler_bench(infra["db_url"], work)
    return res


def interrupted(_signum: int, _frame: object) -> None:
    """SIGTERM stops the benchmark like Ctrl-C: everything started is stopped and removed."""
    raise KeyboardInterrupt


def guarded(name: str, fn: Any, *fargs: Any) -> dict[str, Any]:
    """Run one deployment; a failure is reported (and the other deployment still runs)."""
    try:
        result: dict[str, Any] = fn(*fargs)
        return result
    except (RuntimeError, OSError, TimeoutError) as exc:
        print(f"\n{name} FAILED: {exc}", flush=True)
        return {"error": str(exc)[-3000:]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="servers in the throughput runs")
    parser.add_argument("--single", type=int, default=20, help="sequential creates (10 ms poll)")
    parser.add_argument("--many", type=int, default=2000, help="servers for the big listing")
    parser.add_argument("--detail-many", type=int, default=20, help="listings with --many")
    parser.add_argument("--only", choices=["all-in-one", "separate"], default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    parser.add_argument(
        "--out", default=None, help="JSON result (default artifacts/bench-compute.json)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy (CPU: samples holding the GIL) on every process; artifacts/profile/",
    )
    parser.add_argument(
        "--scheduler-json",
        default=str(ROOT / "artifacts" / "bench-scheduler.json"),
        help="output of tools/bench_scheduler.py (SQLite) to include in the table",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)
    work = Path(tempfile.mkdtemp(prefix="stratus-bench-compute-", dir="/tmp"))
    work.chmod(0o755)  # PostgreSQL runs as user postgres and must reach its dir inside
    watch = LoadWatch()
    watch.start()
    deployments: dict[str, dict[str, Any] | None] = {"all-in-one": None, "separate": None}
    try:
        if args.only in (None, "all-in-one"):
            (work / "aio").mkdir()
            deployments["all-in-one"] = guarded("all-in-one", all_in_one, args, work / "aio", watch)
        if args.only in (None, "separate"):
            (work / "sep").mkdir()
            deployments["separate"] = guarded("separate", separate, args, work / "sep", watch)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        watch.stop()
        if args.keep:
            print(f"\nlogs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    summarize(args, deployments, watch)
    return 0


def summarize(
    args: argparse.Namespace, deployments: dict[str, dict[str, Any] | None], watch: LoadWatch
) -> None:
    aio = deployments.get("all-in-one")
    sched = Path(args.scheduler_json)
    if aio is not None and not aio.get("error") and sched.is_file():
        with contextlib.suppress(ValueError):
            aio["scheduler"] = json.loads(sched.read_text())
    table = report.rows(
        {
            "Stratus all-in-one": aio,
            "Stratus separate (RabbitMQ+PostgreSQL)": deployments.get("separate"),
        }
    )
    load = watch.summary()
    print("\nCompute control plane, fake driver (this machine; client on the same cores)")
    print(report.text_table(table))
    print(f"\nload average (1 min) during the run: {load['text']}")
    # NOTE: a profiled run is slower; it never overwrites the figures of an unprofiled one.
    name = "bench-compute-profiled.json" if args.profile else "bench-compute.json"
    out = Path(args.out) if args.out else ROOT / "artifacts" / name
    out.parent.mkdir(exist_ok=True)
    payload = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load": load, **deployments}
    out.write_text(json.dumps(payload, indent=1) + "\n")
    md = out.with_suffix(".md")
    md.write_text(report.markdown_table(table) + f"\n\nLoad average (1 min): {load['text']}\n")
    print(f"written to {out} and {md}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: the processes started were stopped and the temp dir removed")
        sys.exit(130)
