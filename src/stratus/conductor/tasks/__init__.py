"""Conductor workflows as task classes with rollback (build, migrate)."""
