"""HTTP side of ``tools/bench_compute.py``: token, catalog, test data and the extra figures.

The extra figures (beyond what ``bench_openstack.py`` measures): POST → ACTIVE polled every
10 ms, and ``GET /servers/detail`` with 2,000 servers present.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

FLAVOR = {"name": "m1.nano", "vcpus": 1, "ram": 64, "disk": 1}
IMAGE = "cirros-fake"
TICK = os.sysconf("SC_CLK_TCK")


def summ(seconds: list[float]) -> dict[str, Any]:
    """Median / p90 / min / max in ms."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered) * 1000, 1),
        "p90": round(p90 * 1000, 1),
        "min": round(ordered[0] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
        "n": len(ordered),
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Cloud:
    """An admin session on the cloud at ``auth_url`` (thread-safe: one client per thread)."""

    def __init__(self, auth_url: str, password: str) -> None:
        self.auth_url = auth_url
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "admin",
                            "domain": {"name": "Default"},
                            "password": password,
                        }
                    },
                },
                "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
            }
        }
        r = httpx.post(auth_url + "/auth/tokens", json=body, timeout=60)
        r.raise_for_status()
        token = r.json()["token"]
        self.project_id = token["project"]["id"]
        self.url = {
            svc["type"]: next(e["url"] for e in svc["endpoints"] if e["interface"] == "public")
            for svc in token["catalog"]
        }
        self.headers = {"X-Auth-Token": r.headers["X-Subject-Token"]}
        version = httpx.get(self.url["compute"], timeout=30).json()["version"]["version"]
        self.headers["OpenStack-API-Version"] = f"compute {version}"
        self.local = threading.local()
        self.flavor_id = self.image_id = ""

    @property
    def client(self) -> httpx.Client:
        if not hasattr(self.local, "client"):
            self.local.client = httpx.Client(headers=self.headers, timeout=120)
        return self.local.client  # type: ignore[no-any-return]

    def compute(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, self.url["compute"] + path, **kw)

    def services(self) -> list[str]:
        r = self.compute("GET", "/os-services")
        r.raise_for_status()
        return [f"{s['binary']}@{s['host']}:{s['state']}" for s in r.json()["services"]]

    def services_up(self, expect_computes: int = 1) -> bool:
        listed = self.services()
        binaries = [s.split("@")[0] for s in listed]
        return (
            all(s.endswith(":up") for s in listed)
            and "stratus-conductor" in binaries
            and "stratus-scheduler" in binaries
            and binaries.count("stratus-compute") >= expect_computes
        )

    def prepare(self) -> None:
        """Unlimited quotas, flavor m1.nano (1 vCPU, 64 MB, 1 GB), a 1 MiB raw image."""
        quota = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
        self.compute("PUT", f"/os-quota-sets/{self.project_id}", json=quota).raise_for_status()
        r = self.compute("POST", "/flavors", json={"flavor": FLAVOR})
        r.raise_for_status()
        self.flavor_id = r.json()["flavor"]["id"]
        image = self.url["image"].rstrip("/") + "/v2/images"
        r = self.client.post(
            image, json={"name": IMAGE, "disk_format": "raw", "container_format": "bare"}
        )
        r.raise_for_status()
        self.image_id = r.json()["id"]
        r = self.client.put(
            f"{image}/{self.image_id}/file",
            content=b"\0" * 1024 * 1024,
            headers={"Content-Type": "application/octet-stream"},
        )
        r.raise_for_status()

    def post_server(self, name: str) -> str:
        body = {"name": name, "flavorRef": self.flavor_id, "imageRef": self.image_id}
        r = self.compute("POST", "/servers", json={"server": {**body, "networks": "none"}})
        if r.status_code != 202:
            raise RuntimeError(f"POST /servers {r.status_code}: {r.text[:300]}")
        return str(r.json()["server"]["id"])

    def count(self, status: str) -> int:
        """Servers in ``status``, following the pages (1,000 per page)."""
        total, marker = 0, None
        while True:
            params = {"status": status, "limit": "1000", **({"marker": marker} if marker else {})}
            servers = self.compute("GET", "/servers", params=params).json()["servers"]
            total += len(servers)
            if len(servers) < 1000:
                return total
            marker = servers[-1]["id"]


def fine_poll_latency(cloud: Cloud, n: int, poll: float = 0.01) -> dict[str, Any]:
    """POST → ACTIVE and DELETE → 404 of ``n`` servers one at a time, polled every ``poll`` s."""
    created, deleted, ids = [], [], []
    for i in range(n):
        started = time.monotonic()
        sid = cloud.post_server(f"fine-{i}")
        while (
            status := cloud.compute("GET", f"/servers/{sid}").json()["server"]["status"]
        ) not in (
            "ACTIVE",
            "ERROR",
        ):
            time.sleep(poll)
        if status == "ERROR":
            raise RuntimeError(f"server {sid} went to ERROR")
        created.append(time.monotonic() - started)
        ids.append(sid)
    for sid in ids:
        started = time.monotonic()
        cloud.compute("DELETE", f"/servers/{sid}").raise_for_status()
        while cloud.compute("GET", f"/servers/{sid}").status_code != 404:
            time.sleep(poll)
        deleted.append(time.monotonic() - started)
    return {
        "poll_s": poll,
        "create_to_active_ms": summ(created),
        "delete_to_gone_ms": summ(deleted),
    }


def create_many(cloud: Cloud, total: int, concurrency: int = 10) -> dict[str, Any]:
    """POST until ``total`` servers exist (``concurrency`` clients), then wait for no BUILD."""
    missing = total - cloud.count("ACTIVE")
    errors: list[str] = []
    started = time.monotonic()

    def post(i: int) -> None:
        try:
            cloud.post_server(f"many-{i}")
        except (RuntimeError, httpx.HTTPError) as exc:
            errors.append(str(exc))

    with cf.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(missing)))
    posted = time.monotonic() - started
    deadline = time.monotonic() + 900
    while cloud.compute("GET", "/servers", params={"status": "BUILD", "limit": "1"}).json()[
        "servers"
    ]:
        if time.monotonic() > deadline:
            raise RuntimeError("servers still in BUILD after 900 s")
        time.sleep(0.5)
    settled = time.monotonic() - started
    return {
        "posted": missing,
        "post_errors": len(errors),
        "first_errors": errors[:3],
        "posts_per_s": round(missing / posted, 1),
        "all_settled_s": round(settled, 1),
        "active": cloud.count("ACTIVE"),
        "error": cloud.count("ERROR"),
    }


def timed_listing(cloud: Cloud, n: int, pid: int | None, **params: str) -> dict[str, Any]:
    """``GET /servers/detail`` ``n`` times; follows ``servers_links`` when ``all_pages``."""
    all_pages = params.pop("all_pages", "") == "yes"
    times, listed, size, pages = [], 0, 0, 0
    cpu0 = cpu_seconds(pid) if pid else 0.0
    for _ in range(n):
        started = time.monotonic()
        r = cloud.compute("GET", "/servers/detail", params=params)
        body = r.json()
        listed, size, pages = len(body["servers"]), len(r.content), 1
        while all_pages and body.get("servers_links"):
            r = cloud.client.get(body["servers_links"][0]["href"])
            body = r.json()
            listed, size, pages = listed + len(body["servers"]), size + len(r.content), pages + 1
        times.append(time.monotonic() - started)
    out = summ(times)
    out = {"median_ms": out.pop("median"), **out, "servers_listed": listed, "bytes": size}
    out["pages"] = pages
    if pid:
        out["cpu_ms_per_request"] = round((cpu_seconds(pid) - cpu0) * 1000 / n, 1)
    return out


def listings(cloud: Cloud, n: int, pid: int | None) -> dict[str, Any]:
    """``GET /servers/detail``: the default request, ``limit=2000`` and all pages."""
    res: dict[str, Any] = {}
    res["detail_default"] = timed_listing(cloud, n, pid)
    res["detail_limit_2000"] = timed_listing(cloud, max(n // 4, 1), pid, limit="2000")
    res["detail_all_pages"] = timed_listing(cloud, max(n // 4, 1), pid, all_pages="yes")
    return res
