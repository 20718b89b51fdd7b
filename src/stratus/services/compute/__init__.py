"""Business logic of the compute API (Nova v2.1 subset): servers and their actions, flavors,
keypairs, quotas, host aggregates, zones, consoles."""
