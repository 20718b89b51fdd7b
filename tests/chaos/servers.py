"""The parts a fault test kills: Stratus processes, the RabbitMQ node and a PostgreSQL cluster.

Every kill is ``SIGKILL`` to a pid this test session started (a Stratus process, the broker
node started by ``tests/fixtures/rabbit.py``, the cluster started here with
``tools/postgres.sh``); nothing is looked up by name.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from tests.e2e.processes import Processes
from tests.fixtures.rabbit import RabbitBroker
from tests.fixtures.waiting import scaled, wait_until

REPO = Path(__file__).resolve().parents[2]
PG_SCRIPT = REPO / "tools" / "postgres.sh"


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (read before it dies: orphans are re-parented)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


def _kill9(pids: list[int], what: str) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not any(_alive(p) for p in pids), 30, f"{what} to die")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


class ChaosProcesses(Processes):
    """:class:`Processes` that remembers how each process was started, so it can restart it
    (appending to the same log) after a ``kill -9``."""

    def __init__(self, tmp_path: Path, rabbit_url: str, db_url: str | None = None) -> None:
        super().__init__(tmp_path, rabbit_url, db_url)
        self.argv: dict[str, tuple[tuple[str, ...], dict[str, str] | None]] = {}

    log_mode = "ab"

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.argv[name] = (args, env)
        super().start(name, *args, env=env)

    def kill9(self, name: str) -> None:
        """SIGKILL to the process itself only (a QEMU guest it started must survive)."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(scaled(30))

    def stop(self, name: str) -> None:
        """SIGTERM, as a service manager's restart does."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(scaled(60))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self, name: str) -> None:
        args, env = self.argv[name]
        self.start(name, *args, env=env)

    def full_log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


class PgCluster:
    """A PostgreSQL cluster of ``tools/postgres.sh`` in ``state`` that can be killed -9."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.url = ""

    def start(self) -> str:
        proc = subprocess.run(
            [str(PG_SCRIPT), "start", str(self.state), str(_free_port())],
            capture_output=True,
            text=True,
            timeout=scaled(180),
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip() or proc.stdout.strip())
        self.url = proc.stdout.strip().splitlines()[-1]
        return self.url

    def stop(self) -> None:
        subprocess.run(
            [str(PG_SCRIPT), "stop", str(self.state)], capture_output=True, timeout=120, check=False
        )

    def postmaster_pid(self) -> int:
        return int((self.state / "data" / "postmaster.pid").read_text().split()[0])

    def kill9(self) -> None:
        """SIGKILL to the postmaster and its backends (all of them, or the next start finds
        shared memory still attached)."""
        pid = self.postmaster_pid()
        _kill9([pid, *_children(pid)], "postgres")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rabbit_state(broker: RabbitBroker) -> dict[str, str]:
    assert broker.state_dir is not None
    lines = (broker.state_dir / "state").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def rabbit_kill9(broker: RabbitBroker) -> None:
    """SIGKILL to the node's process group (the wrapper script, beam.smp and its helpers, all
    started by tools/rabbitmq.sh in a session of their own); epmd is left running."""
    state = _rabbit_state(broker)
    pid, port = int(state["NODE_PID"]), int(state["PORT"])
    members = [pid, *_children(pid)]
    for child in list(members[1:]):
        members += _children(child)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _kill9(members, "rabbitmq")
    wait_until(lambda: not _port_open(port), 30, "the AMQP port to close")


def rabbit_start(broker: RabbitBroker) -> None:
    """Start the node again on the same port with the same users and queues."""
    broker.restart()
