"""Scheduler filters, one small class per module; each reads only the ``HostState`` given."""
