"""``python -m stratus.network.backends.linuxbridge.tapfds -- QEMU ARGV...``

Runs QEMU (``exec``, so it keeps this process id and its command line is QEMU's) after replacing
each ``-netdev tap,...,ifname=TAP,...`` by ``-netdev tap,...,fd=N``: ``TAP`` is looked up in the
``qdhcp-*`` network namespaces, opened there (``setns`` + ``TUNSETIFF``, which binds the file
descriptor to that namespace's device) and left open for QEMU. This process then returns to the
host's namespace, so QEMU runs there, whatever namespaces its taps are in.

Only the standard library is used: this runs before every QEMU start. Errors go to stderr with
exit status 1 (the qemu driver reports the last line).
"""

from __future__ import annotations

import ctypes
import fcntl
import itertools
import os
import socket
import struct
import sys
from pathlib import Path

NETNS_DIR = Path("/run/netns")
PREFIX = "qdhcp-"
CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
# options QEMU refuses together with fd= (they only make sense when QEMU opens the tap itself)
FD_EXCLUSIVE = ("ifname", "script", "downscript", "helper", "vnet_hdr", "queues", "fds")


class TapError(Exception):
    pass


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise TapError(f"setns: {os.strerror(err)}")


def _open_tap(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    try:
        fcntl.ioctl(
            fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
        )
    except OSError:
        os.close(fd)
        raise
    os.set_inheritable(fd, True)
    return fd


def open_taps(names: list[str], netns_dir: Path = NETNS_DIR) -> dict[str, int]:
    """Open each tap in the namespace that has it; returns name -> inheritable fd."""
    found: dict[str, int] = {}
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        spaces = sorted(p for p in netns_dir.glob(f"{PREFIX}*")) if netns_dir.is_dir() else []
        for path in spaces:
            wanted = [n for n in names if n not in found]
            if not wanted:
                break
            ns_fd = os.open(path, os.O_RDONLY)
            try:
                _setns(ns_fd)
            finally:
                os.close(ns_fd)
            for name in wanted:
                try:
                    socket.if_nametoindex(name)
                except OSError:
                    continue
                found[name] = _open_tap(name)
    finally:
        _setns(home)
        os.close(home)
    missing = [n for n in names if n not in found]
    if missing:
        raise TapError(f"tap device(s) {', '.join(missing)} not found in any {PREFIX}* namespace")
    return found


def _tap_name(netdev: str) -> str | None:
    if not netdev.startswith("tap,"):
        return None
    for item in netdev.split(",")[1:]:
        key, _, value = item.partition("=")
        if key == "ifname":
            return value
    return None


def rewrite(argv: list[str], fds: dict[str, int]) -> list[str]:
    """``argv`` with ``ifname=`` taps replaced by their open file descriptors."""
    out = list(argv)
    for i in range(1, len(out)):
        name = _tap_name(out[i]) if out[i - 1] == "-netdev" else None
        if name is None:
            continue
        kept = [kv for kv in out[i].split(",")[1:] if kv.partition("=")[0] not in FD_EXCLUSIVE]
        out[i] = ",".join(["tap", *kept, f"fd={fds[name]}"])
    return out


def taps_of(argv: list[str]) -> list[str]:
    names = []
    for prev, arg in itertools.pairwise(argv):
        name = _tap_name(arg) if prev == "-netdev" else None
        if name:
            names.append(name)
    return names


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: tapfds -- QEMU [ARGS...]", file=sys.stderr)
        return 2
    qemu = argv[argv.index("--") + 1 :]
    try:
        fds = open_taps(taps_of(qemu))
    except (TapError, OSError) as exc:
        print(f"cannot open the instance's tap devices: {exc}", file=sys.stderr)
        return 1
    command = rewrite(qemu, fds)
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"cannot run {command[0]}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
