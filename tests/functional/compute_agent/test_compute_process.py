"""The ``stratus compute`` process: it cannot open the database, and bad options fail clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "stratus.cmd.main"]

# Replaces ``start`` by code that tries to open the database, then runs the real process main
# (or, for the control run, calls it without ``run``).
SCRIPT = """
import sys
from stratus.api import deploy
from stratus.cmd import compute
from stratus.common import config
from stratus.db import engine

def try_database(*_args, **_kwargs):
    try:
        deploy.open_database(cfg).engine.connect().close()
    except engine.DatabaseAccessForbidden as exc:
        print("FORBIDDEN:", exc)
        sys.exit(3)
    print("OPENED")
    sys.exit(4)

cfg = config.load(
    state_path=sys.argv[1], environ={}, overrides={"compute": {"virt_driver": "fake"}}
)
compute.start = try_database
if sys.argv[2] == "run":
    sys.exit(compute.run(cfg, "h1", "fake"))
try_database()
"""


def _python(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "state"), mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_compute_process_cannot_open_the_database(tmp_path: Path) -> None:
    control = _python(tmp_path, "direct")
    assert (control.returncode, control.stdout.strip()) == (4, "OPENED"), control.stderr
    done = _python(tmp_path, "run")
    assert done.returncode == 3, done.stderr
    assert "FORBIDDEN: this process must not open the database" in done.stdout


def test_unknown_virt_driver_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "--data-dir", str(tmp_path), "compute", "--host", "h1", "--virt", "xen"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "STRATUS_MY_IP": "127.0.0.1"},
    )
    assert done.returncode == 2
    assert "unknown virt driver 'xen': choose one of fake" in done.stderr
