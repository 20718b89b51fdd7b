"""``[conductor]``: how long work may go without progress before it counts as abandoned.

Kept apart from ``config.py`` (one option group, imported there as a section of ``Config``).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class ConductorSection:
    """``[conductor]``: the conductor's stuck-work check (``stratus.conductor.recovery``).

    A build (``vm_state`` building) whose instance has not changed for ``build_timeout``
    seconds goes to ERROR with a fault; another task (``task_state`` set) unchanged for
    ``task_timeout`` seconds is finished (a delete) or cleared. Compute agents touch the
    instances they are working on every ``progress_interval`` seconds, so a slow build or a
    long snapshot upload is never taken for abandoned work. ``recovery_interval`` 0 turns the
    check off.
    """

    # NOTE: Nova's [DEFAULT] instance_build_timeout is off by default; here it is on, and ten
    # times the agents' progress touch, so only work nobody touches for 10 minutes is reaped.
    build_timeout: int = 600
    task_timeout: int = 900
    recovery_interval: int = 30
    progress_interval: int = 60
