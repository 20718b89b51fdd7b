"""The environment a tenant command runs in, injectable for tests (httpie's ``Environment``).

Commands read the process environment, the home directory and the network namespaces, write to
stdout/stderr and finally may replace themselves with another program (``execvp``); tests give
them fakes for each, and an ``httpx`` transport that reaches in-process services.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import httpx


def _execvp(file: str, argv: Sequence[str]) -> None:
    os.execvp(file, list(argv))


@dataclasses.dataclass
class Environment:
    environ: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(os.environ))
    stdout: TextIO = dataclasses.field(default_factory=lambda: sys.stdout)
    stderr: TextIO = dataclasses.field(default_factory=lambda: sys.stderr)
    home: Path = dataclasses.field(default_factory=Path.home)
    netns_dir: Path = Path("/var/run/netns")
    is_root: bool = dataclasses.field(default_factory=lambda: os.geteuid() == 0)
    execvp: Callable[[str, Sequence[str]], None] = _execvp
    transport: httpx.BaseTransport | None = None
