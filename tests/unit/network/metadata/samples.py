"""Instances with ports, as the conductor would describe them to a metadata server."""

from __future__ import annotations

import base64

from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.instance import Instance
from stratus.objects.metadata import InstanceMetadata
from stratus.objects.network import VIF, FixedIP

NET = "5f0e0b1c-1111-4a4a-9b9b-000000000001"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBQmU9S0jmFtuqHkZc0V0WDMs1u6HK0NYbDcTmiPY7aW demo"


def flavor(ephemeral_gb: int = 0, swap: int = 0) -> Flavor:
    return Flavor(
        flavorid="1", name="m1.nano", vcpus=1, memory_mb=128, root_gb=1,
        ephemeral_gb=ephemeral_gb, swap=swap,
    )  # fmt: skip


def vif(
    ip: str, mac: str, network_id: str = NET, port: str = "a1b2c3d4-e5f6-4000-8000-0000000000aa"
) -> VIF:
    return VIF(
        port_id=port,
        network_id=network_id,
        network_name="private",
        mac_address=mac,
        fixed_ips=[
            FixedIP(address=ip, subnet_id="s1", cidr="10.0.0.0/24", gateway="10.0.0.1",
                    dns_nameservers=["10.0.0.2"])
        ],
        devname=f"tap{port[:11]}",
    )  # fmt: skip


def metadata(
    uuid: str = "3d8a7f6e-0000-4000-8000-00000000000a",
    name: str = "demo",
    ip: str = "10.0.0.5",
    mac: str = "fa:16:3e:00:00:0a",
    user_data: bytes | None = b"#!/bin/sh\necho hello\n",
    key: str | None = KEY,
    **instance: object,
) -> InstanceMetadata:
    inst = Instance(
        uuid=uuid,
        display_name=name,
        hostname=name,
        project_id="p1",
        user_id="u1",
        image_ref="1c6b3a2e-0000-4000-8000-0000000000ff",
        flavor=instance.pop("flavor", None) or flavor(),
        availability_zone="nova",
        vm_state=states.ACTIVE,
        key_name="mykey" if key else None,
        key_data=key,
        user_data=base64.b64encode(user_data).decode() if user_data is not None else None,
        metadata={"role": "web"},
        security_groups=["default"],
        **instance,  # type: ignore[arg-type]
    )
    return InstanceMetadata(
        instance=inst,
        vifs=[vif(ip, mac, port=uuid.replace("3d8a", "7e7e"))],
        launch_index=0,
        reservation_id="r-abcd1234",
    )
