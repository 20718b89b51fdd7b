"""Exit codes of the ``stratus`` tenant commands (an API: scripts test them)."""

from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    SUCCESS = 0
    # the command ran but failed: a server not found, a refused request, no matching key, …
    ERROR = 1
    # the command line itself is wrong (argparse uses 2 as well)
    USAGE = 2
