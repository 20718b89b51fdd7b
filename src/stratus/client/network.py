"""The networking API as the CLI needs it: the ports of a server."""

from __future__ import annotations

import dataclasses
from typing import Any

from stratus.client.session import Cloud


@dataclasses.dataclass(frozen=True)
class Port:
    id: str
    network_id: str
    mac_address: str
    fixed_ips: tuple[str, ...]

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Port:
        return cls(
            id=str(body["id"]),
            network_id=str(body["network_id"]),
            mac_address=str(body.get("mac_address", "")),
            fixed_ips=tuple(str(ip["ip_address"]) for ip in body.get("fixed_ips") or []),
        )


def ports_of(cloud: Cloud, device_id: str) -> list[Port]:
    """The ports a server (``device_id``) uses."""
    body = cloud.get("network", "/v2.0/ports", params={"device_id": device_id})
    return [Port.from_body(p) for p in body["ports"]]
