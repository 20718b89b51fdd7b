"""What a fault test does to the cloud: a wave of server creates, deletes or resizes from
parallel threads, and the wait until every server has settled (the recovery bound)."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from tests.fixtures.waiting import scaled

STABLE = ("ACTIVE", "ERROR")


class Endpoints(Protocol):
    """Where a cloud's APIs answer (:class:`tests.e2e.processes.Processes` is one)."""

    def url(self, service: str, path: str = "") -> str: ...


@dataclasses.dataclass
class Wave:
    """Requests sent and what came back: ``accepted`` name -> server id (HTTP 202), ``lost``
    name -> why no id came back (an error status or a broken connection: the server may or
    may not exist)."""

    prefix: str
    accepted: dict[str, str] = dataclasses.field(default_factory=dict)
    lost: dict[str, str] = dataclasses.field(default_factory=dict)
    started: float = 0.0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def done(self) -> int:
        with self.lock:
            return len(self.accepted) + len(self.lost)


def _post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    """POST, retrying only a refused connection (the request never left: an API being
    restarted), as a client would, for up to a minute."""
    deadline = time.monotonic() + scaled(60)
    while True:
        try:
            return client.post(url, json=body)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _create(
    client: httpx.Client, p: Endpoints, wave: Wave, name: str, body: dict[str, Any]
) -> None:
    try:
        r = _post(client, p.url("compute", "/v2.1/servers"), {"server": {**body, "name": name}})
    except httpx.HTTPError as exc:
        with wave.lock:
            wave.lost[name] = f"{type(exc).__name__}: {exc}"
        return
    with wave.lock:
        if r.status_code == 202:
            wave.accepted[name] = str(r.json()["server"]["id"])
        else:
            wave.lost[name] = f"HTTP {r.status_code}: {r.text[:200]}"


def start_creates(
    client: httpx.Client,
    p: Endpoints,
    body: dict[str, Any],
    prefix: str,
    count: int = 20,
    threads: int = 10,
) -> tuple[Wave, cf.ThreadPoolExecutor, list[cf.Future[None]]]:
    """Send ``count`` creates from ``threads`` threads; returns at once (see :func:`finish`)."""
    wave = Wave(prefix, started=time.monotonic())
    pool = cf.ThreadPoolExecutor(threads)
    futures = [
        pool.submit(_create, client, p, wave, f"{prefix}-{n:02d}", body) for n in range(count)
    ]
    return wave, pool, futures


def finish(pool: cf.ThreadPoolExecutor, futures: list[cf.Future[None]]) -> None:
    for f in futures:
        f.result()
    pool.shutdown()


def wait_for_trigger(check: Callable[[], bool], limit: float) -> float:
    """Wait until ``check`` holds or ``limit`` seconds pass; the seconds waited (the fault goes
    in either way: mid-boot is a point in time, not a condition to assert)."""
    t0 = time.monotonic()
    while not check() and time.monotonic() - t0 < scaled(limit):
        time.sleep(0.05)
    return time.monotonic() - t0


def list_servers(client: httpx.Client, p: Endpoints, prefix: str) -> list[dict[str, Any]]:
    r = client.get(p.url("compute", "/v2.1/servers/detail"), params={"all_tenants": "1"})
    r.raise_for_status()
    return [s for s in r.json()["servers"] if str(s["name"]).startswith(prefix)]


def unsettled(servers: list[dict[str, Any]], stable: tuple[str, ...] = STABLE) -> list[str]:
    """``name status/task_state`` of each server not yet in a stable state."""
    return [
        f"{s['name']} {s['id'][:8]} {s['status']}/{s.get('OS-EXT-STS:task_state')}"
        for s in servers
        if s["status"] not in stable or s.get("OS-EXT-STS:task_state")
    ]


def settle(
    client: httpx.Client,
    p: Endpoints,
    prefix: str,
    bound: float,
    stable: tuple[str, ...] = STABLE,
    gone: set[str] | None = None,
) -> tuple[float, list[str]]:
    """Poll until every server of ``prefix`` is stable (and every id in ``gone`` has vanished)
    or ``bound`` (scaled) seconds pass. Returns the seconds taken and what was still unsettled
    at the end (empty: recovered)."""
    t0 = time.monotonic()
    left: list[str] = ["(no answer yet)"]
    while time.monotonic() - t0 < scaled(bound):
        try:
            servers = list_servers(client, p, prefix)
        except httpx.HTTPError as exc:
            left = [f"API: {exc!r}"]
        else:
            left = unsettled(servers, stable)
            left += [
                f"{s['name']} still listed after delete" for s in servers if s["id"] in (gone or ())
            ]
            if not left:
                break
        time.sleep(0.5)
    return time.monotonic() - t0, left


@dataclasses.dataclass
class Actions:
    """Per-server actions (delete, resize) sent in parallel: ``ok`` ids answered 2xx,
    ``lost`` id -> why not (the action may or may not have been taken)."""

    ok: set[str] = dataclasses.field(default_factory=set)
    lost: dict[str, str] = dataclasses.field(default_factory=dict)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def done(self) -> int:
        with self.lock:
            return len(self.ok) + len(self.lost)


def _act(client: httpx.Client, p: Endpoints, acts: Actions, sid: str, body: Any) -> None:
    try:
        if body is None:
            r = client.delete(p.url("compute", f"/v2.1/servers/{sid}"))
        else:
            r = _post(client, p.url("compute", f"/v2.1/servers/{sid}/action"), body)
    except httpx.HTTPError as exc:
        with acts.lock:
            acts.lost[sid] = f"{type(exc).__name__}: {exc}"
        return
    with acts.lock:
        if r.status_code in (202, 204):
            acts.ok.add(sid)
        else:
            acts.lost[sid] = f"HTTP {r.status_code}: {r.text[:200]}"


def start_actions(
    client: httpx.Client, p: Endpoints, ids: list[str], body: Any, threads: int = 10
) -> tuple[Actions, cf.ThreadPoolExecutor, list[cf.Future[None]]]:
    """Delete (``body`` None) or act on each of ``ids`` from parallel threads; returns at once."""
    acts = Actions()
    pool = cf.ThreadPoolExecutor(threads)
    return acts, pool, [pool.submit(_act, client, p, acts, sid, body) for sid in ids]
