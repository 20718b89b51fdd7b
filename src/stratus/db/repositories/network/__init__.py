"""SQL of the networking service: networks, subnets, ports and addresses, security groups."""
