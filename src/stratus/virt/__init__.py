"""Virt drivers: the hypervisor plug-in interface and its implementations."""
