"""The compute agent: one per host, drives the virt driver; never opens the database."""
