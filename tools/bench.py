#!/usr/bin/env python3
"""`make bench`: measure a real `stratus up` on this machine and print the figures.

Figures (issue 2): start-up time, tokens issued per second (password and token methods),
token validations per second (repeated and distinct tokens), image upload and download
throughput for a 200 MB image, and peak RSS of the `stratus up` process.

Timings are printed and written to artifacts/bench.json; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
STRATUS = Path(sys.executable).parent / "stratus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_openrc(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export ") :].partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rate(fn: Callable[[int], None], seconds: float, workers: int) -> tuple[float, int]:
    """Calls per second of ``fn`` from ``workers`` threads for about ``seconds``."""
    deadline = time.monotonic() + seconds
    counts = [0] * workers

    def loop(w: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            fn(w * 1_000_000 + i)
            i += 1
        counts[w] = i

    started = time.monotonic()
    with cf.ThreadPoolExecutor(workers) as pool:
        list(pool.map(loop, range(workers)))
    total = sum(counts)
    return total / (time.monotonic() - started), total


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="stratus-bench-"))
        # NOTE: every API `stratus up` serves gets a free port (compute and network too), so a
        # running cloud on the default ports does not make the benchmark fail.
        self.ports = {n: free_port() for n in ("identity", "image", "compute", "network")}
        self.results: dict[str, Any] = {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            STRATUS_MY_IP="127.0.0.1",
            STRATUS_API__BIND_HOST="127.0.0.1",
            STRATUS_IDENTITY__PORT=str(self.ports["identity"]),
            STRATUS_IMAGE__PORT=str(self.ports["image"]),
            STRATUS_COMPUTE__API_PORT=str(self.ports["compute"]),
            STRATUS_NETWORK__API_PORT=str(self.ports["network"]),
        )
        log = open(self.tmp / "stratus.log", "wb")  # noqa: SIM115
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(STRATUS), "up", "--data-dir", str(self.tmp / "var"), "--virt", "fake"],
            env=env,
            stdout=log,
            stderr=log,
        )
        url = f"http://127.0.0.1:{self.ports['identity']}/v3"
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"stratus up exited; see {self.tmp / 'stratus.log'}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        self.results["startup_s"] = round(time.monotonic() - started, 2)
        self.openrc = read_openrc(self.tmp / "var" / "admin-openrc")
        self.identity = httpx.Client(
            base_url=f"http://127.0.0.1:{self.ports['identity']}", timeout=60
        )
        self.image = httpx.Client(base_url=f"http://127.0.0.1:{self.ports['image']}", timeout=600)

    def password_auth(self) -> dict[str, Any]:
        return {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": "admin",
                            "domain": {"name": "Default"},
                            "password": self.openrc["OS_PASSWORD"],
                        }
                    },
                },
                "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
            }
        }

    def tokens(self) -> None:
        body = self.password_auth()
        seconds, workers = self.args.seconds, self.args.workers

        def issue_password(_i: int) -> None:
            r = self.identity.post("/v3/auth/tokens?nocatalog", json=body)
            assert r.status_code == 201, r.text

        per_s, _ = rate(issue_password, seconds, workers)
        self.results["tokens_issued_per_s_password"] = round(per_s, 1)
        admin = self.identity.post("/v3/auth/tokens?nocatalog", json=body).headers[
            "X-Subject-Token"
        ]
        rescope = {
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": admin}},
                "scope": body["auth"]["scope"],
            }
        }
        issued: list[str] = []

        def issue_token(_i: int) -> None:
            r = self.identity.post("/v3/auth/tokens?nocatalog", json=rescope)
            assert r.status_code == 201, r.text
            issued.append(r.headers["X-Subject-Token"])

        per_s, _ = rate(issue_token, seconds, workers)
        self.results["tokens_issued_per_s_token_method"] = round(per_s, 1)
        headers = {"X-Auth-Token": admin}

        def validate_same(_i: int) -> None:
            r = self.identity.get(
                "/v3/auth/tokens?nocatalog", headers={**headers, "X-Subject-Token": admin}
            )
            assert r.status_code == 200

        per_s, _ = rate(validate_same, seconds, workers)
        self.results["token_validations_per_s_repeated"] = round(per_s, 1)

        def validate_distinct(i: int) -> None:
            token = (
                issued[i % len(issued)] if i < 1_000_000 else issued[(i - 1_000_000) % len(issued)]
            )
            r = self.identity.get(
                "/v3/auth/tokens?nocatalog", headers={**headers, "X-Subject-Token": token}
            )
            assert r.status_code == 200

        # NOTE: distinct tokens defeat the 5 s validation cache only while unseen; use each once.
        seconds_distinct = min(
            seconds, len(issued) / max(self.results["token_validations_per_s_repeated"], 1)
        )
        per_s, _ = rate(validate_distinct, max(seconds_distinct, 0.5), workers)
        self.results["token_validations_per_s_distinct"] = round(per_s, 1)
        self.admin_headers = headers

    def images(self) -> None:
        size = self.args.image_mb * 1024 * 1024
        blob = self.tmp / "image.raw"
        with open(blob, "wb") as fh:
            chunk = os.urandom(1024 * 1024)
            for _ in range(self.args.image_mb):
                fh.write(chunk)
        try:
            r = self.image.post(
                "/v2/images",
                json={"name": "bench", "disk_format": "raw", "container_format": "bare"},
                headers=self.admin_headers,
            )
        except httpx.ConnectError:
            self.results["image"] = "image API not running"
            return
        if r.status_code != 201:
            self.results["image"] = f"image API unavailable ({r.status_code})"
            return
        image_id = r.json()["id"]

        def chunks() -> Any:
            with open(blob, "rb") as fh:
                while data := fh.read(1024 * 1024):
                    yield data

        started = time.monotonic()
        r = self.image.put(
            f"/v2/images/{image_id}/file",
            content=chunks(),
            headers={**self.admin_headers, "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 204, r.text
        up = time.monotonic() - started
        started = time.monotonic()
        received = 0
        with self.image.stream(
            "GET", f"/v2/images/{image_id}/file", headers=self.admin_headers
        ) as resp:
            for data in resp.iter_bytes(1024 * 1024):
                received += len(data)
        down = time.monotonic() - started
        assert received == size
        self.results["image_mb"] = self.args.image_mb
        self.results["image_upload_mb_per_s"] = round(self.args.image_mb / up, 1)
        self.results["image_download_mb_per_s"] = round(self.args.image_mb / down, 1)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.results["peak_rss_mb_stratus_up"] = round(peak_rss_mb(self.proc.pid), 1)
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="duration of each rate measurement"
    )
    parser.add_argument("--workers", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--image-mb", type=int, default=200)
    args = parser.parse_args()
    bench = Bench(args)
    try:
        bench.start()
        bench.tokens()
        bench.images()
    finally:
        bench.stop()
        shutil.rmtree(bench.tmp, ignore_errors=True)  # the 200 MB image and the data dir
    width = max(len(k) for k in bench.results)
    print("\nStratus benchmark (this machine, one `stratus up`, client on the same 2 cores)")
    for key, value in bench.results.items():
        print(f"  {key:<{width}}  {value}")
    out = ROOT / "artifacts" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(bench.results, indent=2) + "\n")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
