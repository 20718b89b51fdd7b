"""Files and directories only their owner may read: the data directory, the database, keys.

Everything under the data directory is secret (password hashes, credential secrets, keys,
openrc files, every instance's disks), so it must be private from its first byte: a directory is
created 0700 at every level that did not exist (``mkdir -p`` would create the upper levels with
the umask's 0755, and a later ``chmod`` leaves a window), a file 0600 before anything is written
to it. ``tighten`` repairs what an older release (or an operator) left group- or world-readable.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

LOG = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = 0o077  # group and other permission bits


def tighten(path: str | Path) -> None:
    """Take group and other permissions away from ``path`` if this process owns it."""
    st = os.stat(path)
    if not st.st_mode & _OTHERS:
        return
    mode = stat.S_IMODE(st.st_mode)
    if st.st_uid != os.geteuid():
        LOG.warning("%s is readable by others (mode %04o) and not ours to change", path, mode)
        return
    os.chmod(path, mode & ~_OTHERS)
    LOG.warning("%s was readable by others (mode %04o); now %04o", path, mode, mode & ~_OTHERS)


def make_dir(path: str | Path, *, tighten_existing: bool = False) -> Path:
    """Create ``path`` and each missing parent with mode 0700; returns the absolute path.

    Directories that exist are left as they are (a parent such as ``/tmp`` is not ours to
    change) unless ``tighten_existing`` is set, which tightens ``path`` itself (never a parent).
    """
    target = Path(path).absolute()
    missing: list[Path] = []
    level = target
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            pass  # NOTE: created meanwhile by another process or thread; checked just below
    if not target.is_dir():
        raise NotADirectoryError(f"{target} is not a directory")
    if tighten_existing:
        tighten(target)
    return target


def make_file(path: str | Path, *, tighten_existing: bool = True) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; an existing one is tightened
    (unless ``tighten_existing`` is false: an operator may share a log file on purpose)."""
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        if tighten_existing:
            tighten(target)
    else:
        os.close(fd)
    return target


__all__ = ["DIR_MODE", "FILE_MODE", "make_dir", "make_file", "tighten"]
