"""Networking API v2.0 (a Neutron-compatible subset)."""
