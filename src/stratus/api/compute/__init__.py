"""Compute API v2.1 (a Nova-compatible subset) with microversions."""
