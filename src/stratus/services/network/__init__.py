"""Business logic of the networking API (Neutron v2.0 subset): networks, subnets, ports,
security groups, quotas, tags; and the ports of servers."""
