"""Processes for ``tools/bench_compute.py``: Stratus services, RabbitMQ, PostgreSQL, load average.

Every process started here runs in its own session (so a Ctrl-C at the terminal reaches only the
benchmark, which then stops them in order) and is stopped by the caller's ``ExitStack``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, ClassVar

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"


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


class Proc:
    """One child process with its log; ``stop`` is idempotent."""

    STRATUS: ClassVar[Path] = Path(sys.executable).parent / "stratus"

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path | None) -> None:
        self.name, self.popen, self.log = name, popen, log

    @classmethod
    def spawn(
        cls, name: str, cmd: list[str], env: Mapping[str, str], out: IO[bytes], own_session: bool
    ) -> Proc:
        popen = subprocess.Popen(
            cmd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=own_session
        )
        return cls(name, popen, Path(out.name) if isinstance(out.name, str) else None)

    @classmethod
    def start(cls, name: str, cmd: list[str], env: Mapping[str, str], log: Path) -> Proc:
        with open(log, "wb") as out:
            return cls.spawn(name, cmd, env, out, own_session=True)

    def tail(self, chars: int = 3000) -> str:
        if self.log is None or not self.log.is_file():
            return ""
        return self.log.read_text(errors="replace")[-chars:]

    def peak_rss_mb(self) -> float:
        """VmHWM (peak resident set) in MB; 0 when the process is gone."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode


def until(
    check: Callable[[], bool], timeout: float, what: str, procs: Mapping[str, Proc] | None = None
) -> None:
    """Poll ``check`` every 20 ms; RuntimeError on timeout or when a watched process exits."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        for proc in (procs or {}).values():
            if proc.popen.poll() is not None:
                raise RuntimeError(
                    f"{proc.name} exited ({proc.popen.returncode}) waiting for {what}:\n"
                    + proc.tail()
                )
        with contextlib.suppress(httpx.HTTPError, KeyError):
            if check():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class LoadWatch(threading.Thread):
    """Samples the 1-minute load average every second, tagged with the current phase."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[str, float]] = []
        self.current = "start"
        self.halt = threading.Event()

    @staticmethod
    def load1() -> float:
        return float(Path("/proc/loadavg").read_text().split()[0])

    def phase(self, name: str) -> None:
        self.current = name

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((self.current, self.load1()))
            self.halt.wait(1.0)

    def stop(self) -> None:
        self.halt.set()
        self.samples.append(("end", self.load1()))

    def summary(self) -> dict[str, Any]:
        phases: dict[str, list[float]] = {}
        for phase, value in self.samples:
            phases.setdefault(phase, []).append(value)
        peak = {p: max(v) for p, v in phases.items()}
        start = self.samples[0][1] if self.samples else None
        end = self.samples[-1][1] if self.samples else None
        text = f"start {start}, end {end}; peak " + ", ".join(
            f"{p} {v}" for p, v in peak.items() if p not in ("start", "end")
        )
        cpus = os.cpu_count()
        return {"start": start, "end": end, "peak_by_phase": peak, "cpus": cpus, "text": text}


def _script(args: list[str], timeout: float = 240) -> str:
    proc = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=False, start_new_session=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {proc.stderr.strip() or proc.stdout}")
    return proc.stdout.strip().splitlines()[-1]


def start_infra(work: Path, stack: contextlib.ExitStack) -> dict[str, Any]:
    """A throwaway RabbitMQ and PostgreSQL in ``work``; stopped when ``stack`` unwinds."""
    rabbit, pg = work / "rabbit", work / "pg"
    started = time.monotonic()
    # NOTE: registered before starting, so an interrupted start is still stopped.
    stack.callback(_quiet, [str(TOOLS / "rabbitmq.sh"), "stop", str(rabbit)])
    rabbit_url = _script([str(TOOLS / "rabbitmq.sh"), "start", str(rabbit)])
    rabbit_s = time.monotonic() - started
    started = time.monotonic()
    stack.callback(_quiet, [str(TOOLS / "postgres.sh"), "stop", str(pg)])
    db_url = _script([str(TOOLS / "postgres.sh"), "start", str(pg), str(free_port())])
    pg_s = time.monotonic() - started
    return {
        "rabbit_url": rabbit_url,
        "db_url": db_url,
        "startup_s": {"rabbitmq": round(rabbit_s, 2), "postgresql": round(pg_s, 2)},
    }


def _quiet(args: list[str]) -> None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(args, capture_output=True, timeout=120, check=False, start_new_session=True)


def _tree(pid: int) -> list[int]:
    out = [pid]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        kids = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for kid in kids:
            out += _tree(int(kid))
    return out


def _mem_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS of ``pid`` and its descendants (PSS shares shared memory out fairly)."""
    rss = pss = 0.0
    for p in _tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) / 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) / 1024
    return rss, pss


def infra_memory_mb(work: Path) -> dict[str, dict[str, float]]:
    """RSS / PSS of the RabbitMQ node (with epmd) and the PostgreSQL cluster in ``work``."""
    pids: dict[str, list[int]] = {}
    with contextlib.suppress(OSError, ValueError):
        state = dict(
            line.split("=", 1) for line in (work / "rabbit" / "state").read_text().splitlines()
        )
        pids["rabbitmq"] = [int(state[k]) for k in ("NODE_PID", "EPMD_PID") if state.get(k)]
    with contextlib.suppress(OSError, ValueError, IndexError):
        postmaster = (work / "pg" / "data" / "postmaster.pid").read_text().split()[0]
        pids["postgresql"] = [int(postmaster)]
    out = {}
    for name, roots in pids.items():
        mem = [_mem_mb(p) for p in roots]
        out[name] = {
            "rss_mb": round(sum(m[0] for m in mem), 1),
            "pss_mb": round(sum(m[1] for m in mem), 1),
        }
    return out


def run_scheduler_bench(server_url: str, work: Path) -> dict[str, Any] | str:
    """tools/bench_scheduler.py on a new, empty database of the PostgreSQL server."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"sched_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        print("  tools/bench_scheduler.py on PostgreSQL ...", flush=True)
        proc = subprocess.run(
            [sys.executable, str(TOOLS / "bench_scheduler.py"), "--db-url", url],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        (work / "bench_scheduler.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            return f"bench_scheduler.py exited {proc.returncode}: {proc.stderr[-500:]}"
        result: dict[str, Any] = json.loads(proc.stdout)
        return result
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError), admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
