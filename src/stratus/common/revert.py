"""Undo multi-step side effects on failure (Incus' ``Reverter``) as a context manager.

::

    with Reverter() as revert:
        make_disk(); revert.add(remove_disk)
        plug_port(); revert.add(unplug_port)
        revert.success()          # keep everything

If the block raises before ``success()``, the undo steps run in reverse order; each undo must be
idempotent and is logged, not raised, when it fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

LOG = logging.getLogger(__name__)


class Reverter:
    def __init__(self) -> None:
        self._undo: list[Callable[[], object]] = []
        self._ok = False

    def add(self, undo: Callable[[], object]) -> None:
        self._undo.append(undo)

    def success(self) -> None:
        self._ok = True

    def fail(self) -> None:
        """Run every undo step now, newest first."""
        while self._undo:
            step = self._undo.pop()
            try:
                step()
            except Exception:
                LOG.exception("undo step %r failed", step)

    def __enter__(self) -> Reverter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._ok:
            self.fail()
