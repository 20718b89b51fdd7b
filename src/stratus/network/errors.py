"""Networking errors, named as Neutron names them (the class name is the fault's ``type``).

::

    Invalid (400)
    └── InvalidInput                  "Invalid input for operation: ..."
    Forbidden (403)
    └── PolicyNotAuthorized           an attribute or action the caller's role may not use
    NotFound (404)
    ├── NetworkNotFound, SubnetNotFound, PortNotFound
    └── SecurityGroupNotFound, SecurityGroupRuleNotFound
    Conflict (409)
    ├── InUse
    │   ├── NetworkInUse              ports still on the network
    │   ├── SubnetInUse               ports still have addresses from the subnet
    │   ├── PortInUse                 a port already has a device
    │   └── SecurityGroupInUse        ports or instances still use the group
    ├── IpAddressGenerationFailure    no free address left
    ├── IpAddressAlreadyAllocated     a requested address is taken
    ├── MacAddressInUse
    ├── DeviceIDNotOwnedByTenant      a port's device_id names another project's server
    ├── SecurityGroupRuleExists
    └── OverQuota                     Neutron answers quota overruns with 409
"""

from __future__ import annotations

from stratus.common import exceptions


class InvalidInput(exceptions.Invalid):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid input for operation: {detail}")


class PolicyNotAuthorized(exceptions.Forbidden):
    def __init__(self, action: str) -> None:
        super().__init__(f"({action}) is disallowed by policy")


class NetworkNotFound(exceptions.NotFound):
    def __init__(self, net_id: str) -> None:
        super().__init__(f"Network {net_id} could not be found.")


class SubnetNotFound(exceptions.NotFound):
    def __init__(self, subnet_id: str) -> None:
        super().__init__(f"Subnet {subnet_id} could not be found.")


class PortNotFound(exceptions.NotFound):
    def __init__(self, port_id: str) -> None:
        super().__init__(f"Port {port_id} could not be found.")


class SecurityGroupNotFound(exceptions.NotFound):
    def __init__(self, sg_id: str) -> None:
        super().__init__(f"Security group {sg_id} does not exist")


class SecurityGroupRuleNotFound(exceptions.NotFound):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"Security group rule {rule_id} does not exist")


class InUse(exceptions.Conflict):
    message = "The resource is in use."


class NetworkInUse(InUse):
    def __init__(self, net_id: str) -> None:
        super().__init__(
            f"Unable to complete operation on network {net_id}. "
            "There are one or more ports still in use on the network."
        )


class SubnetInUse(InUse):
    def __init__(self, subnet_id: str) -> None:
        super().__init__(
            f"Unable to complete operation on subnet {subnet_id}: "
            "One or more ports have an IP allocation from this subnet."
        )


class PortInUse(InUse):
    def __init__(self, port_id: str, net_id: str, device_id: str) -> None:
        super().__init__(
            f"Unable to complete operation on port {port_id} for network {net_id}. "
            f"Port already has an attached device {device_id}."
        )


class SecurityGroupInUse(InUse):
    def __init__(self, sg_id: str) -> None:
        super().__init__(f"Security Group {sg_id} in use.")


class IpAddressGenerationFailure(exceptions.Conflict):
    def __init__(self, net_id: str) -> None:
        super().__init__(f"No more IP addresses available on network {net_id}.")


class IpAddressAlreadyAllocated(exceptions.Conflict):
    def __init__(self, ip: str, subnet_id: str) -> None:
        super().__init__(f"IP address {ip} already allocated in subnet {subnet_id}")


class MacAddressInUse(exceptions.Conflict):
    def __init__(self, net_id: str, mac: str) -> None:
        super().__init__(
            f"Unable to complete operation for network {net_id}. The mac address {mac} is in use."
        )


class DeviceIDNotOwnedByTenant(exceptions.Conflict):
    def __init__(self, device_id: str) -> None:
        super().__init__(
            f"The following device_id {device_id} is not owned by your tenant or matches another "
            "tenants router."
        )


class SecurityGroupRuleExists(exceptions.Conflict):
    def __init__(self, rule_id: str) -> None:
        super().__init__(f"Security group rule already exists. Rule id is {rule_id}.")


class OverQuota(exceptions.Conflict):
    def __init__(self, resources: list[str]) -> None:
        super().__init__(f"Quota exceeded for resources: {resources}.")
