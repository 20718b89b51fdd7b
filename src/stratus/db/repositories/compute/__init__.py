"""Compute queries (flavors, keypairs, aggregates, server groups, services, hypervisors,
migrations …): the only place compute SQL lives."""
