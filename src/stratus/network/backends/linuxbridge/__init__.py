"""The ``linuxbridge`` dataplane: flat networks in network namespaces on each compute host.

Per network, on every compute host with a port of it (Neutron's DHCP-agent layout)::

    namespace qdhcp-<network id>
    ├── bridge brq<network id[:11]>   gateway address of each subnet, 169.254.169.254/32, MTU
    │   ├── tap<port id[:11]>          one per instance port (created by ``plugger``)
    │   └── ...
    ├── dnsmasq                        DHCP only (no DNS): static hosts from the ports
    └── nftables                       tables ``bridge stratus`` (anti-spoofing, per tap) and
                                       ``inet stratus`` (stateful security groups, per address)

Modules, one aspect each: ``namespace`` (``ip netns``, running commands), ``bridge``,
``dnsmasq`` (configuration files and the process), ``security_groups`` (the nftables ruleset,
rendered from rules as text and loaded atomically), ``plugger`` (tap devices for the qemu
driver), ``tapfds`` (starts QEMU with its taps opened in their namespaces), ``backend``
(``LinuxBridgeBackend``, which ties them together).

Nothing is done in the host's own namespace: no host interface, route or firewall rule is
touched, and nothing is routed out of a namespace (no uplink: the network is flat and private
to the host; multi-host flat networks need an uplink and come later). This package imports no
other part of Stratus at module level than ``objects``, ``common``, ``network`` and ``virt``'s
error type, so ``tapfds`` starts quickly.
"""
