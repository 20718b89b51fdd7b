"""The listening sockets of the APIs, bound before any server starts.

Binding them here rather than inside uvicorn turns "address already in use" into one line that
names the port, the service and the setting that moves it, instead of a traceback from deep in
the event loop (``stratus up: port 8774 (compute API) is in use; set [compute] api_port or
STRATUS_COMPUTE__API_PORT``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import socket

BACKLOG = 2048  # uvicorn's default


@dataclasses.dataclass(frozen=True)
class PortSetting:
    """What listens on a port and which option of ``stratus.conf`` chooses it."""

    label: str
    section: str
    key: str

    def hint(self) -> str:
        env = f"STRATUS_{self.section.upper()}__{self.key.upper()}"
        return f"set [{self.section}] {self.key} or {env}"


PORT_SETTINGS: dict[str, PortSetting] = {
    "identity": PortSetting("identity API", "identity", "port"),
    "image": PortSetting("image API", "image", "port"),
    "compute": PortSetting("compute API", "compute", "api_port"),
    "network": PortSetting("network API", "network", "api_port"),
    "novncproxy": PortSetting("noVNC console proxy", "vnc", "novncproxy_port"),
}


class ListenError(Exception):
    """An API cannot listen: the message says which port, whose, and what to change."""


def describe(name: str, host: str, port: int, error: OSError) -> str:
    """The one-line explanation of why API ``name`` cannot listen on ``host``:``port``."""
    setting = PORT_SETTINGS.get(name, PortSetting(f"{name} API", name, "port"))
    if error.errno == errno.EADDRINUSE:
        return f"port {port} ({setting.label}) is in use; {setting.hint()}"
    reason = error.strerror or str(error)
    if error.errno == errno.EACCES and port < 1024:
        reason += " (ports below 1024 need root)"
    return f"cannot listen on {host or '*'}:{port} ({setting.label}): {reason}; {setting.hint()}"


def bind(name: str, host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address ``host`` resolves to (as asyncio's ``create_server``
    would make them); raises :class:`ListenError` and leaves nothing open on failure."""
    sockets: list[socket.socket] = []
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        for family, kind, proto, _name, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # NOTE: as asyncio does: an IPv4 socket of the same host name binds separately
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
    except OSError as exc:
        close(sockets)
        raise ListenError(describe(name, host, port, exc)) from exc
    return sockets


def close(sockets: list[socket.socket]) -> None:
    """Close ``sockets`` (already closed ones too)."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()


__all__ = ["PORT_SETTINGS", "ListenError", "PortSetting", "bind", "close", "describe"]
