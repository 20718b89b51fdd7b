"""Listening sockets and neighbour tables inside network namespaces, from the agent's process.

A socket belongs to the network namespace it was created in, whichever thread uses it later.
:func:`open_in_namespace` therefore runs a short-lived thread that joins the namespace
(``setns(2)`` on ``/var/run/netns/<name>``), creates and binds the listening socket and opens the
namespace's ARP table (``/proc/thread-self/net/arp``, which keeps showing that namespace when
re-read), then ends; the agent's own threads serve the socket. Nothing else in the process
changes namespace.

Both the socket and the open table hold a reference to the namespace: close them before (or
soon after) the namespace is deleted, or its devices linger unnamed.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

NETNS_DIR = Path("/var/run/netns")
CLONE_NEWNET = 0x40000000
IP_FREEBIND = 15  # linux/in.h: bind to an address not (yet) configured on an interface
ATF_COM = 0x02  # net/if_arp.h: the entry is complete (has a hardware address)

T = TypeVar("T")


class NamespaceError(OSError):
    """The namespace does not exist or cannot be entered."""


class Neighbours(Protocol):
    """Who answers for an address on the namespace's links."""

    def mac_of(self, ip: str) -> str | None:
        """The MAC address (lower case) the namespace knows for ``ip``, or ``None``."""


def _setns(path: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise NamespaceError(errno, f"setns({path}): {os.strerror(errno)}")
    finally:
        os.close(fd)


def run_in_namespace(path: Path, fn: Callable[[], T]) -> T:
    """Run ``fn`` on a new thread that has joined the network namespace at ``path``."""
    box: dict[str, T | BaseException] = {}

    def target() -> None:
        try:
            _setns(path)
            box["result"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"netns:{path.name}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        error = box["error"]
        assert isinstance(error, BaseException)
        raise error
    return box["result"]  # type: ignore[return-value]


def listen(address: str, port: int, backlog: int = 64) -> socket.socket:
    """A listening TCP socket on ``address:port`` in the calling thread's namespace."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # NOTE: the dataplane may add the address to its bridge a moment after us.
        sock.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
        sock.bind((address, port))
        sock.listen(backlog)
        sock.set_inheritable(False)
    except BaseException:
        sock.close()
        raise
    return sock


def parse_arp(text: str) -> dict[str, str]:
    """``/proc/net/arp`` -> {ip: mac} of the complete entries."""
    found: dict[str, str] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4:
            continue
        try:
            flags = int(fields[2], 16)
        except ValueError:
            continue
        if flags & ATF_COM:
            found[fields[0]] = fields[3].lower()
    return found


class ArpTable:
    """A namespace's IPv4 neighbour table, from a ``/proc`` file opened inside it."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._lock = threading.Lock()

    def mac_of(self, ip: str) -> str | None:
        with self._lock:
            self._file.seek(0)
            text = self._file.read().decode("ascii", errors="replace")
        return parse_arp(text).get(ip)

    def close(self) -> None:
        self._file.close()


@dataclasses.dataclass
class Endpoint:
    """What :func:`open_in_namespace` returns: the listening socket and the namespace's
    neighbours; ``inode`` identifies the namespace (a new one with the same name differs)."""

    sock: socket.socket
    neighbours: ArpTable
    inode: int

    def close(self) -> None:
        self.sock.close()
        self.neighbours.close()


def namespace_inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def open_in_namespace(path: Path, address: str, port: int) -> Endpoint:
    """Listen on ``address:port`` inside the namespace at ``path`` and open its ARP table."""
    if namespace_inode(path) is None:
        raise NamespaceError(2, f"network namespace {path} does not exist")

    def inside() -> Endpoint:
        inode = os.stat("/proc/thread-self/ns/net").st_ino
        sock = listen(address, port)
        try:
            table = open("/proc/thread-self/net/arp", "rb", buffering=0)  # noqa: SIM115
        except BaseException:
            sock.close()
            raise
        return Endpoint(sock, ArpTable(table), inode)

    return run_in_namespace(path, inside)
