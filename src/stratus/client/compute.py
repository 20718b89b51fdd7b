"""The compute API as the CLI needs it: find a server by name or id, read a key pair."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from stratus.client.session import ApiError, Cloud
from stratus.common.exceptions import StratusError


class ServerNotFound(StratusError):
    message = "No server with that name or ID exists."


class AmbiguousServer(StratusError):
    message = "More than one server has that name; use its ID."


@dataclasses.dataclass(frozen=True)
class Address:
    network_name: str
    address: str
    version: int
    mac: str = ""
    kind: str = "fixed"


@dataclasses.dataclass(frozen=True)
class Server:
    id: str
    name: str
    status: str
    key_name: str | None
    addresses: tuple[Address, ...]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Server:
        found = []
        for network, items in (body.get("addresses") or {}).items():
            for item in items:
                found.append(
                    Address(
                        network_name=str(network),
                        address=str(item.get("addr", "")),
                        version=int(item.get("version", 4)),
                        mac=str(item.get("OS-EXT-IPS-MAC:mac_addr", "")),
                        kind=str(item.get("OS-EXT-IPS:type", "fixed")),
                    )
                )
        return cls(
            id=str(body["id"]),
            name=str(body.get("name", "")),
            status=str(body.get("status", "")),
            key_name=body.get("key_name") or None,
            addresses=tuple(found),
        )


@dataclasses.dataclass(frozen=True)
class Keypair:
    name: str
    fingerprint: str
    public_key: str
    type: str = "ssh"


def find_server(cloud: Cloud, name_or_id: str) -> Server:
    """The server with this id, else the one server with exactly this name."""
    try:
        return Server.from_body(cloud.get("compute", f"/servers/{name_or_id}")["server"])
    except ApiError as exc:
        if exc.status != 404:
            raise
    pattern = f"^{re.escape(name_or_id)}$"
    listed = cloud.get("compute", "/servers/detail", params={"name": pattern})["servers"]
    matches = [s for s in listed if s.get("name") == name_or_id]
    if not matches:
        raise ServerNotFound(f"No server with a name or ID of '{name_or_id}' exists.")
    if len(matches) > 1:
        raise AmbiguousServer(
            f"More than one server exists with the name '{name_or_id}'; use its ID."
        )
    return Server.from_body(matches[0])


def get_keypair(cloud: Cloud, name: str) -> Keypair:
    body = cloud.get("compute", f"/os-keypairs/{name}")["keypair"]
    return Keypair(
        name=str(body["name"]),
        fingerprint=str(body.get("fingerprint", "")),
        public_key=str(body.get("public_key", "")),
        type=str(body.get("type", "ssh")),
    )
