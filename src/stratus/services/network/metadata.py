"""Which instance holds an address on a network, with what its metadata needs.

The conductor answers a compute host's metadata server with :func:`for_address`: the metadata
server knows the network (its namespace) and the caller's source address, nothing else. The
port holding the address must belong to the instance's project (Nova's metadata handler checks
the same): a port's ``device_id`` is its owner's to write, so it alone never proves whose guest
is asking.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.repositories.compute import instances_conductor as instances
from stratus.db.repositories.compute import keypairs
from stratus.db.repositories.network import ports as port_repo
from stratus.objects.metadata import InstanceMetadata
from stratus.services.network import server_ports

COMPUTE_OWNER_PREFIX = "compute:"


def for_address(session: Session, network_id: str, address: str) -> InstanceMetadata | None:
    """The live instance whose port on ``network_id`` holds ``address``, or ``None``."""
    port = port_repo.holder_on_network(session, network_id, address)
    if port is None or not port.device_id:
        return None
    if not port.device_owner.startswith(COMPUTE_OWNER_PREFIX):
        return None  # a router or DHCP port, or a port no server uses
    try:
        row = instances.get(session, port.device_id)
    except exceptions.NotFound:
        return None
    if row.project_id != port.project_id:
        return None  # another project's port claiming the server: not that server's guest
    key_type = "ssh"
    if row.key_name:
        pair = keypairs.find(session, row.user_id, row.key_name)
        if pair is not None:
            key_type = pair.type
    return InstanceMetadata(
        instance=instances.to_object(session, row),
        vifs=server_ports.network_info(session, row.uuid),
        key_type=key_type,
        launch_index=row.launch_index,
        reservation_id=row.reservation_id,
    )
