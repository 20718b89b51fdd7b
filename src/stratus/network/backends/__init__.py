"""Dataplane backends, one module each; they never import each other."""
