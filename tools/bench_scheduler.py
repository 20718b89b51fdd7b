#!/usr/bin/env python3
"""Scheduler decision time with 1,000 fake hosts: ``select_destinations`` median and p95.

Builds a migrated database (a temporary SQLite file, or ``--db-url`` e.g. PostgreSQL) with
``--hosts`` compute nodes and their services plus a few hundred existing allocations, then times
``--requests`` sequential scheduling decisions through the real engine (load host states, filter,
weigh, claim) and, separately, through the scheduler's RPC endpoint on the in-process bus.
Prints figures only; nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stratus.cmd import scheduler  # noqa: E402
from stratus.common import clock, config  # noqa: E402
from stratus.db import migrate  # noqa: E402
from stratus.db.models.compute import Allocation, ComputeNode, ComputeService  # noqa: E402
from stratus.db.session import Database  # noqa: E402
from stratus.messaging.inproc import InProcBus  # noqa: E402
from stratus.objects.flavor import Flavor  # noqa: E402
from stratus.objects.request_spec import RequestSpec  # noqa: E402
from stratus.rpcapi.scheduler import SchedulerAPI  # noqa: E402
from stratus.scheduler.engine import Engine  # noqa: E402

FLAVOR = Flavor(flavorid="1", name="m1.tiny", vcpus=1, memory_mb=512, root_gb=1)


def populate(db: Database, hosts: int, existing: int) -> None:
    now = clock.utcnow()
    with db.write() as s:
        for n in range(hosts):
            name = f"bench-{n:04d}"
            s.add(
                ComputeNode(
                    uuid=str(uuid.uuid4()),
                    host=name,
                    hypervisor_hostname=name,
                    hypervisor_type="fake",
                    vcpus=16,
                    memory_mb=32768,
                    local_gb=1024,
                    cpu_allocation_ratio=16.0,
                    ram_allocation_ratio=1.5,
                    disk_allocation_ratio=1.0,
                    reserved_host_memory_mb=512,
                    cpu_info={},
                )
            )
            s.add(
                ComputeService(
                    uuid=str(uuid.uuid4()),
                    host=name,
                    binary="stratus-compute",
                    topic="compute",
                    last_seen_up=now,
                    disabled=n % 50 == 0,
                )
            )
        s.flush()
        for n in range(existing):
            s.add(
                Allocation(
                    consumer_uuid=str(uuid.uuid4()),
                    compute_node_id=1 + n % hosts,
                    project_id="bench",
                    vcpus=1,
                    memory_mb=512,
                    disk_gb=1,
                    created_at=now,
                )
            )


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def timed(fn: object, requests: int) -> list[float]:
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--existing", type=int, default=500, help="allocations already made")
    parser.add_argument("--db-url", default=None, help="an EMPTY database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{tmp}/bench.sqlite"
        cfg = config.load(state_path=tmp, environ={}, overrides={"database": {"connection": url}})
        db = Database.from_url(url)
        migrate.sync(db.engine)
        populate(db, args.hosts, args.existing)
        spec = RequestSpec(project_id="bench", user_id="bench", flavor=FLAVOR)
        engine = Engine(cfg, db)
        direct = timed(lambda: engine.select_destinations(spec, [str(uuid.uuid4())]), args.requests)
        with InProcBus(f"memory://bench-{uuid.uuid4().hex}") as bus:
            service = scheduler.start(cfg, db, bus)
            client = SchedulerAPI(bus, timeout=60)
            over_bus = timed(
                lambda: client.select_destinations(spec, [str(uuid.uuid4())]), args.requests
            )
            service.stop()
        db.dispose()
    figures = {
        "hosts": args.hosts,
        "requests": args.requests,
        "backend": url.split(":", 1)[0],
        "engine": percentiles(direct),
        "rpc_in_process_bus": percentiles(over_bus),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
