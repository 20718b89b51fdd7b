"""Stratus."""
