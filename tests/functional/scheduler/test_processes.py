"""``stratus conductor`` and ``stratus scheduler`` as real processes: they register, heartbeat
every ``report_interval`` and stop cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stratus.db.session import Database
from stratus.services import servicegroup
from tests.fixtures.waiting import scaled
from tests.functional.scheduler.helpers import wait_for


def _report_count(db: Database, binary: str) -> int:
    with db.read() as s:
        rows = servicegroup.list_services(s, binary=binary, host="proc-host")
        return rows[0].report_count if rows else 0


@pytest.mark.parametrize(
    ("command", "binary", "sig"),
    [
        ("scheduler", "stratus-scheduler", signal.SIGTERM),
        ("conductor", "stratus-conductor", signal.SIGINT),
    ],
)
def test_process_heartbeats_and_stops_on_signal(
    db_url: str, tmp_path: Path, command: str, binary: str, sig: signal.Signals
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRATUS_") or k == "PATH"}
    env.update(
        STRATUS_DATABASE__CONNECTION=db_url,
        STRATUS_HOST="proc-host",
        STRATUS_MY_IP="127.0.0.1",
        STRATUS_REPORT_INTERVAL="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "stratus.cmd.main", "--data-dir", str(tmp_path), command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    db = Database.from_url(db_url)
    try:
        wait_for(lambda: _report_count(db, binary) >= 2, timeout=30, what=f"{binary} heartbeats")
        with db.read() as s:
            (row,) = servicegroup.list_services(s, binary=binary)
            assert servicegroup.is_up(row, 60)
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=scaled(60))
        assert proc.returncode == 0, output
        assert f"{binary} stopping" in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        db.dispose()


def test_process_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRATUS_")}
    env["STRATUS_DATABASE__CONNECTION"] = f"sqlite:///{tmp_path}/empty.sqlite"
    env["STRATUS_MY_IP"] = "127.0.0.1"
    done = subprocess.run(
        [sys.executable, "-m", "stratus.cmd.main", "--data-dir", str(tmp_path), "scheduler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "run 'stratus manage db sync' first" in done.stderr
