"""The Fernet keys of this node, reloaded when ``stratus manage fernet rotate`` changes them."""

from __future__ import annotations

import os
import threading
import time

from cryptography.fernet import MultiFernet

from stratus.identity import fernet

_CHECK_EVERY = 2.0


class KeyRing:
    def __init__(self, repository: str) -> None:
        self.repository = repository
        self._lock = threading.Lock()
        self._keys: MultiFernet | None = None
        self._mtime = 0.0
        self._checked = 0.0

    def get(self) -> MultiFernet:
        now = time.monotonic()
        if self._keys is not None and now - self._checked < _CHECK_EVERY:
            return self._keys
        with self._lock:
            mtime = os.stat(self.repository).st_mtime if os.path.isdir(self.repository) else 0.0
            if self._keys is None or mtime != self._mtime:
                self._keys = fernet.load(self.repository)
                self._mtime = mtime
            self._checked = now
            return self._keys
